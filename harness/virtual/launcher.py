"""Start virtual devices as processes and attach them to an adb server.

Each virtual device runs in its own process (``harness.virtual.serve``), so devices use the
machine's cores in parallel and stopping one is like pulling its cable: the adb server sees it
go and the other devices carry on. The adb server reaches each device with
``adb connect 127.0.0.1:PORT`` on an OS-assigned port (never 5555-5585, the emulator scan
range, where a restarting server could list the same device twice).

    with VirtualFarm(count=2, adb=server.address) as farm:
        for serial in farm.serials: ...
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.adb_server import AdbServerAddress, connect, disconnect, list_devices
from harness.errors import HarnessError

DEFAULT_BOOT_TIME_S = 2.0


class VirtualDeviceError(HarnessError):
    pass


@dataclass
class VirtualDeviceHandle:
    """A running virtual device process and how the adb server names it."""

    profile: str
    process: subprocess.Popen[str]
    port: int = 0
    serialno: str = ""
    api_level: int = 0
    boots: int = 0
    _events: queue.Queue[dict[str, object]] = field(default_factory=queue.Queue, repr=False)
    _reader: threading.Thread | None = field(default=None, repr=False)

    @property
    def serial(self) -> str:
        """The adb serial of the device (``127.0.0.1:PORT``)."""
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _read_events(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "booted":
                self.boots = int(event.get("boot", self.boots + 1))  # type: ignore[arg-type]
            self._events.put(event)

    def wait_event(self, name: str, timeout_s: float) -> dict[str, object]:
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise VirtualDeviceError(
                    f"virtual device ({self.profile}) sent no {name!r} within {timeout_s} s"
                )
            try:
                event = self._events.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if not self.alive:
                    raise VirtualDeviceError(
                        f"virtual device ({self.profile}) exited with code "
                        f"{self.process.returncode} before {name!r}"
                    ) from None
                continue
            if event.get("event") == name:
                return event

    def wait_listening(self, timeout_s: float = 60) -> None:
        event = self.wait_event("listening", timeout_s)
        self.port = int(event["port"])  # type: ignore[arg-type]
        self.serialno = str(event.get("serialno", ""))
        self.api_level = int(event.get("api", 0))  # type: ignore[arg-type]
        self.profile = str(event.get("profile", self.profile))

    def control(self, op: str, **kwargs: object) -> None:
        """Send a control command (``reboot``, ``drop_transport``, ``stop``)."""
        if not self.alive or self.process.stdin is None:
            return
        self.process.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.process.stdin.flush()

    def stop(self, timeout_s: float = 10) -> None:
        """Stop the device process (from the adb server's side: the device is unplugged)."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout_s)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def start_device_process(
    profile: str = "virtual",
    api_level: int | None = None,
    boot_time_s: float = DEFAULT_BOOT_TIME_S,
    clock_rate: float = 1.0,
    log_level: str = "WARNING",
    wait: bool = True,
) -> VirtualDeviceHandle:
    """Spawn one virtual device process; with ``wait``, return once its adbd listens (else
    call :meth:`VirtualDeviceHandle.wait_listening` later, so several start in parallel)."""
    argv = [
        sys.executable,
        "-m",
        "harness.virtual.serve",
        "--profile",
        profile,
        "--boot-time",
        str(boot_time_s),
        "--clock-rate",
        str(clock_rate),
        "--log-level",
        log_level,
    ]
    if api_level:
        argv += ["--api", str(api_level)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env=env,
        start_new_session=True,
    )
    handle = VirtualDeviceHandle(profile, proc)
    handle._reader = threading.Thread(
        target=handle._read_events, daemon=True, name=f"vdev-{profile}"
    )
    handle._reader.start()
    if wait:
        handle.wait_listening()
    return handle


def default_profiles(count: int, profiles: list[str] | None) -> list[str]:
    """Cycle through the given profiles (``pixel-34,samsung-33``) to make ``count`` devices."""
    chosen = profiles or ["virtual"]
    return [chosen[i % len(chosen)] for i in range(count)]


class VirtualFarm:
    """N virtual devices attached to one adb server; a context manager for tests and the CLI."""

    def __init__(
        self,
        count: int = 1,
        adb: AdbServerAddress | None = None,
        profiles: list[str] | None = None,
        api_level: int | None = None,
        boot_time_s: float = DEFAULT_BOOT_TIME_S,
        clock_rate: float = 1.0,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.count = count
        self.adb = adb or AdbServerAddress()
        self.profiles = default_profiles(count, profiles)
        self.api_level = api_level
        self.boot_time_s = boot_time_s
        self.clock_rate = clock_rate
        self.handles: list[VirtualDeviceHandle] = []
        self.progress = progress or (lambda _m: None)

    @property
    def serials(self) -> list[str]:
        return [h.serial for h in self.handles]

    def handle(self, serial: str) -> VirtualDeviceHandle:
        for h in self.handles:
            if h.serial == serial:
                return h
        raise KeyError(serial)

    def start(self, timeout_s: float = 120) -> VirtualFarm:
        try:
            # Spawn every process first: their start-up (Python imports, boot) runs in parallel.
            for profile in self.profiles:
                self.handles.append(start_device_process(
                    profile, self.api_level, self.boot_time_s, self.clock_rate, wait=False))
            for h in self.handles:
                h.wait_listening()
                connect(self.adb, h.serial)
            for h in self.handles:
                h.wait_event("booted", timeout_s)
                self._wait_listed(h.serial, timeout_s)
                self.progress(f"virtual device {h.serial} ({h.profile}, API {h.api_level}) booted")
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_listed(self, serial: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        state = None
        while time.monotonic() < deadline:
            state = next((d.state for d in list_devices(self.adb) if d.serial == serial), None)
            if state == "device":
                return
            time.sleep(0.05)
        raise VirtualDeviceError(
            f"{serial} not online on adb server {self.adb} (last state {state!r})"
        )

    def stop(self) -> None:
        for h in self.handles:
            if h.port:
                disconnect(self.adb, h.serial)
            h.stop()
        self.handles.clear()

    def __enter__(self) -> VirtualFarm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
