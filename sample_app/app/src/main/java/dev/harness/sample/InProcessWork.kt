package dev.harness.sample

import android.content.Context
import java.util.concurrent.ConcurrentHashMap
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.json.JSONObject

/**
 * `start_inprocess_work`: work that lives only in the app's process, a coroutine in an
 * application-wide scope, the way apps run work without WorkManager. Nothing persists it: when
 * the process dies (force-stop, low memory, the freezer, a reboot) the work is lost, and the
 * event log shows a `started` without a `finished`.
 */
object InProcessWork {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val jobs = ConcurrentHashMap<String, Job>()

    fun start(context: Context, args: Args): JSONObject {
        val appContext = context.applicationContext
        val name = args.string("name")
        val delayMs = args.nonNegativeLong("delay_ms", 0)
        val durationMs = args.nonNegativeLong("duration_ms", 0)
        val job = scope.launch(start = CoroutineStart.LAZY) {
            if (delayMs > 0) delay(delayMs)
            EventLog.record(
                appContext, Contract.SOURCE_INPROCESS, Contract.EVENT_STARTED, name,
                jsonOf("delay_ms" to delayMs, "duration_ms" to durationMs),
            )
            if (durationMs > 0) delay(durationMs)
            EventLog.record(
                appContext, Contract.SOURCE_INPROCESS, Contract.EVENT_FINISHED, name,
                jsonOf("duration_ms" to durationMs),
            )
        }
        jobs.put(name, job)?.cancel() // the same name again replaces the earlier run
        job.invokeOnCompletion { jobs.remove(name, job) }
        job.start()
        return Results.ok("started" to true)
    }

    /** For `reset`: cancels every in-process task; returns how many were active. */
    fun cancelAll(): Int {
        val active = jobs.values.filter { it.isActive }
        active.forEach { it.cancel() }
        jobs.clear()
        return active.size
    }
}
