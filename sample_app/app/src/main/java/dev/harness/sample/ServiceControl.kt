package dev.harness.sample

import android.content.Context
import android.content.Intent
import android.os.Handler
import android.os.Looper
import android.os.SystemClock
import java.util.UUID
import java.util.concurrent.Callable
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.FutureTask
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException
import org.json.JSONObject

/**
 * The foreground-service methods of the control provider: start_foreground_service and
 * stop_foreground_service, and the start an alarm's `on_fire` asks for.
 *
 * - `from: foreground`: the app brings [MainActivity] to the front first and waits until it is
 *   resumed, then starts the service; the app is the top app, so the start is allowed.
 * - `from: background`: `Context.startForegroundService()` while the app is in the background.
 *   On Android 12+ (target 31+) the platform refuses with ForegroundServiceStartNotAllowedException
 *   unless an exemption applies; the refusal is recorded as `refused` and answered as
 *   `start_not_allowed`.
 *
 * The service calls `startForeground(id, notification, type)` and reports the outcome back; the
 * provider waits for it so the answer says whether the service really became foreground (the
 * Android 14 type and permission checks happen there).
 */
class ServiceControl(private val context: Context) {

    /** The arguments of a start, checked. */
    data class StartRequest(
        val name: String,
        val type: String,
        val durationMs: Long,
        val notificationId: Int,
        val from: String,
    ) {
        companion object {
            fun from(args: Args, defaultFrom: String): StartRequest {
                val type = args.string("type", ForegroundTypes.NONE)
                ForegroundTypes.flag(type) // known type name, or bad_arguments
                val from = args.string("from", defaultFrom)
                if (from != FROM_FOREGROUND && from != FROM_BACKGROUND) {
                    throw BadArguments("'from' must be '$FROM_FOREGROUND' or '$FROM_BACKGROUND', not '$from'")
                }
                return StartRequest(
                    name = args.string("name"),
                    type = type,
                    durationMs = args.nonNegativeLong("duration_ms", 0),
                    notificationId = args.int("notification_id", Notifications.DEFAULT_SERVICE_NOTIFICATION_ID),
                    from = from,
                )
            }
        }
    }

    /** `start_foreground_service` (called on a binder thread: it may wait). */
    fun start(args: Args): JSONObject {
        val request = StartRequest.from(args, FROM_FOREGROUND)
        if (request.from == FROM_FOREGROUND && !ForegroundGate.bringToFront(context, ACTIVITY_TIMEOUT_MS)) {
            return refuse(
                request, Contract.ERROR_START_NOT_ALLOWED,
                "MainActivity did not come to the foreground within $ACTIVITY_TIMEOUT_MS ms (Android 10+ " +
                    "blocks activity starts from the background; start it with " +
                    "`am start -n ${Contract.PACKAGE}/.MainActivity` first)",
                null,
            )
        }
        val token = UUID.randomUUID().toString()
        val answer = CompletableFuture<JSONObject>()
        pending[token] = answer
        val intent = SampleForegroundService.startIntent(context, request, token)
        try {
            if (request.from == FROM_FOREGROUND) {
                // The app is the top app: a plain start, and the service promotes itself.
                context.startService(intent)
            } else {
                // Android 12+: throws ForegroundServiceStartNotAllowedException in the background.
                context.startForegroundService(intent)
            }
        } catch (e: Exception) {
            pending.remove(token)
            return refuse(request, ForegroundTypes.errorCode(e), e.message ?: e.toString(), e)
        }
        return try {
            answer.get(SERVICE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        } catch (e: TimeoutException) {
            pending.remove(token)
            Results.error(
                Contract.ERROR_NO_ANSWER,
                "the service did not answer within $SERVICE_TIMEOUT_MS ms (is the main thread blocked?)",
            )
        }
    }

    /**
     * A start from a broadcast receiver (an alarm's `on_fire`): always a background start with
     * `startForegroundService()`, and no waiting (the receiver runs on the main thread, where
     * the service would answer).
     */
    fun startFromReceiver(args: Args, origin: String) {
        val request = try {
            StartRequest.from(args, FROM_BACKGROUND).copy(from = FROM_BACKGROUND)
        } catch (e: BadArguments) {
            EventLog.record(
                context, Contract.SOURCE_SERVICE, Contract.EVENT_REFUSED, args.json.optString("name"),
                jsonOf("error" to Contract.ERROR_BAD_ARGUMENTS, "message" to e.message, "origin" to origin),
            )
            return
        }
        try {
            context.startForegroundService(SampleForegroundService.startIntent(context, request, null, origin))
        } catch (e: Exception) {
            refuse(request, ForegroundTypes.errorCode(e), e.message ?: e.toString(), e, origin)
        }
    }

    /** `stop_foreground_service`. */
    fun stop(args: Args): JSONObject {
        val name = args.string("name")
        val stopped = onMainThread { SampleForegroundService.running?.stopByName(name) ?: false }
        return Results.ok("stopped" to stopped)
    }

    /** For `reset`: stops every running foreground service entry; returns how many. */
    fun stopAll(): Int = onMainThread { SampleForegroundService.running?.stopAll("reset") ?: 0 }

    private fun refuse(
        request: StartRequest,
        code: String,
        message: String,
        e: Exception?,
        origin: String = "control",
    ): JSONObject {
        EventLog.record(
            context, Contract.SOURCE_SERVICE, Contract.EVENT_REFUSED, request.name,
            jsonOf(
                "error" to code,
                "message" to message,
                "exception" to e?.javaClass?.name,
                "type" to request.type,
                "from" to request.from,
                "origin" to origin,
            ),
        )
        return Results.error(code, message)
    }

    private fun <T> onMainThread(block: () -> T): T {
        if (Looper.myLooper() == Looper.getMainLooper()) return block()
        val task = FutureTask(Callable { block() })
        Handler(Looper.getMainLooper()).post(task)
        return task.get(SERVICE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
    }

    companion object {
        const val FROM_FOREGROUND = "foreground"
        const val FROM_BACKGROUND = "background"
        private const val ACTIVITY_TIMEOUT_MS = 5_000L
        private const val SERVICE_TIMEOUT_MS = 10_000L

        private val pending = ConcurrentHashMap<String, CompletableFuture<JSONObject>>()

        /** The service reports the outcome of a start the provider waits for. */
        fun complete(token: String?, result: JSONObject) {
            if (token == null) return
            pending.remove(token)?.complete(result)
        }
    }
}

/** Tracks whether [MainActivity] is resumed, and brings it to the front when asked. */
object ForegroundGate {
    @Volatile
    private var resumed = false

    fun onResumed() {
        resumed = true
    }

    fun onPaused() {
        resumed = false
    }

    val isResumed: Boolean
        get() = resumed

    /** Starts [MainActivity] unless it is resumed, and waits up to [timeoutMs] for it to be. */
    fun bringToFront(context: Context, timeoutMs: Long): Boolean {
        if (resumed) return true
        try {
            context.startActivity(
                Intent(context, MainActivity::class.java)
                    .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_REORDER_TO_FRONT),
            )
        } catch (e: RuntimeException) {
            return false
        }
        val deadline = SystemClock.elapsedRealtime() + timeoutMs
        while (!resumed && SystemClock.elapsedRealtime() < deadline) {
            SystemClock.sleep(POLL_MS)
        }
        return resumed
    }

    private const val POLL_MS = 50L
}
