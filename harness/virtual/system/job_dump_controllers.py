"""The controller sections and the queues of ``dumpsys jobscheduler`` (JobSchedulerService
.dumpInternal: each StateController's dumpControllerStateLocked, then the pending queue, the
active job slots and the recently completed jobs), in the Android 13 layout."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from harness.virtual.system.javafmt import format_duration
from harness.virtual.system.job_dump import (
    JAVA_LONG_MAX,
    Out,
    dump_job,
    format_uid,
    jbool,
    network_request,
    rel_time,
)
from harness.virtual.system.job_quota import BUCKET_INDEX_NAMES
from harness.virtual.system.job_status import (
    CONSTRAINT_BACKGROUND_NOT_RESTRICTED,
    CONSTRAINT_DEVICE_NOT_DOZING,
    CONSTRAINT_WITHIN_QUOTA,
    NO_EARLIEST_RUNTIME,
    NO_LATEST_RUNTIME,
    TRACKING_BATTERY,
    TRACKING_CONNECTIVITY,
    TRACKING_IDLE,
    TRACKING_STORAGE,
    TRACKING_TIME,
    JobStatus,
)

if TYPE_CHECKING:
    from harness.virtual.system.jobscheduler import JobSchedulerService


# ---------------------------------------------------------------------------------- controllers
def _uid_id(job: JobStatus) -> str:
    return f"#{format_uid(job.uid)}/{job.job_id}"


def _from(job: JobStatus) -> str:
    return f"{_uid_id(job)} from {format_uid(job.uid)}"


def controllers(svc: JobSchedulerService, out: Out, jobs: list[JobStatus], now: int) -> None:
    api = svc.api_level
    inputs = svc.inputs
    # ConnectivityController
    out.line(0, "ConnectivityController:")
    networks = inputs.networks()
    if networks:
        out.line(2, "Available networks:")
        for n in networks:
            caps = "INTERNET&NOT_RESTRICTED&TRUSTED&NOT_VPN&VALIDATED&NOT_ROAMING"
            if not n.metered:
                caps = "NOT_METERED&" + caps
            out.line(4, f"{n.net_id}: [ Transports: {n.transport} Capabilities: {caps}]")
    else:
        out.line(2, "No available networks")
    out.line(2)
    for job in jobs:
        if job.tracking & TRACKING_CONNECTIVITY:
            out.line(2, f"{_from(job)}: {network_request(job, api)}")
    out.line(0)
    # TimeController
    out.line(0, "TimeController:")
    out.line(2, f"Elapsed clock: {now}")
    delays = [j.earliest for j in jobs if j.earliest != NO_EARLIEST_RUNTIME and j.earliest > now]
    deadlines = [j.latest for j in jobs if j.latest != NO_LATEST_RUNTIME and j.latest > now]
    out.line(2, f"Next delay alarm in {rel_time(min(delays, default=JAVA_LONG_MAX), now)}")
    out.line(2, f"Next deadline alarm in {rel_time(min(deadlines, default=JAVA_LONG_MAX), now)}")
    out.line(2)
    for job in jobs:
        if job.tracking & TRACKING_TIME:
            delay = "N/A" if job.earliest == NO_EARLIEST_RUNTIME else rel_time(job.earliest, now)
            deadline = "N/A" if job.latest == NO_LATEST_RUNTIME else rel_time(job.latest, now)
            out.line(2, f"{_from(job)}: Delay={delay}, Deadline={deadline}")
    out.line(0)
    # IdleController
    idle = svc.idleness
    out.line(0, "IdleController:")
    out.line(2, f"Currently idle: {jbool(bool(idle and idle.idle))}")
    out.line(2, "Idleness tracker:")
    out.line(4, f"mIdle: {jbool(bool(idle and idle.idle))}")
    out.line(4, f"mScreenOn: {jbool(bool(idle and idle.screen_on))}")
    out.line(4, f"mDockIdle: {jbool(bool(idle and idle.dock_idle))}")
    out.line(4, "mProjectionActive: false")
    out.line(2)
    for job in jobs:
        if job.tracking & TRACKING_IDLE:
            out.line(2, _from(job))
    out.line(0)
    # BatteryController
    out.line(0, "BatteryController:")
    out.line(2, f"Power connected: {jbool(inputs.charging)}")
    out.line(2, f"Stable power: {jbool(inputs.stable_power)}")
    out.line(2, f"Not low: {jbool(inputs.battery_not_low)}")
    for job in jobs:
        if job.tracking & TRACKING_BATTERY:
            out.line(2, _from(job))
    out.line(0)
    # StorageController
    out.line(0, "StorageController:")
    out.line(2, f"Not low: {jbool(inputs.storage_not_low)}")
    out.line(2, f"Sequence: {inputs.storage_seq}")
    out.line(2)
    for job in jobs:
        if job.tracking & TRACKING_STORAGE:
            out.line(2, _from(job))
    out.line(0)
    if api >= 28:
        _background_jobs(svc, out, jobs)
    out.line(0, "ContentObserverController:")
    out.line(2)
    out.line(0)
    # DeviceIdleJobsController
    out.line(0, "DeviceIdleJobsController:")
    out.line(2, f"Idle mode: {jbool(svc._doze_mode)}")
    out.line(2)
    for job in jobs:
        state = " RUNNABLE" if job.is_satisfied(CONSTRAINT_DEVICE_NOT_DOZING) else " WAITING"
        flags = (" WHITELISTED" if job.app_has_doze_exemption else "") + (
            " ALLOWED_IN_DOZE" if job.can_run_in_doze() else ""
        )
        out.line(2, f"{_from(job)}: {job.package}{state}{flags}")
    out.line(0)
    if api >= 33:
        out.line(0, "PrefetchController:")
        out.line(2, "Cached launch times:")
        out.line(2)
        out.line(2)
        out.line(2, "Prefetch threshold alarms:")
        out.line(4, "NOT WAITING")
        out.line(0)
    if svc.quota is not None:
        _quota(svc, out, jobs, now)
    if api >= 31:
        out.line(0, "ComponentController:")
        for package, service in sorted({(j.package, j.service) for j in jobs}):
            ident = f"{zlib.crc32(service.encode()) & 0xFFFFFFF:x}"
            out.line(2, f"0-ComponentInfo{{{package}/{service}}}: ServiceInfo{{{ident} {service}}}")
        out.line(0)
    if 33 <= api <= 35:
        out.line(0, "TareController:")
        out.line(2, "Is enabled: false")
        out.line(2, "Affordability cache:")
        out.line(0)


def _background_jobs(svc: JobSchedulerService, out: Out, jobs: list[JobStatus]) -> None:
    inputs = svc.inputs
    out.line(0, "BackgroundJobsController:")
    out.line(2, "Current AppStateTracker State:")
    out.line(4, "Forced App Standby Feature enabled: true")
    out.line(4, f"Force all apps standby: {jbool(inputs.battery_saver)}")
    out.line(4, "Small Battery Device: false")
    out.line(4, "Force all apps standby for small battery device: false")
    out.line(4, f"Plugged In: {jbool(inputs.charging)}")
    active = sorted({j.uid for j in jobs if j.uid_active})
    out.line(4, f"Active uids: [{' '.join(format_uid(u) for u in active)}]")
    restricted = [j for j in jobs if j.is_user_bg_restricted]
    out.line(4, "Restricted packages:")
    for pkg in sorted({(j.uid, j.package) for j in restricted}):
        out.line(6, f"{format_uid(pkg[0])} {pkg[1]}")
    out.line(2)
    for job in jobs:
        exempt = inputs.is_power_exempt(job.package) or inputs.is_temp_whitelisted(
            job.package, job.uid, svc._now()
        )
        state = " active" if job.uid_active else " idle"
        allowed = "disallowed]" if job.is_user_bg_restricted else "allowed]"
        runnable = (
            " RUNNABLE" if job.is_satisfied(CONSTRAINT_BACKGROUND_NOT_RESTRICTED) else " WAITING"
        )
        out.line(
            2,
            f"{_from(job)}{state}{', exempted' if exempt else ''}: {job.package}"
            f" [RUN_ANY_IN_BACKGROUND {allowed}{runnable}",
        )
    out.line(0)


def _quota(svc: JobSchedulerService, out: Out, jobs: list[JobStatus], now: int) -> None:
    quota = svc.quota
    assert quota is not None
    out.line(0, "QuotaController:")
    out.line(2, "Is enabled: true")
    out.line(2, f"Current elapsed time: {now}")
    out.line(2)
    # QuotaController.dumpControllerStateLocked prints mForegroundUids: TOP or a foreground
    # service (the AppStateTracker section above lists the active uids).
    fg = sorted({j.uid for j in jobs if svc.inputs.uid_foreground(j.uid)})
    out.line(2, "Foreground UIDs: {" + ", ".join(f"{u}=true" for u in fg) + "}")
    out.line(2)
    top_started = {k for k, r in svc.running.items() if r.top_started}
    for job in jobs:
        out.line(2, _from(job) + (" (TOP)" if job.key in top_started else ""))
        bucket = job.effective_bucket()
        if job.should_treat_as_ej():
            status = "within EJ quota"
            ej_left = quota.remaining_ej_ms(job.package, job.standby_bucket, now)
            left = f"{ej_left}ms remaining in EJ quota"
        elif job.started_as_ej:
            status, left = "out of EJ quota", "should be stopped after min execution time"
        else:
            status = (
                "within regular quota"
                if job.is_satisfied(CONSTRAINT_WITHIN_QUOTA)
                else "not within quota"
            )
            # getRemainingExecutionTimeLocked: the time left before the in-quota buffer.
            reg_left = max(0, quota.remaining_ms(job.package, bucket, now, running=False))
            left = f"{reg_left}ms remaining in quota"
        out.line(4, f"{BUCKET_INDEX_NAMES.get(bucket, bucket)}, {status}, {left}")
    out.line(2)
    for package in sorted(quota.packages):
        q = quota.packages[package]
        for label, timer, sessions in (("REG", q.reg, q.sessions), ("EJ", q.ej, q.ej_sessions)):
            if not sessions and timer.start is None and not timer.running:
                continue
            head = f"Timer<{label}>{{<0>{package}}} "
            if timer.start is not None:
                head += f"started at {timer.start} ({now - timer.start}ms ago)"
            else:
                head += "NOT active"
            head += f", {timer.bg_job_count} running bg jobs"
            if label == "EJ":
                head += " (debit adj=0)"
            out.line(2, head)
            for key in sorted(timer.running):
                job = svc.jobs.get(key)
                if job is not None:
                    out.line(4, f"{job.hash} {_uid_id(job)} {job.battery_name}")
            out.line(2)
            if sessions:
                out.line(4, "Saved events:")
                for s in reversed(sessions):
                    out.line(
                        6, f"{s.start} -> {s.end} ({s.end - s.start}), {s.bg_job_count} bg jobs."
                    )
                out.line(2)
    out.line(2, "In quota alarms:")
    out.line(4, "NOT WAITING")
    out.line(0)


def queues(svc: JobSchedulerService, out: Out, jobs: list[JobStatus], now: int) -> None:
    api = svc.api_level
    shown = {j.key for j in jobs}
    out.line(0, "Pending queue:")
    pending = [svc.jobs[k] for k in svc.pending if k in svc.jobs and k in shown]
    for i, job in enumerate(pending):
        out.line(2, f"Pending #{i}: {job.hash} {_uid_id(job)} {job.battery_name}")
        dump_job(svc, out, job, 4, now, full=False)
        out.line(4, f"Tag: {job.tag}")
    if not pending and api >= 33:
        out.line(2, "None")
    out.line(0)
    out.line(0, "Active jobs:")
    running = [r for r in svc.running.values() if r.job.key in shown]
    for i, run in enumerate(running):
        job = run.job
        out.line(2, f"Slot #{i}(ID={run.context_id}): {job.hash} {_uid_id(job)} {job.battery_name}")
        out.line(
            4,
            f"Running for: {format_duration(now - run.start)}, timeout at: "
            f"{format_duration(run.start + run.max_execution_ms - now)}",
        )
        dump_job(svc, out, job, 6, now, full=False)
        out.line(4, "Evaluated bias: DEFAULT" if api >= 33 else "Evaluated priority: 0")
        out.line(4, f"Active at {format_duration(run.start - now)}, pending for 0")
    if not running and api >= 33:
        out.line(2, "N/A")
    out.line(0)
    if svc.completed:
        out.line(0, "Recently completed jobs:")
        for done in reversed(svc.completed):
            out.line(2, rel_time(done.when, now))
            out.line(6, f"{done.job.hash} {_uid_id(done.job)} {done.job.battery_name}")
            out.line(6, f"stopped because: {done.reason}")
        out.line(0)
    store = svc.store.state
    out.line(
        0,
        f"PersistStats: FirstLoad: {max(store.first_load_count, 0)}/0/0 "
        f"LastSave: {store.last_save_count}/0/0",
    )
