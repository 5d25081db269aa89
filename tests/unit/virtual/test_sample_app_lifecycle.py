"""The sample app's model across its process's life: the app's own jobs, in-process work,
reset, reboots, force-stops, processes dying mid-run, and WorkManager's diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.android import workmanager_diag
from harness.virtual.runner import DeviceLoop
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

ENQUEUED, RUNNING, SUCCEEDED = 0, 1, 2
RESCHEDULE = "androidx.work.impl.background.systemalarm.RescheduleReceiver"
JOB_SERVICE = "dev.harness.sample.SampleJobService"


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


# ---------------------------------------------------------------------------- the app's jobs
def test_schedule_job_runs_sample_job_service(bench):
    b = bench()
    result = b.ok("schedule_job", job_id=1001, name="sync", behavior={"duration_ms": 5_000})
    assert result == {"ok": True, "scheduled": "RESULT_SUCCESS", "expedited": False,
                      "expedited_requested": False}
    scheduled = b.events(event="scheduled")[0]
    assert (scheduled.source, scheduled.name) == ("jobscheduler", "sync")
    assert scheduled.detail == {"job_id": 1001, "persisted": False, "expedited": False}
    started = b.wait_event("started", "sync")
    assert started.detail == {"job_id": 1001, "expedited": False, "duration_ms": 5_000}
    finished = b.wait_event("finished", "sync")
    assert finished.detail == {"job_id": 1001, "reschedule": False}
    assert finished.elapsed_ms - started.elapsed_ms >= 5_000
    b.wait_until(lambda: not b.jobs(), what="the job to finish")


def test_schedule_job_options_reach_jobscheduler(bench):
    b = bench()
    b.ok("schedule_job", job_id=1002, persisted=True, min_latency_ms=30 * MINUTE,
         deadline_ms=60 * MINUTE, constraints={"charging": True, "network": "metered"},
         behavior={"reschedule": True})
    b.ok("schedule_job", job_id=1003, periodic={"interval_ms": 60 * MINUTE})
    b.ok("schedule_job", job_id=1004, expedited=True)
    jobs = {j.job_id: j for j in b.jobs()}
    first = jobs[1002]
    assert first.service == JOB_SERVICE and first.persisted
    assert (first.min_latency_ms, first.override_deadline_ms) == (30 * MINUTE, 60 * MINUTE)
    assert first.requires_charging and first.network_type == 4
    assert first.extras == {"harness.name": "job-1002", "harness.duration_ms": 0,
                            "harness.reschedule": True}
    assert jobs[1003].is_periodic and jobs[1003].period_ms == 60 * MINUTE
    b.wait_event("started", "job-1004")
    assert b.events(event="started", name="job-1004")[0].detail["expedited"] is True
    refused = b.call("schedule_job", job_id=1005, periodic={"interval_ms": MINUTE},
                     min_latency_ms=5)
    assert refused["error"] == "illegal_argument"
    assert "periodic job" in refused["message"]
    failed = b.events(event="schedule_failed")[0]
    assert failed.detail["error"] == "illegal_argument" and failed.detail["job_id"] == 1005


def test_cancel_job_and_the_rescheduling_job(bench):
    b = bench()
    b.ok("schedule_job", job_id=1010, name="again", behavior={"reschedule": True})
    b.wait_event("finished", "again")
    # jobFinished(params, true): JobScheduler keeps the job, backed off.
    b.wait_until(lambda: [j.job_id for j in b.jobs()] == [1010], what="rescheduled job")
    b.ok("schedule_job", job_id=1011, min_latency_ms=60 * MINUTE)
    b.ok("enqueue_work", name="wm", delay_ms=60 * MINUTE)
    assert b.ok("cancel_job", job_id=1010) == {"ok": True, "cancelled": 1}
    assert b.ok("cancel_job", job_id=1010)["cancelled"] == 0
    assert b.ok("cancel_job", job_id=0)["cancelled"] == 0  # WorkManager's job is not the app's
    assert b.ok("cancel_job", all=True)["cancelled"] == 1
    assert [e.detail["job_id"] for e in b.events(event="cancelled", source="jobscheduler")] \
        == [1010, 1011]
    assert len(b.wm_jobs()) == 1


def test_a_stopped_job_records_the_stop_reason(bench):
    b = bench()
    b.unplug()
    b.out("cmd battery set status 3")
    b.ok("schedule_job", job_id=1020, name="charger", constraints={"charging": True},
         behavior={"duration_ms": 30 * MINUTE})
    b.plug()
    b.wait_event("started", "charger")
    b.unplug()
    stopped = b.wait_event("stopped", "charger")
    assert stopped.detail == {"job_id": 1020, "stop_reason": "constraint_charging",
                              "stop_reason_code": 6}
    # onStopJob returned true: the job stays, with its back-off.
    assert [j.job_id for j in b.jobs()] == [1020]
    assert not b.events(event="finished", name="charger")


# ---------------------------------------------------------------------------- in-process work
def test_inprocess_work_lives_and_dies_with_the_process(bench):
    b = bench(rate=5000)
    b.ok("start_inprocess_work", name="short", delay_ms=1_000, duration_ms=2_000)
    started = b.wait_event("started", "short")
    finished = b.wait_event("finished", "short")
    assert started.detail == {"delay_ms": 1_000, "duration_ms": 2_000}
    assert finished.elapsed_ms - started.elapsed_ms >= 2_000
    b.ok("start_inprocess_work", name="long", duration_ms=60 * MINUTE)
    b.ok("start_inprocess_work", name="later", delay_ms=60 * MINUTE)
    b.wait_event("started", "long")
    b.out(f"am kill {PKG}")
    assert b.pid() is None
    b.wait_device_ms(2 * MINUTE)
    b.ok("ping")  # a new process: nothing of the old one's work comes back
    b.wait_device_ms(60 * MINUTE + MINUTE)
    assert not b.events(event="finished", name="long")
    assert not b.events(event="started", name="later")


def test_the_same_name_replaces_the_running_task(bench):
    b = bench(rate=2000)
    b.ok("start_inprocess_work", name="x", duration_ms=10 * MINUTE)
    b.wait_event("started", "x")
    b.ok("start_inprocess_work", name="x", duration_ms=1_000)
    b.wait_event("finished", "x")
    b.wait_device_ms(11 * MINUTE)
    assert [e.detail["duration_ms"] for e in b.events(event="finished", name="x")] == [1_000]


# ---------------------------------------------------------------------------- reset
def test_reset_cancels_everything_and_counts_per_kind(bench):
    b = bench()
    b.ok("enqueue_work", name="w1", delay_ms=60 * MINUTE)
    b.ok("enqueue_work", name="w2", behavior={"duration_ms": 60 * MINUTE})
    b.ok("schedule_job", job_id=1100, min_latency_ms=60 * MINUTE)
    b.ok("start_inprocess_work", name="p", delay_ms=60 * MINUTE)
    b.wait_event("started", "w2")
    result = b.ok("reset")
    assert result == {"ok": True, "work": 2, "jobs": 1, "alarms": 0, "services": 0,
                      "inprocess": 1}
    b.wait_until(lambda: not b.jobs(), what="no jobs")
    assert b.ok("reset") == {"ok": True, "work": 0, "jobs": 0, "alarms": 0, "services": 0,
                             "inprocess": 0}



def test_reset_prunes_finished_work_so_a_new_process_leaves_work_to_jobscheduler(bench):
    b = bench(rate=100, api_level=34)
    done = b.ok("enqueue_work", name="done")["work_id"]
    b.wait_event("finished", "done")
    b.wait_until(lambda: b.work(done)["state"] == SUCCEEDED, what="work done")
    # Its job ended before WorkManager cancelled it, so its SystemIdInfo row stays behind.
    assert [r["work_spec_id"] for r in b.wm_rows("SELECT work_spec_id FROM SystemIdInfo")] \
        == [done]
    b.ok("reset")
    assert b.wm_rows("SELECT id FROM workspec") == []
    assert b.wm_rows("SELECT * FROM SystemIdInfo") == []
    # Deep Doze, then work whose process dies: only JobScheduler may run it, and it may not
    # until a maintenance window. A leftover row would make the new process reconcile and
    # run the work in-process.
    b.unplug()
    b.out("input keyevent KEYCODE_SLEEP")
    b.out("cmd deviceidle force-idle deep")
    b.ok("enqueue_work", name="later", delay_ms=2_000)
    pid = b.pid()
    b.out(f"run-as {PKG} kill -9 {pid}")
    b.ok("ping")
    assert b.pid() not in (None, pid)
    b.wait_device_ms(10 * MINUTE)
    assert not b.events(event="started", name="later")
    b.out("cmd deviceidle step deep")  # IDLE -> IDLE_MAINTENANCE
    b.wait_event("started", "later")


# ---------------------------------------------------------------------------- reboots
def test_reboot_reschedules_work_after_boot_completed(bench):
    b = bench()
    delayed = b.ok("enqueue_work", name="delayed", delay_ms=60 * MINUTE)["work_id"]
    running = b.ok("enqueue_work", name="running",
                   behavior={"duration_ms": 60 * MINUTE})["work_id"]
    assert b.system_ids(running)
    b.ok("schedule_job", job_id=1200, name="kept", persisted=True, min_latency_ms=60 * MINUTE)
    b.ok("schedule_job", job_id=1201, name="lost", min_latency_ms=60 * MINUTE)
    b.ok("start_inprocess_work", name="gone", duration_ms=60 * MINUTE)
    b.wait_event("started", "running")
    b.wait_event("started", "gone")
    job_id = b.system_ids(delayed)[0]
    before = b.events()[-1].seq
    b.wait_device_ms(3_000)  # JobStore writes persisted jobs 2 s after a change
    b.reboot()
    # WorkManager's jobs were never persisted; BOOT_COMPLETED brought the app up and its
    # RescheduleReceiver initialized WorkManager, which scheduled them again.
    after = b.events(since=before)
    assert [(e.event, e.boot_count) for e in after[:2]] == [
        ("process_start", 2), ("boot_completed", 2)]
    assert after[1].detail == {"reregistered_alarms": 0}
    b.wait_until(lambda: b.wm_jobs(delayed), what="WorkManager's job back")
    assert b.wm_jobs(delayed)[0].job_id == job_id  # SystemIdInfo kept the id
    app_jobs = [j.job_id for j in b.jobs() if j.service.endswith("SampleJobService")]
    assert app_jobs == [1200]
    # The worker that was running when the process died: ENQUEUED again, then run again.
    rerun = b.wait_event("started", "running", count=2)
    assert (rerun.boot_count, rerun.detail["run_attempt"]) == (2, 1)
    assert not b.events(event="finished", name="gone")
    assert not b.events(since=before, name="gone")


def test_work_stays_running_in_the_database_until_workmanager_starts(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="cut", behavior={"duration_ms": 60 * MINUTE})["work_id"]
    b.wait_event("started", "cut")
    b.out(f"am force-stop {PKG}")
    # The process died mid-run: the database still says RUNNING, and the force-stop took
    # every job of the app.
    assert b.work(work_id)["state"] == RUNNING
    assert b.jobs() == []
    # The app runs again: SampleApp.onCreate initializes WorkManager, whose ForceStopRunnable
    # puts the work back to ENQUEUED and reschedules it.
    b.ok("ping")
    row = b.work(work_id)
    assert row["state"] in (ENQUEUED, RUNNING) and row["stop_reason"] in (-512, -256)
    b.wait_until(lambda: b.wm_jobs(work_id), what="rescheduled after the force-stop")
    b.wait_event("started", "cut", count=2)


def test_a_force_stopped_app_gets_no_boot_completed(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="held", delay_ms=60 * MINUTE)["work_id"]
    before = b.events()[-1].seq  # (reading the events starts the app: read them first)
    b.out(f"am force-stop {PKG}")
    b.reboot()
    # Stopped packages get no BOOT_COMPLETED: no process, no WorkManager, no job.
    assert b.pid() is None and b.wm_jobs() == []
    b.ok("ping")  # the next process initializes WorkManager, which schedules the work again
    assert [e.event for e in b.events(since=before)] == ["process_start"]
    b.wait_until(lambda: b.wm_jobs(work_id), what="the job after WorkManager started")


def test_reboot_without_unfinished_work_leaves_reschedule_receiver_disabled(bench):
    b = bench()
    b.ok("enqueue_work", name="done")
    b.wait_event("finished", "done")
    b.wait_until(lambda: not b.wm_jobs(), what="no jobs")
    # WorkManager's UnfinishedWorkListener turns RescheduleReceiver off with the last work.
    b.wait_until(lambda: not b.run(lambda: b.pm.is_component_enabled(PKG, RESCHEDULE)),
                 what="RescheduleReceiver disabled")
    b.reboot()
    b.wait_event("boot_completed", timeout_s=10)
    # BootReceiver started the process (and with it WorkManager); RescheduleReceiver got nothing.
    assert not b.run(lambda: b.pm.is_component_enabled(PKG, RESCHEDULE))
    assert b.run(lambda: b.am.app_of(PKG).work_manager_running)


# ---------------------------------------------------------------------------- diagnostics
def test_the_diagnostics_broadcast_logs_workmanagers_tables(bench):
    b = bench()
    done = b.ok("enqueue_work", name="done")["work_id"]
    b.wait_event("finished", "done")
    waiting = b.ok("enqueue_work", name="waiting", delay_ms=60 * MINUTE,
                   unique={"name": "uniq", "policy": "keep"})["work_id"]
    out = b.out(f"am broadcast -a androidx.work.diagnostics.REQUEST_DIAGNOSTICS -p {PKG}")
    assert "Broadcast completed: result=0" in out
    b.wait_until(lambda: "Enqueued work:" in b.out("logcat -d -s WM-DiagnosticsWrkr"),
                 what="the diagnostics")
    text = b.out("logcat -d -v threadtime")
    diag = workmanager_diag.parse(text)
    assert diag.id_column == "Job Id"
    assert diag.sections == ["recently_completed", "running", "enqueued"]
    item = diag.by_id(waiting)
    assert item is not None and item.section == "enqueued" and item.state == "ENQUEUED"
    assert item.class_name == "dev.harness.sample.SampleWorker"
    assert item.job_id == b.system_ids(waiting)[0]
    assert item.unique_names == ["uniq"]
    assert item.tags == ["dev.harness.sample.SampleWorker", "waiting", "harness.name:waiting"]
    completed = diag.by_id(done)
    assert completed is not None and completed.state == "SUCCEEDED"
    (worker,) = diag.in_section("running")
    assert worker.class_name == "androidx.work.impl.workers.DiagnosticsWorker"
    assert worker.tags == ["androidx.work.impl.workers.DiagnosticsWorker"]


# ---------------------------------------------------------------------------- API levels
@pytest.mark.parametrize("api", [26, 28, 30])
def test_before_android_12_stop_reasons_are_unknown(bench, api):
    b = bench(api_level=api)
    b.unplug()
    b.out("cmd battery set status 3")
    work_id = b.ok("enqueue_work", name="w", constraints={"charging": True},
                   behavior={"duration_ms": 30 * MINUTE})["work_id"]
    b.ok("schedule_job", job_id=1300, name="j", constraints={"charging": True},
         behavior={"duration_ms": 30 * MINUTE}, expedited=True)
    (job,) = b.wm_jobs(work_id)
    # API <= 28: always a minimum latency ("Jobs needed at least one constraint"); 29+: only
    # when delayed, important while foreground otherwise.
    assert job.min_latency_ms == (0 if api <= 28 else None)
    assert job.important_while_foreground is (api >= 29)
    ping = b.ok("ping")
    assert ping["api_level"] == api
    assert ping["state"]["standby_bucket"] == (10 if api >= 28 else 0)
    assert b.events(event="scheduled", name="j")[0].detail["expedited"] is False
    b.plug()
    b.wait_event("started", "w")
    b.wait_event("started", "j")
    b.unplug()
    for name in ("w", "j"):
        stopped = b.wait_event("stopped", name)
        assert (stopped.detail["stop_reason"], stopped.detail["stop_reason_code"]) == (
            "unknown", -512)
