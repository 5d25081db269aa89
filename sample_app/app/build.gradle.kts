import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "dev.harness.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "dev.harness.sample"
        minSdk = 26
        targetSdk = 35
        // The harness installs when the device has an older version; raise with each release.
        versionCode = 1
        versionName = "1.0"
    }

    buildTypes {
        debug {
            // `run-as dev.harness.sample` reads WorkManager's database (no_backup/androidx.work.workdb).
            isDebuggable = true
        }
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(libs.androidx.work.runtime.ktx)
    implementation(libs.kotlinx.coroutines.android)
}
