package dev.harness.sample

import android.app.ActivityManager
import android.app.Application
import android.app.ApplicationExitInfo
import android.app.ApplicationStartInfo
import android.os.Build
import android.os.Process
import android.util.Log
import androidx.work.Configuration
import androidx.work.WorkManager
import org.json.JSONObject

/**
 * The application: WorkManager's configuration and the `process_start` event.
 *
 * WorkManager's default initializer is removed in the manifest, so WorkManager initializes on
 * demand from [workManagerConfiguration]. Its JobScheduler ids are kept out of the app's own
 * range (1000-1999, [Contract.APP_JOB_ID_MIN]..[Contract.APP_JOB_ID_MAX]).
 */
class SampleApp : Application(), Configuration.Provider {

    override val workManagerConfiguration: Configuration
        get() = Configuration.Builder()
            // WorkManager requires a range of at least 1000 ids (max - min >= 1000), so the
            // contract's 0..999 is written as -1..999: WorkManager hands out 0..999 and uses -1
            // after wrapping; it never reaches the app's own ids, which start at 1000.
            .setJobSchedulerJobIdRange(WORKMANAGER_JOB_ID_MIN, Contract.WORKMANAGER_JOB_ID_MAX)
            .setMinimumLoggingLevel(Log.INFO)
            .build()

    override fun onCreate() {
        super.onCreate()
        Notifications.ensureChannel(this)
        EventLog.record(this, Contract.SOURCE_APP, Contract.EVENT_PROCESS_START, "", startDetail())
        // Initialize WorkManager with every process, not at its first use: its initialization
        // runs ForceStopRunnable, which reschedules work whose jobs a reboot or a force-stop
        // took, so work resumes whenever the app runs, whatever started its process.
        WorkManager.getInstance(this)
    }

    /**
     * Why this process started, as far as the platform says: the start reason of
     * `ApplicationStartInfo` on API 35+, and on API 30+ how the previous process ended (a
     * `user_requested` exit is a force-stop).
     */
    private fun startDetail(): JSONObject {
        val detail = JSONObject()
        val activityManager = getSystemService(ActivityManager::class.java)
        try {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.VANILLA_ICE_CREAM) {
                val info = activityManager.getHistoricalProcessStartReasons(1)
                    .firstOrNull { it.pid == Process.myPid() }
                if (info != null) {
                    detail.put("reason", startReasonName(info.reason))
                    detail.put("was_force_stopped", info.wasForceStopped())
                }
            }
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                val previous = activityManager.getHistoricalProcessExitReasons(packageName, 0, 1)
                    .firstOrNull()
                if (previous != null) {
                    detail.put("previous_exit", exitReasonName(previous.reason))
                    detail.put("previous_exit_wall_ms", previous.timestamp)
                    previous.description?.let { detail.put("previous_exit_description", it) }
                }
            }
        } catch (e: RuntimeException) {
            Log.w(Contract.LOG_TAG, "could not read the process start reason", e)
        }
        return detail
    }

    companion object {
        /** See [workManagerConfiguration]: WorkManager needs max - min >= 1000. */
        const val WORKMANAGER_JOB_ID_MIN = Contract.WORKMANAGER_JOB_ID_MAX - 1000

        fun startReasonName(reason: Int): String = when (reason) {
            ApplicationStartInfo.START_REASON_ALARM -> "alarm"
            ApplicationStartInfo.START_REASON_BACKUP -> "backup"
            ApplicationStartInfo.START_REASON_BOOT_COMPLETE -> "boot_complete"
            ApplicationStartInfo.START_REASON_BROADCAST -> "broadcast"
            ApplicationStartInfo.START_REASON_CONTENT_PROVIDER -> "content_provider"
            ApplicationStartInfo.START_REASON_JOB -> "job"
            ApplicationStartInfo.START_REASON_LAUNCHER -> "launcher"
            ApplicationStartInfo.START_REASON_LAUNCHER_RECENTS -> "launcher_recents"
            ApplicationStartInfo.START_REASON_OTHER -> "other"
            ApplicationStartInfo.START_REASON_PUSH -> "push"
            ApplicationStartInfo.START_REASON_SERVICE -> "service"
            ApplicationStartInfo.START_REASON_START_ACTIVITY -> "start_activity"
            else -> "reason_$reason"
        }

        fun exitReasonName(reason: Int): String = when (reason) {
            ApplicationExitInfo.REASON_ANR -> "anr"
            ApplicationExitInfo.REASON_CRASH -> "crash"
            ApplicationExitInfo.REASON_CRASH_NATIVE -> "crash_native"
            ApplicationExitInfo.REASON_DEPENDENCY_DIED -> "dependency_died"
            ApplicationExitInfo.REASON_EXCESSIVE_RESOURCE_USAGE -> "excessive_resource_usage"
            ApplicationExitInfo.REASON_EXIT_SELF -> "exit_self"
            ApplicationExitInfo.REASON_INITIALIZATION_FAILURE -> "initialization_failure"
            ApplicationExitInfo.REASON_LOW_MEMORY -> "low_memory"
            ApplicationExitInfo.REASON_OTHER -> "other"
            ApplicationExitInfo.REASON_PERMISSION_CHANGE -> "permission_change"
            ApplicationExitInfo.REASON_SIGNALED -> "signaled"
            ApplicationExitInfo.REASON_USER_REQUESTED -> "user_requested"
            ApplicationExitInfo.REASON_USER_STOPPED -> "user_stopped"
            ApplicationExitInfo.REASON_UNKNOWN -> "unknown"
            else -> "reason_$reason"
        }
    }
}
