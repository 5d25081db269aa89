package dev.harness.sample

import android.content.Context
import android.os.Build
import androidx.work.CoroutineWorker
import androidx.work.Data
import androidx.work.ForegroundInfo
import androidx.work.WorkerParameters
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.delay
import org.json.JSONObject

/**
 * The WorkManager worker behind `enqueue_work` and `enqueue_chain`.
 *
 * It records `started`, optionally becomes a long-running worker with a typed foreground service
 * (`setForeground`), works for `behavior.duration_ms`, then returns success, retry or failure as
 * the behavior says. Its output is its input (without the app's own keys) merged with
 * `behavior.output`; in a chain WorkManager passes it to the next step as input.
 */
class SampleWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    private val name: String = inputData.getString(WorkKeys.NAME) ?: ""

    override suspend fun doWork(): Result {
        val behavior = Behavior.parse(inputData.getString(WorkKeys.BEHAVIOR))
        record(
            Contract.SOURCE_WORKMANAGER, Contract.EVENT_STARTED,
            jsonOf(
                "work_id" to id.toString(),
                "run_attempt" to runAttemptCount,
                "input" to WorkKeys.toJson(inputData),
                "kind" to inputData.getString(WorkKeys.KIND),
            ),
        )
        val foregroundSpec = inputData.getString(WorkKeys.FOREGROUND)?.let { EventLog.parseObject(it) }
        val foreground = foregroundSpec != null && goForeground(foregroundSpec)
        try {
            if (behavior.durationMs > 0) delay(behavior.durationMs)
        } catch (e: CancellationException) {
            // WorkManager stopped the worker: cancelled, a constraint no longer met, quota, ...
            val code = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) stopReason else STOP_REASON_UNKNOWN
            record(
                Contract.SOURCE_WORKMANAGER, Contract.EVENT_STOPPED,
                jsonOf(
                    "work_id" to id.toString(),
                    "run_attempt" to runAttemptCount,
                    "stop_reason" to StopReasons.name(code),
                    "stop_reason_code" to code,
                ),
            )
            if (foreground) recordForegroundStopped("work_stopped")
            throw e
        }
        if (foreground) recordForegroundStopped("work_finished")
        return when (behavior.outcome(runAttemptCount)) {
            Behavior.RETRY -> {
                record(
                    Contract.SOURCE_WORKMANAGER, Contract.EVENT_RETRY,
                    jsonOf("work_id" to id.toString(), "run_attempt" to runAttemptCount),
                )
                Result.retry()
            }
            Behavior.FAILURE -> {
                record(Contract.SOURCE_WORKMANAGER, Contract.EVENT_FAILED, jsonOf("work_id" to id.toString()))
                Result.failure()
            }
            else -> {
                val output = output(behavior)
                record(
                    Contract.SOURCE_WORKMANAGER, Contract.EVENT_FINISHED,
                    jsonOf("work_id" to id.toString(), "output" to WorkKeys.toJson(output)),
                )
                Result.success(output)
            }
        }
    }

    /**
     * The notification WorkManager needs for expedited work on API < 31, where it runs expedited
     * work in a foreground service instead of an expedited job.
     */
    override suspend fun getForegroundInfo(): ForegroundInfo {
        val spec = inputData.getString(WorkKeys.FOREGROUND)?.let { EventLog.parseObject(it) } ?: JSONObject()
        return foregroundInfo(spec)
    }

    /** Makes this a long-running worker; records `fgs_started`, or `refused` when not allowed. */
    private suspend fun goForeground(spec: JSONObject): Boolean {
        val info = foregroundInfo(spec)
        return try {
            setForeground(info)
            record(
                Contract.SOURCE_SERVICE, Contract.EVENT_FGS_STARTED,
                jsonOf(
                    "type" to typeName(spec),
                    "notification_id" to info.notificationId,
                    "work_id" to id.toString(),
                ),
            )
            true
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            // Android 12+: ForegroundServiceStartNotAllowedException when the app is in the
            // background; Android 14+: type or permission errors. The worker goes on unpromoted.
            record(
                Contract.SOURCE_SERVICE, Contract.EVENT_REFUSED,
                jsonOf(
                    "error" to ForegroundTypes.errorCode(e),
                    "message" to (e.message ?: e.toString()),
                    "exception" to e.javaClass.name,
                    "work_id" to id.toString(),
                ),
            )
            false
        }
    }

    private fun foregroundInfo(spec: JSONObject): ForegroundInfo {
        val notificationId = spec.optInt("notification_id", Notifications.DEFAULT_WORKER_NOTIFICATION_ID)
        val notification = Notifications.foreground(applicationContext, "Work: $name", "Running (${typeName(spec)})")
        return if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            val type = ForegroundTypes.FLAGS[typeName(spec)] ?: ForegroundTypes.flag(Contract.FGS_TYPE_DATA_SYNC)
            ForegroundInfo(notificationId, notification, type)
        } else {
            ForegroundInfo(notificationId, notification)
        }
    }

    private fun typeName(spec: JSONObject): String = spec.optString("type", Contract.FGS_TYPE_DATA_SYNC)

    private fun output(behavior: Behavior): Data {
        val builder = Data.Builder()
        builder.putAll(inputData.keyValueMap.filterKeys { !WorkKeys.isReserved(it) })
        WorkKeys.putJson(builder, behavior.output, "behavior.output", nested = true)
        return builder.build()
    }

    private fun recordForegroundStopped(reason: String) {
        record(
            Contract.SOURCE_SERVICE, Contract.EVENT_FGS_STOPPED,
            jsonOf("reason" to reason, "work_id" to id.toString()),
        )
    }

    private fun record(source: String, event: String, detail: JSONObject) {
        EventLog.record(applicationContext, source, event, name, detail)
    }

    private companion object {
        /** WorkManager's "stop reason unknown" (API < 31 has no stop reasons). */
        const val STOP_REASON_UNKNOWN = -512
    }
}
