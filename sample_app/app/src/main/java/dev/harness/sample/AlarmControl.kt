package dev.harness.sample

import android.app.AlarmManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.SharedPreferences
import android.net.Uri
import android.os.Build
import android.os.SystemClock
import org.json.JSONObject

/**
 * The AlarmManager methods of the control provider (schedule_alarm, cancel_alarm) and the
 * re-registration after boot.
 *
 * Each alarm is a broadcast PendingIntent to [AlarmReceiver], one per name (the name is in the
 * intent's data, so two names never share a PendingIntent). Alarms live only in memory in
 * system_server and are cleared by a reboot, so the app keeps what it scheduled in its own
 * preferences: to cancel by name and for [BootReceiver] to schedule again the pending alarms
 * marked `reregister_on_boot`.
 */
class AlarmControl(private val context: Context) {

    private val alarmManager: AlarmManager
        get() = context.getSystemService(AlarmManager::class.java)

    private val store: SharedPreferences
        get() = context.getSharedPreferences(STORE, Context.MODE_PRIVATE)

    /** `schedule_alarm`. */
    fun scheduleAlarm(args: Args): JSONObject {
        val name = args.string("name")
        val typeName = args.string("type", TYPE_ELAPSED_REALTIME_WAKEUP)
        val type = TYPES[typeName]
            ?: throw BadArguments("'type' must be one of ${TYPES.keys.joinToString()}, not '$typeName'")
        val mode = args.string("mode", MODE_EXACT)
        if (mode !in MODES) throw BadArguments("'mode' must be one of ${MODES.joinToString()}, not '$mode'")
        val now = now(type)
        val triggerAt = when {
            args.has("trigger_at_ms") -> args.long("trigger_at_ms")
            args.has("delay_ms") -> now + args.nonNegativeLong("delay_ms", 0)
            else -> throw BadArguments("give 'trigger_at_ms' (in the clock of '$typeName') or 'delay_ms'")
        }
        val spec = JSONObject()
            .put(KEY_NAME, name)
            .put(KEY_TYPE, typeName)
            .put(KEY_MODE, mode)
            .put(KEY_TRIGGER_AT_MS, triggerAt)
            .put(KEY_DELAY_MS, triggerAt - now)
            .put(KEY_WINDOW_MS, args.nonNegativeLong("window_ms", DEFAULT_WINDOW_MS))
            .put(KEY_REREGISTER_ON_BOOT, args.bool("reregister_on_boot", false))
        args.optObject("on_fire")?.let { onFire ->
            onFire.optObject(ON_FIRE_START_FGS)?.let { ServiceControl.StartRequest.from(it, ServiceControl.FROM_BACKGROUND) }
            spec.put(KEY_ON_FIRE, onFire.json)
        }
        return schedule(spec, origin = "control")
    }

    /**
     * Sets the alarm of [spec] with the AlarmManager call its mode names, and records
     * `scheduled`, or `schedule_failed` when the platform refuses it.
     *
     * Exact alarms (`setExact`, `setExactAndAllowWhileIdle`, `setAlarmClock`) need the
     * SCHEDULE_EXACT_ALARM permission for apps targeting API 31+: on API 31+ the app reads
     * `canScheduleExactAlarms()` (recorded in the detail) and then asks anyway, because the
     * platform has exemptions (an app on the Doze whitelist may set exact allow-while-idle
     * alarms); a refusal is the platform's SecurityException, answered as `security_exception`
     * with its message.
     */
    fun schedule(spec: JSONObject, origin: String): JSONObject {
        val name = spec.getString(KEY_NAME)
        val typeName = spec.getString(KEY_TYPE)
        val type = TYPES.getValue(typeName)
        val mode = spec.getString(KEY_MODE)
        val triggerAt = spec.getLong(KEY_TRIGGER_AT_MS)
        val exact = mode in EXACT_MODES
        val canScheduleExact: Boolean? = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            alarmManager.canScheduleExactAlarms()
        } else {
            null // no exact-alarm permission before Android 12
        }
        val pending = PendingIntent.getBroadcast(
            context, 0, intent(name).putExtra(EXTRA_SPEC, spec.toString()),
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
        try {
            when (mode) {
                MODE_INEXACT -> alarmManager.set(type, triggerAt, pending)
                MODE_WINDOW -> alarmManager.setWindow(type, triggerAt, spec.getLong(KEY_WINDOW_MS), pending)
                MODE_EXACT -> alarmManager.setExact(type, triggerAt, pending)
                MODE_INEXACT_ALLOW_WHILE_IDLE -> alarmManager.setAndAllowWhileIdle(type, triggerAt, pending)
                MODE_EXACT_ALLOW_WHILE_IDLE -> alarmManager.setExactAndAllowWhileIdle(type, triggerAt, pending)
                MODE_ALARM_CLOCK -> {
                    // An alarm clock is always wall-clock time; convert an elapsed-realtime trigger.
                    val wallTrigger = if (isRtc(type)) triggerAt else System.currentTimeMillis() + (triggerAt - now(type))
                    alarmManager.setAlarmClock(AlarmManager.AlarmClockInfo(wallTrigger, showIntent()), pending)
                }
                else -> throw BadArguments("unknown mode '$mode'")
            }
        } catch (e: SecurityException) {
            pending.cancel()
            store.edit().remove(name).apply()
            val message = e.message ?: e.toString()
            EventLog.record(
                context, Contract.SOURCE_ALARM, Contract.EVENT_SCHEDULE_FAILED, name,
                jsonOf(
                    "error" to Contract.ERROR_SECURITY_EXCEPTION,
                    "message" to message,
                    "type" to typeName,
                    "mode" to mode,
                    "exact" to exact,
                    "can_schedule_exact_alarms" to canScheduleExact,
                    "origin" to origin,
                ),
            )
            return Results.error(Contract.ERROR_SECURITY_EXCEPTION, message)
        }
        store.edit().putString(name, spec.toString()).apply()
        EventLog.record(
            context, Contract.SOURCE_ALARM, Contract.EVENT_SCHEDULED, name,
            jsonOf(
                "type" to typeName,
                "mode" to mode,
                "trigger_at_ms" to triggerAt,
                "delay_ms" to spec.optLong(KEY_DELAY_MS),
                "can_schedule_exact_alarms" to canScheduleExact,
                "origin" to origin,
            ),
        )
        return Results.ok("scheduled" to true, "trigger_at_ms" to triggerAt)
    }

    /** `cancel_alarm`: by name, or all the app's alarms. */
    fun cancelAlarm(args: Args): JSONObject {
        val names = when {
            args.has("name") -> listOf(args.string("name"))
            args.bool("all", false) -> store.all.keys.toList()
            else -> throw BadArguments("give 'name' or 'all': true")
        }
        var cancelled = 0
        for (name in names) {
            val spec = store.getString(name, null)?.let { EventLog.parseObject(it) }
            val pending = PendingIntent.getBroadcast(
                context, 0, intent(name), PendingIntent.FLAG_NO_CREATE or PendingIntent.FLAG_IMMUTABLE,
            )
            if (pending != null) {
                alarmManager.cancel(pending)
                pending.cancel()
            }
            store.edit().remove(name).apply()
            if (pending != null || spec != null) {
                cancelled++
                EventLog.record(
                    context, Contract.SOURCE_ALARM, Contract.EVENT_CANCELLED, name,
                    jsonOf("type" to spec?.optString(KEY_TYPE), "mode" to spec?.optString(KEY_MODE)),
                )
            }
        }
        return Results.ok("cancelled" to cancelled)
    }

    /** For `reset`. */
    fun cancelAll(): Int = cancelAlarm(Args(JSONObject().put("all", true))).getInt("cancelled")

    /** The alarm fired: it is no longer pending. */
    fun markFired(name: String) {
        store.edit().remove(name).apply()
    }

    /**
     * After BOOT_COMPLETED: the platform dropped every alarm. Alarms that were still pending and
     * marked `reregister_on_boot` are set again with the same delay, counted from now; the others
     * are forgotten. Returns how many were set again.
     */
    fun reregisterAfterBoot(): Int {
        var count = 0
        for ((name, value) in store.all) {
            val spec = EventLog.parseObject(value as? String)
            store.edit().remove(name).apply()
            if (!spec.optBoolean(KEY_REREGISTER_ON_BOOT, false)) continue
            val type = TYPES[spec.optString(KEY_TYPE)] ?: continue
            val delay = spec.optLong(KEY_DELAY_MS, 0L).coerceAtLeast(0L)
            spec.put(KEY_TRIGGER_AT_MS, now(type) + delay)
            val result = schedule(spec, origin = "boot")
            if (result.optBoolean("ok")) count++
        }
        return count
    }

    private fun intent(name: String): Intent =
        Intent(context, AlarmReceiver::class.java)
            .setAction(AlarmReceiver.ACTION_ALARM)
            .setData(Uri.Builder().scheme("harness-alarm").authority(Contract.PACKAGE).appendPath(name).build())

    private fun showIntent(): PendingIntent =
        PendingIntent.getActivity(
            context, 0,
            Intent(context, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )

    companion object {
        private const val STORE = "harness_alarms"

        const val KEY_NAME = "name"
        const val KEY_TYPE = "type"
        const val KEY_MODE = "mode"
        const val KEY_TRIGGER_AT_MS = "trigger_at_ms"
        const val KEY_DELAY_MS = "delay_ms"
        const val KEY_WINDOW_MS = "window_ms"
        const val KEY_REREGISTER_ON_BOOT = "reregister_on_boot"
        const val KEY_ON_FIRE = "on_fire"
        const val ON_FIRE_START_FGS = "start_foreground_service"
        const val EXTRA_SPEC = "harness.alarm_spec"

        const val TYPE_RTC_WAKEUP = "RTC_WAKEUP"
        const val TYPE_RTC = "RTC"
        const val TYPE_ELAPSED_REALTIME_WAKEUP = "ELAPSED_REALTIME_WAKEUP"
        const val TYPE_ELAPSED_REALTIME = "ELAPSED_REALTIME"

        val TYPES: Map<String, Int> = mapOf(
            TYPE_RTC_WAKEUP to AlarmManager.RTC_WAKEUP,
            TYPE_RTC to AlarmManager.RTC,
            TYPE_ELAPSED_REALTIME_WAKEUP to AlarmManager.ELAPSED_REALTIME_WAKEUP,
            TYPE_ELAPSED_REALTIME to AlarmManager.ELAPSED_REALTIME,
        )

        const val MODE_INEXACT = "inexact"
        const val MODE_WINDOW = "window"
        const val MODE_EXACT = "exact"
        const val MODE_INEXACT_ALLOW_WHILE_IDLE = "inexact_allow_while_idle"
        const val MODE_EXACT_ALLOW_WHILE_IDLE = "exact_allow_while_idle"
        const val MODE_ALARM_CLOCK = "alarm_clock"

        val MODES: List<String> = listOf(
            MODE_INEXACT,
            MODE_WINDOW,
            MODE_EXACT,
            MODE_INEXACT_ALLOW_WHILE_IDLE,
            MODE_EXACT_ALLOW_WHILE_IDLE,
            MODE_ALARM_CLOCK,
        )

        /** The modes that need SCHEDULE_EXACT_ALARM on API 31+. */
        val EXACT_MODES: Set<String> = setOf(MODE_EXACT, MODE_EXACT_ALLOW_WHILE_IDLE, MODE_ALARM_CLOCK)

        const val DEFAULT_WINDOW_MS = 600_000L

        fun isRtc(type: Int): Boolean = type == AlarmManager.RTC_WAKEUP || type == AlarmManager.RTC

        /** Now in the clock of an alarm type: wall time for RTC, elapsed realtime otherwise. */
        fun now(type: Int): Long = if (isRtc(type)) System.currentTimeMillis() else SystemClock.elapsedRealtime()
    }
}
