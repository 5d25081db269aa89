"""Helpers shared by the tests of the virtual device's system services."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from harness.virtual.apps.base import AppModel
from harness.virtual.device import VirtualDevice
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.battery import BatteryService
from tests.unit.virtual.conftest import Shell


def on_loop(device_loop: DeviceLoop, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the device's event loop (services are not thread-safe)."""

    async def run() -> Any:
        return fn()

    return device_loop.call(run())


@contextmanager
def recording(device_loop: DeviceLoop, dev: VirtualDevice, event: str) -> Iterator[list[dict]]:
    """Collect the payloads of one bus event while the block runs."""
    seen: list[dict] = []

    def listener(**payload: Any) -> None:
        seen.append(payload)

    bus = dev.system.bus
    on_loop(device_loop, lambda: bus.subscribe(event, listener))
    try:
        yield seen
    finally:
        on_loop(device_loop, lambda: bus.unsubscribe(event, listener))


def restore_battery(sh: Shell, dev: VirtualDevice) -> None:
    """Undo overrides and bring BatteryStats back to "charging", as the level rising on the
    USB cable does on a phone (after an unplug it stays "not charging" until then)."""
    sh("cmd battery reset")
    level = dev.system.service(BatteryService).hw.level
    sh("cmd battery set usb 1")
    sh(f"cmd battery set level {max(0, level - 1)}")
    sh("settings put global battery_stats_constants battery_charged_delay_ms=0")
    sh("cmd battery reset")
    sh("settings delete global battery_stats_constants")


def reboot(device_loop: DeviceLoop, dev: VirtualDevice) -> None:
    device_loop.call(dev.reboot())
    device_loop.call(dev.wait_booted())


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


S = TypeVar("S")
B = TypeVar("B")


@dataclass
class DeviceBench:
    """A virtual device driven from the test thread: the plumbing every bench shares."""

    loop: DeviceLoop
    dev: VirtualDevice
    # How long wait_until polls unless told otherwise.
    wait_s: ClassVar[float] = 10.0

    def __post_init__(self) -> None:
        self.sh = Shell(self.loop, self.dev)

    def run(self, fn: Callable[[], Any]) -> Any:
        """Call into the device's services on the device's own loop."""
        return on_loop(self.loop, fn)

    def service(self, cls: type[S]) -> S:
        return self.dev.system.service(cls)  # type: ignore[union-attr]

    def elapsed(self) -> int:
        return self.dev.clock.elapsed_ms()

    def wall(self) -> int:
        return self.dev.clock.wall_ms()

    def out(self, line: str) -> str:
        out, err, rc = self.sh(line)
        assert (err, rc) == ("", 0), (line, out, err, rc)
        return out

    def wait_until(
        self, pred: Callable[[], Any], timeout_s: float | None = None, what: str = "condition"
    ) -> Any:
        """Poll ``pred`` from the test thread (it may call :meth:`run` itself); its value.

        Then let the device's loop finish the step the test thread saw half-way: events are
        recorded from the loop's thread, so a step (a broadcast and the app's action on it) may
        still be running when its first event shows. A no-op queued on the loop runs after it.
        """
        deadline = time.monotonic() + (self.wait_s if timeout_s is None else timeout_s)
        while not (value := pred()):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.005)
        self.run(lambda: None)
        return value

    def wait_device_ms(self, ms: int) -> None:
        target = self.elapsed() + ms
        self.wait_until(lambda: self.elapsed() >= target, timeout_s=60, what=f"{ms} ms")


class BenchRegistry(Generic[B]):
    """The bench that drives each device, so that a test app model (one class for every
    device) can report to the bench of the device it runs on."""

    def __init__(self) -> None:
        self._by_serial: dict[str, B] = {}

    def add(self, dev: VirtualDevice, bench: B) -> None:
        self._by_serial[dev.serial_number] = bench

    def remove(self, dev: VirtualDevice) -> None:
        self._by_serial.pop(dev.serial_number, None)

    def of(self, model: AppModel) -> B | None:
        return self._by_serial.get(model.device.serial_number)
