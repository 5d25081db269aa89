"""WorkManager in the sample app's model: periodic timing, chains, retries and back-off, unique
work, cancelling, constraints, expedited work and the JobScheduler jobs behind them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.apps.sample.wm import jobs as wm_jobs
from harness.virtual.apps.sample.wm.jobs import convert
from harness.virtual.apps.sample.wm.spec import WorkSpec
from harness.virtual.runner import DeviceLoop
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

ENQUEUED, RUNNING, SUCCEEDED, FAILED, BLOCKED, CANCELLED = range(6)


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


def state(b: SampleBench, work_id: str) -> int:
    return b.work(work_id)["state"]


# ---------------------------------------------------------------------------- periodic work
def test_periodic_work_runs_at_once_then_once_per_interval(bench):
    b = bench(rate=2000)
    work_id = b.ok("enqueue_work", name="tick", kind="periodic", interval_ms=60_000,
                   flex_ms=1_000)["work_id"]
    row = b.work(work_id)
    # WorkSpec.setPeriodic: at least 15 minutes, the flex between 5 minutes and the interval.
    assert (row["interval_duration"], row["flex_duration"]) == (15 * MINUTE, 5 * MINUTE)
    b.ok("cancel_work", id=work_id)

    work_id = b.ok("enqueue_work", name="hourly", kind="periodic")["work_id"]
    first = b.wait_event("started", "hourly")
    b.wait_event("finished", "hourly")
    b.wait_until(lambda: b.work(work_id)["period_count"] == 1, what="period 1")
    row = b.work(work_id)
    assert row["state"] == ENQUEUED and row["run_attempt_count"] == 0
    (job,) = b.wm_jobs(work_id)
    assert job.extras["EXTRA_IS_PERIODIC"] is True and not job.is_periodic
    # Each period is a fresh one-off job with the next period's latency, same job id.
    assert 14 * MINUTE < job.min_latency_ms <= 15 * MINUTE
    assert job.job_id == b.system_ids(work_id)[0]
    second = b.wait_event("started", "hourly", count=2, timeout_s=20)
    assert second.elapsed_ms - first.elapsed_ms >= 15 * MINUTE
    assert second.detail["run_attempt"] == 0
    b.wait_until(lambda: b.work(work_id)["period_count"] == 2, what="period 2")


def test_a_periodic_flex_delays_only_the_first_period(bench):
    b = bench(rate=2000)
    t0 = b.elapsed()
    work_id = b.ok("enqueue_work", name="flexed", kind="periodic", interval_ms=15 * MINUTE,
                   flex_ms=5 * MINUTE)["work_id"]
    (job,) = b.wm_jobs(work_id)
    assert 9 * MINUTE < job.min_latency_ms <= 10 * MINUTE
    first = b.wait_event("started", "flexed", timeout_s=20)
    assert first.elapsed_ms - t0 >= 10 * MINUTE
    b.wait_until(lambda: b.work(work_id)["period_count"] == 1, what="period 1")
    (job,) = b.wm_jobs(work_id)
    assert 14 * MINUTE < job.min_latency_ms <= 15 * MINUTE


def test_periodic_work_runs_through_its_job_when_the_process_is_gone(bench):
    b = bench(rate=2000)
    work_id = b.ok("enqueue_work", name="bg", kind="periodic")["work_id"]
    first = b.wait_event("finished", "bg")
    b.wait_until(lambda: b.work(work_id)["period_count"] == 1, what="period 1")
    b.wait_until(lambda: b.wm_jobs(work_id), what="next period's job")
    b.out(f"am kill {PKG}")  # the in-process timer dies with the process
    assert b.pid() is None
    # (Reading the events starts a new process for the provider; nothing in it initializes
    # WorkManager but SystemJobService, when JobScheduler starts the next period's job.)
    second = b.wait_event("started", "bg", count=2, timeout_s=20)
    assert second.pid != first.pid and second.elapsed_ms - first.elapsed_ms >= 14 * MINUTE
    b.wait_until(lambda: b.work(work_id)["period_count"] == 2, what="period 2")


# ---------------------------------------------------------------------------- chains
def test_a_chain_passes_each_output_on(bench):
    b = bench()
    ids = b.ok("enqueue_chain", name="pipe", steps=[
        {"name": "fetch", "input": {"url": "u"}, "behavior": {"duration_ms": 60_000,
                                                              "output": {"data": 1}}},
        {"input": {"mode": "fast"}, "behavior": {"output": {"parsed": True}}},
        {"name": "store", "behavior": {"output": {"stored": "yes"}}},
    ])["work_ids"]
    assert len(ids) == 3
    deps = {(r[0], r[1]) for r in b.wm_rows("SELECT work_spec_id, prerequisite_id "
                                            "FROM Dependency")}
    assert deps == {(ids[1], ids[0]), (ids[2], ids[1])}
    assert [state(b, i) for i in ids[1:]] == [BLOCKED, BLOCKED]
    assert b.work(ids[1])["last_enqueue_time"] == -1
    assert b.wm_jobs(ids[1]) == []  # blocked work gets no job
    enqueued = b.events(event="enqueued")
    assert [(e.name, e.detail["step"], e.detail["chain"]) for e in enqueued] == [
        ("fetch", 0, "pipe"), ("pipe.1", 1, "pipe"), ("store", 2, "pipe")]
    last = b.wait_event("finished", "store")
    middle = b.events(event="started", name="pipe.1")[0]
    # OverwritingInputMerger: the step's own input, then the prerequisite's output over it.
    assert middle.detail["input"] == {"mode": "fast", "url": "u", "data": 1}
    assert last.detail["output"] == {"url": "u", "data": 1, "mode": "fast", "parsed": True,
                                     "stored": "yes"}
    b.wait_until(lambda: [state(b, i) for i in ids] == [SUCCEEDED] * 3, what="all succeeded")
    tags = [r[0] for r in b.wm_rows("SELECT tag FROM WorkTag WHERE work_spec_id=?", ids[1])]
    assert tags[-1] == "pipe" and "harness.name:pipe.1" in tags


def test_a_failed_step_fails_the_rest_of_the_chain(bench):
    b = bench()
    ids = b.ok("enqueue_chain", name="broken", steps=[
        {"name": "s0"}, {"name": "s1", "behavior": {"result": "failure"}}, {"name": "s2"},
    ])["work_ids"]
    b.wait_event("failed", "s1")
    b.wait_until(lambda: [state(b, i) for i in ids] == [SUCCEEDED, FAILED, FAILED],
                 what="failed chain")
    assert not b.events(event="started", name="s2")


# ---------------------------------------------------------------------------- retries
def test_retry_backs_off_linearly(bench):
    b = bench(rate=500)
    work_id = b.ok("enqueue_work", name="flaky", behavior={"retries_before_success": 2},
                   backoff={"policy": "linear", "delay_ms": 10_000})["work_id"]
    done = b.wait_event("finished", "flaky", timeout_s=20)
    starts = b.events(event="started", name="flaky")
    retries = b.events(event="retry", name="flaky")
    assert [s.detail["run_attempt"] for s in starts] == [0, 1, 2]
    assert [r.detail["run_attempt"] for r in retries] == [0, 1]
    # LINEAR: 10 s after the first retry, 20 s after the second.
    assert starts[1].elapsed_ms - retries[0].elapsed_ms >= 10_000
    assert starts[2].elapsed_ms - retries[1].elapsed_ms >= 20_000
    assert done.detail["work_id"] == work_id
    b.wait_until(lambda: state(b, work_id) == SUCCEEDED, what="succeeded")
    assert b.work(work_id)["run_attempt_count"] == 3


def test_retry_backs_off_exponentially_and_the_job_says_so(bench):
    b = bench(rate=100)
    work_id = b.ok("enqueue_work", name="expo", behavior={"result": "retry"},
                   backoff={"policy": "exponential", "delay_ms": 10_000})["work_id"]
    b.wait_event("retry", "expo", count=2, timeout_s=20)
    b.wait_until(lambda: b.work(work_id)["run_attempt_count"] == 2
                 and b.work(work_id)["state"] == ENQUEUED, what="second back-off")
    row = b.work(work_id)
    assert row["stop_reason"] == -256
    (job,) = b.wm_jobs(work_id)
    # The job carries WorkManager's back-off: 10 s * 2^(2-1) after the last enqueue time.
    assert 15_000 < job.min_latency_ms <= 20_000
    starts = b.events(event="started", name="expo")
    retries = b.events(event="retry", name="expo")
    assert starts[1].elapsed_ms - retries[0].elapsed_ms >= 10_000
    b.ok("cancel_work", id=work_id)


def test_backoff_delays_are_clamped(bench):
    b = bench()
    low = b.ok("enqueue_work", name="low", delay_ms=MINUTE,
               backoff={"policy": "linear", "delay_ms": 1_000})["work_id"]
    high = b.ok("enqueue_work", name="high", delay_ms=MINUTE,
                backoff={"delay_ms": 10 * 3_600_000})["work_id"]
    default = b.ok("enqueue_work", name="default", delay_ms=MINUTE)["work_id"]
    assert b.work(low)["backoff_delay_duration"] == 10_000
    assert (b.work(high)["backoff_policy"], b.work(high)["backoff_delay_duration"]) == (
        0, 5 * 3_600_000)
    assert (b.work(default)["backoff_policy"], b.work(default)["backoff_delay_duration"]) == (
        0, 30_000)


# ---------------------------------------------------------------------------- unique work
def test_unique_keep_keeps_running_work(bench):
    b = bench()
    first = b.ok("enqueue_work", name="k1", behavior={"duration_ms": 10 * MINUTE},
                 unique={"name": "only", "policy": "keep"})["work_id"]
    b.wait_event("started", "k1")
    kept = b.ok("enqueue_work", name="k2", unique={"name": "only", "policy": "keep"})
    assert kept == {"ok": True, "work_id": first, "kept_existing": True,
                    "existing_work_ids": [first]}
    names = b.wm_rows("SELECT work_spec_id FROM WorkName WHERE name='only'")
    assert [r[0] for r in names] == [first]
    assert not b.events(event="enqueued", name="k2")


def test_unique_replace_cancels_and_deletes_the_old_work(bench):
    b = bench()
    old = b.ok("enqueue_work", name="r1", behavior={"duration_ms": 10 * MINUTE},
               unique={"name": "rep", "policy": "replace"})["work_id"]
    b.wait_event("started", "r1")
    new = b.ok("enqueue_work", name="r2", unique={"name": "rep", "policy": "replace"})["work_id"]
    stopped = b.wait_event("stopped", "r1")
    assert stopped.detail["stop_reason"] == "cancelled_by_app"
    assert stopped.detail["stop_reason_code"] == 1
    b.wait_event("finished", "r2")
    assert b.wm_rows("SELECT * FROM WorkSpec WHERE id=?", old) == []
    assert [r[0] for r in b.wm_rows("SELECT work_spec_id FROM WorkName")] == [new]
    assert not b.events(event="finished", name="r1")


def test_unique_append_waits_for_the_existing_work(bench):
    b = bench()
    first = b.ok("enqueue_work", name="a1", behavior={"duration_ms": 5_000},
                 unique={"name": "queue", "policy": "append"})["work_id"]
    second = b.ok("enqueue_work", name="a2", input={"x": 1},
                  unique={"name": "queue", "policy": "append"})["work_id"]
    assert state(b, second) == BLOCKED
    assert [tuple(r) for r in b.wm_rows("SELECT * FROM Dependency")] == [(second, first)]
    finished = b.wait_event("finished", "a2")
    assert b.events(event="finished", name="a1")[0].seq < finished.seq


def test_append_after_a_failure(bench):
    b = bench()
    failed = b.ok("enqueue_work", name="f", behavior={"result": "failure"},
                  unique={"name": "q", "policy": "append"})["work_id"]
    b.wait_until(lambda: state(b, failed) == FAILED, what="failed")
    # APPEND: the new work inherits the failure at once.
    doomed = b.ok("enqueue_work", name="g", unique={"name": "q", "policy": "append"})
    assert state(b, doomed["work_id"]) == FAILED
    # APPEND_OR_REPLACE: a failed or cancelled leaf starts a new chain instead.
    fresh = b.ok("enqueue_work", name="h",
                 unique={"name": "q", "policy": "append_or_replace"})["work_id"]
    b.wait_event("finished", "h")
    assert b.wm_rows("SELECT * FROM WorkSpec WHERE id=?", failed) == []
    assert b.wm_rows("SELECT * FROM Dependency WHERE work_spec_id=?", fresh) == []


def test_unique_update_changes_periodic_work_in_place(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="p", kind="periodic", delay_ms=60 * MINUTE,
                   unique={"name": "sync", "policy": "update"})["work_id"]
    (job,) = b.wm_jobs(work_id)
    old_job_id = job.job_id
    result = b.ok("enqueue_work", name="p", kind="periodic", delay_ms=60 * MINUTE,
                  interval_ms=30 * MINUTE, tags=["v2"],
                  unique={"name": "sync", "policy": "update"})
    assert result == {"ok": True, "work_id": work_id, "updated_existing": True,
                      "existing_work_ids": [work_id]}
    row = b.work(work_id)
    assert (row["generation"], row["interval_duration"]) == (1, 30 * MINUTE)
    (job,) = b.wm_jobs(work_id)
    assert job.extras["EXTRA_WORK_SPEC_GENERATION"] == 1 and job.job_id != old_job_id
    generations = [tuple(r) for r in b.wm_rows(
        "SELECT generation, system_id FROM SystemIdInfo WHERE work_spec_id=?", work_id)]
    assert generations == [(1, job.job_id)]
    assert "v2" in [r[0] for r in b.wm_rows("SELECT tag FROM WorkTag WHERE work_spec_id=?",
                                            work_id)]
    updated = b.events(event="enqueued", name="p")[-1]
    assert updated.detail == {"work_id": work_id, "kind": "periodic", "updated": True}
    # UPDATE cannot turn periodic work into one-time work: the operation fails.
    failure = b.call("enqueue_work", name="p2", kind="periodic",
                     unique={"name": "solo", "policy": "update"})
    assert failure["ok"] is True
    b.ok("enqueue_work", name="one", unique={"name": "one-time", "policy": "keep"},
         delay_ms=MINUTE)
    broken = b.call("enqueue_work", name="p3", kind="periodic",
                    unique={"name": "one-time", "policy": "update"})
    assert broken["error"] == "internal_error"
    assert broken["message"].startswith("java.lang.UnsupportedOperationException: Can't update")


# ---------------------------------------------------------------------------- cancelling
def test_cancel_by_id_stops_running_work_and_its_job(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="long", behavior={"duration_ms": 30 * MINUTE})["work_id"]
    b.wait_event("started", "long")
    assert b.ok("cancel_work", id=work_id) == {"ok": True, "cancelled": 1}
    stopped = b.wait_event("stopped", "long")
    assert stopped.detail == {"work_id": work_id, "run_attempt": 0,
                              "stop_reason": "cancelled_by_app", "stop_reason_code": 1}
    cancelled = b.wait_event("cancelled", "long")
    assert cancelled.detail == {"work_id": work_id} and cancelled.source == "workmanager"
    row = b.work(work_id)
    assert (row["state"], row["stop_reason"]) == (CANCELLED, 1)
    b.wait_until(lambda: not b.wm_jobs(work_id), what="job cancelled")
    assert b.ok("cancel_work", id=work_id)["cancelled"] == 0


def test_cancel_by_name_unique_and_all(bench):
    b = bench()
    a = b.ok("enqueue_work", name="tagged", delay_ms=MINUTE)["work_id"]
    b.ok("enqueue_work", name="other", delay_ms=MINUTE, tags=["tagged"])
    u = b.ok("enqueue_work", name="u", delay_ms=MINUTE,
             unique={"name": "uniq", "policy": "keep"})["work_id"]
    rest = b.ok("enqueue_work", name="rest", delay_ms=MINUTE)["work_id"]
    assert len(b.wm_jobs()) == 4
    assert b.ok("cancel_work", name="tagged")["cancelled"] == 2
    assert state(b, a) == CANCELLED
    assert sorted(e.name for e in b.events(event="cancelled")) == ["other", "tagged"]
    assert b.ok("cancel_work", unique="uniq")["cancelled"] == 1
    assert state(b, u) == CANCELLED
    assert b.ok("cancel_work", all=True)["cancelled"] == 1
    assert state(b, rest) == CANCELLED
    prefs = dict(tuple(r) for r in b.wm_rows("SELECT * FROM Preference"))
    assert prefs["last_cancel_all_time_ms"] > 0
    b.wait_until(lambda: not b.wm_jobs(), what="all jobs gone")


# ---------------------------------------------------------------------------- constraints
def test_unplugging_leaves_the_sticky_status_charging(bench):
    """``cmd battery unplug`` keeps the battery status CHARGING in ACTION_BATTERY_CHANGED, and
    WorkManager's in-process charging tracker reads that status when it starts: charging work
    enqueued afterwards runs in the app process while JobScheduler still holds its job back."""
    b = bench()
    b.unplug()
    work_id = b.ok("enqueue_work", name="quirk", constraints={"charging": True},
                   behavior={"duration_ms": 20 * MINUTE})["work_id"]
    started = b.wait_event("started", "quirk")
    assert started.charging is False  # BatteryManager.isCharging() knows better
    (job,) = b.wm_jobs(work_id)
    assert job.requires_charging
    assert b.dump().find(PKG, job.job_id)[0].unsatisfied.count("CHARGING") == 1


def test_constrained_work_waits_and_stops_with_the_constraint(bench):
    b = bench(rate=100)
    b.unplug()
    b.out("cmd battery set status 3")  # discharging, as a real unplugged battery reports
    work_id = b.ok("enqueue_work", name="plugged", constraints={"charging": True},
                   behavior={"duration_ms": 20 * MINUTE})["work_id"]
    b.wait_device_ms(2 * MINUTE)
    assert not b.events(event="started", name="plugged")
    b.plug()
    started = b.wait_event("started", "plugged")
    assert started.charging
    b.unplug()
    stopped = b.wait_event("stopped", "plugged")
    assert stopped.detail["stop_reason"] == "constraint_charging"
    assert stopped.detail["stop_reason_code"] == 6
    b.wait_until(lambda: state(b, work_id) == ENQUEUED, what="re-enqueued")
    row = b.work(work_id)
    assert (row["stop_reason"], row["run_attempt_count"]) == (6, 1)
    b.wait_until(lambda: b.wm_jobs(work_id), what="rescheduled job")
    b.plug()
    again = b.wait_event("started", "plugged", count=2, timeout_s=30)
    assert again.detail["run_attempt"] == 1


def test_device_idle_work_is_left_to_jobscheduler(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="idle", constraints={"device_idle": True})["work_id"]
    (job,) = b.wm_jobs(work_id)
    assert job.requires_device_idle and job.backoff_policy is None  # no back-off with idle
    b.wait_device_ms(MINUTE)
    assert not b.events(event="started", name="idle")


# ---------------------------------------------------------------------------- expedited work
def test_expedited_work_gets_an_expedited_job(bench):
    b = bench()
    b.unplug()
    work_id = b.ok("enqueue_work", name="fast", expedited=True, out_of_quota="drop",
                   constraints={"network": "connected", "charging": False},
                   behavior={"duration_ms": MINUTE})["work_id"]
    row = b.work(work_id)
    assert (row["run_in_foreground"], row["out_of_quota_policy"]) == (1, 1)
    (job,) = b.wm_jobs(work_id)
    assert job.expedited and not job.important_while_foreground and job.min_latency_ms is None
    b.ok("cancel_work", id=work_id)


def _spend_expedited_quota(b: SampleBench) -> None:
    """Run the app's own expedited jobs on battery until JobScheduler refuses one: the EJ quota
    (QuotaController, 30 min a day in the active bucket) is spent only off the charger."""
    b.unplug()
    for i in range(40):
        result = b.call("schedule_job", job_id=1001, name=f"ej-{i}", expedited=True,
                        behavior={"duration_ms": 2 * MINUTE})
        if result.get("scheduled") != "RESULT_SUCCESS":
            return
        b.wait_event("finished", f"ej-{i}", timeout_s=30)
    raise AssertionError("JobScheduler never refused an expedited job")


def test_out_of_quota_falls_back_or_drops(bench):
    b = bench(rate=5000, api_level=34)
    _spend_expedited_quota(b)
    fallback = b.ok("enqueue_work", name="fb", expedited=True, delay_ms=0,
                    constraints={"network": "connected"},
                    behavior={"duration_ms": 30 * MINUTE})["work_id"]
    (job,) = b.wm_jobs(fallback)
    assert not job.expedited and job.important_while_foreground
    dropped = b.ok("enqueue_work", name="dr", expedited=True, out_of_quota="drop",
                   behavior={"duration_ms": 30 * MINUTE})["work_id"]
    assert b.wm_jobs(dropped) == []  # no job; the database still holds the work
    assert b.work(dropped)["state"] in (ENQUEUED, RUNNING)
    assert "Unable to schedule work ID" in b.out("logcat -d -s WM-SystemJobScheduler")
    # While the process lives, the in-process scheduler runs it all the same.
    b.wait_event("started", "dr")


def test_convert_follows_the_api_level_rules():
    spec = WorkSpec("w", "C", last_enqueue_time=1_000)
    on_28 = convert(spec, 3, now_wall=1_000, api=28)
    assert on_28.min_latency_ms == 0 and not on_28.important_while_foreground
    on_29 = convert(spec, 3, now_wall=1_000, api=29)
    assert on_29.min_latency_ms is None and on_29.important_while_foreground
    spec.expedited = True
    on_31 = convert(spec, 3, now_wall=1_000, api=31)
    assert on_31.expedited and not on_31.important_while_foreground
    assert not convert(spec, 3, now_wall=1_000, api=30).expedited
    spec.run_attempt_count = 1  # a retry is never expedited
    assert not convert(spec, 3, now_wall=1_000, api=34).expedited
    delayed = WorkSpec("d", "C", last_enqueue_time=1_000, initial_delay=5_000)
    assert convert(delayed, 4, now_wall=2_000, api=34).min_latency_ms == 4_000
    assert wm_jobs.network_type(4, 26) == 4 and wm_jobs.network_type(3, 23) == 1
