package dev.harness.sample

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.Data
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequest
import androidx.work.Operation
import androidx.work.OutOfQuotaPolicy
import androidx.work.PeriodicWorkRequest
import androidx.work.WorkInfo
import androidx.work.WorkManager
import androidx.work.WorkQuery
import androidx.work.WorkRequest
import java.util.UUID
import java.util.concurrent.ExecutionException
import java.util.concurrent.Future
import java.util.concurrent.TimeUnit
import org.json.JSONArray
import org.json.JSONObject

/** Keys the app adds to a worker's input data; they never reach the event log or the output. */
object WorkKeys {
    const val NAME = "harness.name"
    const val KIND = "harness.kind"
    const val BEHAVIOR = "harness.behavior"
    const val FOREGROUND = "harness.foreground"

    /** A tag `harness.name:<name>` tells which name a WorkInfo belongs to. */
    const val NAME_TAG_PREFIX = "harness.name:"

    fun isReserved(key: String): Boolean = key.startsWith("harness.")

    /** The user's part of a Data object (reserved keys removed) as JSON. */
    fun toJson(data: Data): JSONObject {
        val json = JSONObject()
        for ((key, value) in data.keyValueMap) {
            if (isReserved(key)) continue
            json.put(key, JSONObject.wrap(value) ?: JSONObject.NULL)
        }
        return json
    }

    /**
     * Puts JSON values into a Data builder. Strings, numbers and booleans keep their type;
     * with [nested] allowed, objects and lists are stored as their JSON text.
     */
    fun putJson(builder: Data.Builder, json: JSONObject, what: String, nested: Boolean) {
        for (key in json.keys()) {
            if (isReserved(key)) throw BadArguments("$what key '$key' is reserved (harness.*)")
            when (val value = json.get(key)) {
                is String -> builder.putString(key, value)
                is Boolean -> builder.putBoolean(key, value)
                is Int -> builder.putInt(key, value)
                is Long -> builder.putLong(key, value)
                is Double -> builder.putDouble(key, value)
                JSONObject.NULL -> builder.putString(key, null)
                is JSONObject, is JSONArray ->
                    if (nested) {
                        builder.putString(key, value.toString())
                    } else {
                        throw BadArguments("$what '$key' must be a string, number or boolean")
                    }
                else -> throw BadArguments("$what '$key' has an unsupported type")
            }
        }
    }

    fun nameOf(info: WorkInfo): String =
        info.tags.firstOrNull { it.startsWith(NAME_TAG_PREFIX) }?.removePrefix(NAME_TAG_PREFIX) ?: ""
}

/**
 * How a [SampleWorker] behaves, from `behavior`: how long it works, what it returns, how many
 * times it retries before succeeding, and what it adds to its output.
 */
data class Behavior(
    val durationMs: Long,
    val result: String,
    val retriesBeforeSuccess: Int,
    val output: JSONObject,
) {
    /** The result for this run attempt (0 on the first run). */
    fun outcome(runAttempt: Int): String =
        if (retriesBeforeSuccess > 0) {
            if (runAttempt < retriesBeforeSuccess) RETRY else SUCCESS
        } else {
            result
        }

    companion object {
        const val SUCCESS = "success"
        const val RETRY = "retry"
        const val FAILURE = "failure"

        /** Reads and checks `behavior` (throws [BadArguments]); null means success at once. */
        fun from(args: Args?): Behavior {
            if (args == null) return Behavior(0, SUCCESS, 0, JSONObject())
            val result = args.choice("result", SUCCESS, mapOf(SUCCESS to SUCCESS, RETRY to RETRY, FAILURE to FAILURE))
            val retries = args.int("retries_before_success", 0)
            if (retries < 0) throw BadArguments("'retries_before_success' must not be negative")
            return Behavior(
                durationMs = args.nonNegativeLong("duration_ms", 0),
                result = result,
                retriesBeforeSuccess = retries,
                output = args.optObject("output")?.json ?: JSONObject(),
            )
        }

        /** The behavior a worker finds in its input (already checked when it was enqueued). */
        fun parse(text: String?): Behavior =
            try {
                from(if (text == null) null else Args(EventLog.parseObject(text)))
            } catch (e: BadArguments) {
                Behavior(0, SUCCESS, 0, JSONObject())
            }
    }
}

/** The WorkManager methods of the control provider: enqueue_work, enqueue_chain, cancel_work. */
class WorkControl(private val context: Context) {

    private val workManager: WorkManager
        get() = WorkManager.getInstance(context)

    /** `enqueue_work`: one-time or periodic work, optionally unique. */
    fun enqueueWork(args: Args): JSONObject {
        val name = args.string("name")
        val kind = args.choice("kind", KIND_ONE_TIME, KINDS)
        val request = buildRequest(args, name, kind, emptyList())
        val unique = args.optObject("unique")
        if (unique == null) {
            await(workManager.enqueue(request))
        } else {
            val uniqueName = unique.string("name")
            if (request is PeriodicWorkRequest) {
                val policy = unique.choice("policy", null, PERIODIC_POLICIES)
                await(workManager.enqueueUniquePeriodicWork(uniqueName, policy, request))
            } else {
                if (unique.optString("policy") == POLICY_UPDATE) {
                    throw BadArguments("unique policy 'update' is only for periodic work")
                }
                val policy = unique.choice("policy", null, ONE_TIME_POLICIES)
                await(workManager.enqueueUniqueWork(uniqueName, policy, request as OneTimeWorkRequest))
            }
            // With "keep" WorkManager keeps the existing work and drops this request; with
            // "update" it changes the existing periodic work in place (its id stays).
            if (await(workManager.getWorkInfoById(request.id)) == null) {
                val existing = await(workManager.getWorkInfosForUniqueWork(uniqueName))
                    .filter { !it.state.isFinished }
                    .map { it.id.toString() }
                val updated = unique.optString("policy") == POLICY_UPDATE
                if (updated && existing.isNotEmpty()) {
                    EventLog.record(
                        context, Contract.SOURCE_WORKMANAGER, Contract.EVENT_ENQUEUED, name,
                        jsonOf("work_id" to existing.first(), "kind" to kind, "updated" to true),
                    )
                }
                return Results.ok(
                    "work_id" to existing.firstOrNull(),
                    (if (updated) "updated_existing" else "kept_existing") to true,
                    "existing_work_ids" to existing,
                )
            }
        }
        EventLog.record(
            context, Contract.SOURCE_WORKMANAGER, Contract.EVENT_ENQUEUED, name,
            jsonOf("work_id" to request.id.toString(), "kind" to kind),
        )
        return Results.ok("work_id" to request.id.toString())
    }

    /** `enqueue_chain`: one-time steps run one after another; each step's output feeds the next. */
    fun enqueueChain(args: Args): JSONObject {
        val chainName = args.string("name")
        val steps = args.objectList("steps")
        if (steps.isEmpty()) throw BadArguments("'steps' must hold at least one step")
        val requests = steps.mapIndexed { index, step ->
            if (step.has("unique")) {
                throw BadArguments("step $index: 'unique' is given for the whole chain, not per step")
            }
            if (step.string("kind", KIND_ONE_TIME) != KIND_ONE_TIME) {
                throw BadArguments("step $index: a chain holds one-time work only")
            }
            val stepName = step.optString("name") ?: "$chainName.$index"
            buildRequest(step, stepName, KIND_ONE_TIME, listOf(chainName)) as OneTimeWorkRequest
        }
        val unique = args.optObject("unique")
        var continuation = if (unique == null) {
            workManager.beginWith(requests.first())
        } else {
            val policy = unique.choice("policy", null, ONE_TIME_POLICIES)
            workManager.beginUniqueWork(unique.string("name"), policy, requests.first())
        }
        for (request in requests.drop(1)) {
            continuation = continuation.then(request)
        }
        await(continuation.enqueue())
        if (unique != null && await(workManager.getWorkInfoById(requests.first().id)) == null) {
            // "keep" with unfinished work of that name: WorkManager dropped the new chain.
            val existing = await(workManager.getWorkInfosForUniqueWork(unique.string("name")))
                .filter { !it.state.isFinished }
                .map { it.id.toString() }
            return Results.ok("work_ids" to existing, "kept_existing" to true)
        }
        requests.forEachIndexed { index, request ->
            EventLog.record(
                context, Contract.SOURCE_WORKMANAGER, Contract.EVENT_ENQUEUED,
                steps[index].optString("name") ?: "$chainName.$index",
                jsonOf(
                    "work_id" to request.id.toString(),
                    "kind" to KIND_ONE_TIME,
                    "chain" to chainName,
                    "step" to index,
                ),
            )
        }
        return Results.ok("work_ids" to requests.map { it.id.toString() })
    }

    /** `cancel_work`: by id, by name (the name tag), by unique name, or all. */
    fun cancelWork(args: Args): JSONObject {
        val infos: List<WorkInfo>
        val cancel: () -> Operation
        when {
            args.has("id") -> {
                val id = try {
                    UUID.fromString(args.string("id"))
                } catch (e: IllegalArgumentException) {
                    throw BadArguments("'id' is not a work id (UUID): ${args.string("id")}")
                }
                infos = listOfNotNull(await(workManager.getWorkInfoById(id)))
                cancel = { workManager.cancelWorkById(id) }
            }
            args.has("name") -> {
                val name = args.string("name")
                infos = await(workManager.getWorkInfosByTag(name))
                cancel = { workManager.cancelAllWorkByTag(name) }
            }
            args.has("unique") -> {
                val uniqueName = args.string("unique")
                infos = await(workManager.getWorkInfosForUniqueWork(uniqueName))
                cancel = { workManager.cancelUniqueWork(uniqueName) }
            }
            args.bool("all", false) -> {
                infos = await(workManager.getWorkInfos(WorkQuery.fromStates(UNFINISHED)))
                cancel = { workManager.cancelAllWork() }
            }
            else -> throw BadArguments("give one of 'id', 'name', 'unique' or 'all': true")
        }
        val pending = infos.filter { !it.state.isFinished }
        await(cancel())
        for (info in pending) {
            EventLog.record(
                context, Contract.SOURCE_WORKMANAGER, Contract.EVENT_CANCELLED, WorkKeys.nameOf(info),
                jsonOf("work_id" to info.id.toString()),
            )
        }
        return Results.ok("cancelled" to pending.size)
    }

    /** For `reset`: cancels all work and returns how many requests were unfinished. */
    fun cancelAll(): Int {
        val result = cancelWork(Args(JSONObject().put("all", true)))
        // Finished work can leave SystemIdInfo rows behind (SystemJobScheduler.cancel drops
        // them only while a job is pending); one such row makes the next process start
        // reconcile and hand all enqueued work to the in-process scheduler, Doze or not.
        await(workManager.pruneWork())
        return result.getInt("cancelled")
    }

    private fun buildRequest(args: Args, name: String, kind: String, extraTags: List<String>): WorkRequest {
        val input = Data.Builder()
        args.optObject("input")?.let { WorkKeys.putJson(input, it.json, "input", nested = false) }
        input.putString(WorkKeys.NAME, name)
        input.putString(WorkKeys.KIND, kind)
        args.optObject("behavior")?.let { behavior ->
            val checked = Behavior.from(behavior)
            // The output is merged into Data later: check now that it fits.
            WorkKeys.putJson(Data.Builder(), checked.output, "behavior.output", nested = true)
            input.putString(WorkKeys.BEHAVIOR, behavior.json.toString())
        }
        args.optObject("foreground")?.let { foreground ->
            val type = foreground.string("type", Contract.FGS_TYPE_DATA_SYNC)
            if (type !in Contract.FOREGROUND_SERVICE_TYPES) {
                // WorkManager's SystemForegroundService declares the same types as the app's own
                // service (see the manifest); any other type would crash it on Android 14+.
                throw BadArguments(
                    "foreground 'type' must be one of ${Contract.FOREGROUND_SERVICE_TYPES.joinToString()}, not '$type'",
                )
            }
            foreground.optInt("notification_id")
            input.putString(WorkKeys.FOREGROUND, foreground.json.toString())
        }

        val builder: WorkRequest.Builder<*, *> = if (kind == KIND_PERIODIC) {
            val interval = args.long("interval_ms", DEFAULT_INTERVAL_MS)
            val flex = args.long("flex_ms", interval)
            if (interval <= 0 || flex <= 0) throw BadArguments("'interval_ms' and 'flex_ms' must be positive")
            // WorkManager raises the interval to 15 min and the flex to at least 5 min.
            PeriodicWorkRequest.Builder(
                SampleWorker::class.java, interval, TimeUnit.MILLISECONDS, flex, TimeUnit.MILLISECONDS,
            )
        } else {
            OneTimeWorkRequest.Builder(SampleWorker::class.java)
        }
        val delay = args.nonNegativeLong("delay_ms", 0)
        if (delay > 0) builder.setInitialDelay(delay, TimeUnit.MILLISECONDS)
        builder.setInputData(input.build())
        builder.setConstraints(constraints(args.optObject("constraints")))
        builder.addTag(name)
        builder.addTag(WorkKeys.NAME_TAG_PREFIX + name)
        for (tag in args.stringList("tags") + extraTags) builder.addTag(tag)
        args.optObject("backoff")?.let { backoff ->
            val policy = backoff.choice("policy", "exponential", BACKOFF_POLICIES)
            val backoffDelay = backoff.long("delay_ms", WorkRequest.DEFAULT_BACKOFF_DELAY_MILLIS)
            builder.setBackoffCriteria(policy, backoffDelay, TimeUnit.MILLISECONDS)
        }
        if (args.bool("expedited", false)) {
            val policy = args.choice("out_of_quota", "run_as_non_expedited", OUT_OF_QUOTA_POLICIES)
            builder.setExpedited(policy)
        }
        return try {
            builder.build()
        } catch (e: IllegalArgumentException) {
            // WorkManager's own checks: expedited work cannot be delayed or periodic, only takes
            // network and storage constraints; no backoff with a device-idle constraint.
            throw BadArguments(e.message ?: e.toString())
        }
    }

    private fun constraints(args: Args?): Constraints {
        val builder = Constraints.Builder()
        if (args == null) return builder.build()
        builder.setRequiresCharging(args.bool("charging", false))
        builder.setRequiresBatteryNotLow(args.bool("battery_not_low", false))
        builder.setRequiresStorageNotLow(args.bool("storage_not_low", false))
        builder.setRequiresDeviceIdle(args.bool("device_idle", false))
        builder.setRequiredNetworkType(args.choice("network", "not_required", NETWORK_TYPES))
        return builder.build()
    }

    private fun <T> await(future: Future<T>): T =
        try {
            future.get(TIMEOUT_S, TimeUnit.SECONDS)
        } catch (e: ExecutionException) {
            throw e.cause ?: e
        }

    private fun await(operation: Operation) {
        await(operation.result)
    }

    companion object {
        const val KIND_ONE_TIME = "one_time"
        const val KIND_PERIODIC = "periodic"
        const val DEFAULT_INTERVAL_MS = 900_000L
        private const val POLICY_UPDATE = "update"
        private const val TIMEOUT_S = 30L

        private val KINDS = mapOf(KIND_ONE_TIME to KIND_ONE_TIME, KIND_PERIODIC to KIND_PERIODIC)

        private val UNFINISHED = listOf(WorkInfo.State.ENQUEUED, WorkInfo.State.RUNNING, WorkInfo.State.BLOCKED)

        private val ONE_TIME_POLICIES = mapOf(
            "replace" to ExistingWorkPolicy.REPLACE,
            "keep" to ExistingWorkPolicy.KEEP,
            "append" to ExistingWorkPolicy.APPEND,
            "append_or_replace" to ExistingWorkPolicy.APPEND_OR_REPLACE,
        )

        private val PERIODIC_POLICIES = mapOf(
            // REPLACE is deprecated for periodic work; CANCEL_AND_REENQUEUE is the same behavior.
            "replace" to ExistingPeriodicWorkPolicy.CANCEL_AND_REENQUEUE,
            "keep" to ExistingPeriodicWorkPolicy.KEEP,
            POLICY_UPDATE to ExistingPeriodicWorkPolicy.UPDATE,
        )

        private val NETWORK_TYPES = mapOf(
            "not_required" to NetworkType.NOT_REQUIRED,
            "connected" to NetworkType.CONNECTED,
            "unmetered" to NetworkType.UNMETERED,
            "not_roaming" to NetworkType.NOT_ROAMING,
            "metered" to NetworkType.METERED,
        )

        private val BACKOFF_POLICIES = mapOf(
            "linear" to BackoffPolicy.LINEAR,
            "exponential" to BackoffPolicy.EXPONENTIAL,
        )

        private val OUT_OF_QUOTA_POLICIES = mapOf(
            "run_as_non_expedited" to OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST,
            "drop" to OutOfQuotaPolicy.DROP_WORK_REQUEST,
        )
    }
}
