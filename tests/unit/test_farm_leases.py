"""Device leases: exclusion, waiting, recovery of dead owners, respect for live ones, the log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.errors import LeaseConflict, LeaseTimeout
from harness.farm.leases import (
    LeaseDir,
    LeaseLog,
    LeaseRecord,
    Owner,
    default_lease_dir,
    find_overlaps,
    read_log,
)

SERIAL, SERVER = "R58M1234ABC", "127.0.0.1:5037"
REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from harness.farm.leases import LeaseDir, LeaseLog, Owner
lease_dir, log, serial, server = sys.argv[1:5]
lease = LeaseDir(lease_dir, LeaseLog(__import__("pathlib").Path(log))).acquire(
    serial, server, Owner.current("holder"), timeout_s=30)
print("held", flush=True)
time.sleep(60)
"""

HAMMER = """
import sys
from pathlib import Path
from harness.farm.leases import LeaseDir, LeaseLog, Owner
lease_dir, log, worker, rounds = sys.argv[1:5]
leases = LeaseDir(lease_dir, LeaseLog(Path(log)))
for _ in range(int(rounds)):
    with leases.acquire("R58", "127.0.0.1:5037", Owner.current(worker), timeout_s=60):
        pass
"""


@pytest.fixture
def leases(tmp_path: Path) -> LeaseDir:
    return LeaseDir(tmp_path / "leases", LeaseLog(tmp_path / "run" / "leases.jsonl"))


def owner(worker: str = "gw0", run_id: str = "run-1") -> Owner:
    return Owner.current(worker, run_id)


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            text=True, env=env)


def write_record(leases: LeaseDir, who: Owner) -> Path:
    leases.path.mkdir(parents=True, exist_ok=True)
    record = leases.paths(SERIAL, SERVER)[1]
    record.write_text(LeaseRecord(SERIAL, SERVER, who, time.time() - 60, "feedc0de").to_json())
    return record


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def events(tmp_path: Path) -> list[dict[str, object]]:
    return read_log(tmp_path / "run" / "leases.jsonl")


def test_acquire_records_the_owner_and_release_leaves_no_files(leases: LeaseDir,
                                                                tmp_path: Path):
    with leases.acquire(SERIAL, SERVER, owner()) as lease:
        assert lease.held
        record = json.loads(leases.paths(SERIAL, SERVER)[1].read_text())
        assert record["owner"]["pid"] == os.getpid()
        assert record["owner"]["worker"] == "gw0"
        assert record["serial"] == SERIAL and record["server"] == SERVER
        assert leases.holder(SERIAL, SERVER) == lease.record
    assert not lease.held
    assert list(leases.path.iterdir()) == []
    log = events(tmp_path)
    assert [e["event"] for e in log] == ["acquire", "release"]
    for e in log:
        assert {"worker", "pid", "serial", "server", "mono", "wall", "host"} <= set(e)
    lease.release()  # twice is harmless


def test_a_held_lease_makes_others_wait_then_time_out_naming_the_holder(leases: LeaseDir):
    first = leases.acquire(SERIAL, SERVER, owner("gw0"))
    try:
        assert leases.try_acquire(SERIAL, SERVER, owner("gw1")) is None
        start = time.monotonic()
        with pytest.raises(LeaseTimeout) as info:
            leases.acquire(SERIAL, SERVER, owner("gw1"), timeout_s=0.3)
        assert time.monotonic() - start < 2
        text = str(info.value)
        assert f"[{SERIAL}]" in text and SERVER in text
        assert f"worker gw0, pid {os.getpid()}" in text
        assert str(leases.paths(SERIAL, SERVER)[1]) in text
    finally:
        first.release()
    assert leases.try_acquire(SERIAL, SERVER, owner("gw1")) is not None


def test_a_waiter_gets_the_lease_when_it_is_released_and_says_it_waits(tmp_path: Path):
    said: list[str] = []
    leases = LeaseDir(tmp_path / "leases", LeaseLog(tmp_path / "run" / "leases.jsonl"),
                      progress=said.append, report_every_s=0.1)
    first = leases.acquire(SERIAL, SERVER, owner("gw0"))
    threading.Timer(0.5, first.release).start()
    second = leases.acquire(SERIAL, SERVER, owner("gw1"), timeout_s=10)
    assert second.waited_s >= 0.4
    assert said and "waiting for the device lease" in said[0] and "worker gw0" in said[0]
    second.release()
    log = events(tmp_path)
    assert [e["event"] for e in log] == ["acquire", "wait", "release", "acquire", "release"]
    assert find_overlaps(log) == []


def test_a_killed_holder_leaves_nothing_that_blocks(leases: LeaseDir, tmp_path: Path):
    holder = spawn(HOLDER, str(leases.path), str(tmp_path / "run" / "leases.jsonl"), SERIAL,
                   SERVER)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert leases.try_acquire(SERIAL, SERVER, owner()) is None  # it lives: respected
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    finally:
        holder.kill()
    lease = leases.acquire(SERIAL, SERVER, owner(), timeout_s=2)
    assert lease.recovered is not None and lease.recovered.owner.pid == holder.pid
    assert lease.waited_s < 1
    lease.release()
    log = events(tmp_path)
    assert [e["event"] for e in log] == ["acquire", "recover", "acquire", "release"]
    assert log[1]["previous_pid"] == holder.pid
    assert find_overlaps(log) == []  # the dead holder's lease ended when it was recovered


def test_a_stale_record_of_a_dead_pid_is_recovered(leases: LeaseDir, tmp_path: Path):
    gone = Owner.current("gw3", "old-run")
    gone = Owner(gone.host, dead_pid(), "gw3", "old-run", None, gone.boot_id)
    write_record(leases, gone)
    lease = leases.acquire(SERIAL, SERVER, owner(), timeout_s=1)
    assert lease.recovered is not None and lease.recovered.owner == gone
    lease.release()
    recover = next(e for e in events(tmp_path) if e["event"] == "recover")
    assert f"pid {gone.pid}" in str(recover["previous"])


def test_a_live_owner_is_respected_even_without_the_lock(leases: LeaseDir):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        here = Owner.current()
        start = Path(f"/proc/{sleeper.pid}/stat")
        pid_start = int(start.read_text().rsplit(")", 1)[1].split()[19]) if start.exists() \
            else None
        write_record(leases, Owner(here.host, sleeper.pid, "gw9", "other", pid_start,
                                   here.boot_id))
        with pytest.raises(LeaseTimeout, match="that process is still running"):
            leases.acquire(SERIAL, SERVER, owner(), timeout_s=0.3)
    finally:
        sleeper.kill()
        sleeper.wait()
    lease = leases.acquire(SERIAL, SERVER, owner(), timeout_s=1)  # once it is gone: recovered
    assert lease.recovered is not None and lease.recovered.owner.pid == sleeper.pid
    lease.release()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_zombie_or_a_reused_pid_is_not_the_owner(leases: LeaseDir):
    zombie = subprocess.Popen(["true"])
    deadline = time.monotonic() + 5
    while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    here = Owner.current()
    try:
        write_record(leases, Owner(here.host, zombie.pid, "gw1", "r", None, here.boot_id))
        lease = leases.acquire(SERIAL, SERVER, owner(), timeout_s=1)
        assert lease.recovered is not None
        lease.release()
    finally:
        zombie.wait()
    # This very pid, but started at another time: the pid was reused, the owner is gone.
    assert here.pid_start is not None
    write_record(leases, Owner(here.host, here.pid, "gw1", "r", here.pid_start + 1,
                               here.boot_id))
    lease = leases.acquire(SERIAL, SERVER, owner(), timeout_s=1)
    assert lease.recovered is not None
    lease.release()


def test_a_record_from_a_previous_boot_of_this_host_is_stale(leases: LeaseDir):
    here = Owner.current()
    if not here.boot_id:
        pytest.skip("no boot id on this system")
    write_record(leases, Owner(here.host, os.getppid(), "gw1", "r", None, "another-boot"))
    with leases.acquire(SERIAL, SERVER, owner(), timeout_s=1) as lease:
        assert lease.recovered is not None


def test_a_record_from_another_host_is_respected_and_the_wait_says_so(leases: LeaseDir):
    record = write_record(leases, Owner("lab-host-2", 4242, "gw0", "their-run"))
    said: list[str] = []
    leases.progress = said.append
    with pytest.raises(LeaseTimeout) as info:
        leases.acquire(SERIAL, SERVER, owner(), timeout_s=0.2)
    for text in (str(info.value), said[0]):
        assert "pid 4242 on host lab-host-2" in text
        assert "another host" in text and str(record) in text


def test_refuse_stops_waiting_for_a_holder_that_never_lets_go(leases: LeaseDir):
    first = leases.acquire(SERIAL, SERVER, owner("gw0"))

    def refuse(holder: LeaseRecord) -> None:
        raise LeaseConflict(SERIAL, SERVER, holder.owner.describe())

    try:
        start = time.monotonic()
        with pytest.raises(LeaseConflict, match="worker gw0"):
            leases.acquire(SERIAL, SERVER, owner("gw1"), timeout_s=30, refuse=refuse)
        assert time.monotonic() - start < 1
    finally:
        first.release()


def test_ctrl_c_while_waiting_leaves_nothing_behind(leases: LeaseDir):
    first = leases.acquire(SERIAL, SERVER, owner("gw0"))
    fds_before = len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else 0

    def interrupt(_message: str) -> None:
        raise KeyboardInterrupt

    leases.progress = interrupt
    with pytest.raises(KeyboardInterrupt):
        leases.acquire(SERIAL, SERVER, owner("gw1"), timeout_s=30)
    if fds_before:
        assert len(os.listdir("/proc/self/fd")) == fds_before
    assert leases.holder(SERIAL, SERVER) == first.record
    first.release()
    leases.progress = None
    leases.acquire(SERIAL, SERVER, owner("gw1"), timeout_s=1).release()


def test_processes_hammering_one_device_never_hold_it_together(tmp_path: Path):
    log = tmp_path / "run" / "leases.jsonl"
    procs = [spawn(HAMMER, str(tmp_path / "leases"), str(log), f"gw{i}", "15")
             for i in range(4)]
    for p in procs:
        assert p.wait(timeout=60) == 0
    entries = read_log(log)
    assert sum(1 for e in entries if e["event"] == "acquire") == 60
    assert find_overlaps(entries) == []
    assert not any((tmp_path / "leases").iterdir())  # no lock files pile up


def test_find_overlaps_reports_two_holders_at_once():
    def ev(event: str, worker: str, t: float) -> dict[str, object]:
        return {"event": event, "serial": "A", "server": "s:1", "worker": worker, "pid": 1,
                "host": "h", "mono": t, "wall": t}

    clean = [ev("acquire", "gw0", 1), ev("release", "gw0", 2), ev("acquire", "gw1", 2.5)]
    assert find_overlaps(clean) == []
    clash = [*clean, ev("acquire", "gw2", 3)]  # gw1 never released: holds to the end
    found = find_overlaps(clash)
    assert len(found) == 1
    assert "gw2" in str(found[0]) and "gw1" in str(found[0]) and "A@s:1" in str(found[0])
    # ... unless gw1 died and gw2 recovered its lease: then gw1's lease ended there.
    recovered = {**ev("recover", "gw2", 3), "previous_host": "h", "previous_pid": 1,
                 "previous_worker": "gw1"}
    assert find_overlaps([*clean, recovered, ev("acquire", "gw2", 3.001)]) == []


def test_default_lease_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HARNESS_LEASE_DIR", str(tmp_path / "x"))
    assert default_lease_dir() == tmp_path / "x"
    monkeypatch.delenv("HARNESS_LEASE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_lease_dir() == tmp_path / "cache" / "harness" / "leases"


def test_lease_file_names_stay_apart_for_similar_keys(leases: LeaseDir):
    a = leases.paths("127.0.0.1:5555", "127.0.0.1:5037")[0]
    b = leases.paths("127.0.0.1_5555", "127.0.0.1:5037")[0]
    assert a != b and a.parent == b.parent == leases.path
