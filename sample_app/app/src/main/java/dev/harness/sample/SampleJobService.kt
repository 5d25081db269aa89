package dev.harness.sample

import android.app.job.JobParameters
import android.app.job.JobService
import android.os.Build
import java.util.concurrent.ConcurrentHashMap
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch

/**
 * The app's own JobService (jobs 1000-1999 scheduled by `schedule_job`).
 *
 * `onStartJob` records `started` and works for `behavior.duration_ms` off the main thread, then
 * records `finished` and calls `jobFinished(params, reschedule)`. When the system stops the job
 * (`onStopJob`: Doze, a constraint lost, quota, a timeout...) it records `stopped` with the
 * platform's stop reason (API 31+) and asks to be rescheduled.
 */
class SampleJobService : JobService() {

    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val running = ConcurrentHashMap<Int, Job>()

    override fun onStartJob(params: JobParameters): Boolean {
        val name = nameOf(params)
        val durationMs = params.extras.getLong(EXTRA_DURATION_MS, 0L)
        val reschedule = params.extras.getBoolean(EXTRA_RESCHEDULE, false)
        val expedited = Build.VERSION.SDK_INT >= Build.VERSION_CODES.S && params.isExpeditedJob
        EventLog.record(
            this, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_STARTED, name,
            jsonOf("job_id" to params.jobId, "expedited" to expedited, "duration_ms" to durationMs),
        )
        val work = scope.launch(start = CoroutineStart.LAZY) {
            if (durationMs > 0) delay(durationMs)
            running.remove(params.jobId)
            EventLog.record(
                this@SampleJobService, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_FINISHED, name,
                jsonOf("job_id" to params.jobId, "reschedule" to reschedule),
            )
            jobFinished(params, reschedule)
        }
        running[params.jobId] = work
        work.start()
        return true // the work goes on in the coroutine
    }

    override fun onStopJob(params: JobParameters): Boolean {
        running.remove(params.jobId)?.cancel()
        val code = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) params.stopReason else STOP_REASON_UNKNOWN
        EventLog.record(
            this, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_STOPPED, nameOf(params),
            jsonOf(
                "job_id" to params.jobId,
                "stop_reason" to StopReasons.name(code),
                "stop_reason_code" to code,
            ),
        )
        return true // reschedule with the job's backoff
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    private fun nameOf(params: JobParameters): String =
        params.extras.getString(EXTRA_NAME) ?: "job-${params.jobId}"

    companion object {
        const val EXTRA_NAME = "harness.name"
        const val EXTRA_DURATION_MS = "harness.duration_ms"
        const val EXTRA_RESCHEDULE = "harness.reschedule"

        /** Stop reason recorded before API 31, which does not tell it. */
        private const val STOP_REASON_UNKNOWN = -512
    }
}
