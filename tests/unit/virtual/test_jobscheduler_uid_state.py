"""The three views JobScheduler has of an app's uid, and where each one applies:

- foreground (TOP or a foreground service; QuotaController.isUidInForeground): within quota,
  within EJ quota, no quota time used;
- active (the activity manager's "not idle": TOP, a foreground service, the temp allowlist,
  and the minute after the last of them ended unless ``am make-uid-idle`` ends it; a uid whose
  process died is gone; AppStateTracker.isUidActive): not restricted by battery saver,
  IMPORTANT_WHILE_FOREGROUND jobs in Doze, at once on a Doze exit, the foreground exemption at
  schedule time;
- TOP: a job started then is top-started and never counts towards quota; expedited jobs stay
  within EJ quota, uncharged, for a minute after the app left the top (and three minutes after
  it left the temp allowlist).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.active_services import ActiveServices
from harness.virtual.system.job_info import JobInfo
from harness.virtual.system.job_quota import RARE_INDEX
from harness.virtual.system.job_status import STOP_REASON_DEVICE_STATE
from tests.unit.virtual.jobscheduler_bench import (
    HOUR,
    MINUTE,
    PKG,
    JobBench,
    bench_factory,
)

SETTLE_MS = 60_000  # ActivityManagerConstants.BACKGROUND_SETTLE_TIME


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    yield from bench_factory(device_loop)


def left_top(b: JobBench) -> int:
    """When the app left the top, as the activity manager noted it."""
    return b.run(lambda: b.dev.system.service(ActiveServices).left_top[PKG])  # type: ignore[union-attr]


def uid_active(b: JobBench) -> bool:
    return b.run(lambda: b.dev.system.service(ActiveServices).is_uid_active(PKG))  # type: ignore[union-attr]


def rare_quota_left(b: JobBench) -> int:
    """QuotaController's remaining regular quota of the app in the RARE bucket."""
    return b.run(lambda: b.js.quota.remaining_ms(PKG, RARE_INDEX, b.elapsed(), running=False))  # type: ignore[union-attr]


def use_up_rare_quota(b: JobBench, job_id: int) -> None:
    """A lone RARE job is batched for 31 min, then runs its 10 min: RARE's quota is gone."""
    b.unplug()
    b.set_bucket("rare")
    b.behavior[job_id] = "hold"
    b.schedule(JobInfo(job_id, ".SyncJobService"))
    b.wait_stopped(job_id, timeout_s=30)


# ---------------------------------------------------------------------------------- foreground
def test_foreground_service_uid_is_within_quota_until_the_service_stops(bench):
    b = bench(rate=2000, fgs=True)
    use_up_rare_quota(b, 1)
    b.schedule(JobInfo(2, ".SyncJobService"))
    b.wait_device_ms(5 * MINUTE)
    assert b.starts(2) == []
    assert "WITHIN_QUOTA" in b.dumped_job(2).unsatisfied
    b.start_fgs()  # procState FOREGROUND_SERVICE: isUidInForeground
    b.wait_started(2)
    b.stop_fgs()
    # Past the settle minute, in which the uid is still active (and so counts as ACTIVE).
    b.wait_device_ms(SETTLE_MS + 5_000)
    b.schedule(JobInfo(3, ".SyncJobService"))
    b.wait_device_ms(5 * MINUTE)
    assert b.starts(3) == []
    assert "WITHIN_QUOTA" in b.dumped_job(3).unsatisfied


def test_foreground_service_uid_gets_expedited_jobs_past_its_ej_quota(bench):
    b = bench(rate=500, fgs=True)
    b.unplug()
    b.set_bucket("rare")
    b.behavior[4] = "hold"
    b.schedule(JobInfo(4, ".SyncJobService", expedited=True))
    b.wait_started(4)
    b.wait_stopped(4, timeout_s=30)  # RARE's 10 min of EJ time are used up
    assert b.schedule(JobInfo(5, ".SyncJobService", expedited=True)) == 0  # RESULT_FAILURE
    b.start_fgs()
    # scheduleAsPackage -> isWithinEJQuotaLocked: a foreground uid is within EJ quota.
    assert b.schedule(JobInfo(5, ".SyncJobService", expedited=True)) == 1
    assert b.wait_started(5).params.is_expedited_job


def spend_rare_ej_quota(b: JobBench, job_id: int) -> None:
    """An expedited job held on battery in the RARE bucket runs until RARE's 10 min of EJ
    time are used up; then a new EJ is refused at schedule time (RESULT_FAILURE)."""
    b.unplug()
    b.set_bucket("rare")
    b.behavior[job_id] = "hold"
    b.schedule(JobInfo(job_id, ".SyncJobService", expedited=True))
    b.wait_started(job_id)
    b.wait_stopped(job_id, timeout_s=30)
    assert b.schedule(JobInfo(job_id + 1, ".SyncJobService", expedited=True)) == 0


def test_expedited_jobs_are_within_quota_for_a_minute_after_the_app_left_the_top(bench):
    b = bench(rate=500)
    spend_rare_ej_quota(b, 40)
    b.launch()
    b.home()
    b.set_bucket("rare")  # back from ACTIVE, where using the app put it
    # EJ_GRACE_PERIOD_TOP_APP_MS: the top-app exemption outlasts the top by a minute.
    assert b.schedule(JobInfo(42, ".SyncJobService", expedited=True)) == 1
    assert b.wait_started(42).params.is_expedited_job
    b.wait_device_ms(MINUTE + 5_000)
    assert b.schedule(JobInfo(43, ".SyncJobService", expedited=True)) == 0


def test_expedited_jobs_are_within_quota_three_minutes_after_the_temp_allowlist(bench):
    b = bench(rate=500)
    spend_rare_ej_quota(b, 44)
    b.out(f"cmd deviceidle tempwhitelist -d 60000 {PKG}")
    assert b.schedule(JobInfo(46, ".SyncJobService", expedited=True)) == 1
    b.out(f"cmd deviceidle tempwhitelist -r {PKG}")
    # EJ_GRACE_PERIOD_TEMP_ALLOWLIST_MS: still exempt for 3 minutes after leaving the list.
    b.wait_device_ms(2 * MINUTE)
    assert b.schedule(JobInfo(47, ".SyncJobService", expedited=True)) == 1
    b.wait_device_ms(MINUTE + 5_000)
    assert b.schedule(JobInfo(48, ".SyncJobService", expedited=True)) == 0


def test_expedited_job_time_in_the_top_grace_minute_is_not_charged(bench):
    b = bench(rate=500)
    b.unplug()
    b.launch()
    b.home()
    left = b.elapsed()
    b.set_bucket("rare")  # back from ACTIVE, where using the app put it
    b.behavior[49] = "hold"
    b.schedule(JobInfo(49, ".SyncJobService", expedited=True))
    b.wait_started(49)
    b.wait_device_ms(3 * MINUTE)
    b.finish(49)
    finished = b.elapsed()
    sessions = b.run(lambda: list(b.js.quota.pkg(PKG).ej_sessions))  # type: ignore[union-attr]
    # Timer.shouldTrackLocked: the EJ timer starts when the grace minute is over.
    assert len(sessions) == 1
    assert left + MINUTE <= sessions[0].start < left + MINUTE + 3_000
    assert sessions[0].end <= finished


def test_job_of_a_foreground_service_uid_is_not_top_started(bench):
    b = bench(fgs=True)
    b.unplug()
    b.set_bucket("rare")
    full = rare_quota_left(b)
    b.start_fgs()
    b.behavior[6] = "hold"
    t0 = b.elapsed()
    b.schedule(JobInfo(6, ".SyncJobService"))
    # The uid is active, so the job counts as ACTIVE: no force-batching of a RARE job.
    assert b.wait_started(6).elapsed - t0 < MINUTE
    assert b.run(lambda: b.js.running[(PKG, 6)].top_started) is False
    assert "(TOP)" not in b.out("dumpsys jobscheduler")
    # Timer.shouldTrackLocked: no quota time while the uid is in the foreground ...
    b.wait_device_ms(2 * MINUTE)
    assert rare_quota_left(b) == full
    # ... and, the job not being top-started, its time counts once the service is gone.
    before = b.elapsed()
    b.stop_fgs()
    after = b.elapsed()
    b.wait_device_ms(3 * MINUTE)
    b.finish(6)
    sessions = b.run(lambda: list(b.js.quota.pkg(PKG).sessions))  # type: ignore[union-attr]
    assert len(sessions) == 1
    assert before <= sessions[0].start <= after
    used = sessions[0].end - sessions[0].start
    assert used >= 3 * MINUTE
    assert full - rare_quota_left(b) == used


def test_top_started_job_uses_no_quota(bench):
    b = bench()
    b.unplug()
    b.set_bucket("rare")
    full = rare_quota_left(b)
    b.launch()
    b.behavior[7] = "hold"
    b.schedule(JobInfo(7, ".SyncJobService"))
    b.wait_started(7)
    assert b.run(lambda: b.js.running[(PKG, 7)].top_started) is True
    b.home()
    b.out(f"am make-uid-idle {PKG}")
    b.wait_device_ms(3 * MINUTE)
    b.finish(7)
    assert rare_quota_left(b) == full


def test_dump_lists_foreground_and_active_uids_apart(bench):
    b = bench(fgs=True)
    b.unplug()
    b.schedule(JobInfo(8, ".SyncJobService", requires_charging=True))
    uid = b.dumped_job(8).uid_number
    b.launch()
    b.home()
    # In the settle minute: active (AppStateTracker) but not foreground (QuotaController).
    dump = b.out("dumpsys jobscheduler")
    assert f"Active uids: [{b.dumped_job(8).uid}]" in dump
    assert "Foreground UIDs: {}" in dump
    b.out(f"am make-uid-idle {PKG}")
    dump = b.out("dumpsys jobscheduler")
    assert "Active uids: []" in dump
    b.start_fgs()
    dump = b.out("dumpsys jobscheduler")
    assert f"Foreground UIDs: {{{uid}=true}}" in dump
    assert f"Active uids: [{b.dumped_job(8).uid}]" in dump


# ---------------------------------------------------------------------------------- active
def battery_saver_on(b: JobBench) -> None:
    b.unplug()
    b.out("cmd power set-mode 1")


def hold_job_with_deadline(b: JobBench, job_id: int) -> None:
    """A held job with a deadline, which keeps it from the foreground exemption: only the uid
    state decides whether battery saver lets it run."""
    b.behavior[job_id] = "hold"
    b.schedule(JobInfo(job_id, ".SyncJobService", override_deadline_ms=HOUR))


def test_battery_saver_spares_a_uid_for_the_minute_after_it_left_the_top(bench):
    b = bench()
    battery_saver_on(b)
    b.launch()
    b.home()
    hold_job_with_deadline(b, 10)
    b.wait_started(10)
    assert b.dumped_job(10).uid_active
    # The minute ends, the uid goes idle (onUidIdle) and battery saver stops the job.
    stop = b.wait_stopped(10)
    assert stop.params.stop_reason == STOP_REASON_DEVICE_STATE
    assert SETTLE_MS <= stop.elapsed - left_top(b) < SETTLE_MS + 3_000
    b.schedule(JobInfo(11, ".SyncJobService", override_deadline_ms=HOUR))
    b.wait_device_ms(MINUTE)
    assert b.starts(11) == []
    job = b.dumped_job(11)
    assert job.ready["readyNotRestrictedInBg"] is False
    assert not job.uid_active


def test_battery_saver_spares_a_uid_for_the_minute_after_its_foreground_service_stopped(bench):
    b = bench(fgs=True)
    battery_saver_on(b)
    b.start_fgs()
    hold_job_with_deadline(b, 17)
    b.wait_started(17)
    b.wait_device_ms(2 * SETTLE_MS)  # the service runs on: the uid stays active
    assert b.stops(17) == []
    stopped_fgs = b.elapsed()
    b.stop_fgs()
    # procState falls from FOREGROUND_SERVICE to the background: the settle minute starts
    # there (setLastBackgroundTime), and battery saver stops the job when it ends.
    stop = b.wait_stopped(17)
    assert stop.params.stop_reason == STOP_REASON_DEVICE_STATE
    assert SETTLE_MS <= stop.elapsed - stopped_fgs < SETTLE_MS + 3_000


def test_the_end_of_a_temp_allowlist_starts_the_settle_minute(bench):
    b = bench()
    battery_saver_on(b)
    hold_job_with_deadline(b, 18)
    b.wait_device_ms(MINUTE)
    assert b.starts(18) == []  # an idle uid in battery saver
    allowed = b.elapsed()
    b.out(f"cmd deviceidle tempwhitelist -d 10000 {PKG}")
    b.wait_started(18)
    stop = b.wait_stopped(18)
    assert stop.params.stop_reason == STOP_REASON_DEVICE_STATE
    # 10 s on the allowlist, then the minute a uid settles after leaving it.
    assert 10_000 + SETTLE_MS <= stop.elapsed - allowed < 10_000 + SETTLE_MS + 3_000


def test_a_uid_whose_process_died_is_gone_not_settling(bench):
    b = bench()
    b.behavior[19] = "hold"
    b.schedule(JobInfo(19, ".SyncJobService"))
    b.wait_started(19)
    b.launch()
    b.home()
    assert uid_active(b)  # the minute after leaving the top
    b.out(f"am kill {PKG}")
    assert not uid_active(b)  # UidRecord removed with the last process (CHANGE_GONE)


def test_make_uid_idle_ends_the_settle_minute_for_battery_saver(bench):
    b = bench()
    battery_saver_on(b)
    b.launch()
    b.home()
    hold_job_with_deadline(b, 12)
    b.wait_started(12)
    b.out(f"am make-uid-idle {PKG}")
    stop = b.wait_stopped(12)
    assert stop.params.stop_reason == STOP_REASON_DEVICE_STATE
    assert stop.elapsed - left_top(b) < SETTLE_MS
    b.schedule(JobInfo(13, ".SyncJobService", override_deadline_ms=HOUR))
    b.wait_device_ms(MINUTE)
    assert b.starts(13) == []


def test_job_scheduled_in_the_settle_minute_gets_the_foreground_exemption(bench):
    b = bench(fgs=True)
    b.unplug()
    b.launch()
    b.home()
    b.schedule(JobInfo(14, ".SyncJobService", requires_charging=True))
    b.out(f"am make-uid-idle {PKG}")
    b.schedule(JobInfo(15, ".SyncJobService", requires_charging=True))
    b.start_fgs()
    b.schedule(JobInfo(16, ".SyncJobService", requires_charging=True))
    assert b.dumped_job(14).internal_flags == "1 HAS_FOREGROUND_EXEMPTION"
    assert b.dumped_job(15).internal_flags is None
    assert b.dumped_job(16).internal_flags == "1 HAS_FOREGROUND_EXEMPTION"


def test_important_while_foreground_job_runs_in_doze_while_the_app_has_a_foreground_service(
    bench,
):
    b = bench(fgs=True)
    b.out("cmd deviceidle force-idle")
    b.schedule(JobInfo(20, ".SyncJobService", important_while_foreground=True))
    b.wait_device_ms(MINUTE)
    assert b.starts(20) == []
    b.start_fgs()
    b.wait_started(20)
    b.schedule(JobInfo(21, ".SyncJobService"))  # without the flag it waits for Doze
    b.wait_device_ms(MINUTE)
    assert b.starts(21) == []
    b.stop_fgs()
    b.wait_device_ms(SETTLE_MS + MINUTE)  # past any settle time after the service
    b.schedule(JobInfo(22, ".SyncJobService", important_while_foreground=True))
    b.wait_device_ms(MINUTE)
    assert b.starts(22) == []


def test_foreground_service_uid_jobs_follow_a_doze_exit_at_once(bench):
    b = bench(fgs=True)
    b.out("cmd deviceidle force-idle")
    b.start_fgs()
    b.schedule(JobInfo(30, ".SyncJobService"))
    b.wait_device_ms(MINUTE)
    assert b.starts(30) == []
    t0 = b.elapsed()
    b.out("cmd deviceidle unforce")
    # DeviceIdleJobsController.updateIdleMode: active uids at once, the rest 3 s later.
    assert b.wait_started(30).elapsed - t0 < 3_000
