"""WorkManager on the virtual device after the platform follow-ups: RescheduleReceiver enabled
through the package manager while work is unfinished, time changes reaching it, historical
process exit reasons and ForceStopRunnable, the expedited-quota refusal and the out-of-quota
policies, and WorkManager starting with the app's process."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.activity import (
    EXIT_INFO_HISTORY_LIST_SIZE,
    REASON_CRASH,
    REASON_USER_REQUESTED,
)
from harness.virtual.system.packages import (
    COMPONENT_ENABLED_STATE_DISABLED,
    COMPONENT_ENABLED_STATE_ENABLED,
)
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

RESCHEDULE = "androidx.work.impl.background.systemalarm.RescheduleReceiver"
FORCE_STOPPED = "Application was force-stopped, rescheduling."
ENQUEUED = 0


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


def receiver_state(b: SampleBench) -> int:
    return b.run(lambda: b.pm.component_enabled_setting(PKG, RESCHEDULE))


def force_stop_logs(b: SampleBench) -> int:
    return b.out("logcat -d -s WM-ForceStopRunnable").count(FORCE_STOPPED)


def exit_reasons(b: SampleBench) -> list[int]:
    return [i.reason for i in b.run(lambda: b.am.historical_process_exit_reasons(PKG))]


# ---------------------------------------------------------------------- RescheduleReceiver
def test_reschedule_receiver_is_enabled_while_work_is_unfinished(bench):
    b = bench()
    assert receiver_state(b) == 0  # the manifest's enabled="false", untouched
    work_id = b.ok("enqueue_work", name="later", delay_ms=60 * MINUTE)["work_id"]
    # EnqueueRunnable enables it (DONT_KILL_APP: the process lives on).
    pid = b.pid()
    assert receiver_state(b) == COMPONENT_ENABLED_STATE_ENABLED
    assert b.pid() == pid
    b.ok("cancel_work", id=work_id)
    # The UnfinishedWorkListener turns it off once nothing is left to do.
    b.wait_until(lambda: receiver_state(b) == COMPONENT_ENABLED_STATE_DISABLED,
                 what="RescheduleReceiver disabled")


@pytest.mark.parametrize("change", ["cmd alarm set-time {wall}",
                                    "cmd alarm set-timezone Pacific/Auckland"])
def test_a_time_change_starts_the_app_through_reschedule_receiver(bench, change):
    b = bench()
    work_id = b.ok("enqueue_work", name="later", delay_ms=60 * MINUTE)["work_id"]
    b.out(f"am crash {PKG}")  # the process is gone, the app is not stopped
    assert b.pid() is None
    wall = b.dev.clock.wall_ms() + 5 * MINUTE
    b.out(change.format(wall=wall))
    # TIME_SET / TIMEZONE_CHANGED reach the enabled RescheduleReceiver: a new process with
    # WorkManager, whose ForceStopRunnable finds the work's job still there.
    assert b.pid() is not None
    assert b.run(lambda: b.am.app_of(PKG).work_manager_running)
    assert b.wm_jobs(work_id)


def test_a_time_change_leaves_an_app_without_unfinished_work_alone(bench):
    b = bench()
    b.ok("enqueue_work", name="now")
    b.wait_event("finished", "now")
    b.wait_until(lambda: receiver_state(b) == COMPONENT_ENABLED_STATE_DISABLED,
                 what="RescheduleReceiver disabled")
    b.out(f"am crash {PKG}")
    b.out("cmd alarm set-timezone Pacific/Auckland")
    assert b.pid() is None


# ---------------------------------------------------------------------------------- exit reasons
def test_exit_reasons_are_recorded_newest_first_and_kept_across_reboots(bench):
    b = bench()
    b.out(f"am force-stop {PKG}")
    b.ok("ping")
    b.out(f"am crash {PKG}")
    b.ok("ping")
    infos = b.run(lambda: b.am.historical_process_exit_reasons(PKG))
    assert [i.reason for i in infos] == [REASON_CRASH, REASON_USER_REQUESTED]
    assert infos[1].description == f"stop {PKG} due to from pid 0"
    assert infos[0].timestamp_wall_ms >= infos[1].timestamp_wall_ms > 0
    b.reboot()
    assert exit_reasons(b)[:2] == [REASON_CRASH, REASON_USER_REQUESTED]
    for _ in range(EXIT_INFO_HISTORY_LIST_SIZE + 2):
        b.ok("ping")
        b.out(f"am crash {PKG}")
    assert exit_reasons(b) == [REASON_CRASH] * EXIT_INFO_HISTORY_LIST_SIZE
    b.run(lambda: b.pm.uninstall(PKG))
    assert exit_reasons(b) == []


def test_no_exit_reasons_before_android_11(bench):
    b = bench(api_level=29)
    b.out(f"am force-stop {PKG}")
    assert exit_reasons(b) == []


def test_force_stop_then_the_next_workmanager_init_reschedules(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="held", delay_ms=60 * MINUTE)["work_id"]
    assert b.wm_jobs(work_id)
    b.out(f"am force-stop {PKG}")
    assert b.jobs() == []  # a force-stop cancels the app's jobs
    b.ok("ping")  # a new process: WorkManager starts with it, ForceStopRunnable runs
    assert force_stop_logs(b) == 1
    b.wait_until(lambda: b.wm_jobs(work_id), what="rescheduled after the force-stop")
    assert b.work(work_id)["state"] == ENQUEUED
    # The force-stop has been seen (the last force-stop time is stored): not again.
    b.out(f"am crash {PKG}")
    b.ok("ping")
    assert force_stop_logs(b) == 1


def test_a_crash_is_not_taken_for_a_force_stop(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="held", delay_ms=60 * MINUTE)["work_id"]
    b.out(f"am crash {PKG}")
    b.ok("ping")
    assert exit_reasons(b)[0] == REASON_CRASH
    assert force_stop_logs(b) == 0
    assert b.wm_jobs(work_id)  # the job outlived the process (JobScheduler kept it)


def test_am_kill_counts_as_user_requested(bench):
    # killBackgroundProcesses records REASON_USER_REQUESTED, which is all ForceStopRunnable
    # looks at: on a phone too, WorkManager reschedules everything after ``am kill``.
    b = bench()
    b.ok("enqueue_work", name="held", delay_ms=60 * MINUTE)
    b.out(f"am kill {PKG}")
    assert exit_reasons(b)[0] == REASON_USER_REQUESTED
    b.ok("ping")
    assert force_stop_logs(b) == 1


# ---------------------------------------------------------------------------------- expedited
def use_up_ej_quota(b: SampleBench) -> None:
    """RARE has 10 min of expedited-job time per 24 h: one long expedited job spends it."""
    b.unplug()
    b.out(f"am set-standby-bucket {PKG} rare")
    b.ok("schedule_job", job_id=1500, name="ej", expedited=True,
         behavior={"duration_ms": 60 * MINUTE})
    b.wait_event("started", "ej")
    b.wait_event("stopped", "ej", timeout_s=30)


def test_out_of_quota_expedited_work_falls_back_to_a_regular_job(bench):
    b = bench(rate=500)
    use_up_ej_quota(b)
    refused = b.ok("schedule_job", job_id=1501, name="ej2", expedited=True)
    assert refused["scheduled"] == "RESULT_FAILURE"
    work_id = b.ok("enqueue_work", name="fb", expedited=True,
                   out_of_quota="run_as_non_expedited",
                   constraints={"network": "connected"},
                   behavior={"duration_ms": 30 * MINUTE})["work_id"]
    (job,) = b.wm_jobs(work_id)
    assert not job.expedited and job.important_while_foreground
    assert "Unable to schedule work ID" in b.out("logcat -d -s WM-SystemJobScheduler")


def test_out_of_quota_expedited_work_is_dropped(bench):
    b = bench(rate=500)
    use_up_ej_quota(b)
    work_id = b.ok("enqueue_work", name="dr", expedited=True, out_of_quota="drop",
                   behavior={"duration_ms": 30 * MINUTE})["work_id"]
    assert b.wm_jobs(work_id) == []  # no job; the database still holds the work
    assert "Unable to schedule work ID" in b.out("logcat -d -s WM-SystemJobScheduler")


# ---------------------------------------------------------------------------------- process start
def test_workmanager_runs_with_every_process(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="cut", behavior={"duration_ms": 60 * MINUTE})["work_id"]
    b.wait_event("started", "cut")
    b.out(f"am crash {PKG}")
    # ping touches no work: only Application.onCreate's WorkManager.getInstance can have put the
    # work that died mid-run back to ENQUEUED (ForceStopRunnable's cleanUp) and run it again.
    b.ok("ping")
    assert b.run(lambda: b.am.app_of(PKG).work_manager_running)
    b.wait_event("started", "cut", count=2)
    assert b.work(work_id)["run_attempt_count"] == 2
