"""Run virtual devices on an event loop in a background thread (tests, the launcher)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from harness.virtual.device import VirtualDevice, VirtualDeviceConfig

T = TypeVar("T")


class DeviceLoop:
    """An asyncio loop in a daemon thread hosting one or more virtual devices."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="virtual-devices", daemon=True)
        self._thread.start()
        self.devices: list[VirtualDevice] = []

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout_s: float | None = 30) -> T:
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout_s)

    def start_device(
        self, config: VirtualDeviceConfig | None = None, wait_booted: bool = True
    ) -> VirtualDevice:
        async def create() -> VirtualDevice:
            dev = VirtualDevice(config)
            await dev.start()
            if wait_booted:
                await dev.wait_booted()
            return dev

        dev = self.call(create(), timeout_s=120)
        self.devices.append(dev)
        return dev

    def stop_device(self, device: VirtualDevice) -> None:
        self.call(device.stop())
        if device in self.devices:
            self.devices.remove(device)

    def close(self) -> None:
        for dev in list(self.devices):
            try:
                self.stop_device(dev)
            except Exception:
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
