"""A device-suite run on a virtual device produces a power report whose batterystats frames show
the jobs and alarms the sample app's event log recorded.

The scenario drives the sample app through the plugin's ``app`` fixture exactly as the device
suite does (on a virtual device the app is its model, behind the manifest-only stand-in APK):
it schedules JobScheduler jobs of the app's own ``SampleJobService`` and exact wakeup alarms.
The virtual JobScheduler and AlarmManager report them to batterystats as JobServiceContext and
AlarmManagerService do, and the ``app`` fixture saves the app's event log with the run, so the
report's frames can be checked against the app's own record of what ran.

The scenario runs in a child pytest process against a device living in this process, through
the real adb server, as ``pytest --serial`` runs against a phone.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from harness.adb_server import PrivateAdbServer, connect, disconnect, list_devices
from harness.android.battery import parse as parse_battery
from harness.app.contract import EVENT_COLUMNS, JOB_SERVICE_CLASS, PACKAGE
from harness.device import Device
from harness.report import RunData
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop

# batterystats names a job by its service component, flattened to the short form.
JOB_BATTERY_NAME = f"{PACKAGE}/{JOB_SERVICE_CLASS.removeprefix(PACKAGE)}"
JOBS, ALARMS, JOB_MS = 3, 2, 250
FIRST_JOB_ID = 1100

SCENARIO = textwrap.dedent(f"""\
    def test_jobs_and_alarms_run(app, power):
        power.screen.off()  # the wakeup alarms wake a sleeping device
        for i in range({ALARMS}):
            # AlarmManagerService moves an app's alarm at least 5 s into the future.
            app.schedule_alarm(f"alarm-{{i}}", type="ELAPSED_REALTIME_WAKEUP", mode="exact",
                               delay_ms=5000 + 200 * i)
        # One job after the other: batterystats counts a job's starts per service name,
        # and runs of one service that overlap are one start (StopwatchTimer nesting).
        for i in range({JOBS}):
            app.schedule_job({FIRST_JOB_ID} + i, name=f"job-{{i}}",
                             behavior={{"duration_ms": {JOB_MS}}})
            app.wait_for("finished", f"job-{{i}}", timeout_s=60)
        for i in range({ALARMS}):
            app.wait_for("fired", f"alarm-{{i}}", timeout_s=60)
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
         *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )


def test_report_frames_show_the_jobs_and_alarms_of_the_event_log(scenario_device, tmp_path):
    vdev, device = scenario_device
    proc = run_scenario(tmp_path, device)
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
    started = events[(events["event"] == "started") & (events["source"] == "jobscheduler")]
    fired = events[(events["event"] == "fired") & (events["source"] == "alarm")]
    assert len(started) == JOBS and len(fired) == ALARMS

    uid = int(run.frame("apps").set_index("package").loc[PACKAGE, "uid"])
    # Aggregates: one row per job service, counted on battery.
    jobs = run.frame("jobs")
    jobs = jobs[(jobs["uid"] == uid) & (jobs["name"] == JOB_BATTERY_NAME)]
    assert len(jobs) == 1
    assert int(jobs["count"].iloc[0]) == len(started)
    assert int(jobs["total_ms"].iloc[0]) >= JOBS * JOB_MS
    completions = run.frame("job_completions")
    finished = completions[(completions["uid"] == uid) & (completions["name"] == JOB_BATTERY_NAME)
                           & (completions["reason"].astype(str) == "successful_finish")]
    assert int(finished["count"].sum()) == len(
        events[(events["event"] == "finished") & (events["source"] == "jobscheduler")])
    alarms = run.frame("alarms")
    alarms = alarms[alarms["uid"] == uid]
    # One row per PendingIntent tag; the app's alarms share one action.
    assert alarms["name"].str.startswith("*walarm*:").all()
    assert int(alarms["count"].sum()) == len(fired)
    # History: one interval per job run and per alarm delivery, in the order the log has them.
    intervals = run.frame("history_intervals")
    mine = intervals[intervals["uid"] == uid]
    runs = mine[(mine["kind"].astype(str) == "job") & (mine["name"] == JOB_BATTERY_NAME)]
    runs = runs.sort_values("start_ms")
    assert len(runs) == len(started)
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
    proc = run_scenario(tmp_path, device, "--batterystats", "per-run")
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
    proc = run_scenario(tmp_path, device, "--batterystats", "off")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert not (run_dir / "batterystats").exists()
    assert (run_dir / "report.html").exists()
    events = pd.read_parquet(run_dir / "events.parquet")
    assert (events["event"] == "finished").sum() == JOBS
    assert (events["event"] == "fired").sum() == ALARMS
