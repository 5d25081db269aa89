"""A device-suite run on a virtual device produces a power report whose batterystats frames show
the jobs and alarms the app's event log recorded.

The app is a small model of this test's own (``dev.harness.reporttest``), installed as a
manifest-only APK: a receiver that starts a chain of JobScheduler jobs and sets wakeup alarms,
and a JobService that works for a moment. Jobs go through the virtual device's JobScheduler
(``JobSchedulerService.schedule`` / ``job_finished``), which reports them to batterystats as
JobServiceContext does. The virtual device has no AlarmManager model yet, so the app's alarm
deliveries are announced on the system bus by :class:`AlarmDeliveryStandIn`, in the shape
AlarmManagerService will publish them (``alarm_fired``). The app writes its event log to
logcat; the scenario saves it where the app driver saves the sample app's log
(``<run dir>/events/<serial>/<test>.parquet``), with the contract's columns.

The scenario runs in a child pytest process against a device living in this process, through
the real adb server, as ``pytest --serial`` runs against a phone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.adb_server import PrivateAdbServer, connect, disconnect, list_devices
from harness.android.battery import parse as parse_battery
from harness.apk import build_apk
from harness.app.contract import EVENT_COLUMNS
from harness.device import Device
from harness.report import RunData
from harness.virtual.apps.base import AppModel, app_model
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop

PACKAGE = "dev.harness.reporttest"
LOG_TAG = "HarnessReportTest"
JOB_SERVICE = ".WorkService"
JOB_BATTERY_NAME = f"{PACKAGE}/{JOB_SERVICE}"
ALARM_TAG = f"{PACKAGE}.TICK"
JOBS, ALARMS, JOB_MS = 3, 2, 250

MANIFEST = f"""\
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{PACKAGE}"
    android:versionCode="1">
  <uses-sdk android:minSdkVersion="26" android:targetSdkVersion="34"/>
  <application>
    <receiver android:name=".Trigger" android:exported="true"/>
    <service android:name="{JOB_SERVICE}" android:exported="true"
        android:permission="android.permission.BIND_JOB_SERVICE"/>
  </application>
</manifest>
"""


class AlarmDeliveryStandIn:
    """Delivers the app's wakeup alarms as AlarmManagerService would report them to
    batterystats, until the virtual device models AlarmManager."""

    def __init__(self, app: ReportTestApp) -> None:
        self.app = app

    def set(self, delay_ms: int, tag: str, on_alarm: Any) -> None:
        def fire() -> None:
            pkg = self.app.package
            self.app.system.bus.publish(
                "alarm_fired", package=pkg.name, uid=pkg.uid, tag=tag, type="ELAPSED_WAKEUP",
                wakeup=True,
            )
            on_alarm()

        self.app.system.timers.call_later(delay_ms, f"alarm {tag}", fire)


@app_model(PACKAGE)
class ReportTestApp(AppModel):
    """What the app does: a chain of jobs and a few alarms, each logged as an event."""

    seq = 0  # the event log outlives the process, like the app's database would

    def _log(self, name: str, source: str, event: str, detail: dict[str, Any]) -> None:
        ReportTestApp.seq += 1
        clock = self.device.clock
        row = {
            "seq": ReportTestApp.seq, "name": name, "source": source, "event": event,
            "wall_ms": clock.wall_ms(), "elapsed_ms": clock.elapsed_ms(),
            "boot_count": self.device.boot_count, "pid": self.process.pid,
            "deep_idle": False, "light_idle": False, "power_save": False,
            "standby_bucket": 10, "charging": False, "network": "", "detail": json.dumps(detail),
        }
        self.device.log.log("I", LOG_TAG, json.dumps(row), pid=self.process.pid)

    def _scheduler(self) -> Any:
        from harness.virtual.system.jobscheduler import JobSchedulerService

        return self.system.service(JobSchedulerService)

    def _schedule(self, job_id: int) -> None:
        from harness.virtual.system.job_info import JobInfo

        result = self._scheduler().schedule(PACKAGE, JobInfo(job_id=job_id, service=JOB_SERVICE))
        self._log(f"job-{job_id}", "jobscheduler", "scheduled", {"job_id": job_id,
                                                                 "result": result})

    def on_receive(self, intent: Any, receiver: str) -> None:
        self._schedule(1000)
        alarms = AlarmDeliveryStandIn(self)
        for i in range(ALARMS):
            alarms.set(100 * (i + 1), ALARM_TAG,
                       lambda i=i: self._log(f"alarm-{i}", "alarm", "fired", {"tag": ALARM_TAG}))

    def on_start_job(self, service: str, params: Any) -> bool:
        job_id = params.job_id
        self._log(f"job-{job_id}", "jobscheduler", "started", {"job_id": job_id})

        def done() -> None:
            self._log(f"job-{job_id}", "jobscheduler", "finished", {"job_id": job_id})
            self._scheduler().job_finished(PACKAGE, job_id, False)
            if job_id + 1 < 1000 + JOBS:
                self._schedule(job_id + 1)

        self.system.timers.call_later(JOB_MS, f"job {job_id}", done)
        return True


SCENARIO = textwrap.dedent(f"""\
    import json
    import time

    import pandas as pd

    from harness.app.contract import EVENT_COLUMNS
    from harness.report import name_of_test, safe_name

    PACKAGE = {PACKAGE!r}


    def read_events(device):
        out = device.shell(["logcat", "-d", "-v", "raw", "-s", {LOG_TAG!r}]).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{{")]


    def test_jobs_and_alarms_run(device, harness_run, request):
        device.shell(["logcat", "-c"])
        device.shell(["am", "set-standby-bucket", PACKAGE, "active"])
        device.shell(["input", "keyevent", "KEYCODE_SLEEP"])  # wakeup alarms count screen-off
        try:
            device.shell(["am", "broadcast", "--include-stopped-packages",
                          "-n", PACKAGE + "/.Trigger"], check=True)
            deadline = time.monotonic() + 30
            while True:
                events = read_events(device)
                done = [e for e in events if e["event"] == "finished"]
                fired = [e for e in events if e["event"] == "fired"]
                if len(done) == {JOBS} and len(fired) == {ALARMS}:
                    break
                assert time.monotonic() < deadline, events
                time.sleep(0.05)
        finally:
            device.shell(["input", "keyevent", "KEYCODE_WAKEUP"])
        folder = harness_run.run_dir / "events" / safe_name(device.serial)
        folder.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(events, columns=list(EVENT_COLUMNS))
        frame.to_parquet(folder / (name_of_test(request.node.nodeid) + ".parquet"))
""")


@pytest.fixture(scope="module")
def scenario_device(adb_server: PrivateAdbServer) -> Iterator[tuple[VirtualDevice, Device]]:
    loop = DeviceLoop()
    dev = loop.start_device(VirtualDeviceConfig(boot_time_s=0.2))
    serial = f"127.0.0.1:{dev.port}"
    connect(adb_server.address, serial)
    deadline = time.monotonic() + 30
    while not any(d.serial == serial and d.state == "device"
                  for d in list_devices(adb_server.address)):
        assert time.monotonic() < deadline, f"{serial} never came online"
        time.sleep(0.05)
    device = Device(serial, adb_server.address)
    try:
        yield dev, device
    finally:
        disconnect(adb_server.address, serial)
        loop.close()


def run_scenario(tmp_path: Path, device: Device, *args: str) -> subprocess.CompletedProcess[str]:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_scenario.py").write_text(SCENARIO)
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(suite), "--serial", device.serial,
         "--adb-server", str(device.server), "--harness-reports", str(tmp_path / "reports"),
         "--batterystats-app", PACKAGE, *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )


def test_report_frames_show_the_jobs_and_alarms_of_the_event_log(scenario_device, tmp_path):
    vdev, device = scenario_device
    apk = tmp_path / "reporttest.apk"
    apk.write_bytes(build_apk(MANIFEST))
    device.install(apk)
    try:
        proc = run_scenario(tmp_path, device)
    finally:
        device.shell(["pm", "uninstall", PACKAGE])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "power report: " in proc.stdout

    (run_dir,) = (tmp_path / "reports").iterdir()
    for name in ("run.json", "results.parquet", "events.parquet", "report.html"):
        assert (run_dir / name).exists(), name
    run = RunData.load(run_dir, PACKAGE)
    (capture,) = run.captures
    assert capture.nodeid.endswith("test_scenario.py::test_jobs_and_alarms_run")
    for name in ("checkin.txt", "history.txt", "jobs.parquet", "alarms.parquet",
                 "history_intervals.parquet", "meta.json"):
        assert (capture.folder / name).exists(), name
    assert capture.meta["unplugged_by_harness"] is True and not capture.meta["errors"]

    # The app's event log, merged into the run with the capture's serial and test.
    events = pd.read_parquet(run_dir / "events.parquet")
    assert list(events.columns) == [*EVENT_COLUMNS, "serial", "test"]
    assert set(events["serial"]) == {device.serial} and set(events["test"]) == {capture.nodeid}
    started = events[events["event"] == "started"]
    fired = events[events["event"] == "fired"]
    assert len(started) == JOBS and len(fired) == ALARMS

    uid = int(run.frame("apps").set_index("package").loc[PACKAGE, "uid"])
    # Aggregates: one row per job service, counted on battery.
    jobs = run.frame("jobs")
    jobs = jobs[jobs["uid"] == uid]
    assert jobs["name"].tolist() == [JOB_BATTERY_NAME]
    assert int(jobs["count"].iloc[0]) == len(started)
    assert int(jobs["total_ms"].iloc[0]) >= JOBS * JOB_MS
    completions = run.frame("job_completions")
    finished = completions[(completions["uid"] == uid)
                           & (completions["reason"].astype(str) == "successful_finish")]
    assert int(finished["count"].sum()) == len(events[events["event"] == "finished"])
    alarms = run.frame("alarms")
    alarms = alarms[alarms["uid"] == uid]
    assert alarms[["name", "count"]].values.tolist() == [[f"*walarm*:{ALARM_TAG}", len(fired)]]
    # History: one interval per job run and per alarm delivery, in the order the log has them.
    intervals = run.frame("history_intervals")
    mine = intervals[intervals["uid"] == uid]
    runs = mine[mine["kind"].astype(str) == "job"].sort_values("start_ms")
    assert len(runs) == len(started) and set(runs["name"]) == {JOB_BATTERY_NAME}
    log_starts = started.sort_values("seq")["wall_ms"].tolist()
    assert all(abs(int(a) - int(b)) < 1000 for a, b in zip(runs["start_ms"], log_starts,
                                                           strict=True))
    assert (mine["kind"].astype(str) == "alarm").sum() == len(fired)

    m = run.metrics.iloc[0]
    assert (m["app_jobs"], m["app_job_runs"], m["app_alarms"]) == (JOBS, JOBS, ALARMS)
    assert m["app_mah"] > 0
    html = (run_dir / "report.html").read_text()
    assert capture.nodeid in html and 'class="span job-app"' in html

    # The device is as the run found it: battery live again, full history off.
    assert not parse_battery(device.shell(["dumpsys", "battery"]).stdout).updates_stopped
    from harness.virtual.system.batterystats import BatteryStatsService

    assert not vdev.system.service(BatteryStatsService).tracker.record_all_history


def test_per_run_collects_once_per_device(scenario_device, tmp_path):
    _, device = scenario_device
    apk = tmp_path / "reporttest.apk"
    apk.write_bytes(build_apk(MANIFEST))
    device.install(apk)
    try:
        proc = run_scenario(tmp_path, device, "--batterystats", "per-run")
    finally:
        device.shell(["pm", "uninstall", PACKAGE])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = (tmp_path / "reports").iterdir()
    run = RunData.load(run_dir, PACKAGE)
    assert [c.test for c in run.captures] == ["run"]
    assert run.metrics.iloc[0]["app_job_runs"] == JOBS


FROZEN_SCENARIO = textwrap.dedent("""\
    import pytest


    @pytest.fixture(scope="module")
    def frozen_battery(devices):
        dev = devices[0]
        dev.shell(["cmd", "battery", "set", "level", "50"], check=True)
        yield dev
        dev.shell(["cmd", "battery", "reset"], check=True)


    def battery(device):
        return device.shell(["dumpsys", "battery"]).stdout


    def test_first(frozen_battery, device):
        assert "UPDATES STOPPED" in battery(device) and "USB powered: true" in battery(device)


    def test_second(frozen_battery, device):
        # The plugin neither unplugged nor reset a battery someone else had frozen.
        text = battery(device)
        assert "UPDATES STOPPED" in text and "level: 50" in text
        assert "USB powered: true" in text
""")


def test_a_battery_frozen_by_the_tests_is_left_to_them(scenario_device, tmp_path):
    _, device = scenario_device
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_frozen.py").write_text(FROZEN_SCENARIO)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(suite), "--serial", device.serial, "--adb-server", str(device.server),
         "--harness-reports", str(tmp_path / "reports")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = (tmp_path / "reports").iterdir()
    run = RunData.load(run_dir)
    assert len(run.captures) == 2
    assert [c.meta["unplugged_by_harness"] for c in run.captures] == [False, False]
    assert not parse_battery(device.shell(["dumpsys", "battery"]).stdout).updates_stopped


def test_off_collects_nothing_but_still_reports(scenario_device, tmp_path):
    _, device = scenario_device
    apk = tmp_path / "reporttest.apk"
    apk.write_bytes(build_apk(MANIFEST))
    device.install(apk)
    try:
        proc = run_scenario(tmp_path, device, "--batterystats", "off")
    finally:
        device.shell(["pm", "uninstall", PACKAGE])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert not (run_dir / "batterystats").exists()
    assert (run_dir / "report.html").exists()
    assert len(pd.read_parquet(run_dir / "events.parquet")) == JOBS * 3 + ALARMS
