"""What holds jobs back: Doze, standby bucket quotas, battery saver, background restriction,
and what gets through: whitelisted apps, charging, expedited jobs within quota, the top app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.job_info import NETWORK_TYPE_ANY, JobInfo
from harness.virtual.system.job_status import (
    STOP_REASON_BACKGROUND_RESTRICTION,
    STOP_REASON_DEVICE_STATE,
    STOP_REASON_QUOTA,
    STOP_REASON_TIMEOUT,
)
from tests.unit.virtual.jobscheduler_bench import (
    HOUR,
    MINUTE,
    PKG,
    JobBench,
    bench_factory,
)


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    yield from bench_factory(device_loop)


def idle_changes(b: JobBench) -> list[tuple[int, str, str]]:
    changes: list[tuple[int, str, str]] = []

    def sub() -> None:
        b.dev.system.bus.subscribe(  # type: ignore[union-attr]
            "idle_state_changed",
            lambda **p: changes.append((b.elapsed(), p["deep"], p["light"])),
        )

    b.run(sub)
    return changes


# ---------------------------------------------------------------------------------- Doze
def test_deep_doze_defers_jobs_to_the_maintenance_window(bench):
    b = bench(rate=1000)
    changes = idle_changes(b)
    assert b.out("cmd deviceidle force-idle") == "Now forced in to deep idle mode\n"
    t0 = b.elapsed()
    b.schedule(JobInfo(1, ".SyncJobService"))
    job = b.dumped_job(1)
    assert job.ready["readyNotDozing"] is False
    assert "DEVICE_NOT_DOZING" in job.unsatisfied or job.doze_state == "WAITING"
    assert b.state(1).waiting
    start = b.wait_started(1, timeout_s=30)
    maintenance = [t for t, deep, _light in changes if deep == "IDLE_MAINTENANCE"]
    assert maintenance and start.elapsed >= maintenance[0] > t0 + 50 * MINUTE
    # Non-foreground jobs follow a Doze exit about 3 s later (BACKGROUND_JOBS_DELAY).
    assert 3_000 <= start.elapsed - maintenance[0] < 30_000


def test_light_doze_defers_jobs_too(bench):
    b = bench(rate=1000)
    changes = idle_changes(b)
    assert b.out("cmd deviceidle force-idle light") == "Now forced in to light idle mode\n"
    b.schedule(JobInfo(2, ".SyncJobService"))
    start = b.wait_started(2, timeout_s=30)
    windows = [t for t, _deep, light in changes if light == "IDLE_MAINTENANCE"]
    assert windows and start.elapsed >= windows[0]
    # The light maintenance window ends early once the job is done.
    b.wait_until(lambda: any(light == "IDLE" and t > start.elapsed for t, _d, light in changes))


def test_leaving_doze_runs_waiting_jobs(bench):
    b = bench()
    b.out("cmd deviceidle force-idle")
    b.schedule(JobInfo(3, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(3) == []
    t0 = b.elapsed()
    b.out("cmd deviceidle unforce")
    start = b.wait_started(3)
    # BACKGROUND_JOBS_DELAY: 3 s after the Doze exit for a background app.
    assert 3_000 <= start.elapsed - t0 < 6_000


def test_doze_stops_a_running_job(bench):
    b = bench()
    b.behavior[4] = "hold"
    b.schedule(JobInfo(4, ".SyncJobService"))
    b.wait_started(4)
    b.out("cmd deviceidle force-idle")
    assert b.wait_stopped(4).params.stop_reason == STOP_REASON_DEVICE_STATE


def test_whitelisted_app_runs_in_doze(bench):
    b = bench()
    b.out("cmd deviceidle force-idle")
    b.out(f"cmd deviceidle whitelist +{PKG}")
    b.schedule(JobInfo(5, ".SyncJobService"))
    b.wait_started(5)
    dump = b.dump()
    assert dump.idle_mode is True


def test_whitelisted_job_dump_says_so(bench):
    b = bench()
    b.unplug()
    b.out(f"cmd deviceidle whitelist +{PKG}")
    b.schedule(JobInfo(6, ".SyncJobService", requires_charging=True))
    job = b.dumped_job(6)
    assert job.doze_whitelisted
    assert job.standby_bucket == "EXEMPTED"  # whitelisted apps cannot be demoted


def test_important_while_foreground_runs_in_doze_for_the_top_app(bench):
    b = bench()
    b.launch()
    b.out("cmd deviceidle force-idle")
    b.schedule(JobInfo(7, ".SyncJobService", important_while_foreground=True))
    b.wait_started(7)
    b.schedule(JobInfo(8, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(8) == []


# ---------------------------------------------------------------------------------- buckets
def test_new_app_in_the_never_bucket_does_not_run_jobs(bench):
    b = bench(bucket=None)
    b.schedule(JobInfo(10, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(10) == []
    assert b.dumped_job(10).standby_bucket == "NEVER"
    b.set_bucket("active")
    b.wait_started(10)


def test_rare_bucket_batches_then_runs_out_of_quota_and_charging_lifts_it(bench):
    b = bench(rate=2000)
    b.unplug()
    b.set_bucket("rare")
    b.behavior[11] = "hold"
    t0 = b.elapsed()
    b.schedule(JobInfo(11, ".SyncJobService"))
    # A lone job of a non-ACTIVE app is force-batched for up to 31 minutes.
    start = b.wait_started(11, timeout_s=30)
    assert 31 * MINUTE <= start.elapsed - t0 < 33 * MINUTE
    stop = b.wait_stopped(11, timeout_s=30)
    assert stop.params.stop_reason == STOP_REASON_TIMEOUT
    # The 10 minutes of the RARE bucket's 24 h quota are used up.
    b.schedule(JobInfo(12, ".SyncJobService"))
    b.wait_device_ms(40 * MINUTE)
    assert b.starts(12) == []
    job = b.dumped_job(12)
    assert "WITHIN_QUOTA" in job.unsatisfied and job.standby_bucket == "RARE"
    assert b.state(12).waiting
    assert "RARE, not within quota" in b.out("dumpsys jobscheduler")
    # "These restrictions do not apply while the device is charging."
    b.plug()
    b.wait_started(12, timeout_s=30)


def test_reset_execution_quota_gives_the_quota_back(bench):
    b = bench(rate=2000)
    b.unplug()
    b.set_bucket("rare")
    b.behavior[13] = "hold"
    b.schedule(JobInfo(13, ".SyncJobService"))
    b.wait_stopped(13, timeout_s=30)
    b.schedule(JobInfo(14, ".SyncJobService"))
    b.wait_device_ms(40 * MINUTE)
    assert b.starts(14) == []
    assert b.out(f"cmd jobscheduler reset-execution-quota {PKG}") == ""
    b.wait_started(14, timeout_s=30)


def test_restricted_bucket_needs_charging_idle_or_a_forced_run(bench):
    b = bench(rate=1000)
    b.unplug()
    b.set_bucket("restricted")
    b.schedule(JobInfo(15, ".SyncJobService"))
    job = b.dumped_job(15)
    assert job.standby_bucket == "RESTRICTED"
    assert job.dynamic == ["CHARGING", "BATTERY_NOT_LOW", "IDLE"]
    b.wait_device_ms(35 * MINUTE)
    assert b.starts(15) == []  # restricted jobs are always batched, past the 31 min too
    assert b.out(f"cmd jobscheduler run {PKG} 15") == "Running job\n"
    b.wait_started(15)


def test_bucket_change_to_never_like_states_uses_the_current_bucket(bench):
    b = bench()
    b.unplug()
    b.schedule(JobInfo(16, ".SyncJobService", requires_charging=True))
    assert b.dumped_job(16).standby_bucket == "ACTIVE"
    b.set_bucket("frequent")
    assert b.dumped_job(16).standby_bucket == "FREQUENT"


# ---------------------------------------------------------------------------------- saver
def test_battery_saver_holds_background_jobs(bench):
    b = bench()
    b.unplug()
    b.out("cmd power set-mode 1")
    b.schedule(JobInfo(20, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(20) == []
    job = b.dumped_job(20)
    assert job.ready["readyNotRestrictedInBg"] is False
    b.out("cmd power set-mode 0")
    b.wait_started(20)


def test_battery_saver_stops_a_running_job_with_device_state(bench):
    b = bench()
    b.behavior[21] = "hold"
    b.unplug()
    b.schedule(JobInfo(21, ".SyncJobService"))
    b.wait_started(21)
    b.out("cmd power set-mode 1")
    assert b.wait_stopped(21).params.stop_reason == STOP_REASON_DEVICE_STATE


def test_battery_saver_lets_foreground_exempt_jobs_run(bench):
    b = bench()
    b.unplug()
    b.out("cmd power set-mode 1")
    b.out("cmd devicestoragemonitor force-low -f")
    b.launch()
    # Scheduled by the top app without time constraints: HAS_FOREGROUND_EXEMPTION.
    b.schedule(JobInfo(22, ".SyncJobService", requires_storage_not_low=True))
    b.home()
    # The uid stays active for a minute after leaving the top; make-uid-idle ends that.
    b.out(f"am make-uid-idle {PKG}")
    b.schedule(JobInfo(23, ".SyncJobService", requires_storage_not_low=True))
    assert b.dumped_job(22).internal_flags == "1 HAS_FOREGROUND_EXEMPTION"
    assert b.dumped_job(23).internal_flags is None
    b.out("cmd devicestoragemonitor reset -f")
    b.wait_started(22)
    b.wait_device_ms(MINUTE)
    assert b.starts(23) == []


# ---------------------------------------------------------------------------------- restriction
def restrict(b: JobBench, restricted: bool) -> None:
    """``cmd appops set PKG RUN_ANY_IN_BACKGROUND ignore|allow``, or its event without appops."""
    mode = "ignore" if restricted else "allow"
    if b.run(lambda: b.dev.system.find("appops")) is not None:
        b.out(f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND {mode}")
    else:
        b.publish("appop_changed", package=PKG, op="RUN_ANY_IN_BACKGROUND", mode=mode)


def test_background_restricted_app_runs_no_jobs_unless_active(bench):
    b = bench()
    restrict(b, True)
    b.schedule(JobInfo(30, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(30) == []
    job = b.dumped_job(30)
    assert job.ready["readyNotRestrictedInBg"] is False
    b.launch()  # the uid is active: not restricted
    b.wait_started(30)


def test_background_restriction_stops_a_running_job(bench):
    b = bench()
    b.behavior[31] = "hold"
    b.schedule(JobInfo(31, ".SyncJobService"))
    b.wait_started(31)
    restrict(b, True)
    assert b.wait_stopped(31).params.stop_reason == STOP_REASON_BACKGROUND_RESTRICTION


# ---------------------------------------------------------------------------------- EJs
def test_expedited_job_runs_in_doze_and_battery_saver_within_quota(bench):
    b = bench()
    b.unplug()
    b.out("cmd power set-mode 1")
    b.out("cmd deviceidle force-idle")
    b.schedule(JobInfo(40, ".SyncJobService", expedited=True, network_type=NETWORK_TYPE_ANY))
    start = b.wait_started(40)
    assert start.params.is_expedited_job
    assert start.params.network is not None
    b.schedule(JobInfo(41, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(41) == []


def test_expedited_quota_runs_out_in_the_rare_bucket(bench):
    b = bench(rate=500)
    b.unplug()
    b.set_bucket("rare")
    b.out("cmd deviceidle force-idle")
    b.behavior[42] = "hold"
    b.schedule(JobInfo(42, ".SyncJobService", expedited=True))
    start = b.wait_started(42)
    stop = b.wait_stopped(42, timeout_s=30)
    # RARE has 10 minutes of EJ time per 24 h; the EJ may run while it lasts.
    assert stop.params.stop_reason in (STOP_REASON_TIMEOUT, STOP_REASON_QUOTA)
    assert 9 * MINUTE <= stop.elapsed - start.elapsed <= 11 * MINUTE
    # With the EJ quota used up, schedule() refuses the next EJ (scheduleAsPackage: "Return
    # failure early if expedited job quota used up"): nothing is registered, nothing runs.
    assert b.schedule(JobInfo(43, ".SyncJobService", expedited=True)) == 0  # RESULT_FAILURE
    assert not b.scheduled(43)
    b.wait_device_ms(10 * MINUTE)
    assert b.starts(43) == []


# ---------------------------------------------------------------------------------- old releases
def test_android_9_heartbeats_defer_a_rare_app(bench):
    b = bench(rate=2000, api_level=28)
    b.unplug()
    b.set_bucket("rare")
    b.schedule(JobInfo(50, ".SyncJobService", requires_storage_not_low=True))
    b.wait_started(50)  # never ran before: allowed at once
    b.wait_device_ms(12 * MINUTE)  # a heartbeat later; within the same beat it could run again
    b.schedule(JobInfo(51, ".SyncJobService", requires_storage_not_low=True))
    b.wait_device_ms(HOUR)
    assert b.starts(51) == []  # RARE waits 130 heartbeats of 11 min
    assert b.out("cmd jobscheduler heartbeat 200") == "Advancing standby heartbeat by 200\n"
    b.wait_started(51)


def test_android_8_idle_apps_wait_for_parole(bench):
    b = bench(api_level=27)
    b.unplug()
    b.out(f"am set-inactive {PKG} true")
    b.schedule(JobInfo(52, ".SyncJobService", requires_storage_not_low=True))
    b.wait_device_ms(MINUTE)
    assert b.starts(52) == []
    assert "APP_NOT_IDLE" not in b.dumped_job(52).satisfied
    b.plug()
    b.wait_started(52)


# ---------------------------------------------------------------------------------- exemptions
def test_temp_allowlisted_app_runs_important_while_foreground_jobs_in_doze(bench):
    b = bench()
    b.out("cmd deviceidle force-idle")
    b.schedule(JobInfo(60, ".SyncJobService", important_while_foreground=True))
    b.wait_device_ms(MINUTE)
    assert b.starts(60) == []
    b.out(f"cmd deviceidle tempwhitelist -d 600000 {PKG}")
    b.wait_started(60)
    assert "ALLOWED_IN_DOZE" not in b.out("dumpsys jobscheduler")  # only the flag + allowlist


def test_foreground_app_jobs_follow_a_doze_exit_at_once(bench):
    b = bench()
    b.out("cmd deviceidle force-idle")
    b.launch()
    b.schedule(JobInfo(61, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(61) == []  # a deadline or the top state does not bypass Doze
    t0 = b.elapsed()
    b.out("cmd deviceidle unforce")
    start = b.wait_started(61)
    assert start.elapsed - t0 < 3_000
