"""A virtual device on an in-process event loop, for fast tests of its shell and services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.shell.interpreter import IO, run_shell
from harness.virtual.shell.streams import BufferOutput, BytesInput


class Shell:
    """Runs command lines on the device's loop and returns (stdout, stderr, status)."""

    def __init__(self, loop: DeviceLoop, device: VirtualDevice) -> None:
        self.loop = loop
        self.device = device

    def __call__(self, line: str, stdin: bytes = b"", uid: int = 2000) -> tuple[str, str, int]:
        out, err = BufferOutput(), BufferOutput()

        async def go() -> int:
            return await run_shell(self.device, line, IO(BytesInput(stdin), out, err), uid=uid)

        status = self.loop.call(go(), timeout_s=30)
        return out.text(), err.text(), status


@pytest.fixture(scope="module")
def device_loop() -> Iterator[DeviceLoop]:
    loop = DeviceLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def vdev(device_loop: DeviceLoop) -> VirtualDevice:
    return device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05))


@pytest.fixture
def sh(device_loop: DeviceLoop, vdev: VirtualDevice) -> Shell:
    return Shell(device_loop, vdev)


@pytest.fixture
def fresh(device_loop: DeviceLoop) -> Iterator[tuple[VirtualDevice, Shell]]:
    """A device of the test's own (boot time 0.05 s), stopped afterwards."""
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05))
    yield dev, Shell(device_loop, dev)
    device_loop.stop_device(dev)
