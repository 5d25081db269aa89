package dev.harness.sample

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent

/**
 * BOOT_COMPLETED: schedules again the alarms marked `reregister_on_boot` (the platform drops all
 * alarms at reboot) and records `boot_completed`.
 *
 * Not direct-boot aware, so LOCKED_BOOT_COMPLETED is not handled: the app runs after the user
 * unlocks. On Android 15 the platform also sends BOOT_COMPLETED when the app leaves the stopped
 * state (a force-stop cancels its alarms too), so the same re-registration applies then.
 */
class BootReceiver : BroadcastReceiver() {

    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != Intent.ACTION_BOOT_COMPLETED) return
        val reregistered = AlarmControl(context).reregisterAfterBoot()
        EventLog.record(
            context, Contract.SOURCE_APP, Contract.EVENT_BOOT_COMPLETED, "",
            jsonOf("reregistered_alarms" to reregistered),
        )
    }
}
