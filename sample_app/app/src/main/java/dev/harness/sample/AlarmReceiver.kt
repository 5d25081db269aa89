package dev.harness.sample

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent

/**
 * Receives the app's alarms (not exported: only the app's own PendingIntents reach it).
 *
 * Records `fired` with how late the alarm came (`delay_ms`: now minus the trigger time, in the
 * alarm's clock), then does what `on_fire` asks: starting a foreground service from here is a
 * start from the background, which Android 12+ allows only in the short window an exact alarm
 * (exact allow-while-idle, alarm clock) opens for the app.
 */
class AlarmReceiver : BroadcastReceiver() {

    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != ACTION_ALARM) return
        val spec = EventLog.parseObject(intent.getStringExtra(AlarmControl.EXTRA_SPEC))
        val name = spec.optString(AlarmControl.KEY_NAME, intent.data?.lastPathSegment ?: "")
        val typeName = spec.optString(AlarmControl.KEY_TYPE, AlarmControl.TYPE_ELAPSED_REALTIME_WAKEUP)
        val type = AlarmControl.TYPES[typeName] ?: android.app.AlarmManager.ELAPSED_REALTIME_WAKEUP
        val triggerAt = spec.optLong(AlarmControl.KEY_TRIGGER_AT_MS)
        EventLog.record(
            context, Contract.SOURCE_ALARM, Contract.EVENT_FIRED, name,
            jsonOf(
                "type" to typeName,
                "mode" to spec.optString(AlarmControl.KEY_MODE),
                "trigger_at_ms" to triggerAt,
                "delay_ms" to AlarmControl.now(type) - triggerAt,
                "requested_delay_ms" to spec.optLong(AlarmControl.KEY_DELAY_MS),
                "alarm_count" to intent.getIntExtra(Intent.EXTRA_ALARM_COUNT, 1),
            ),
        )
        AlarmControl(context).markFired(name)
        val start = spec.optJSONObject(AlarmControl.KEY_ON_FIRE)?.optJSONObject(AlarmControl.ON_FIRE_START_FGS)
        if (start != null) {
            ServiceControl(context).startFromReceiver(Args(start), origin = "alarm:$name")
        }
    }

    companion object {
        const val ACTION_ALARM = "dev.harness.sample.action.ALARM"
    }
}
