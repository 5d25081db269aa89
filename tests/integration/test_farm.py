"""The device farm end to end: pytest runs (subprocesses, under pytest-xdist) on virtual devices.

Every run below is a real ``python -m pytest`` on a small generated test file. The devices sit
behind real adb servers: ``--virtual N`` runs start their own, the others use two private
servers started here, exactly as a lab host's server would be reached with ``--adb-server``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from harness.adb_server import PrivateAdbServer
from harness.farm.leases import LeaseDir, Owner, find_overlaps, read_log
from harness.virtual.launcher import VirtualFarm

BOOT_S = 0.5
LAB_PROFILES = ["pixel-34", "samsung-33", "xiaomi-35", "virtual-31"]


# ------------------------------------------------------------------------------ helpers
@dataclass
class Run:
    returncode: int
    output: str
    reports: Path

    @property
    def run_dir(self) -> Path:
        dirs = [d for d in self.reports.iterdir() if d.is_dir()]
        assert len(dirs) == 1, f"expected one run folder, found {dirs}\n{self.output}"
        return dirs[0]

    @property
    def results(self) -> pd.DataFrame:
        return pd.read_parquet(self.run_dir / "results.parquet")

    @property
    def leases(self) -> list[dict[str, object]]:
        return read_log(self.run_dir / "leases.jsonl")

    @property
    def run_json(self) -> dict[str, object]:
        return json.loads((self.run_dir / "run.json").read_text())


def _prepare(workdir: Path, tests: str, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    workdir.mkdir(parents=True)
    (workdir / "pytest.ini").write_text("[pytest]\n")
    (workdir / "test_inner.py").write_text(tests)
    argv = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
        "--harness-reports", str(workdir / "reports"), "--batterystats", "off", *args,
    ]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "ANDROID_ADB_SERVER_PORT"))}
    env["HARNESS_LEASE_DIR"] = str(workdir / "leases")  # each run its own, unless told
    return argv, env


def start_pytest(workdir: Path, tests: str, *args: str,
                 env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    argv, base = _prepare(workdir, tests, args)
    return subprocess.Popen(argv, cwd=workdir, env={**base, **(env or {})}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_pytest(workdir: Path, tests: str, *args: str, env: dict[str, str] | None = None,
               timeout_s: float = 120) -> Run:
    proc = start_pytest(workdir, tests, *args, env=env)
    out, _ = proc.communicate(timeout=timeout_s)
    return Run(proc.returncode, out, workdir / "reports")


def by_device(results: pd.DataFrame) -> dict[str, dict[str, str]]:
    """{serial: {test name without the device id: outcome}}"""
    table: dict[str, dict[str, str]] = {}
    for row in results.itertuples():
        name = row.nodeid.split("::")[-1].split("[")[0]
        table.setdefault(row.serial, {})[name] = row.outcome
    return table


# ------------------------------------------------------------------------------ the lab
@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PrivateAdbServer, PrivateAdbServer]]:
    """Two adb servers, as two lab hosts would run them (each takes ~3 s to start)."""
    pair = (PrivateAdbServer(), PrivateAdbServer())
    threads = [threading.Thread(target=s.start) for s in pair]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert all(s.pid for s in pair)
        yield pair
    finally:
        for s in pair:
            s.stop()


@pytest.fixture(scope="module")
def lab(servers: tuple[PrivateAdbServer, PrivateAdbServer]) -> Iterator[VirtualFarm]:
    """Four devices of different makes and API levels behind the first server."""
    with VirtualFarm(4, servers[0].address, LAB_PROFILES, boot_time_s=BOOT_S) as farm:
        yield farm


@pytest.fixture(scope="module")
def lab_b(servers: tuple[PrivateAdbServer, PrivateAdbServer]) -> Iterator[VirtualFarm]:
    """One device behind the second server."""
    with VirtualFarm(1, servers[1].address, ["virtual-34"], boot_time_s=BOOT_S) as farm:
        yield farm


def server_of(farm: VirtualFarm) -> str:
    return str(farm.adb)


# ------------------------------------------------------------------------------ matrix
MATRIX_TESTS = '''
import time

def test_identity(device):
    assert device.shell("getprop ro.build.version.sdk").stdout.strip() == str(device.api_level)

def test_one_reboots_while_the_others_work(device):
    # Only the API 33 device reboots; meanwhile the others keep talking to their devices.
    if device.api_level == 33:
        device.reboot(wait=True, progress=None)
        assert device.getprop("sys.boot_completed") == "1"
    else:
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            assert device.shell("echo ok").stdout == "ok\\n"

def test_without_a_device():
    pass
'''


def test_matrix_runs_each_test_once_per_device_and_no_device_is_shared(tmp_path: Path):
    run = run_pytest(
        tmp_path / "matrix", MATRIX_TESTS, "-n", "4", "--virtual", "4",
        "--virtual-profiles", ",".join(LAB_PROFILES), "--virtual-boot-time", str(BOOT_S),
    )
    assert run.returncode == 0, run.output
    devices = run.run_json["devices"]
    serials = sorted(d["serial"] for d in devices)
    # A mix of API levels and makes, as asked for.
    assert sorted(d["api_level"] for d in devices) == [31, 33, 34, 35]
    assert sorted(d["virtual_profile"] for d in devices) == sorted(LAB_PROFILES)
    assert all(d["is_virtual"] and d["profile"] == "virtual" for d in devices)

    results = run.results
    assert len(results) == 4 * 2 + 1
    table = by_device(results[results.serial != ""])
    assert sorted(table) == serials
    for serial in serials:
        assert table[serial] == {"test_identity": "passed",
                                 "test_one_reboots_while_the_others_work": "passed"}
    # Test ids name the device; one row per test per device; the worker is recorded.
    assert results.nodeid.is_unique
    for row in results[results.serial != ""].itertuples():
        assert row.nodeid.endswith(f"[{row.serial}]") and row.worker.startswith("gw")
    assert (results[results.serial == ""].nodeid.str.endswith("test_without_a_device")).all()

    leases = run.leases
    assert find_overlaps(leases) == []
    acquired = [e for e in leases if e["event"] == "acquire"]
    assert sorted(e["serial"] for e in acquired) == serials  # one lease per device, kept
    assert len({e["worker"] for e in acquired}) == 4  # each device on its own worker
    assert len([e for e in leases if e["event"] == "release"]) == 4
    # Each device's tests ran on the worker that leased it.
    holder = {e["serial"]: e["worker"] for e in acquired}
    for row in results[results.serial != ""].itertuples():
        assert row.worker == holder[row.serial]

    # Workers wrote their parts; the controller merged them and summed up per device.
    assert len(list((run.run_dir / "parts" / "results").glob("gw*.parquet"))) == 4
    summary = run.run_json["summary"]
    assert {k.split("@")[0] for k in summary} == set(serials)
    assert all(v["passed"] == 2 and v["failed"] == 0 for v in summary.values())
    assert "harness summary" in run.output and "mode matrix" in run.output
    for serial in serials:
        assert serial in run.output.split("harness summary")[1]


# ------------------------------------------------------------------------------ shard
SHARD_TESTS = '''
import time
import pytest

@pytest.mark.parametrize("n", range(12))
def test_spread(device, n):
    time.sleep(0.1)
    assert device.shell("echo ok").stdout == "ok\\n"
'''


def test_shard_runs_each_test_once_with_one_device_per_worker(tmp_path: Path, lab: VirtualFarm):
    run = run_pytest(
        tmp_path / "shard", SHARD_TESTS, "-n", "4", "--device-mode", "shard",
        "--adb-server", server_of(lab), "--all-devices",
    )
    assert run.returncode == 0, run.output
    results = run.results
    assert len(results) == 12 and results.nodeid.is_unique
    assert (results.outcome == "passed").all()
    assert not results.nodeid.str.contains(r"\[127").any()  # not parametrized by device
    per_worker = results.groupby("worker").serial.nunique()
    assert (per_worker == 1).all()  # a worker keeps its one device
    serial_of = results.groupby("worker").serial.first()
    assert serial_of.is_unique and len(serial_of) >= 2  # spread over several devices
    assert set(results.server) == {server_of(lab)}
    acquired = [e for e in run.leases if e["event"] == "acquire"]
    assert len(acquired) == len({e["worker"] for e in acquired}) == len(serial_of)
    assert find_overlaps(run.leases) == []


def test_shard_mode_starts_no_more_workers_than_devices(tmp_path: Path, lab: VirtualFarm):
    serial = lab.serials[0]
    run = run_pytest(
        tmp_path / "cap", SHARD_TESTS.replace("range(12)", "range(3)"), "-n", "3",
        "--device-mode", "shard", "--adb-server", server_of(lab), "--serial", serial,
    )
    assert run.returncode == 0, run.output
    assert "starting 1 of 3 workers" in run.output
    assert set(run.results.serial) == {serial}


# ------------------------------------------------------------------------------ servers
IDENTITY_TESTS = '''
def test_identity(device):
    assert device.shell("getprop ro.build.version.sdk").stdout.strip() == str(device.api_level)
'''


def test_devices_behind_two_adb_servers_in_one_run(tmp_path: Path, lab: VirtualFarm,
                                                    lab_b: VirtualFarm):
    run = run_pytest(
        tmp_path / "two", IDENTITY_TESTS, "-n", "2", "--adb-server", server_of(lab),
        "--adb-server", server_of(lab_b), "--device-filter", "api>=34 and virtual",
    )
    assert run.returncode == 0, run.output
    results = run.results
    # pixel-34 and xiaomi-35 from the first server, the API 34 device of the second.
    assert set(results.server) == {server_of(lab), server_of(lab_b)}
    expected = {lab.serials[0], lab.serials[2], lab_b.serials[0]}
    assert set(results.serial) == expected and len(results) == 3
    assert (results.outcome == "passed").all()
    assert run.run_json["options"]["device_filter"] == "api>=34 and virtual"


def test_a_filter_that_matches_nothing_lists_what_was_seen(tmp_path: Path, lab: VirtualFarm):
    run = run_pytest(tmp_path / "none", IDENTITY_TESTS, "--adb-server", server_of(lab),
                     "--device-filter", "api>=99")
    assert run.returncode == 1
    assert "no device matches --device-filter 'api>=99'; devices seen:" in run.output
    for handle in lab.handles:
        assert handle.serial in run.output
    assert "samsung SM-S911B  API 33" in run.output and f"on {server_of(lab)}" in run.output


def test_a_filter_with_a_syntax_error_stops_the_run_showing_where(tmp_path: Path):
    run = run_pytest(tmp_path / "bad", IDENTITY_TESTS, "--device-filter", "api>= and virtual")
    assert run.returncode == 4  # usage error: nothing ran, no device was touched
    assert "expected a value after 'api>='" in run.output
    assert "  api>= and virtual\n        ^" in run.output


# ------------------------------------------------------------------------------ leases
DIES = '''
import os, signal

def test_dies(device):
    os.kill(os.getpid(), signal.SIGKILL)
'''


def test_a_killed_worker_leaves_no_lease_that_blocks_the_next_run(tmp_path: Path,
                                                                  lab: VirtualFarm):
    serial = lab.serials[1]
    lease_dir = tmp_path / "leases"
    common = ("--adb-server", server_of(lab), "--serial", serial, "--lease-dir", str(lease_dir),
              "--lease-timeout", "10")
    crashed = run_pytest(tmp_path / "crash", DIES, "-n", "1", "--max-worker-restart", "0",
                         *common)
    assert crashed.returncode != 0
    assert "crashed" in crashed.output
    row = crashed.results.iloc[0]
    assert (row.serial, row.outcome) == (serial, "failed") and "crashed" in row.message
    # The killed worker's record is still there, its lock is not.
    record = LeaseDir(lease_dir).holder(serial, server_of(lab))
    assert record is not None and record.owner.state() == "dead"
    dead_pid = record.owner.pid

    start = time.monotonic()
    after = run_pytest(tmp_path / "after", IDENTITY_TESTS, "-n", "1", *common)
    assert after.returncode == 0, after.output
    assert time.monotonic() - start < 10  # did not wait for the dead holder
    recovered = [e for e in after.leases if e["event"] == "recover"]
    assert len(recovered) == 1 and f"pid {dead_pid}" in str(recovered[0]["previous"])
    assert f"recovered a stale lease of worker gw0, pid {dead_pid}" in after.output
    assert LeaseDir(lease_dir).holder(serial, server_of(lab)) is None  # released at the end


def test_a_live_lease_is_respected_and_only_its_device_waits(tmp_path: Path, lab: VirtualFarm):
    busy, free = lab.serials[2], lab.serials[3]
    lease_dir = tmp_path / "leases"
    held = LeaseDir(lease_dir).acquire(busy, server_of(lab), Owner.current("another-run"))
    tests = IDENTITY_TESTS + IDENTITY_TESTS.replace("test_identity", "test_identity_again")
    try:
        run = run_pytest(
            tmp_path / "live", tests, "-n", "2", "--adb-server", server_of(lab),
            "--serial", busy, "--serial", free, "--lease-dir", str(lease_dir),
            "--lease-timeout", "1.5",
        )
    finally:
        held.release()
    assert run.returncode == 1, run.output
    table = by_device(run.results)
    assert table == {busy: {"test_identity": "error", "test_identity_again": "error"},
                     free: {"test_identity": "passed", "test_identity_again": "passed"}}
    messages = run.results[run.results.serial == busy].set_index("nodeid").message
    first, second = (messages[n] for n in sorted(messages.index))
    holder = f"worker another-run, pid {os.getpid()} on host {socket.gethostname()}"
    assert "LeaseTimeout" in first and f"[{busy}]" in first and holder in first
    # The second test did not wait again: the device is unavailable for the rest of the run.
    assert "DeviceUnavailable" in second and "lease was not obtained" in second
    assert holder in second
    assert [e["event"] for e in run.leases if e["serial"] == busy] == ["wait", "timeout"]
    assert f"[{busy}] waiting for the device lease" in run.output  # progress while waiting


INTERRUPTED = '''
def test_fails(device):
    assert False, "a failing test keeps nothing"

def test_interrupted(device):
    raise KeyboardInterrupt

def test_never_runs(device):
    pass
'''


def test_leases_are_given_back_after_a_failure_and_after_ctrl_c(tmp_path: Path,
                                                                lab: VirtualFarm):
    lease_dir = tmp_path / "leases"
    run = run_pytest(tmp_path / "int", INTERRUPTED, "--adb-server", server_of(lab),
                     "--serial", lab.serials[0], "--lease-dir", str(lease_dir))
    assert run.returncode == 2, run.output  # interrupted
    assert [e["event"] for e in run.leases] == ["acquire", "release"]
    assert list(lease_dir.iterdir()) == []


# ------------------------------------------------------------------------------ lost devices
LOSES_ONE = '''
import os, time
from pathlib import Path

SIGNALS = Path(os.environ["FARM_SIGNALS"])
TARGET = os.environ["FARM_TARGET"]

def test_1_before(device):
    assert device.shell("echo up").stdout == "up\\n"

def test_2_unplugged(device):
    if device.serial == TARGET:
        (SIGNALS / "ready").write_text("1")
        deadline = time.monotonic() + 60
        while not (SIGNALS / "stopped").exists():
            assert time.monotonic() < deadline, "the device was never stopped"
            time.sleep(0.05)
    device.shell("echo still-there")

def test_3_after(device):
    device.shell("echo after")

def test_4_after(device):
    device.shell("echo after")
'''


def test_a_device_stopped_mid_run_fails_only_its_own_tests(
    tmp_path: Path, servers: tuple[PrivateAdbServer, PrivateAdbServer]
):
    signals = tmp_path / "signals"
    signals.mkdir()
    with VirtualFarm(2, servers[1].address, boot_time_s=BOOT_S) as farm:
        target, other = farm.serials
        proc = start_pytest(
            tmp_path / "lost", LOSES_ONE, "-n", "2", "--adb-server", str(farm.adb),
            "--serial", target, "--serial", other, "--device-wait", "1",
            env={"FARM_SIGNALS": str(signals), "FARM_TARGET": target},
        )
        try:
            deadline = time.monotonic() + 60
            while not (signals / "ready").exists():
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline
                time.sleep(0.05)
            farm.handle(target).stop()  # pulled out mid-run
            (signals / "stopped").write_text("1")
            out, _ = proc.communicate(timeout=90)
        finally:
            proc.kill()
    run = Run(proc.returncode, out, tmp_path / "lost" / "reports")
    assert run.returncode == 1, out
    results = run.results
    assert by_device(results) == {
        other: dict.fromkeys(["test_1_before", "test_2_unplugged", "test_3_after",
                              "test_4_after"], "passed"),
        target: {"test_1_before": "passed", "test_2_unplugged": "failed",
                 "test_3_after": "error", "test_4_after": "error"},
    }
    messages = results.set_index(["serial", "nodeid"]).message
    for (serial, nodeid), message in messages.items():
        if serial != target or "test_1" in nodeid:
            continue
        assert f"[{target}]" in message, message
        kind = "DeviceLost" if "test_2" in nodeid else "DeviceUnavailable"
        assert kind in message, message
    later = messages[(target, next(n for s, n in messages.index if s == target and "test_4" in n))]
    assert "first lost in" in later and "test_2_unplugged" in later
