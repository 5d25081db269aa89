"""The harness's sample app driver against a virtual device, through the real adb server: install
the stand-in, prepare, enqueue work, wait for it, read the events, inspect WorkManager's
database through run-as, ask for WorkManager's diagnostics, restore."""

from __future__ import annotations

from harness.android import workmanager_diag
from harness.app import contract as c
from harness.app.sample import SampleApp
from harness.device import Device
from harness.inspect.workmanager import WorkManagerInspector


def test_driver_works_the_app_and_the_database_agrees(fresh_farm, adb_server):
    device = Device(fresh_farm.serials[0], adb_server.address)
    app = SampleApp(device)
    assert app.installed_version() is None
    app.prepare()  # installs the stand-in, pings, grants, un-whitelists, marks the log
    assert app.installed_version() == 1
    state = app.state()
    assert state["exact_alarm_allowed"] is True and state["notifications_allowed"] is True
    assert state["ignoring_battery_optimizations"] is False

    once = [app.enqueue_work(f"drv-{i}", input={"i": i}) for i in range(2)]
    chain = app.enqueue_chain("drv-chain", steps=[
        {"name": "drv-c1", "behavior": {"output": {"token": "t1"}}},
        {"name": "drv-c2", "behavior": {"duration_ms": 200}},
    ])
    later = app.enqueue_work("drv-later", delay_ms=3_600_000, tags=["slow"])
    for name in ("drv-0", "drv-1", "drv-c2"):
        app.wait_for("finished", name, timeout_s=60)
    c2 = app.wait_for("started", "drv-c2", timeout_s=5)
    assert c2.detail["input"] == {"token": "t1"}
    events = app.events()
    assert all(e.seq > 0 for e in events) and [e.seq for e in events] == sorted(
        e.seq for e in events)
    assert {e.event for e in events} >= {"enqueued", "started", "finished"}

    # WorkManager's own view, copied out with its WAL through run-as.
    inspector = WorkManagerInspector(device, c.PACKAGE)
    records = {w.id: w for w in inspector.work()}
    enqueued = {e.detail["work_id"]: e for e in events if e.event == "enqueued"}
    assert set(enqueued) == {*once, *chain, later}
    for work_id, event in enqueued.items():
        record = records[work_id]
        assert record.worker_class == "dev.harness.sample.SampleWorker"
        assert event.name in record.tags and f"harness.name:{event.name}" in record.tags
        finished = [e for e in events if e.event == "finished"
                    and e.detail.get("work_id") == work_id]
        if finished:
            assert record.state == "SUCCEEDED" and record.run_attempt_count == 1
        else:
            assert record.state == "ENQUEUED" and work_id == later
    assert records[chain[1]].prerequisites == (chain[0],)
    assert records[later].job_ids and 0 <= records[later].job_ids[0] <= 999
    assert "slow" in records[later].tags

    # WorkManager's diagnostics, parsed by the harness's parser.
    inspector.request_diagnostics()
    diag = None
    for _ in range(100):
        text = device.shell(["logcat", "-d", "-v", "threadtime"]).stdout
        if "Enqueued work:" in text:
            diag = workmanager_diag.parse(text)
            break
    assert diag is not None
    item = diag.by_id(later)
    assert item is not None and item.state == "ENQUEUED"
    assert item.job_id == records[later].job_ids[0]
    assert diag.by_id(once[0]).state == "SUCCEEDED"  # type: ignore[union-attr]

    app.restore()  # reset, then undo what prepare() changed
    assert app.events(event="cancelled", name="drv-later")
    assert app.call("reset")["work"] == 0
