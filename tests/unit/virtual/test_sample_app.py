"""The sample app's model: the control channel, the event log, and what one enqueue_work puts
into WorkManager's database and JobScheduler."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from harness.app import contract as c
from harness.virtual.apps.sample import methods
from harness.virtual.apps.sample.jsonargs import ok
from harness.virtual.apps.sample.wm import data as wm_data
from harness.virtual.apps.sample.wm.schema import IDENTITY_HASH, ROOM_VERSION
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.job_info import NETWORK_TYPE_UNMETERED
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

STATE_KEYS = ["deep_idle", "light_idle", "power_save", "standby_bucket", "charging", "network",
              "exact_alarm_allowed", "notifications_allowed", "ignoring_battery_optimizations",
              "background_restricted"]
SJS = "androidx.work.impl.background.systemjob.SystemJobService"


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


# ---------------------------------------------------------------------------- control channel
def test_ping_reports_the_app_and_the_device(bench):
    b = bench()
    result = b.ok("ping")
    assert result["contract_version"] == c.CONTRACT_VERSION == 1
    assert result["package"] == PKG
    assert (result["version_code"], result["api_level"], result["target_sdk"]) == (1, 34, 35)
    assert result["boot_count"] == 1
    assert result["pid"] == b.pid()
    assert 0 <= result["process_start_elapsed_ms"] <= b.elapsed()
    assert list(result["state"]) == STATE_KEYS
    assert result["state"]["standby_bucket"] == 10 and result["state"]["network"] == "wifi"
    # Android 14, target 35: the exact-alarm app op is denied until the harness allows it.
    assert result["state"]["exact_alarm_allowed"] is False
    b.out(f"cmd appops set --uid {PKG} SCHEDULE_EXACT_ALARM allow")
    assert b.ok("state")["state"]["exact_alarm_allowed"] is True


def test_the_result_is_one_bundle_key_with_org_json_text(bench):
    b = bench()
    out, err = b.call_raw("enqueue_work", '{"name":"a/b","delay_ms":600000}')
    assert err == ""
    assert out.startswith('Result: Bundle[{result={"ok":true,"work_id":"')
    out, _ = b.call_raw("enqueue_work", '{"name":1}')
    assert out == ('Result: Bundle[{result={"ok":false,"error":"bad_arguments","message":'
                   '"\'name\' must be a string, not an integer"}}]\n')
    # org.json escapes the slash (the detail as stored); JSON readers read it back.
    (row,) = b.event_rows("SELECT detail FROM events WHERE event='enqueued'")
    assert '"kind":"one_time"' in row[0]
    out, _ = b.call_raw("cancel_work", '{"name":"a/b"}')
    assert out == 'Result: Bundle[{result={"ok":true,"cancelled":1}}]\n'
    (row,) = b.event_rows("SELECT name FROM events WHERE event='cancelled'")
    assert row[0] == "a/b"


def test_unknown_and_unregistered_methods(bench, monkeypatch):
    b = bench()
    unknown = b.call("no_such_method")
    assert unknown["ok"] is False and unknown["error"] == "unknown_method"
    # A contract method nobody registered answers the same.
    monkeypatch.delitem(methods._METHODS, "schedule_alarm")
    assert b.call("schedule_alarm", name="x", delay_ms=1)["error"] == "unknown_method"
    # ... until a module registers it.
    monkeypatch.setitem(methods._METHODS, "cancel_alarm",
                        lambda app, args: ok(cancelled=0, name=args.string("name")))
    assert b.ok("cancel_alarm", name="x") == {"ok": True, "cancelled": 0, "name": "x"}
    with pytest.raises(ValueError):
        methods.register("not_in_the_contract")


@pytest.mark.parametrize(("method", "args", "message"), [
    ("enqueue_work", {}, "'name' is required (a string)"),
    ("enqueue_work", {"name": "w", "kind": "daily"},
     "'kind' must be one of one_time, periodic, not 'daily'"),
    ("enqueue_work", {"name": "w", "input": {"k": {"x": 1}}},
     "input 'k' must be a string, number or boolean"),
    ("enqueue_work", {"name": "w", "input": {"harness.name": "x"}},
     "input key 'harness.name' is reserved (harness.*)"),
    ("enqueue_work", {"name": "w", "delay_ms": -1}, "'delay_ms' must not be negative, not -1"),
    ("enqueue_work", {"name": "w", "constraints": {"network": "wifi"}},
     "'network' must be one of not_required, connected, unmetered, not_roaming, metered, "
     "not 'wifi'"),
    ("enqueue_work", {"name": "w", "expedited": True, "constraints": {"charging": True}},
     "Expedited jobs only support network and storage constraints"),
    ("enqueue_work", {"name": "w", "expedited": True, "delay_ms": 5},
     "Expedited jobs cannot be delayed"),
    ("enqueue_work", {"name": "w", "kind": "periodic", "expedited": True},
     "PeriodicWorkRequests cannot be expedited"),
    ("enqueue_work", {"name": "w", "constraints": {"device_idle": True},
                      "backoff": {"policy": "linear"}},
     "Cannot set backoff criteria on an idle mode job"),
    ("enqueue_work", {"name": "w", "unique": {"name": "u", "policy": "update"}},
     "unique policy 'update' is only for periodic work"),
    ("enqueue_work", {"name": "w", "unique": {"name": "u"}}, "'policy' is required"),
    ("enqueue_work", {"name": "w", "behavior": {"retries_before_success": -2}},
     "'retries_before_success' must not be negative"),
    ("enqueue_work", {"name": "w", "foreground": {"type": "camera"}},
     "foreground 'type' must be one of dataSync, specialUse, shortService, not 'camera'"),
    ("enqueue_chain", {"name": "ch"}, "'steps' is required (a list of objects)"),
    ("enqueue_chain", {"name": "ch", "steps": []}, "'steps' must hold at least one step"),
    ("enqueue_chain", {"name": "ch", "steps": [{"kind": "periodic"}]},
     "step 0: a chain holds one-time work only"),
    ("cancel_work", {}, "give one of 'id', 'name', 'unique' or 'all': true"),
    ("cancel_work", {"id": "nope"}, "'id' is not a work id (UUID): nope"),
    ("schedule_job", {"job_id": 5},
     "'job_id' must be in 1000..1999 (ids up to 999 belong to WorkManager), not 5"),
    ("schedule_job", {"job_id": 1000, "persisted": "yes"},
     "'persisted' must be true or false, not a string"),
    ("cancel_job", {}, "give 'job_id' or 'all': true"),
    ("start_inprocess_work", {"name": "p", "duration_ms": 1.5},
     "'duration_ms' must be an integer, not 1.5"),
])
def test_bad_arguments(bench, method, args, message):
    b = bench()
    result = b.call(method, **args)
    assert result == {"ok": False, "error": "bad_arguments", "message": message}


def test_an_argument_that_is_no_json_object(bench):
    b = bench()
    out, _ = b.call_raw("ping", "[1]")
    result = json.loads(out.strip()[len("Result: Bundle[{result="):-2])
    assert result["error"] == "bad_arguments"
    assert result["message"].startswith("the argument is not a JSON object")


def test_only_dump_holders_reach_the_provider(bench):
    b = bench()
    out, err, _rc = b.sh(f"content call --uri {c.CONTROL_URI} --method ping", uid=10_500)
    assert out == "" and "java.lang.SecurityException" in err and c.GUARD_PERMISSION in err


# ---------------------------------------------------------------------------- event log
def test_events_record_the_device_state(bench):
    b = bench(rate=200)
    b.unplug()
    b.out("svc wifi disable")
    b.ok("start_inprocess_work", name="on-battery")
    first = b.wait_event("started", "on-battery")
    assert (first.charging, first.network, first.source) == (False, "cellular", "inprocess")
    assert (first.standby_bucket, first.boot_count, first.pid) == (10, 1, b.pid())
    assert first.detail == {"delay_ms": 0, "duration_ms": 0}
    b.out("cmd deviceidle force-idle deep")
    b.out("cmd power set-mode 1")
    b.ok("start_inprocess_work", name="dozing")
    dozing = b.wait_event("started", "dozing")
    assert dozing.deep_idle and dozing.power_save
    b.out("cmd deviceidle unforce")
    b.out("cmd power set-mode 0")
    b.plug()
    b.out("svc wifi enable")
    b.wait_until(lambda: b.ok("state")["state"]["charging"], what="charging")
    b.ok("start_inprocess_work", name="plugged")
    plugged = b.wait_event("started", "plugged")
    assert plugged.charging and plugged.network == "wifi" and not plugged.deep_idle
    seqs = [e.seq for e in b.events()]
    assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))
    assert b.events()[0].event == "process_start" and b.events()[0].source == "app"


def test_events_query_honours_seq_after_and_refuses_other_selections(bench):
    b = bench()
    for name in ("a", "b", "c"):
        b.ok("start_inprocess_work", name=name)
        b.wait_event("finished", name)
    everything = b.events()
    later = b.events(since=everything[2].seq)
    assert [e.seq for e in later] == [e.seq for e in everything[3:]]
    out, err, rc = b.sh(f"content query --uri {c.EVENTS_URI} --where 'name=\"a\"'")
    assert rc == 0 and out == ""
    assert f"Error while accessing provider:{c.AUTHORITY}" in err
    assert "java.lang.IllegalArgumentException: unsupported selection" in err and "seq>N" in err
    _, err, _ = b.sh(f"content query --uri {c.CONTROL_URI}/nothing")
    assert "unknown URI" in err
    out = b.out(f"content query --uri {c.EVENTS_URI} --projection seq:event --where 'seq>0'")
    assert out.splitlines()[0] == "Row: 0 seq=1, event=process_start"
    out = b.out(f"content query --uri {c.EVENTS_URI} --where 'seq>100000'")
    assert out == "No result found.\n"


def test_events_are_mirrored_to_logcat_as_json(bench):
    b = bench()
    b.ok("start_inprocess_work", name="mirror", duration_ms=5)
    finished = b.wait_event("finished", "mirror")
    lines = [line.split("HarnessSample: ", 1)[1]
             for line in b.out("logcat -d -s HarnessSample").splitlines()
             if "HarnessSample: {" in line]
    logged = [json.loads(line) for line in lines]
    assert [x["seq"] for x in logged] == [e.seq for e in b.events()]
    last = logged[-1]
    assert list(last) == list(c.EVENT_COLUMNS)
    assert last["seq"] == finished.seq and last["detail"] == {"duration_ms": 5}


def test_the_event_log_is_a_sqlite_database_in_the_data_directory(bench):
    b = bench()
    listing = b.out(f"run-as {PKG} ls databases")
    assert "harness_events.db" in listing.split()
    _, err, rc = b.sh(f"cat /data/data/{PKG}/{c.EVENT_DATABASE}")
    assert rc != 0 and "Permission denied" in err
    columns = [r[1] for r in b.event_rows("PRAGMA table_info(events)")]
    assert columns == list(c.EVENT_COLUMNS)
    rows = b.event_rows("SELECT seq, event FROM events ORDER BY seq")
    assert tuple(rows[0]) == (1, "process_start")


def test_main_activity_shows_the_last_events(bench):
    b = bench()
    b.ok("start_inprocess_work", name="shown")
    b.wait_event("finished", "shown")
    b.launch()
    nodes = b.run(lambda: b.am.app_of(PKG).ui_nodes(c.MAIN_ACTIVITY))
    texts = [n.text for n in nodes]
    assert texts[0] == "Last events (newest first)"
    assert texts[1].startswith("#") and "inprocess/finished shown" in texts[1]
    assert b.run(lambda: b.am.app_of(PKG).ui_nodes("other.Activity")) == []


# ---------------------------------------------------------------------------- enqueue_work
def test_enqueue_work_fills_the_workmanager_database(bench):
    b = bench()
    before = b.run(b.dev.clock.wall_ms)
    b.unplug()
    result = b.ok("enqueue_work", name="sync", delay_ms=10 * MINUTE, tags=["extra"],
                  input={"user": "u1", "n": 7, "f": 1.5, "on": True},
                  constraints={"charging": True, "network": "unmetered"},
                  backoff={"policy": "linear", "delay_ms": 20_000})
    work_id = result["work_id"]
    row = b.work(work_id)
    assert row["state"] == 0 and row["worker_class_name"] == "dev.harness.sample.SampleWorker"
    assert row["input_merger_class_name"] == "androidx.work.OverwritingInputMerger"
    assert (row["initial_delay"], row["interval_duration"], row["flex_duration"]) == (
        10 * MINUTE, 0, 0)
    assert (row["backoff_policy"], row["backoff_delay_duration"]) == (1, 20_000)
    assert (row["requires_charging"], row["required_network_type"]) == (1, 2)
    assert (row["requires_device_idle"], row["requires_battery_not_low"]) == (0, 0)
    assert (row["run_attempt_count"], row["period_count"], row["generation"]) == (0, 0, 0)
    assert (row["run_in_foreground"], row["out_of_quota_policy"]) == (0, 0)
    assert row["stop_reason"] == -256 and row["next_schedule_time_override"] == 2**63 - 1
    assert before <= row["last_enqueue_time"] <= b.run(b.dev.clock.wall_ms)
    assert row["schedule_requested_at"] >= row["last_enqueue_time"]
    assert bytes(row["content_uri_triggers"]) == b""
    assert wm_data.decode(bytes(row["input"])) == {
        "user": "u1", "n": 7, "f": 1.5, "on": True, "harness.name": "sync",
        "harness.kind": "one_time"}
    tags = [r[0] for r in b.wm_rows("SELECT tag FROM WorkTag WHERE work_spec_id=?", work_id)]
    assert tags == ["dev.harness.sample.SampleWorker", "sync", "harness.name:sync", "extra"]
    assert b.system_ids(work_id) == [0]
    prefs = dict(tuple(r) for r in b.wm_rows("SELECT * FROM Preference"))
    assert prefs["next_job_scheduler_id"] == 1
    assert [tuple(r) for r in b.wm_rows("SELECT * FROM room_master_table")] == [
        (42, IDENTITY_HASH)]
    assert b.wm_rows("PRAGMA user_version")[0][0] == ROOM_VERSION
    assert b.wm_rows("PRAGMA journal_mode")[0][0] == "wal"
    # The WAL file beside the database, readable through run-as as the inspector reads it.
    assert "androidx.work.workdb-wal" in b.out(f"run-as {PKG} ls no_backup").split()
    # One JobScheduler job for SystemJobService, never persisted.
    (job,) = b.wm_jobs(work_id)
    assert job.job_id == 0 and job.service == SJS and job.persisted is False
    assert job.extras == {"EXTRA_WORK_SPEC_ID": work_id, "EXTRA_WORK_SPEC_GENERATION": 0,
                          "EXTRA_IS_PERIODIC": False}
    assert job.requires_charging and job.network_type == NETWORK_TYPE_UNMETERED
    assert 9 * MINUTE < job.min_latency_ms <= 10 * MINUTE
    assert job.important_while_foreground is False and job.expedited is False
    assert (job.backoff_policy, job.initial_backoff_ms) == (0, 20_000)  # JobInfo LINEAR = 0
    (dumped,) = b.dump().find(PKG, 0)
    assert dumped.service.endswith("/androidx.work.impl.background.systemjob.SystemJobService")
    assert not dumped.persisted and "CHARGING" in dumped.required
    assert "TIMING_DELAY" in dumped.required and "CONNECTIVITY" in dumped.required
    enqueued = b.wait_event("enqueued", "sync")
    assert enqueued.detail == {"work_id": work_id, "kind": "one_time"}
    assert not b.events(event="started")


def test_due_unconstrained_work_runs_at_once_and_its_job_goes(bench):
    b = bench()
    work_id = b.ok("enqueue_work", name="now", input={"k": "v"},
                   behavior={"output": {"n": 2, "obj": {"a": [1]}}})["work_id"]
    finished = b.wait_event("finished", "now")
    assert finished.detail == {"work_id": work_id,
                               "output": {"k": "v", "n": 2, "obj": '{"a":[1]}'}}
    started = b.events(event="started", name="now")[0]
    assert started.detail == {"work_id": work_id, "run_attempt": 0, "input": {"k": "v"},
                              "kind": "one_time"}
    b.wait_until(lambda: b.work(work_id)["state"] == 2, what="SUCCEEDED")
    row = b.work(work_id)
    assert row["run_attempt_count"] == 1 and row["stop_reason"] == -256
    assert wm_data.decode(bytes(row["output"])) == {"k": "v", "n": 2, "obj": '{"a":[1]}'}
    b.wait_until(lambda: not b.wm_jobs(work_id), what="the job to go")
    log = b.out("logcat -d -s WM-WorkerWrapper")
    assert f"Worker result SUCCESS for Work [ id={work_id}, tags={{ " in log


def test_workmanager_initializes_with_the_process(bench):
    b = bench()
    # SampleApp.onCreate calls WorkManager.getInstance: the process that ping started has
    # WorkManager and its database already.
    assert b.run(lambda: b.am.app_of(PKG).work_manager_running)
    assert b.out(f"run-as {PKG} ls no_backup/androidx.work.workdb").strip()


def test_job_ids_come_from_the_range_and_wrap_to_minus_one(bench):
    b = bench()
    b.ok("cancel_work", all=True)
    store = b.run(lambda: b.am.app_of(PKG).work_manager().store)
    b.run(lambda: store.set_preference("next_job_scheduler_id", 999))
    ids = []
    for i in range(3):
        work_id = b.ok("enqueue_work", name=f"w{i}", delay_ms=60 * MINUTE)["work_id"]
        ids.append(b.system_ids(work_id)[0])
    assert ids == [999, -1, 0]
    assert sorted(j.job_id for j in b.wm_jobs()) == [-1, 0, 999]


def test_the_stand_in_carries_what_the_manifest_merger_adds_from_work_runtime():
    from harness.apk.manifest import parse_manifest_xml
    from harness.app.standin import standin_manifest

    manifest = parse_manifest_xml(standin_manifest())
    wm = "androidx.work.impl"
    job_service = manifest.component(f"{wm}.background.systemjob.SystemJobService")
    assert job_service is not None and job_service.enabled and job_service.exported
    assert job_service.permission == "android.permission.BIND_JOB_SERVICE"
    reschedule = manifest.component(f"{wm}.background.systemalarm.RescheduleReceiver")
    assert reschedule is not None and reschedule.enabled is False
    diagnostics = manifest.component(f"{wm}.diagnostics.DiagnosticsReceiver")
    assert diagnostics is not None and diagnostics.permission == "android.permission.DUMP"
    assert diagnostics.exported
    assert diagnostics.handles("androidx.work.diagnostics.REQUEST_DIAGNOSTICS")
    alarm_service = manifest.component(f"{wm}.background.systemalarm.SystemAlarmService")
    assert alarm_service is not None and alarm_service.enabled is False
    # The app's own declaration of SystemForegroundService keeps its types, gains the rest.
    foreground = manifest.component(f"{wm}.foreground.SystemForegroundService")
    assert foreground is not None and foreground.exported is False
    startup = manifest.provider_for_authority(f"{PKG}.androidx-startup")
    assert startup is not None and not startup.meta_data  # WorkManagerInitializer removed
