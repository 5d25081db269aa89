"""The device pool of one process: leasing on first use, own devices, lost devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.adb_server import AdbServerAddress
from harness.errors import AdbServerError, DeviceLost, DeviceUnavailable, LeaseTimeout
from harness.farm.leases import LeaseDir, LeaseLog, Owner, read_log
from harness.farm.pool import DevicePool, device_key

SERVER = AdbServerAddress("127.0.0.1", 5037)


@dataclass
class FakeDevice:
    """Just what the pool uses of a Device: serial, server and the adb state."""

    serial: str
    server: AdbServerAddress = field(default_factory=lambda: SERVER)
    states: list[str | None] = field(default_factory=lambda: ["device"])

    def state(self) -> str | None:
        value = self.states[0] if len(self.states) == 1 else self.states.pop(0)
        if value == "server-gone":
            raise AdbServerError("cannot reach the adb server")
        return value


def make_pool(tmp_path: Path, devices: list[FakeDevice], worker: str = "gw0",
              **kwargs: object) -> DevicePool:
    said: list[str] = []
    pool = DevicePool(
        devices,  # type: ignore[arg-type]
        LeaseDir(tmp_path / "leases", LeaseLog(tmp_path / "leases.jsonl")),
        Owner.current(worker, "run-1"),
        progress=said.append,
        **kwargs,  # type: ignore[arg-type]
    )
    pool.said = said  # type: ignore[attr-defined]
    return pool


def test_checkout_leases_once_and_close_gives_back(tmp_path: Path):
    a, b = FakeDevice("A"), FakeDevice("B")
    pool = make_pool(tmp_path, [a, b])
    assert pool.checkout(device_key(a)) is a
    assert pool.checkout(device_key(a)) is a
    assert set(pool.leases) == {device_key(a)}
    pool.close()
    assert [e["event"] for e in read_log(tmp_path / "leases.jsonl")] == ["acquire", "release"]


def test_own_device_prefers_its_index_and_skips_held_ones(tmp_path: Path):
    devices = [FakeDevice("A"), FakeDevice("B"), FakeDevice("C")]
    first = make_pool(tmp_path, devices, "gw0")
    second = make_pool(tmp_path, devices, "gw1")
    third = make_pool(tmp_path, devices, "gw4")
    assert first.own_device(1).serial == "B"
    assert first.own_device(2).serial == "B"  # kept for life
    assert second.own_device(1).serial == "C"  # B is taken: the next one
    assert third.own_device(4).serial == "A"  # 4 % 3 = 1 -> B, C taken -> A
    for pool in (first, second, third):
        pool.close()


def test_a_device_that_does_not_come_back_is_lost_for_the_rest_of_the_run(tmp_path: Path):
    a = FakeDevice("A", states=["device", "offline"])
    pool = make_pool(tmp_path, [a], device_wait_s=0.3)
    key = device_key(a)
    pool.checkout(key, "test_1")
    pool.note_lost(key, "test_1", DeviceLost("A", "echo", "adb server: device offline"))
    with pytest.raises(DeviceUnavailable) as first:
        pool.checkout(key, "test_2")
    text = str(first.value)
    assert "[A]" in text and "127.0.0.1:5037" in text and "adb state 'offline'" in text
    assert "before test_2" in text and "first lost in test_1" in text
    assert any("waiting up to 0.3 s" in m for m in pool.said)  # type: ignore[attr-defined]
    a.states = ["device"]  # even if it shows up again: quarantined for this run
    with pytest.raises(DeviceUnavailable, match="lost earlier in the run"):
        pool.checkout(key, "test_3")
    assert isinstance(first.value, DeviceLost)
    pool.close()


def test_a_rebooting_device_is_waited_for(tmp_path: Path):
    a = FakeDevice("A", states=["device", None, "offline", "device"])
    pool = make_pool(tmp_path, [a], device_wait_s=5)
    pool.checkout(device_key(a), "test_1")
    assert pool.checkout(device_key(a), "test_2") is a
    assert not pool.lost
    pool.close()


def test_a_gone_adb_server_counts_as_a_lost_device(tmp_path: Path):
    a = FakeDevice("A", states=["server-gone"])
    pool = make_pool(tmp_path, [a], device_wait_s=0)
    with pytest.raises(DeviceUnavailable, match="not listed by the adb server"):
        pool.checkout(device_key(a), "test_1")
    pool.close()


def test_a_lease_timeout_is_not_waited_again_for_every_test(tmp_path: Path):
    a = FakeDevice("A")
    other_run = LeaseDir(tmp_path / "leases").acquire("A", str(SERVER), Owner.current("x", "r0"))
    pool = make_pool(tmp_path, [a], lease_timeout_s=0.2)
    try:
        with pytest.raises(LeaseTimeout):
            pool.checkout(device_key(a), "test_1")
        with pytest.raises(DeviceUnavailable, match="its lease was not obtained"):
            pool.checkout(device_key(a), "test_2")
        with pytest.raises(DeviceUnavailable):
            pool.own_device(0)  # the only device: its lease was already refused
    finally:
        other_run.release()
        pool.close()
    timeouts = [e for e in read_log(tmp_path / "leases.jsonl") if e["event"] == "timeout"]
    assert len(timeouts) == 1


def test_another_worker_of_the_same_run_is_not_waited_for(tmp_path: Path):
    a = FakeDevice("A")
    gw0 = make_pool(tmp_path, [a], "gw0")
    gw1 = make_pool(tmp_path, [a], "gw1", lease_timeout_s=30)
    gw0.checkout(device_key(a))
    try:
        with pytest.raises(Exception, match="another worker of this run") as info:
            gw1.checkout(device_key(a))
        assert type(info.value).__name__ == "LeaseConflict"
    finally:
        gw0.close()
        gw1.close()
