package dev.harness.sample

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.os.Build
import android.os.PersistableBundle
import org.json.JSONObject

/** The JobScheduler methods of the control provider: schedule_job and cancel_job. */
class JobControl(private val context: Context) {

    private val scheduler: JobScheduler
        get() = context.getSystemService(JobScheduler::class.java)

    /** `schedule_job`: a job for [SampleJobService], scheduled directly (not via WorkManager). */
    fun scheduleJob(args: Args): JSONObject {
        val jobId = args.int("job_id")
        if (jobId < Contract.APP_JOB_ID_MIN || jobId > Contract.APP_JOB_ID_MAX) {
            throw BadArguments(
                "'job_id' must be in ${Contract.APP_JOB_ID_MIN}..${Contract.APP_JOB_ID_MAX} " +
                    "(ids up to ${Contract.WORKMANAGER_JOB_ID_MAX} belong to WorkManager), not $jobId",
            )
        }
        val name = args.string("name", "job-$jobId")
        val behavior = args.optObject("behavior")
        val extras = PersistableBundle().apply {
            putString(SampleJobService.EXTRA_NAME, name)
            putLong(SampleJobService.EXTRA_DURATION_MS, behavior?.nonNegativeLong("duration_ms", 0) ?: 0L)
            putBoolean(SampleJobService.EXTRA_RESCHEDULE, behavior?.bool("reschedule", false) ?: false)
        }
        val builder = JobInfo.Builder(jobId, ComponentName(context, SampleJobService::class.java))
            .setExtras(extras)
            // Persisted jobs survive a reboot; the app holds RECEIVE_BOOT_COMPLETED, which
            // schedule() requires for them.
            .setPersisted(args.bool("persisted", false))
        args.optObject("constraints")?.let { constraints ->
            builder.setRequiresCharging(constraints.bool("charging", false))
            builder.setRequiresBatteryNotLow(constraints.bool("battery_not_low", false))
            builder.setRequiresStorageNotLow(constraints.bool("storage_not_low", false))
            builder.setRequiresDeviceIdle(constraints.bool("device_idle", false))
            builder.setRequiredNetworkType(constraints.choice("network", "not_required", networkTypes()))
        }
        args.optLong("min_latency_ms")?.let { builder.setMinimumLatency(it) }
        args.optLong("deadline_ms")?.let { builder.setOverrideDeadline(it) }
        args.optObject("periodic")?.let { periodic ->
            val interval = periodic.long("interval_ms")
            val flex = periodic.long("flex_ms", interval)
            builder.setPeriodic(interval, flex)
        }
        val expedited = args.bool("expedited", false)
        var expeditedApplied = false
        if (expedited && Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            // Expedited jobs exist from Android 12; before, the job is scheduled as a regular one.
            builder.setExpedited(true)
            expeditedApplied = true
        }

        val result = try {
            scheduler.schedule(builder.build())
        } catch (e: IllegalArgumentException) {
            // JobInfo's own checks (periodic with a latency, expedited with constraints...) or a
            // persisted job without RECEIVE_BOOT_COMPLETED.
            return refused(name, jobId, Contract.ERROR_ILLEGAL_ARGUMENT, e)
        } catch (e: SecurityException) {
            return refused(name, jobId, Contract.ERROR_SECURITY_EXCEPTION, e)
        }
        val detail = jsonOf(
            "job_id" to jobId,
            "persisted" to args.bool("persisted", false),
            "expedited" to expeditedApplied,
        )
        return if (result == JobScheduler.RESULT_SUCCESS) {
            EventLog.record(context, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_SCHEDULED, name, detail)
            Results.ok("scheduled" to RESULT_SUCCESS, "expedited" to expeditedApplied, "expedited_requested" to expedited)
        } else {
            // RESULT_FAILURE: the platform refused it (too many jobs, bad parameters).
            EventLog.record(
                context, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_SCHEDULE_FAILED, name,
                detail.put("error", RESULT_FAILURE).put("message", "JobScheduler.schedule() returned RESULT_FAILURE"),
            )
            Results.ok("scheduled" to RESULT_FAILURE)
        }
    }

    /** `cancel_job`: one of the app's jobs, or all of them (never WorkManager's). */
    fun cancelJob(args: Args): JSONObject {
        val jobs = when {
            args.has("job_id") -> listOfNotNull(scheduler.getPendingJob(args.int("job_id")))
                .filter { isAppJob(it) }
            args.bool("all", false) -> scheduler.allPendingJobs.filter { isAppJob(it) }
            else -> throw BadArguments("give 'job_id' or 'all': true")
        }
        for (job in jobs) {
            scheduler.cancel(job.id)
            EventLog.record(
                context, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_CANCELLED,
                job.extras.getString(SampleJobService.EXTRA_NAME) ?: "job-${job.id}",
                jsonOf("job_id" to job.id),
            )
        }
        return Results.ok("cancelled" to jobs.size)
    }

    /** For `reset`. */
    fun cancelAll(): Int = cancelJob(Args(JSONObject().put("all", true))).getInt("cancelled")

    private fun isAppJob(job: JobInfo): Boolean =
        job.id in Contract.APP_JOB_ID_MIN..Contract.APP_JOB_ID_MAX &&
            job.service.className == SampleJobService::class.java.name

    private fun refused(name: String, jobId: Int, code: String, e: Exception): JSONObject {
        val message = e.message ?: e.toString()
        EventLog.record(
            context, Contract.SOURCE_JOBSCHEDULER, Contract.EVENT_SCHEDULE_FAILED, name,
            jsonOf("job_id" to jobId, "error" to code, "message" to message),
        )
        return Results.error(code, message)
    }

    /** `metered` is NETWORK_TYPE_CELLULAR from API 28 (NETWORK_TYPE_METERED, same value, before). */
    @Suppress("DEPRECATION")
    private fun networkTypes(): Map<String, Int> = mapOf(
        "not_required" to JobInfo.NETWORK_TYPE_NONE,
        "connected" to JobInfo.NETWORK_TYPE_ANY,
        "unmetered" to JobInfo.NETWORK_TYPE_UNMETERED,
        "not_roaming" to JobInfo.NETWORK_TYPE_NOT_ROAMING,
        "metered" to if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            JobInfo.NETWORK_TYPE_CELLULAR
        } else {
            JobInfo.NETWORK_TYPE_METERED
        },
    )

    companion object {
        const val RESULT_SUCCESS = "RESULT_SUCCESS"
        const val RESULT_FAILURE = "RESULT_FAILURE"
    }
}
