"""The app's own JobScheduler jobs: ``schedule_job``, ``cancel_job``, the ``jobs`` part of
``reset`` (JobControl.kt), and SampleJobService (SampleJobService.kt).

SampleJobService records ``started``, works for ``behavior.duration_ms`` off the main thread,
then records ``finished`` and calls ``jobFinished(params, reschedule)``. When the system stops
the job it records ``stopped`` with the stop reason (API 31+; -512 before) and asks to be
rescheduled. Its work is a coroutine of the process: it dies with it, and JobScheduler
reschedules the job ("unexpectedly disconnected").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.sample.jsonargs import Args, BadArguments, error, json_of, ok
from harness.virtual.apps.sample.methods import (
    ILLEGAL_ARGUMENT,
    SECURITY_EXCEPTION,
    register,
    register_reset,
)
from harness.virtual.apps.sample.stop_reasons import STOP_REASON_UNKNOWN, stop_reason_name
from harness.virtual.system.job_info import (
    NETWORK_TYPE_ANY,
    NETWORK_TYPE_CELLULAR,
    NETWORK_TYPE_NONE,
    NETWORK_TYPE_NOT_ROAMING,
    NETWORK_TYPE_UNMETERED,
    IllegalArgumentException,
    JobInfo,
    SecurityException,
)

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel
    from harness.virtual.system.jobscheduler import JobParameters, JobSchedulerService

EXTRA_NAME = "harness.name"
EXTRA_DURATION_MS = "harness.duration_ms"
EXTRA_RESCHEDULE = "harness.reschedule"
RESULT_SUCCESS, RESULT_FAILURE = "RESULT_SUCCESS", "RESULT_FAILURE"
SOURCE = "jobscheduler"
# JobControl.networkTypes: "metered" is NETWORK_TYPE_CELLULAR from API 28 (NETWORK_TYPE_METERED,
# the same value 4, before).
NETWORK_TYPES = {"not_required": NETWORK_TYPE_NONE, "connected": NETWORK_TYPE_ANY,
                 "unmetered": NETWORK_TYPE_UNMETERED, "not_roaming": NETWORK_TYPE_NOT_ROAMING,
                 "metered": NETWORK_TYPE_CELLULAR}


def _js(app: SampleAppModel) -> JobSchedulerService:
    from harness.virtual.system.jobscheduler import JobSchedulerService

    return app.system.service(JobSchedulerService)


@register("schedule_job")
def schedule_job(app: SampleAppModel, args: Args) -> dict[str, Any]:
    job_id = args.int("job_id")
    if not c.APP_JOB_ID_MIN <= job_id <= c.APP_JOB_ID_MAX:
        raise BadArguments(
            f"'job_id' must be in {c.APP_JOB_ID_MIN}..{c.APP_JOB_ID_MAX} (ids up to "
            f"{c.WORKMANAGER_JOB_ID_MAX} belong to WorkManager), not {job_id}")
    name = args.string("name", f"job-{job_id}")
    behavior = args.opt_object("behavior")
    persisted = args.bool("persisted", False)
    fields: dict[str, Any] = {
        "job_id": job_id,
        "service": c.JOB_SERVICE_CLASS,
        "extras": {
            EXTRA_NAME: name,
            EXTRA_DURATION_MS: behavior.non_negative_long("duration_ms", 0) if behavior else 0,
            EXTRA_RESCHEDULE: behavior.bool("reschedule", False) if behavior else False,
        },
        # Persisted jobs survive a reboot; the app holds RECEIVE_BOOT_COMPLETED.
        "persisted": persisted,
    }
    constraints = args.opt_object("constraints")
    if constraints is not None:
        fields["requires_charging"] = constraints.bool("charging", False)
        fields["requires_battery_not_low"] = constraints.bool("battery_not_low", False)
        fields["requires_storage_not_low"] = constraints.bool("storage_not_low", False)
        fields["requires_device_idle"] = constraints.bool("device_idle", False)
        fields["network_type"] = constraints.choice("network", "not_required", NETWORK_TYPES)
    latency = args.opt_long("min_latency_ms")
    if latency is not None:
        fields["min_latency_ms"] = latency
    deadline = args.opt_long("deadline_ms")
    if deadline is not None:
        fields["override_deadline_ms"] = deadline
    periodic = args.opt_object("periodic")
    if periodic is not None:
        interval = periodic.long("interval_ms")
        fields["period_ms"] = interval
        fields["flex_ms"] = periodic.long("flex_ms", interval)
    expedited = args.bool("expedited", False)
    # Expedited jobs exist from Android 12; before, the job is scheduled as a regular one.
    applied = expedited and app.device.api_level >= 31
    if applied:
        fields["expedited"] = True
    try:
        result = _js(app).schedule(app.package.name, JobInfo(**fields))
    except IllegalArgumentException as exc:
        return _refused(app, name, job_id, ILLEGAL_ARGUMENT, exc.message)
    except SecurityException as exc:
        return _refused(app, name, job_id, SECURITY_EXCEPTION, exc.message)
    detail = {"job_id": job_id, "persisted": persisted, "expedited": applied}
    if result == 1:  # JobScheduler.RESULT_SUCCESS
        app.record(SOURCE, "scheduled", name, detail)
        return ok(scheduled=RESULT_SUCCESS, expedited=applied, expedited_requested=expedited)
    app.record(SOURCE, "schedule_failed", name, {
        **detail, "error": RESULT_FAILURE,
        "message": "JobScheduler.schedule() returned RESULT_FAILURE"})
    return ok(scheduled=RESULT_FAILURE)


def _refused(app: SampleAppModel, name: str, job_id: int, code: str,
             message: str) -> dict[str, Any]:
    app.record(SOURCE, "schedule_failed", name,
               {"job_id": job_id, "error": code, "message": message})
    return error(code, message)


def _is_app_job(job: JobInfo) -> bool:
    return (c.APP_JOB_ID_MIN <= job.job_id <= c.APP_JOB_ID_MAX
            and job.service == c.JOB_SERVICE_CLASS)


@register("cancel_job")
def cancel_job(app: SampleAppModel, args: Args) -> dict[str, Any]:
    js = _js(app)
    pkg = app.package.name
    if args.has("job_id"):
        job = js.get_pending_job(pkg, args.int("job_id"))
        jobs = [job] if job is not None and _is_app_job(job) else []
    elif args.bool("all", False):
        jobs = [j for j in js.get_pending_jobs(pkg) if _is_app_job(j)]
    else:
        raise BadArguments("give 'job_id' or 'all': true")
    for job in jobs:
        js.cancel(pkg, job.job_id)
        app.record(SOURCE, "cancelled", str(job.extras.get(EXTRA_NAME) or f"job-{job.job_id}"),
                   {"job_id": job.job_id})
    return ok(cancelled=len(jobs))


@register_reset("jobs")
def cancel_all_jobs(app: SampleAppModel) -> int:
    return int(cancel_job(app, Args({"all": True}))["cancelled"])


# ---------------------------------------------------------------------- SampleJobService
def _running(app: SampleAppModel) -> dict[int, Any]:
    return app.state.setdefault("sample_jobs", {})


def _name(params: JobParameters) -> str:
    return str(params.extras.get(EXTRA_NAME) or f"job-{params.job_id}")


def on_start_job(app: SampleAppModel, params: JobParameters) -> bool:
    name = _name(params)
    duration = int(params.extras.get(EXTRA_DURATION_MS, 0) or 0)
    reschedule = bool(params.extras.get(EXTRA_RESCHEDULE, False))
    expedited = app.device.api_level >= 31 and params.is_expedited_job
    app.record(SOURCE, "started", name,
               {"job_id": params.job_id, "expedited": expedited, "duration_ms": duration})

    def done() -> None:
        _running(app).pop(params.job_id, None)
        app.record(SOURCE, "finished", name, {"job_id": params.job_id, "reschedule": reschedule})
        _js(app).job_finished(app.package.name, params.job_id, reschedule)

    # The work goes on in a coroutine, even for no duration: jobFinished comes after
    # onStartJob has returned true.
    _running(app)[params.job_id] = app.later(duration, "SampleJobService.work", done)
    return True


def on_stop_job(app: SampleAppModel, params: JobParameters) -> bool:
    timer = _running(app).pop(params.job_id, None)
    if timer is not None:
        timer.cancel()
    code = params.stop_reason if app.device.api_level >= 31 else STOP_REASON_UNKNOWN
    app.record(SOURCE, "stopped", _name(params), json_of(
        job_id=params.job_id, stop_reason=stop_reason_name(code), stop_reason_code=code))
    return True  # reschedule with the job's backoff
