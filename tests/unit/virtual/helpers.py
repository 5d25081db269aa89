"""Helpers shared by the tests of the virtual device's system services."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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
