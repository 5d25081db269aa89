"""Fixtures for integration tests: a private adb server and virtual devices behind it.

Everything goes through the real adb server bundled with adbutils: these tests check the
virtual device and the harness's device layer exactly as they would meet a phone.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from harness.adb_server import PrivateAdbServer, bundled_adb
from harness.device import Device
from harness.virtual.launcher import VirtualFarm

BOOT_TIME_S = 1.0


@pytest.fixture(scope="session")
def adb_server() -> Iterator[PrivateAdbServer]:
    with PrivateAdbServer() as server:
        yield server


@pytest.fixture(scope="session")
def farm(adb_server: PrivateAdbServer) -> Iterator[VirtualFarm]:
    """One virtual device shared by the session (tests must restore what they change)."""
    with VirtualFarm(count=1, adb=adb_server.address, boot_time_s=BOOT_TIME_S) as farm:
        yield farm


@pytest.fixture
def serial(farm: VirtualFarm) -> str:
    return farm.serials[0]


@pytest.fixture
def device(serial: str, adb_server: PrivateAdbServer) -> Device:
    return Device(serial, adb_server.address)


@pytest.fixture
def fresh_farm(adb_server: PrivateAdbServer) -> Iterator[VirtualFarm]:
    """A virtual device of its own, for tests that reboot, break or stop it."""
    with VirtualFarm(count=1, adb=adb_server.address, boot_time_s=BOOT_TIME_S) as farm:
        yield farm


class AdbCli:
    """The real adb command line, pointed at the private server."""

    def __init__(self, server: PrivateAdbServer) -> None:
        self.server = server

    def __call__(self, *args: str, timeout_s: float = 60, input: bytes | None = None,
                 ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, HOME=str(self.server.home),
                   ANDROID_USER_HOME=str(self.server.home) + "/.android")
        return subprocess.run([str(bundled_adb()), "-P", str(self.server.port), *args],
                              capture_output=True, text=True, timeout=timeout_s, env=env)


@pytest.fixture(scope="session")
def adb(adb_server: PrivateAdbServer) -> AdbCli:
    return AdbCli(adb_server)
