package dev.harness.sample

import android.app.Notification
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import android.os.Handler
import android.os.IBinder
import android.os.Looper
import android.util.Log

/**
 * The app's foreground service, declared with `foregroundServiceType="dataSync|specialUse|
 * shortService"` and the FOREGROUND_SERVICE_DATA_SYNC / _SPECIAL_USE permissions Android 14 asks
 * for (shortService needs none).
 *
 * Several named runs may be active at once; the service stays foreground while any is, showing
 * the latest one's notification. Everything here runs on the main thread.
 *
 * Platform rules handled:
 * - API 29+: `startForeground(id, notification, type)` with the requested type; Android 14+
 *   throws MissingForegroundServiceTypeException for no type, and SecurityException for a type
 *   whose permission is missing; both are recorded as `refused`.
 * - Android 14 (`onTimeout(startId)`) for shortService and Android 15
 *   (`onTimeout(startId, fgsType)`) for the dataSync time limit: recorded as `timeout`, and the
 *   service stops at once, as the platform requires within a few seconds.
 */
class SampleForegroundService : Service() {

    private data class Run(
        val name: String,
        val typeName: String,
        val type: Int,
        val notificationId: Int,
        val startId: Int,
        val notification: Notification,
        val stopTimer: Runnable?,
    )

    private val handler = Handler(Looper.getMainLooper())
    private val runs = LinkedHashMap<String, Run>()

    override fun onCreate() {
        super.onCreate()
        running = this
    }

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        if (intent == null || intent.action != ACTION_START) {
            // Restarted without an intent, or an unknown action: nothing to run.
            if (runs.isEmpty()) stopSelf(startId)
            return START_NOT_STICKY
        }
        val name = intent.getStringExtra(EXTRA_NAME) ?: ""
        val typeName = intent.getStringExtra(EXTRA_TYPE) ?: ForegroundTypes.NONE
        val type = ForegroundTypes.FLAGS[typeName] ?: ServiceInfo.FOREGROUND_SERVICE_TYPE_NONE
        val notificationId = intent.getIntExtra(EXTRA_NOTIFICATION_ID, Notifications.DEFAULT_SERVICE_NOTIFICATION_ID)
        val durationMs = intent.getLongExtra(EXTRA_DURATION_MS, 0L)
        val from = intent.getStringExtra(EXTRA_FROM) ?: ServiceControl.FROM_BACKGROUND
        val origin = intent.getStringExtra(EXTRA_ORIGIN) ?: "control"
        val token = intent.getStringExtra(EXTRA_TOKEN)
        record(
            Contract.EVENT_STARTED, name,
            jsonOf("type" to typeName, "notification_id" to notificationId, "from" to from, "origin" to origin, "start_id" to startId),
        )
        val notification = Notifications.foreground(this, "Service: $name", "Foreground service ($typeName)")
        try {
            enterForeground(notificationId, notification, type)
        } catch (e: Exception) {
            val code = ForegroundTypes.errorCode(e)
            val message = e.message ?: e.toString()
            record(
                Contract.EVENT_REFUSED, name,
                jsonOf("error" to code, "message" to message, "exception" to e.javaClass.name, "type" to typeName, "from" to from),
            )
            ServiceControl.complete(token, Results.error(code, message))
            if (runs.isEmpty()) stopSelf()
            return START_NOT_STICKY
        }
        runs.remove(name)?.let { previous ->
            // The same name again: the new run replaces the old one.
            previous.stopTimer?.let { handler.removeCallbacks(it) }
            record(Contract.EVENT_FGS_STOPPED, name, jsonOf("reason" to "restarted", "type" to previous.typeName))
        }
        val stopTimer = if (durationMs > 0) {
            Runnable { finish(name, "duration_elapsed", completed = true) }.also { handler.postDelayed(it, durationMs) }
        } else {
            null
        }
        runs[name] = Run(name, typeName, type, notificationId, startId, notification, stopTimer)
        record(
            Contract.EVENT_FGS_STARTED, name,
            jsonOf("type" to typeName, "notification_id" to notificationId, "from" to from, "origin" to origin),
        )
        ServiceControl.complete(
            token,
            Results.ok("started" to true, "type" to typeName, "notification_id" to notificationId),
        )
        return START_NOT_STICKY
    }

    /** Android 14: a shortService ran out of time (Android 15 calls the two-argument form too). */
    override fun onTimeout(startId: Int) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.VANILLA_ICE_CREAM) {
            onForegroundTimeout(startId, ServiceInfo.FOREGROUND_SERVICE_TYPE_SHORT_SERVICE)
        }
    }

    /** Android 15: a time-limited type (dataSync's 6 h per 24 h, shortService) ran out. */
    override fun onTimeout(startId: Int, fgsType: Int) {
        onForegroundTimeout(startId, fgsType)
    }

    private fun onForegroundTimeout(startId: Int, fgsType: Int) {
        val typeName = ForegroundTypes.name(fgsType)
        val timedOut = runs.values.filter { (it.type and fgsType) != 0 || it.startId == startId }
        if (timedOut.isEmpty()) {
            record(Contract.EVENT_TIMEOUT, "", jsonOf("type" to typeName, "start_id" to startId))
        }
        for (run in timedOut) {
            record(Contract.EVENT_TIMEOUT, run.name, jsonOf("type" to typeName, "start_id" to startId))
        }
        // The service must stop within seconds or the app is killed: stop every run now.
        stopAll("timeout")
    }

    /** Stops the run [name]; false when no such run is active. */
    fun stopByName(name: String): Boolean {
        if (!runs.containsKey(name)) return false
        finish(name, "stop_requested", completed = false)
        return true
    }

    /** Stops every run; returns how many there were. */
    fun stopAll(reason: String): Int {
        val names = runs.keys.toList()
        for (name in names) finish(name, reason, completed = false)
        if (names.isEmpty()) stopSelf()
        return names.size
    }

    private fun finish(name: String, reason: String, completed: Boolean) {
        val run = runs.remove(name) ?: return
        run.stopTimer?.let { handler.removeCallbacks(it) }
        if (completed) {
            record(Contract.EVENT_FINISHED, name, jsonOf("type" to run.typeName, "duration_elapsed" to true))
        }
        record(Contract.EVENT_FGS_STOPPED, name, jsonOf("reason" to reason, "type" to run.typeName))
        val latest = runs.values.lastOrNull()
        if (latest == null) {
            stopForeground(STOP_FOREGROUND_REMOVE)
            stopSelf()
            return
        }
        try {
            // Show the remaining run's notification and type.
            enterForeground(latest.notificationId, latest.notification, latest.type)
        } catch (e: Exception) {
            Log.w(Contract.LOG_TAG, "could not switch the foreground notification to '${latest.name}'", e)
        }
    }

    private fun enterForeground(notificationId: Int, notification: Notification, type: Int) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            // API 29+ takes the type; API 34+ requires a declared type and its
            // FOREGROUND_SERVICE_<TYPE> permission (else Missing...TypeException / SecurityException).
            startForeground(notificationId, notification, type)
        } else {
            startForeground(notificationId, notification)
        }
    }

    override fun onDestroy() {
        for (run in runs.values.toList()) {
            run.stopTimer?.let { handler.removeCallbacks(it) }
            record(Contract.EVENT_FGS_STOPPED, run.name, jsonOf("reason" to "destroyed", "type" to run.typeName))
        }
        runs.clear()
        if (running === this) running = null
        super.onDestroy()
    }

    private fun record(event: String, name: String, detail: org.json.JSONObject) {
        EventLog.record(this, Contract.SOURCE_SERVICE, event, name, detail)
    }

    companion object {
        const val ACTION_START = "dev.harness.sample.action.START_FOREGROUND"
        const val EXTRA_NAME = "harness.name"
        const val EXTRA_TYPE = "harness.type"
        const val EXTRA_NOTIFICATION_ID = "harness.notification_id"
        const val EXTRA_DURATION_MS = "harness.duration_ms"
        const val EXTRA_FROM = "harness.from"
        const val EXTRA_ORIGIN = "harness.origin"
        const val EXTRA_TOKEN = "harness.token"

        /** The running instance (main thread only). */
        @Volatile
        var running: SampleForegroundService? = null
            private set

        fun startIntent(
            context: Context,
            request: ServiceControl.StartRequest,
            token: String?,
            origin: String = "control",
        ): Intent =
            Intent(context, SampleForegroundService::class.java)
                .setAction(ACTION_START)
                .putExtra(EXTRA_NAME, request.name)
                .putExtra(EXTRA_TYPE, request.type)
                .putExtra(EXTRA_NOTIFICATION_ID, request.notificationId)
                .putExtra(EXTRA_DURATION_MS, request.durationMs)
                .putExtra(EXTRA_FROM, request.from)
                .putExtra(EXTRA_ORIGIN, origin)
                .putExtra(EXTRA_TOKEN, token)
    }
}
