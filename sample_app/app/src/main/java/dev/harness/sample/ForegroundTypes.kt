package dev.harness.sample

import android.app.ForegroundServiceStartNotAllowedException
import android.app.InvalidForegroundServiceTypeException
import android.app.MissingForegroundServiceTypeException
import android.app.ServiceStartNotAllowedException
import android.content.pm.ServiceInfo
import android.os.Build

/** Foreground service type names (as in the manifest) and the error codes of refused starts. */
object ForegroundTypes {
    /** Name used in arguments for "no type": `startForeground(id, notification, 0)`. */
    const val NONE = "none"

    /**
     * Every type the platform knows, so a test can also ask for a type the manifest does not
     * declare and watch the platform refuse it. The constants are compile-time ints, so they
     * can be referenced on older releases; the platform checks them.
     */
    val FLAGS: Map<String, Int> = linkedMapOf(
        NONE to ServiceInfo.FOREGROUND_SERVICE_TYPE_NONE,
        "camera" to ServiceInfo.FOREGROUND_SERVICE_TYPE_CAMERA,
        "connectedDevice" to ServiceInfo.FOREGROUND_SERVICE_TYPE_CONNECTED_DEVICE,
        Contract.FGS_TYPE_DATA_SYNC to ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC,
        "health" to ServiceInfo.FOREGROUND_SERVICE_TYPE_HEALTH,
        "location" to ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION,
        "mediaPlayback" to ServiceInfo.FOREGROUND_SERVICE_TYPE_MEDIA_PLAYBACK,
        "mediaProcessing" to ServiceInfo.FOREGROUND_SERVICE_TYPE_MEDIA_PROCESSING,
        "mediaProjection" to ServiceInfo.FOREGROUND_SERVICE_TYPE_MEDIA_PROJECTION,
        "microphone" to ServiceInfo.FOREGROUND_SERVICE_TYPE_MICROPHONE,
        "phoneCall" to ServiceInfo.FOREGROUND_SERVICE_TYPE_PHONE_CALL,
        "remoteMessaging" to ServiceInfo.FOREGROUND_SERVICE_TYPE_REMOTE_MESSAGING,
        Contract.FGS_TYPE_SHORT_SERVICE to ServiceInfo.FOREGROUND_SERVICE_TYPE_SHORT_SERVICE,
        Contract.FGS_TYPE_SPECIAL_USE to ServiceInfo.FOREGROUND_SERVICE_TYPE_SPECIAL_USE,
        "systemExempted" to ServiceInfo.FOREGROUND_SERVICE_TYPE_SYSTEM_EXEMPTED,
    )

    fun flag(name: String): Int =
        FLAGS[name] ?: throw BadArguments("unknown foreground service type '$name' (known: ${FLAGS.keys.joinToString()})")

    fun name(flag: Int): String =
        FLAGS.entries.firstOrNull { it.value == flag }?.key ?: "0x${Integer.toHexString(flag)}"

    /**
     * The contract's error code for an exception of a foreground-service start:
     * - `start_not_allowed`: Android 12+ `ForegroundServiceStartNotAllowedException` (a start
     *   from the background), or the background-service limit of Android 8+ for `startService`;
     * - `missing_type`: Android 14+ `MissingForegroundServiceTypeException` /
     *   `InvalidForegroundServiceTypeException`, or (API 29-33) a type the manifest does not
     *   declare for the service;
     * - `security_exception`: a type whose `FOREGROUND_SERVICE_<TYPE>` permission or runtime
     *   prerequisite the app lacks (Android 14+).
     */
    fun errorCode(e: Throwable): String = when {
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.UPSIDE_DOWN_CAKE &&
            (e is MissingForegroundServiceTypeException || e is InvalidForegroundServiceTypeException) ->
            Contract.ERROR_MISSING_TYPE
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.S && e is ForegroundServiceStartNotAllowedException ->
            Contract.ERROR_START_NOT_ALLOWED
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.S && e is ServiceStartNotAllowedException ->
            Contract.ERROR_START_NOT_ALLOWED
        e is SecurityException -> Contract.ERROR_SECURITY_EXCEPTION
        e is IllegalArgumentException && (e.message ?: "").contains("foregroundServiceType") ->
            Contract.ERROR_MISSING_TYPE
        e is IllegalStateException -> Contract.ERROR_START_NOT_ALLOWED
        else -> Contract.ERROR_INTERNAL
    }
}
