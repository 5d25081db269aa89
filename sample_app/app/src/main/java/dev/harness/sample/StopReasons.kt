package dev.harness.sample

import android.app.job.JobParameters

/**
 * Names of the stop reasons of `JobParameters.getStopReason()` (API 31+), which WorkManager's
 * `WorkInfo.STOP_REASON_*` mirror, for the `stop_reason` of `stopped` events.
 */
object StopReasons {
    /** WorkManager's value for work that was never stopped. */
    private const val WORK_NOT_STOPPED = -256

    /** WorkManager's value when the reason is not known (API < 31). */
    private const val WORK_UNKNOWN = -512

    fun name(code: Int): String = when (code) {
        JobParameters.STOP_REASON_UNDEFINED -> "undefined"
        JobParameters.STOP_REASON_CANCELLED_BY_APP -> "cancelled_by_app"
        JobParameters.STOP_REASON_PREEMPT -> "preempt"
        JobParameters.STOP_REASON_TIMEOUT -> "timeout"
        JobParameters.STOP_REASON_DEVICE_STATE -> "device_state"
        JobParameters.STOP_REASON_CONSTRAINT_BATTERY_NOT_LOW -> "constraint_battery_not_low"
        JobParameters.STOP_REASON_CONSTRAINT_CHARGING -> "constraint_charging"
        JobParameters.STOP_REASON_CONSTRAINT_CONNECTIVITY -> "constraint_connectivity"
        JobParameters.STOP_REASON_CONSTRAINT_DEVICE_IDLE -> "constraint_device_idle"
        JobParameters.STOP_REASON_CONSTRAINT_STORAGE_NOT_LOW -> "constraint_storage_not_low"
        JobParameters.STOP_REASON_QUOTA -> "quota"
        JobParameters.STOP_REASON_BACKGROUND_RESTRICTION -> "background_restriction"
        JobParameters.STOP_REASON_APP_STANDBY -> "app_standby"
        JobParameters.STOP_REASON_USER -> "user"
        JobParameters.STOP_REASON_SYSTEM_PROCESSING -> "system_processing"
        JobParameters.STOP_REASON_ESTIMATED_APP_LAUNCH_TIME_CHANGED -> "estimated_app_launch_time_changed"
        WORK_NOT_STOPPED -> "not_stopped"
        WORK_UNKNOWN -> "unknown"
        else -> "reason_$code"
    }
}
