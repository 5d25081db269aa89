"""WorkManager work in the sample app: it runs when it should, does not run when it should not,
and survives what it should survive. Asserted from both sides: the app's event log and the
platform's JobScheduler (and WorkManager's own database).

Timing assertions use the device's own clock (the events' ``elapsed_ms``), so they hold on a
phone, an emulator or a virtual device alike; waits are generous for success and short for
"does not happen" (CTS ExactAlarmsTest's policy).
"""

from __future__ import annotations

import itertools

import pytest

from harness.app.sample import SampleApp
from harness.inspect.jobs import JobSchedulerInspector
from harness.inspect.workmanager import WorkManagerInspector
from harness.power import PowerControllers

PKG = SampleApp.package


def _job_of(work_id: str, workmanager: WorkManagerInspector, jobs: JobSchedulerInspector):  # type: ignore[no-untyped-def]
    """The JobScheduler job WorkManager gave the work (its SystemIdInfo row): the dump does
    not show the extras of jobs that were never written to disk, so the id comes from
    WorkManager's own database."""
    record = next(w for w in workmanager.work() if w.id == work_id)
    assert record.job_ids, f"WorkManager gave work {work_id} no JobScheduler id"
    return jobs.job(PKG, record.job_ids[-1])


def test_one_time_work_runs_and_the_platform_shows_its_job_while_it_waits(
        app: SampleApp, jobs: JobSchedulerInspector, workmanager: WorkManagerInspector):
    work_id = app.enqueue_work("once", delay_ms=4000)
    job = _job_of(work_id, workmanager, jobs)
    assert job is not None, "WorkManager scheduled no JobScheduler job for the work"
    assert "TIMING_DELAY" in job.required
    assert not job.persisted  # SystemJobInfoConverter: WorkManager never persists its jobs
    finished = app.wait_for("finished", "once", timeout_s=60)
    assert finished.detail.get("work_id") == work_id


def test_charging_constraint_waits_for_the_charger(app: SampleApp, power: PowerControllers):
    power.battery.unplug()
    app.enqueue_work("needs-power", constraints={"charging": True})
    app.assert_no_event("started", "needs-power", within_s=4)
    power.battery.plug("ac")
    started = app.wait_for("started", "needs-power", timeout_s=60)
    assert started.charging, "the app saw charging=0 when its charging-constrained work ran"
    app.wait_for("finished", "needs-power", timeout_s=60)


def _leave_only_jobscheduler(app: SampleApp) -> None:
    """End the app's process so that its work can run only through JobScheduler, which Doze
    and standby gate (WorkManager's in-process scheduler is not gated by them). Reading the
    event log starts the process again, but WorkManager only reschedules in-process after a
    force-stop, which this kill is not."""
    app.send_to_background()
    app.kill_process()


def test_work_in_deep_doze_waits_for_the_maintenance_window(
        app: SampleApp, power: PowerControllers):
    power.battery.unplug()
    power.screen.off()
    power.doze.force_deep()
    # A temporarily allowlisted app (20 s after BOOT_COMPLETED, for one) runs jobs in Doze.
    power.whitelist.wait_temp_allowlist_expired(PKG)
    app.enqueue_work("in-doze", delay_ms=2000)
    _leave_only_jobscheduler(app)
    app.assert_no_event("started", "in-doze", within_s=8)
    assert power.doze.step() == "IDLE_MAINTENANCE"
    started = app.wait_for("started", "in-doze", timeout_s=60)
    assert not started.deep_idle


def test_whitelisted_app_runs_work_at_once_in_deep_doze(
        app: SampleApp, power: PowerControllers):
    power.battery.unplug()
    power.screen.off()
    power.doze.force_deep()
    power.whitelist.add(PKG)
    app.enqueue_work("whitelisted", delay_ms=2000)
    _leave_only_jobscheduler(app)
    started = app.wait_for("started", "whitelisted", timeout_s=60)
    assert started.deep_idle, "expected the work to run while the device was in deep idle"


@pytest.mark.min_sdk(31)
def test_restricted_bucket_gets_one_session_a_day_then_needs_charging_and_idle(
        app: SampleApp, power: PowerControllers, jobs: JobSchedulerInspector):
    power.battery.unplug()
    # On Android 12-13 the app's granted SCHEDULE_EXACT_ALARM keeps it at WORKING_SET or better;
    # the op is denied for the test (and restored after it).
    power.standby.set_bucket(PKG, "restricted", lift_exact_alarm_floor=True)
    app.send_to_background()
    jobs.reset_quota(PKG)  # the jobs earlier tests ran count in the restricted day's window
    with jobs.no_batching():
        app.schedule_job(1001, "quota-1")
        app.wait_for("finished", "quota-1", timeout_s=60)
        # The day's one session is spent (QuotaController, max_session_count_restricted 1).
        # Out of quota, a RESTRICTED app's job needs charging and idle instead (Android 12+
        # JobStatus.isReady: "Quota and dynamic constraints trump all other constraints").
        app.schedule_job(1002, "quota-2")
        app.assert_no_event("started", "quota-2", within_s=6)
        job = jobs.job(PKG, 1002)
        assert job is not None and "WITHIN_QUOTA" in job.unsatisfied, job
        assert {"CHARGING", "IDLE"} <= set(job.dynamic), job
        power.battery.plug("ac")
        power.screen.off()
        jobs.trigger_idle()
        started = app.wait_for("started", "quota-2", timeout_s=60)
        assert started.charging


def test_periodic_work_runs_once_per_period(
        app: SampleApp, jobs: JobSchedulerInspector, workmanager: WorkManagerInspector):
    work_id = app.enqueue_work("periodic", kind="periodic", interval_ms=15 * 60_000)
    first = app.wait_for("finished", "periodic", timeout_s=60)  # the first period runs at once
    app.assert_no_event("started", "periodic", within_s=5, since=first.seq)
    job = _job_of(work_id, workmanager, jobs)
    assert job is not None and job.min_latency_ms and job.min_latency_ms > 10 * 60_000, job
    # Forcing WorkManager's job early does not run the worker: WorkerWrapper skips periodic
    # work "being executed before schedule" and schedules it again.
    jobs.force_run(PKG, job.job_id)
    app.assert_no_event("started", "periodic", within_s=4, since=first.seq)
    assert _job_of(work_id, workmanager, jobs) is not None


def test_force_run_runs_the_next_period_of_a_periodic_job_now(
        app: SampleApp, jobs: JobSchedulerInspector):
    app.schedule_job(1201, "every-15", periodic={"interval_ms": 15 * 60_000,
                                                 "flex_ms": 5 * 60_000})
    mark = app.last_seq()
    jobs.force_run(PKG, 1201)
    first = app.wait_for("finished", "every-15", timeout_s=60, since=mark)
    jobs.force_run(PKG, 1201)
    second = app.wait_for("finished", "every-15", timeout_s=60, since=first.seq)
    assert second.seq > first.seq


def test_chain_passes_output_to_the_next_worker(app: SampleApp):
    app.enqueue_chain("chain", steps=[
        {"name": "step-1", "behavior": {"output": {"token": "from-step-1"}}},
        {"name": "step-2"},
    ])
    second = app.wait_for("started", "step-2", timeout_s=60)
    assert second.detail.get("input", {}).get("token") == "from-step-1"


def test_retry_follows_the_backoff(app: SampleApp):
    app.enqueue_work("flaky", behavior={"result": "retry", "retries_before_success": 2},
                     backoff={"policy": "linear", "delay_ms": 10_000})
    done = app.wait_for("finished", "flaky", timeout_s=120)
    starts = [e for e in app.events(name="flaky") if e.event == "started"]
    assert len(starts) == 3
    # Linear backoff: attempt n waits n * 10 s after its predecessor was enqueued again.
    gaps = [b.elapsed_ms - a.elapsed_ms for a, b in itertools.pairwise(starts)]
    assert gaps[0] >= 10_000 and gaps[1] >= 20_000, gaps
    assert done.seq > starts[-1].seq


def test_database_agrees_with_the_event_log(app: SampleApp, workmanager: WorkManagerInspector):
    ids = {app.enqueue_work(f"db-{i}") for i in range(3)}
    for i in range(3):
        app.wait_for("finished", f"db-{i}", timeout_s=60)
    records = {w.id: w for w in workmanager.work()}
    for event in app.events(event="finished", source="workmanager"):
        work_id = event.detail.get("work_id")
        if work_id in ids:
            assert records[work_id].state == "SUCCEEDED"
            assert event.name in records[work_id].tags
    assert ids <= set(records)
