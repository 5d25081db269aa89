"""The virtual JobScheduler: scheduling, constraints, execution, rescheduling and reboots."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.job_info import (
    BACKOFF_POLICY_LINEAR,
    NETWORK_TYPE_ANY,
    NETWORK_TYPE_CELLULAR,
    NETWORK_TYPE_UNMETERED,
    IllegalArgumentException,
    IllegalStateException,
    JobInfo,
    NoSuchMethodError,
    SecurityException,
)
from harness.virtual.system.job_status import (
    INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
    INTERNAL_STOP_REASON_TIMEOUT,
    STOP_REASON_CANCELLED_BY_APP,
    STOP_REASON_CONSTRAINT_CHARGING,
    STOP_REASON_CONSTRAINT_CONNECTIVITY,
    STOP_REASON_TIMEOUT,
)
from harness.virtual.system.jobscheduler import RESULT_SUCCESS
from tests.unit.virtual.jobscheduler_bench import (
    HOUR,
    MINUTE,
    NOBOOT_PKG,
    PKG,
    SERVICE,
    JobBench,
    bench_factory,
    manifest,
)


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    yield from bench_factory(device_loop)


# ---------------------------------------------------------------------------------- basics
def test_schedule_runs_an_unconstrained_job_through_the_app_model(bench):
    b = bench()
    assert b.schedule(JobInfo(1, ".SyncJobService", extras={"k": "v"})) == RESULT_SUCCESS
    start = b.wait_started(1)
    assert start.service == SERVICE
    assert start.params.job_id == 1 and start.params.extras == {"k": "v"}
    assert start.params.is_expedited_job is False
    assert start.params.is_override_deadline_expired is False
    # onStartJob returned false: the job is done and gone.
    b.wait_until(lambda: not b.scheduled(1))
    names = [e.name for e in b.bus_events]
    assert names == ["job_started", "job_stopped"]
    started, stopped = b.bus_events
    assert started.payload["tag"] == "com.example.jobs/.SyncJobService"
    assert started.payload["package"] == PKG and started.payload["job_id"] == 1
    assert stopped.payload["reason"] == INTERNAL_STOP_REASON_SUCCESSFUL_FINISH


def test_the_job_starts_the_app_process(bench):
    b = bench()
    b.schedule(JobInfo(1, ".SyncJobService"))
    b.wait_started(1)
    log = b.out("logcat -d")
    assert f"for service {{{PKG}/.SyncJobService}}" in log


def test_charging_constraint_waits_for_power(bench):
    b = bench()
    b.unplug()
    b.schedule(JobInfo(2, ".SyncJobService", requires_charging=True))
    b.wait_device_ms(2 * MINUTE)
    assert b.starts(2) == []
    job = b.dumped_job(2)
    assert "CHARGING" in job.required and "CHARGING" in job.unsatisfied
    assert b.state(2).states == ["waiting"]
    b.plug()
    b.wait_started(2)


def test_losing_the_charger_stops_a_charging_job(bench):
    b = bench()
    b.behavior[3] = "hold"
    b.schedule(JobInfo(3, ".SyncJobService", requires_charging=True))
    b.wait_started(3)
    b.unplug()
    stop = b.wait_stopped(3)
    assert stop.params.stop_reason == STOP_REASON_CONSTRAINT_CHARGING


def test_minimum_latency_and_override_deadline(bench):
    b = bench(rate=1000)
    t0 = b.elapsed()
    b.schedule(JobInfo(4, ".SyncJobService", min_latency_ms=10 * MINUTE))
    b.unplug()
    b.schedule(
        JobInfo(5, ".SyncJobService", requires_charging=True, override_deadline_ms=5 * MINUTE)
    )
    dumped = b.dumped_job(5)
    assert dumped.deadline_ms == 5 * MINUTE and dumped.has_late_constraint
    assert dumped.ready["readyDeadlineSatisfied"] is False
    deadline_start = b.wait_started(5, timeout_s=20)
    # The deadline runs the job although it is not charging.
    assert deadline_start.elapsed - t0 >= 5 * MINUTE
    latency_start = b.wait_started(4, timeout_s=20)
    assert latency_start.elapsed - t0 >= 10 * MINUTE


def test_network_constraints_follow_wifi_and_mobile_data(bench):
    from harness.virtual.system.connectivity import ConnectivityService

    b = bench()
    conn = b.run(lambda: b.dev.system.service(ConnectivityService))
    b.run(lambda: conn.set_wifi_enabled(False))
    b.schedule(JobInfo(6, ".SyncJobService", network_type=NETWORK_TYPE_UNMETERED))
    b.schedule(JobInfo(7, ".SyncJobService", network_type=NETWORK_TYPE_CELLULAR))
    b.wait_started(7)
    assert b.starts(7)[0].params.network is not None
    b.wait_device_ms(MINUTE)
    assert b.starts(6) == []
    b.run(lambda: conn.set_wifi_enabled(True))
    b.wait_started(6)


def test_losing_the_network_stops_the_job(bench):
    from harness.virtual.system.connectivity import ConnectivityService

    b = bench()
    b.behavior[8] = "hold"
    b.reschedule_on_stop[8] = True
    b.schedule(JobInfo(8, ".SyncJobService", network_type=NETWORK_TYPE_ANY))
    b.wait_started(8)
    conn = b.run(lambda: b.dev.system.service(ConnectivityService))
    b.run(lambda: (conn.set_wifi_enabled(False), conn.set_mobile_data_enabled(False)))
    stop = b.wait_stopped(8)
    assert stop.params.stop_reason == STOP_REASON_CONSTRAINT_CONNECTIVITY
    assert b.scheduled(8)  # onStopJob asked for a reschedule
    job = b.dumped_job(8)
    assert job.num_failures in (None, 1)


def test_storage_not_low_follows_devicestoragemonitor(bench):
    b = bench()
    assert b.out("cmd devicestoragemonitor force-low -f") == "2\n"
    assert b.out("cmd jobscheduler get-storage-seq") == "2\n"
    assert b.out("cmd jobscheduler get-storage-not-low") == "false\n"
    b.schedule(JobInfo(9, ".SyncJobService", requires_storage_not_low=True))
    b.wait_device_ms(MINUTE)
    assert b.starts(9) == []
    assert b.out("cmd devicestoragemonitor reset -f") == "3\n"
    assert b.out("cmd jobscheduler get-storage-not-low") == "true\n"
    b.wait_started(9)


def test_idle_constraint_needs_screen_off_and_idle_maintenance(bench):
    b = bench()
    b.schedule(JobInfo(10, ".SyncJobService", requires_device_idle=True))
    # With the screen on, idle-maintenance does nothing.
    assert b.out("am idle-maintenance") == "Performing idle maintenance...\n"
    b.wait_device_ms(MINUTE)
    assert b.starts(10) == []
    b.out("input keyevent KEYCODE_SLEEP")
    b.out("am idle-maintenance")
    b.wait_started(10)


def test_idle_constraint_after_31_minutes_of_screen_off(bench):
    b = bench(rate=1000)
    b.schedule(JobInfo(11, ".SyncJobService", requires_device_idle=True))
    t0 = b.elapsed()
    b.out("input keyevent KEYCODE_SLEEP")
    start = b.wait_started(11, timeout_s=20)
    assert start.elapsed - t0 >= 31 * MINUTE


# ---------------------------------------------------------------------------------- API errors
def test_persisted_job_needs_receive_boot_completed(bench):
    b = bench()
    assert b.install(manifest(NOBOOT_PKG, boot=False)) == "Success"
    with pytest.raises(IllegalArgumentException) as exc:
        b.schedule(JobInfo(1, ".SyncJobService", persisted=True), package=NOBOOT_PKG)
    assert str(exc.value) == (
        "java.lang.IllegalArgumentException: Error: requested job be persisted without"
        " holding RECEIVE_BOOT_COMPLETED permission."
    )


def test_service_must_exist_and_require_bind_job_service(bench):
    b = bench()
    with pytest.raises(IllegalArgumentException) as exc:
        b.schedule(JobInfo(1, ".Missing"))
    assert exc.value.message == f"No such service ComponentInfo{{{PKG}/{PKG}.Missing}}"
    with pytest.raises(IllegalArgumentException) as exc:
        b.schedule(JobInfo(1, ".OtherService"))
    assert exc.value.message == (
        f"Scheduled service ComponentInfo{{{PKG}/{PKG}.OtherService}} does not require"
        " android.permission.BIND_JOB_SERVICE permission"
    )


def test_android_14_needs_access_network_state_for_network_jobs(bench):
    b = bench()
    pkg = "com.example.nonet"
    assert b.install(manifest(pkg, network_state=False)) == "Success"
    with pytest.raises(SecurityException) as exc:
        b.schedule(JobInfo(1, ".SyncJobService", network_type=NETWORK_TYPE_ANY), package=pkg)
    assert exc.value.message == (
        "android.permission.ACCESS_NETWORK_STATE required for jobs with a connectivity constraint"
    )


def test_builder_rules(bench):
    b = bench()
    cases = [
        (JobInfo(1, ".SyncJobService", expedited=True, min_latency_ms=1), "time delay"),
        (JobInfo(1, ".SyncJobService", expedited=True, requires_charging=True), "network and"),
        (JobInfo(1, ".SyncJobService", period_ms=HOUR, override_deadline_ms=5), "periodic"),
        (
            JobInfo(1, ".SyncJobService", requires_device_idle=True, backoff_policy=0),
            "back-off",
        ),
        (JobInfo(1, ".SyncJobService", priority=500), "Only expedited jobs can have max"),
    ]
    for info, text in cases:
        with pytest.raises(IllegalArgumentException) as exc:
            b.schedule(info)
        assert text in exc.value.message


def test_periodic_interval_and_flex_are_raised_like_the_builder():
    info = JobInfo(1, ".S", period_ms=60_000, flex_ms=1_000)
    assert info.period_ms == 15 * MINUTE and info.flex_ms == 5 * MINUTE
    assert info.builder_warnings[0].startswith("Requested interval +1m0s0ms for job 1")
    assert JobInfo(1, ".S", period_ms=10 * HOUR).flex_ms == 10 * HOUR


def test_older_releases_refuse_newer_builder_calls(bench):
    b = bench(api_level=30)
    with pytest.raises(NoSuchMethodError):
        b.schedule(JobInfo(1, ".SyncJobService", expedited=True))
    b28 = bench(api_level=28)
    with pytest.raises(IllegalArgumentException) as exc:
        b28.schedule(JobInfo(1, ".SyncJobService"))
    assert "no constraints" in exc.value.message


def test_more_than_150_jobs_is_an_error(bench):
    b = bench(rate=1)
    b.unplug()
    for i in range(150):
        b.schedule(JobInfo(i, ".SyncJobService", requires_charging=True))
    with pytest.raises(IllegalStateException):
        b.schedule(JobInfo(999, ".SyncJobService", requires_charging=True))


# ---------------------------------------------------------------------------------- lifecycle
def test_schedule_replaces_a_job_with_the_same_id(bench):
    b = bench()
    b.behavior[12] = "hold"
    b.schedule(JobInfo(12, ".SyncJobService"))
    b.wait_started(12)
    b.unplug()
    b.schedule(JobInfo(12, ".SyncJobService", requires_charging=True))
    stop = b.wait_stopped(12)
    assert stop.params.stop_reason == STOP_REASON_CANCELLED_BY_APP
    pending = b.run(lambda: b.js.get_pending_jobs(PKG))
    assert [j.requires_charging for j in pending] == [True]


def test_cancel_stops_a_running_job_and_forgets_it(bench):
    b = bench()
    b.behavior[13] = "hold"
    b.reschedule_on_stop[13] = True
    b.schedule(JobInfo(13, ".SyncJobService"))
    b.wait_started(13)
    b.run(lambda: b.js.cancel(PKG, 13))
    stop = b.wait_stopped(13)
    assert stop.params.stop_reason == STOP_REASON_CANCELLED_BY_APP
    b.wait_until(lambda: not b.running(13))
    assert not b.scheduled(13)  # a cancelled job is not rescheduled


def test_cancel_all_and_pending_jobs(bench):
    b = bench()
    b.unplug()
    for i in (20, 21, 22):
        b.schedule(JobInfo(i, ".SyncJobService", requires_charging=True))
    jobs = b.run(lambda: b.js.get_pending_jobs(PKG))
    assert [j.job_id for j in jobs] == [20, 21, 22]
    assert b.run(lambda: b.js.get_pending_job(PKG, 21)).requires_charging
    b.run(lambda: b.js.cancel_all(PKG))
    assert b.run(lambda: b.js.get_pending_jobs(PKG)) == []


def test_job_finished_with_reschedule_backs_off_exponentially(bench):
    b = bench(rate=200)
    b.behavior[14] = "hold"
    b.schedule(JobInfo(14, ".SyncJobService"))
    b.wait_started(14)
    t1 = b.elapsed()
    b.finish(14, reschedule=True)
    second = b.wait_started(14, count=2)
    t2 = b.elapsed()
    b.finish(14, reschedule=True)
    third = b.wait_started(14, count=3, timeout_s=20)
    assert 30_000 <= second.elapsed - t1 < 40_000  # initial back-off 30 s
    assert 60_000 <= third.elapsed - t2 < 70_000  # doubled
    assert b.dumped_job(14).num_failures == 2


def test_linear_backoff(bench):
    b = bench(rate=200)
    b.behavior[15] = "hold"
    linear = BACKOFF_POLICY_LINEAR
    b.schedule(JobInfo(15, ".SyncJobService", backoff_policy=linear, initial_backoff_ms=20_000))
    b.wait_started(15)
    t1 = b.elapsed()
    b.finish(15, reschedule=True)
    second = b.wait_started(15, count=2)
    t2 = b.elapsed()
    b.finish(15, reschedule=True)
    third = b.wait_started(15, count=3)
    assert 20_000 <= second.elapsed - t1 < 30_000
    assert 40_000 <= third.elapsed - t2 < 50_000


def test_execution_time_limit_stops_with_timeout(bench):
    b = bench(rate=500)
    b.behavior[16] = "hold"
    b.schedule(JobInfo(16, ".SyncJobService"))
    start = b.wait_started(16)
    stop = b.wait_stopped(16, timeout_s=20)
    assert stop.params.stop_reason == STOP_REASON_TIMEOUT
    assert 10 * MINUTE <= stop.elapsed - start.elapsed < 11 * MINUTE
    b.wait_until(lambda: [e for e in b.bus_events if e.name == "job_stopped"] != [])
    stopped = next(e for e in b.bus_events if e.name == "job_stopped")
    assert stopped.payload["reason"] == INTERNAL_STOP_REASON_TIMEOUT


def test_periodic_job_runs_every_period(bench):
    b = bench(rate=1000)
    b.schedule(JobInfo(17, ".SyncJobService", period_ms=15 * MINUTE))
    first = b.wait_started(17, timeout_s=20)
    second = b.wait_started(17, count=2, timeout_s=20)
    third = b.wait_started(17, count=3, timeout_s=20)
    # flex = period: the first run is due at once, then one run per 15 min window.
    assert 10 * MINUTE <= second.elapsed - first.elapsed <= 20 * MINUTE
    assert 10 * MINUTE <= third.elapsed - second.elapsed <= 20 * MINUTE
    job = b.dumped_job(17)
    assert job.periodic["interval_ms"] == 15 * MINUTE
    assert job.last_successful_run


def test_periodic_job_with_flex_waits_for_its_window(bench):
    b = bench(rate=2000)
    t0 = b.elapsed()
    b.schedule(JobInfo(18, ".SyncJobService", period_ms=HOUR, flex_ms=15 * MINUTE))
    first = b.wait_started(18, timeout_s=20)
    assert 45 * MINUTE <= first.elapsed - t0 < 50 * MINUTE


def test_force_stop_and_uninstall_drop_the_jobs(bench):
    b = bench()
    b.unplug()
    b.schedule(JobInfo(30, ".SyncJobService", requires_charging=True, persisted=True))
    b.out(f"am force-stop {PKG}")
    assert not b.scheduled(30)
    b.schedule(JobInfo(31, ".SyncJobService", requires_charging=True))
    b.out(f"pm uninstall {PKG}")
    assert b.run(lambda: b.js.jobs) == {}


@pytest.mark.parametrize(("api", "min_gap", "max_gap"), [(33, 30_000, 35_000), (34, 0, 5_000)])
def test_process_death_reschedules_the_running_job(bench, api, min_gap, max_gap):
    b = bench(api_level=api)
    b.behavior[32] = "hold"
    b.schedule(JobInfo(32, ".SyncJobService"))
    first = b.wait_started(32)
    b.home()
    b.out(f"am kill {PKG}")
    # "unexpectedly disconnected": rescheduled with back-off on Android 13; Android 14 counts
    # it as a system stop (a third of a failure), so it comes back at once.
    second = b.wait_started(32, count=2)
    assert min_gap <= second.elapsed - first.elapsed < max_gap
    assert b.stops(32) == []  # no onStopJob for a dead process
    assert first.params.debug_stop_reason == "unexpectedly disconnected"


# ---------------------------------------------------------------------------------- reboot
def test_persisted_jobs_survive_reboot_and_others_do_not(bench):
    b = bench()
    b.unplug()
    # Idle jobs: after the reboot the screen is on and the charger back, so they stay put.
    b.schedule(JobInfo(40, ".SyncJobService", requires_device_idle=True, persisted=True))
    b.schedule(JobInfo(41, ".SyncJobService", requires_device_idle=True))
    b.wait_device_ms(3_000)  # JobStore writes 2 s after a change
    assert b.dumped_job(40).extras == {} and b.dumped_job(40).persisted
    b.reboot()
    ids = [j.job_id for j in b.run(lambda: b.js.get_pending_jobs(PKG))]
    assert ids == [40]


def test_a_reboot_right_after_schedule_keeps_the_persisted_job(bench):
    # A phone's shutdown outlasts JobStore's 2 s batched write, so the job is on disk.
    b = bench(rate=1)
    b.unplug()
    b.schedule(JobInfo(42, ".SyncJobService", requires_device_idle=True, persisted=True))
    b.reboot()
    assert [j.job_id for j in b.run(lambda: b.js.get_pending_jobs(PKG))] == [42]


def test_persisted_extras_are_unparcelled_after_the_write(bench):
    b = bench()
    b.unplug()
    b.schedule(
        JobInfo(43, ".SyncJobService", requires_charging=True, persisted=True, extras={"a": "b"})
    )
    assert b.dumped_job(43).extras_raw == "mParcelledData.dataSize=24"
    b.wait_device_ms(3_000)
    assert b.dumped_job(43).extras == {"a": "b"}


def test_persisted_delay_is_kept_in_wall_clock_across_reboot(bench):
    b = bench(rate=100)
    b.schedule(JobInfo(44, ".SyncJobService", min_latency_ms=HOUR, persisted=True))
    b.wait_device_ms(3_000)
    b.reboot()
    job = b.dumped_job(44)
    assert job.min_latency_ms == HOUR
    # Elapsed time restarted at boot; the earliest run time is still about an hour away.
    from harness.android.dumpsys_format import duration_ms

    assert 55 * MINUTE < duration_ms(job.earliest_run_time) <= HOUR
