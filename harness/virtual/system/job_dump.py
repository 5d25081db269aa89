"""``dumpsys jobscheduler``: JobSchedulerService.dumpInternal in the layout of the release.

Android 12+ (API 31+) print the Android 13 layout of the real API 33 capture: the Settings
block, ``Registered N jobs:`` with JobStatus.dump blocks (Priority, Dynamic constraints,
Constraint history and Implicit constraints, ``Restricted due to:`` and the ``!restricted``
readiness flag), the controllers, ``Pending queue:`` and ``Active jobs:``. Android 9-11 drop
what those releases did not have (API 28 adds the heartbeat lines, 29-30 the quota settings);
Android 8 names network constraints UNMETERED / NOT_ROAMING, has APP_NOT_IDLE and no masks.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from harness.virtual.system.javafmt import arraymap_order, format_duration
from harness.virtual.system.job_info import (
    NETWORK_TYPE_CELLULAR,
    NETWORK_TYPE_NONE,
    NETWORK_TYPE_NOT_ROAMING,
    NETWORK_TYPE_UNMETERED,
    PRIORITY_NAMES,
    short_component,
)
from harness.virtual.system.job_status import (
    CONSTRAINT_DEADLINE,
    CONSTRAINT_TARE_WEALTH,
    CONSTRAINT_WITHIN_QUOTA,
    INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION,
    NO_EARLIEST_RUNTIME,
    NO_LATEST_RUNTIME,
    TRACKING_NAMES,
    JobStatus,
    constraint_list,
)

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.job_constants import JobConstants
    from harness.virtual.system.jobscheduler import JobSchedulerService

FIRST_APPLICATION_UID = 10_000
PER_USER_RANGE = 100_000
JAVA_LONG_MAX = (1 << 63) - 1


def format_uid(uid: int) -> str:
    """UserHandle.formatUid: ``u0a150`` for apps, the bare number for system uids."""
    user, app_id = divmod(uid, PER_USER_RANGE)
    if app_id >= FIRST_APPLICATION_UID:
        return f"u{user}a{app_id - FIRST_APPLICATION_UID}"
    return str(app_id) if user == 0 else f"u{user}s{app_id}"


def jbool(value: bool) -> str:
    return "true" if value else "false"


def rel_time(when: int, now: int) -> str:
    return format_duration(when - now)


# ---------------------------------------------------------------------------------- extras
def _java_value(value: Any) -> str:
    if isinstance(value, bool):
        return jbool(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return f"PersistableBundle[{_bundle_map(value)}]"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(_java_value(v) for v in value)}]"
    return str(value)


def _bundle_map(extras: dict[str, Any]) -> str:
    """ArrayMap.toString: keys in String.hashCode order."""
    return "{" + ", ".join(f"{k}={_java_value(extras[k])}" for k in arraymap_order(extras)) + "}"


def _string_size(text: str) -> int:
    """Parcel.writeString16: int32 length, then (length + 1) UTF-16 units padded to 4."""
    units = len(text.encode("utf-16-le")) // 2
    return 4 + ((units + 1) * 2 + 3) // 4 * 4


def _value_size(value: Any) -> int:
    """Parcel.writeValue: the type int, then the value (VAL_STRING, VAL_INTEGER, ...)."""
    if value is None:
        return 4
    if isinstance(value, bool):
        return 8
    if isinstance(value, int):
        return 8 if -(1 << 31) <= value < 1 << 31 else 12
    if isinstance(value, float):
        return 12
    if isinstance(value, str):
        return 4 + _string_size(value)
    if isinstance(value, dict):
        return 4 + 8 + parcelled_size(value)
    if isinstance(value, (list, tuple)):
        return 8 + sum(_string_size(str(v)) for v in value)
    return 4 + _string_size(str(value))


def parcelled_size(extras: dict[str, Any]) -> int:
    """mParcelledData.dataSize of a PersistableBundle sent over binder (the map's bytes)."""
    return 4 + sum(_string_size(k) + _value_size(v) for k, v in extras.items())


def extras_text(job: JobStatus) -> str | None:
    """What ``Extras:`` prints (BaseBundle.toShortString), None when definitely empty."""
    extras = job.job.extras
    if not extras:
        return None
    if job.extras_parcelled:
        return f"mParcelledData.dataSize={parcelled_size(extras)}"
    return _bundle_map(extras)


# ---------------------------------------------------------------------------------- network
def network_request(job: JobStatus, api: int) -> str:
    """JobInfo.getRequiredNetwork().toString() with the source uid pushed in."""
    network = job.job.network_type
    if api < 28:
        return str(network)
    caps: list[tuple[int, str]] = [(12, "INTERNET"), (14, "TRUSTED"), (16, "VALIDATED")]
    if api < 31:
        caps.append((13, "NOT_RESTRICTED"))
    else:
        caps.append((28, "NOT_VCN_MANAGED"))
    if network == NETWORK_TYPE_UNMETERED:
        caps.append((11, "NOT_METERED"))
    if network == NETWORK_TYPE_NOT_ROAMING:
        caps.append((18, "NOT_ROAMING"))
    text = "&".join(name for _bit, name in sorted(caps))
    transports = "Transports: CELLULAR " if network == NETWORK_TYPE_CELLULAR else ""
    tail = " UnderlyingNetworks: Null" if api >= 31 else ""
    return f"NetworkRequest [ NONE id=0, [ {transports}Capabilities: {text} Uid: {job.uid}{tail}] ]"


# ---------------------------------------------------------------------------------- dump
class Out:
    def __init__(self, inv: Invocation) -> None:
        self.inv = inv

    def line(self, indent: int, text: str = "") -> None:
        self.inv.outln(" " * indent + text)


def dump(svc: JobSchedulerService, inv: Invocation, args: list[str]) -> int:
    """dumpInternal: ``-h`` for help, a package name to limit the output to its jobs."""
    package = None
    for arg in args:
        if arg == "-h":
            inv.outln("Job Scheduler (jobscheduler) dump options:")
            inv.outln("  [-h] [package] ...")
            inv.outln("    -h: print this help")
            inv.outln("  [package] is an optional package name to limit the output to.")
            return 0
        if arg == "-a":
            continue
        if arg.startswith("-"):
            inv.outln(f"Unknown option: {arg}")
            return 0
        if svc._package(arg) is None:
            inv.outln(f"Invalid package: {arg}")
            return 0
        package = arg
    out = Out(inv)
    api = svc.api_level
    now = svc._now()
    jobs = sorted(svc.jobs.values(), key=lambda j: (j.uid, j.job_id))
    if package is not None:
        uid = svc._package(package).uid
        jobs = [j for j in jobs if j.uid == uid]
    _settings(svc, out)
    if api >= 30:
        out.line(0, "Thermal status: 0")
        out.line(0)
    if api >= 33:
        _api_quota(out, now)
    if api >= 31:
        out.line(0, f"Battery charging: {jbool(svc.inputs.charging)}")
        out.line(0, f"Battery not low: {jbool(svc.inputs.battery_not_low)}")
        out.line(0)
    out.line(0, "Started users: [0]")
    if api >= 33:
        out.line(0)
        out.line(0, "Media Cloud Providers: {}")
        out.line(0)
    out.line(0, f"Registered {len(svc.jobs)} jobs:")
    for job in jobs:
        out.line(2, f"JOB #{format_uid(job.uid)}/{job.job_id}: {job.hash} {job.battery_name}")
        dump_job(svc, out, job, 4, now, full=True)
        _restricted_and_ready(svc, out, job, 4)
    if not jobs and api < 31:
        out.line(2, "None.")
    out.line(0)
    from harness.virtual.system.job_dump_controllers import controllers, queues

    controllers(svc, out, jobs, now)
    queues(svc, out, jobs, now)
    return 0


def _settings(svc: JobSchedulerService, out: Out) -> None:
    api = svc.api_level
    out.line(0, "Settings:")
    for key, value in _service_constants(api, svc.constants):
        out.line(2, f"{key}={value} ")
    if svc.heartbeat is not None:
        out.line(0)
        beats = svc.heartbeat.beats
        out.line(2, "Heartbeat:")
        out.line(4, f"Current:    {svc._heartbeat_now()}")
        out.line(4, "Next")
        for name, beat in zip(("ACTIVE", "WORKING", "FREQUENT", "RARE"), beats, strict=True):
            out.line(6, f"{name + ':':<10}{beat}")
        out.line(4, f"In parole?: {jbool(svc.inputs.charging)}")
    if api >= 33:
        out.line(2)
        out.line(2, "PrefetchController:")
        out.line(4, "pc_launch_time_threshold_ms=25200000 ")
        out.line(4, "pc_launch_time_allowance_ms=1200000 ")
    if svc.quota is not None:
        out.line(2)
        out.line(2, "QuotaController:")
        # QcConstants.dump prints the configured values (before its safeguards clamp them).
        for key, value in svc.quota.configured.settings():
            out.line(4, f"{key}={value} ")
    out.line(0)


def _service_constants(api: int, constants: JobConstants) -> list[tuple[str, object]]:
    """JobSchedulerService.Constants.dump of the release (the API 33 list for 31+), with the
    batching constants as DeviceConfig set them."""
    if api >= 31:
        out: list[tuple[str, object]] = [
            ("min_ready_non_active_jobs_count", constants.min_ready_non_active_jobs_count),
            ("max_non_active_job_batch_delay_ms", constants.max_non_active_job_batch_delay_ms),
            ("heavy_use_factor", 0.9),
            ("moderate_use_factor", 0.5),
            ("min_linear_backoff_time_ms", 10000),
            ("min_exp_backoff_time_ms", 10000),
            ("conn_congestion_delay_frac", 0.5),
            ("conn_prefetch_relax_frac", 0.5),
        ]
        if api >= 33:
            out += [
                ("conn_use_cell_signal_strength", "true"),
                ("conn_update_all_jobs_min_interval_ms", 60000),
                ("conn_low_signal_strength_relax_frac", 0.5),
                ("prefetch_force_batch_relax_threshold_ms", 3600000),
                ("enable_api_quotas", "true"),
                ("aq_schedule_count", 250),
                ("aq_schedule_window_ms", 60000),
                ("aq_schedule_throw_exception", "true"),
                ("aq_schedule_return_failure", "false"),
            ]
        out += [("runtime_min_guarantee_ms", 600000), ("runtime_min_ej_guarantee_ms", 180000)]
        if api >= 33:
            out += [
                ("runtime_min_high_priority_guarantee_ms", 300000),
                ("runtime_free_quota_max_limit_ms", 1800000),
            ]
        if 33 <= api <= 35:
            out.append(("enable_tare", "false"))
        return out
    # The Android 9 list (heartbeat keys until Android 9 only).
    out = [
        ("min_idle_count", 1),
        ("min_charging_count", 1),
        ("min_battery_not_low_count", 1),
        ("min_storage_not_low_count", 1),
        ("min_connectivity_count", 1),
        ("min_content_count", 1),
        ("min_ready_jobs_count", 1),
        ("heavy_use_factor", 0.9),
        ("moderate_use_factor", 0.5),
        ("fg_job_count", 4),
        ("bg_normal_job_count", 6),
        ("bg_moderate_job_count", 4),
        ("bg_low_job_count", 1),
        ("bg_critical_job_count", 1),
        ("max_standard_reschedule_count", 2147483647),
        ("max_work_reschedule_count", 2147483647),
        ("min_linear_backoff_time", 10000),
        ("min_exp_backoff_time", 10000),
    ]
    if api == 28:
        out += [("standby_heartbeat_time", 660000)]
    if api >= 28:
        out += [("conn_congestion_delay_frac", 0.5), ("conn_prefetch_relax_frac", 0.5)]
    return out


def _api_quota(out: Out, now: int) -> None:
    # The schedule() API quota tracker (aq_schedule_count per window); not enforced here.
    out.line(0, "QuotaTracker:")
    out.line(2, "Is enabled: true")
    out.line(2, "Is global quota free: false")
    out.line(2, f"Current elapsed time: {now}")
    out.line(2)
    out.line(2)
    out.line(2, "In quota alarms:")
    out.line(4, "NOT WAITING")
    out.line(2)
    out.line(2, "Per-app free quota:")
    out.line(0)


def dump_job(
    svc: JobSchedulerService, out: Out, job: JobStatus, ind: int, now: int, full: bool
) -> None:
    """JobStatus.dump(pw, full, nowElapsed)."""
    api = svc.api_level
    info = job.job
    out.line(ind, f"{format_uid(job.uid)} tag={job.tag}")
    out.line(ind, f"Source: uid={format_uid(job.uid)} user=0 pkg={job.package}")
    if full:
        j = ind + 2
        out.line(ind, "JobInfo:")
        out.line(j, f"Service: {short_component(job.package, info.service)}")
        if info.is_periodic:
            out.line(
                j,
                f"PERIODIC: interval={format_duration(info.interval_ms)}"
                f" flex={format_duration(info.flex_ms or 0)}",
            )
        if info.persisted:
            out.line(j, "PERSISTED")
        if api >= 33:
            priority = info.effective_priority
            out.line(j, f"Priority: {priority} [{PRIORITY_NAMES.get(priority, 'UNKNOWN')}]")
        if info.flags:
            out.line(j, f"Flags: {info.flags:x}")
        if job.internal_flags:
            text = f"Internal flags: {job.internal_flags:x}"
            if job.internal_flags & INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION:
                text += " HAS_FOREGROUND_EXEMPTION"
            out.line(j, text)
        out.line(
            j,
            f"Requires: charging={jbool(info.requires_charging)}"
            f" batteryNotLow={jbool(info.requires_battery_not_low)}"
            f" deviceIdle={jbool(info.requires_device_idle)}",
        )
        extras = extras_text(job)
        if extras is not None:
            out.line(j, f"Extras: {extras}")
        if info.network_type != NETWORK_TYPE_NONE:
            out.line(j, f"Network type: {network_request(job, api)}")
        if info.min_latency_ms:
            out.line(j, f"Minimum latency: {format_duration(info.min_latency_ms)}")
        if info.max_execution_delay_ms:
            out.line(j, f"Max execution delay: {format_duration(info.max_execution_delay_ms)}")
        out.line(
            j,
            f"Backoff: policy={info.effective_backoff_policy}"
            f" initial={format_duration(info.initial_backoff_ms)}",
        )
        if info.has_early_constraint:
            out.line(j, "Has early constraint")
        if info.has_late_constraint:
            out.line(j, "Has late constraint")
    out.line(ind, f"Required constraints:{constraint_list(job.required, api)}")
    if api >= 31:
        out.line(ind, f"Dynamic constraints:{constraint_list(job.dynamic, api)}")
    if full:
        out.line(ind, f"Satisfied constraints:{constraint_list(job.satisfied, api)}")
        unsatisfied_base = job.required
        if api >= 29:
            unsatisfied_base |= CONSTRAINT_WITHIN_QUOTA
        if 33 <= api <= 35:
            unsatisfied_base |= CONSTRAINT_TARE_WEALTH
        unsatisfied = unsatisfied_base & ~job.satisfied
        out.line(ind, f"Unsatisfied constraints:{constraint_list(unsatisfied, api)}")
        if api >= 31:
            out.line(ind, "Constraint history:")
            for when, mask in job.history:
                if when == 0:
                    continue
                out.line(ind + 2, f"{rel_time(when, now)} ={constraint_list(mask, api)}")
        if job.app_has_doze_exemption:
            out.line(ind, "Doze whitelisted: true")
        if job.uid_active:
            out.line(ind, "Uid: active")
    if job.tracking:
        names = "".join(f" {name}" for bit, name in TRACKING_NAMES if job.tracking & bit)
        out.line(ind, f"Tracking:{names}")
    if api >= 29:
        _implicit(out, job, ind, api)
    if api >= 28:
        out.line(ind, f"Standby bucket: {job.bucket_name}")
        if job.when_standby_deferred:
            out.line(ind + 2, f"Deferred since: {rel_time(job.when_standby_deferred, now)}")
        if api >= 31 and job.first_force_batched:
            out.line(
                ind + 2,
                f"Time since first force batch attempt: {rel_time(job.first_force_batched, now)}",
            )
    if 29 <= api <= 30:
        out.line(ind, "Base heartbeat: 0")
    out.line(ind, f"Enqueue time: {rel_time(job.enqueue_time, now)}")
    earliest = "none" if job.earliest == NO_EARLIEST_RUNTIME else rel_time(job.earliest, now)
    latest = "none" if job.latest == NO_LATEST_RUNTIME else rel_time(job.latest, now)
    run_time = f"Run time: earliest={earliest}, latest={latest}"
    if api >= 29:
        original = "none"
        if job.original_latest != NO_LATEST_RUNTIME:
            original = rel_time(job.original_latest, now)
        run_time += f", original latest={original}"
    out.line(ind, run_time)
    if 28 <= api <= 30:
        last = svc.heartbeat_last_ran.get(job.package, 0)
        out.line(ind, f"Last run heartbeat: {last}")
    if job.num_failures:
        out.line(ind, f"Num failures: {job.num_failures}")
    if api >= 34 and job.num_system_stops:
        out.line(ind, f"Num system stops: {job.num_system_stops}")
    if job.last_successful_run:
        out.line(ind, f"Last successful run: {_wall(svc, job.last_successful_run)}")
    if job.last_failed_run:
        out.line(ind, f"Last failed run: {_wall(svc, job.last_failed_run)}")


def _implicit(out: Out, job: JobStatus, ind: int, api: int) -> None:
    out.line(ind, "Implicit constraints:")
    i = ind + 2
    out.line(i, f"readyNotDozing: {jbool(job.ready_not_dozing)}")
    out.line(i, f"readyNotRestrictedInBg: {jbool(job.ready_not_restricted_in_bg)}")
    if api >= 31:
        if not job.job.is_periodic and job.has(CONSTRAINT_DEADLINE):
            out.line(i, f"readyDeadlineSatisfied: {jbool(job.ready_deadline_satisfied)}")
        if job.dynamic:
            out.line(i, f"readyDynamicSatisfied: {jbool(job.ready_dynamic_satisfied)}")
        out.line(i, f"readyComponentEnabled: {jbool(job.component_enabled)}")
        if job.job.expedited:
            tare = " expeditedTareApproved: true" if 33 <= api <= 35 else ""
            out.line(
                i,
                f"expeditedQuotaApproved: {jbool(job.ej_quota_approved)}{tare}"
                f" (started as EJ: {jbool(job.started_as_ej)})",
            )


def _wall(svc: JobSchedulerService, wall_ms: int) -> str:
    """DateFormat.format("yyyy-MM-dd HH:mm:ss") in the device's time zone."""
    name = svc.device.props.get("persist.sys.timezone", "Etc/UTC") or "Etc/UTC"
    try:
        from zoneinfo import ZoneInfo

        tz: dt.tzinfo = ZoneInfo(name)
    except Exception:
        tz = dt.UTC
    return dt.datetime.fromtimestamp(wall_ms / 1000, tz).strftime("%Y-%m-%d %H:%M:%S")


def _restricted_and_ready(svc: JobSchedulerService, out: Out, job: JobStatus, ind: int) -> None:
    api = svc.api_level
    if api >= 31:
        out.line(ind, "Restricted due to: none.")
    ctx = svc._eval_context(svc._now())
    ready = svc._ready_to_execute(job, ctx)
    restricted = " !restricted=true" if api >= 31 else ""
    out.line(
        ind,
        f"Ready: {jbool(ready)} (job={jbool(job.is_ready())} user=true{restricted}"
        f" !pending={jbool(job.key not in svc.pending)}"
        f" !active={jbool(job.key not in svc.running)} !backingup=true"
        f" comp={jbool(job.component_enabled)})",
    )
