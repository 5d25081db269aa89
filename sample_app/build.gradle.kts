// The sample app of the harness. Build it with `./gradlew assembleDebug` or `harness app build`.
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.kotlin.android) apply false
}
