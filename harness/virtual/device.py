"""A virtual Android device: file system, properties, system services, adbd, and boots.

The device runs on one asyncio event loop. Its lifetime has three phases per boot, which is
what a device harness sees on a phone after ``adb reboot``:

1. ``off``: the transport is gone; a connection from the adb server is held unanswered.
2. ``adbd``: adbd answers (the device is ``device`` in ``adb devices``) but the framework is
   still starting: ``sys.boot_completed`` is unset, ``pm`` and ``dumpsys`` fail.
3. ``booted``: ``sys.boot_completed=1``; system services run; BOOT_COMPLETED is delivered.

What Android keeps across reboots lives on in the file system and in ``persistent()`` objects;
everything else is rebuilt by a fresh :class:`SystemServer` at each boot.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import stat as st
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness.virtual.adbd.host import AdbdHost
from harness.virtual.adbd.transport import ServiceFn
from harness.virtual.clock import DeviceClock
from harness.virtual.fs import ROOT_UID, SHELL_UID, SYSTEM_UID, DynamicFile, File, FileSystem
from harness.virtual.logcat import LogBuffer
from harness.virtual.profiles import VirtualProfile, build_properties, resolve_profile
from harness.virtual.properties import PropertyStore
from harness.virtual.system.base import SystemServer

log = logging.getLogger(__name__)
T = TypeVar("T")

# Share of the boot time after which adbd answers (the kernel and init come first).
ADBD_START_FRACTION = 0.3


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    user: str
    name: str
    uid: int
    vsz: int = 10_000_000
    rss: int = 100_000
    wchan: str = "do_epoll_wait"


@dataclass
class VirtualDeviceConfig:
    profile: str = "virtual"
    api_level: int | None = None
    serial: str = ""
    boot_time_s: float = 3.0
    clock_rate: float = 1.0
    adb_port: int = 0
    state_dir: Path | None = None


class VirtualDevice:
    def __init__(self, config: VirtualDeviceConfig | None = None) -> None:
        self.config = config or VirtualDeviceConfig()
        self.profile: VirtualProfile = resolve_profile(self.config.profile, self.config.api_level)
        self.api_level = self.profile.api_level
        self.serial_number = self.config.serial or f"HVD{uuid.uuid4().hex[:9].upper()}"
        self.clock = DeviceClock(self.config.clock_rate)
        self.fs = FileSystem(lambda: self.clock.wall_ms() // 1000)
        self.props = PropertyStore()
        self.log = LogBuffer(self.clock.wall_ms)
        self._owns_state_dir = self.config.state_dir is None
        self.state_dir = Path(self.config.state_dir or tempfile.mkdtemp(prefix="harness-vdev-"))
        self._persistent: dict[str, Any] = {}
        self._persist_props: dict[str, str] = {}
        self.boot_id = ""
        self.boot_count = 0
        self.phase = "off"
        self.system: SystemServer | None = None
        self.sockets: dict[int, ServiceFn] = {}
        self.adbd = AdbdHost(self, port=self.config.adb_port)
        self._pids = itertools.count(2000)
        self._boot_task: asyncio.Task[None] | None = None
        self._booted_event: asyncio.Event | None = None
        self.on_phase_change: list[Callable[[str], None]] = []
        self.process_providers: list[Callable[[], list[Process]]] = []
        self._layout_done = False

    # ---------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        return self.adbd.port

    @property
    def system_ready(self) -> bool:
        return self.phase == "booted" and self.system is not None

    async def start(self) -> int:
        """Start listening and boot; returns the adbd port."""
        self._booted_event = asyncio.Event()
        port = await self.adbd.start()
        self._boot_task = asyncio.create_task(self._boot())
        return port

    async def wait_booted(self) -> None:
        """Wait for boot completion; a boot that crashed raises its error here."""
        assert self._booted_event is not None
        while not self._booted_event.is_set():
            task = self._boot_task
            if task is not None and task.done() and not task.cancelled():
                exc = task.exception()
                if exc is not None:
                    raise RuntimeError(
                        f"virtual device {self.serial_number} failed to boot"
                    ) from exc
            waiter = asyncio.ensure_future(self._booted_event.wait())
            await asyncio.wait(
                {waiter, *({task} if task else set())}, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()

    async def stop(self) -> None:
        if self._boot_task is not None:
            self._boot_task.cancel()
        self._shutdown_system()
        await self.adbd.stop()
        if self._owns_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def request_reboot(self, reason: str = "reboot") -> None:
        """Reboot soon (from ``reboot`` or the ``reboot:`` service), after replies are sent."""
        asyncio.get_running_loop().call_later(
            0.05, lambda: asyncio.ensure_future(self.reboot(reason))
        )

    async def reboot(self, reason: str = "reboot") -> None:
        log.info("%s rebooting (%s)", self.serial_number, reason)
        self._set_phase("off")
        self.adbd.ready.clear()
        if self._booted_event is not None:
            self._booted_event.clear()
        self._shutdown_system()
        self.sockets.clear()
        await self.adbd.drop_transports()
        if self._boot_task is not None and not self._boot_task.done():
            self._boot_task.cancel()
        self._boot_task = asyncio.create_task(self._boot(reason))

    def _shutdown_system(self) -> None:
        if self.system is not None:
            self.system.shutdown()
            self.system = None

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        for cb in list(self.on_phase_change):
            cb(phase)

    async def _boot(self, reason: str = "cold") -> None:
        boot_s = max(0.0, self.config.boot_time_s)
        self.clock.restart()
        self.boot_count += 1
        self.boot_id = str(uuid.uuid4())
        self.log.clear()
        self._init_properties(reason)
        if not self._layout_done:
            self.fs.image_mode = True
            try:
                self._create_layout()
            finally:
                self.fs.image_mode = False
            self._layout_done = True
        await asyncio.sleep(boot_s * ADBD_START_FRACTION)
        self.props.set("init.svc.adbd", "running")
        self._set_phase("adbd")
        self.adbd.ready.set()
        self.system = SystemServer(self)
        await asyncio.sleep(boot_s * (1 - ADBD_START_FRACTION))
        self.props.set("service.bootanim.exit", "1")
        self.props.set("init.svc.bootanim", "stopped")
        self.props.set("sys.boot_completed", "1")
        self.props.set("dev.bootcomplete", "1")
        self._set_phase("booted")
        self.log.log("I", "ActivityManager", "Boot completed", pid=self.system_server_pid)
        self.system.boot_completed()
        assert self._booted_event is not None
        self._booted_event.set()

    # ---------------------------------------------------------------- state
    def persistent(self, key: str, factory: Callable[[], T]) -> T:
        """An object that survives reboots (Android's XML files and databases in /data)."""
        if key not in self._persistent:
            self._persistent[key] = factory()
        return self._persistent[key]  # type: ignore[no-any-return]

    def set_property(self, key: str, value: str) -> None:
        self.props.set(key, value)
        if key.startswith("persist."):
            self._persist_props[key] = value

    def _init_properties(self, reason: str) -> None:
        props = build_properties(self.profile, self.serial_number)
        props.update(self._persist_props)
        props.update(
            {
                "sys.boot.reason": reason,
                "init.svc.bootanim": "running",
                "service.bootanim.exit": "0",
                "sys.usb.config": "adb",
                "sys.usb.state": "adb",
                "persist.sys.usb.config": "adb",
                "net.hostname": props["ro.product.device"],
            }
        )
        self.props.reset(props)

    @property
    def system_server_pid(self) -> int:
        return 1000 + self.boot_count

    def shell_pid(self) -> int:
        return next(self._pids)

    def new_pid(self) -> int:
        return next(self._pids)

    def processes(self) -> list[Process]:
        """The process table as ``ps`` shows it: native daemons plus the running apps."""
        procs = [Process(1, 0, "root", "init", 0)]
        if self.phase != "off":
            procs.append(Process(self.adbd_pid, 1, "shell", "adbd", 2000))
        if self.system is not None:
            procs += [
                Process(self.system_server_pid - 400, 1, "root", "zygote64", 0),
                Process(
                    self.system_server_pid,
                    self.system_server_pid - 400,
                    "system",
                    "system_server",
                    1000,
                ),
            ]
            procs += self.extra_processes()
        return procs

    def extra_processes(self) -> list[Process]:
        """Processes that system services (activity manager) add."""
        out: list[Process] = []
        for provider in self.process_providers:
            out.extend(provider())
        return out

    @property
    def adbd_pid(self) -> int:
        return 500 + self.boot_count

    def host_path(self, *parts: str) -> Path:
        """A host path inside this device's state directory (for host-backed files)."""
        path = self.state_dir.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _create_layout(self) -> None:
        fs = self.fs
        for path, mode, owner in [
            ("/system/bin", 0o755, ROOT_UID),
            ("/system/xbin", 0o755, ROOT_UID),
            ("/system/app", 0o755, ROOT_UID),
            ("/system/priv-app", 0o755, ROOT_UID),
            ("/system/framework", 0o755, ROOT_UID),
            ("/vendor/bin", 0o755, ROOT_UID),
            ("/product/app", 0o755, ROOT_UID),
            ("/apex", 0o755, ROOT_UID),
            ("/data", 0o771, SYSTEM_UID),
            ("/data/local", 0o751, ROOT_UID),
            ("/data/local/tmp", 0o771, SHELL_UID),
            ("/data/data", 0o771, SYSTEM_UID),
            ("/data/app", 0o771, SYSTEM_UID),
            ("/data/system", 0o775, SYSTEM_UID),
            ("/data/user", 0o711, SYSTEM_UID),
            ("/data/misc", 0o1771, SYSTEM_UID),
            ("/storage", 0o755, ROOT_UID),
            ("/storage/emulated", 0o711, ROOT_UID),
            ("/storage/emulated/0", 0o777, ROOT_UID),
            ("/storage/emulated/0/Download", 0o777, ROOT_UID),
            ("/storage/emulated/0/DCIM", 0o777, ROOT_UID),
            ("/storage/emulated/0/Android", 0o777, ROOT_UID),
            ("/proc", 0o555, ROOT_UID),
            ("/proc/sys/kernel/random", 0o555, ROOT_UID),
            ("/dev", 0o755, ROOT_UID),
            ("/mnt", 0o755, ROOT_UID),
            ("/cache", 0o770, SYSTEM_UID),
            ("/config", 0o555, ROOT_UID),
            ("/sys", 0o755, ROOT_UID),
            ("/etc", 0o755, ROOT_UID),
        ]:
            d = fs.mkdir(path, parents=True)
            d.mode = st.S_IFDIR | mode
            d.uid = d.gid = owner
        fs.symlink("/storage/self/primary", "/sdcard")
        fs.symlink("/storage/emulated/0", "/storage/self/primary")
        fs.symlink("/data/data", "/data/user/0")
        fs.add_node("/dev/null", DynamicFile(st.S_IFREG | 0o666, provider=lambda: b""))
        fs.add_node("/proc/uptime", DynamicFile(st.S_IFREG | 0o444, provider=self._uptime))
        fs.add_node(
            "/proc/sys/kernel/random/boot_id",
            DynamicFile(st.S_IFREG | 0o444, provider=lambda: (self.boot_id + "\n").encode()),
        )
        fs.add_node(
            "/proc/version",
            DynamicFile(
                st.S_IFREG | 0o444,
                provider=lambda: (
                    b"Linux version 5.15.137-android14 (build@harness) (clang) #1 SMP PREEMPT\n"
                ),
            ),
        )
        fs.add_node("/system/framework/framework-res.apk", File(st.S_IFREG | 0o644))
        fs.add_node(
            "/system/build.prop",
            DynamicFile(
                st.S_IFREG | 0o644,
                provider=lambda: "".join(
                    f"{k}={v}\n" for k, v in self.props.items() if k.startswith("ro.")
                ).encode(),
            ),
        )
        from harness.virtual.shell.registry import available_commands

        for name in available_commands(self.api_level):
            if name in ("sh",):
                continue
            fs.add_node(f"/system/bin/{name}", File(st.S_IFREG | 0o755, data=bytearray(b"\x7fELF")))
        fs.add_node("/system/bin/sh", File(st.S_IFREG | 0o755, data=bytearray(b"\x7fELF")))

    def _uptime(self) -> bytes:
        seconds = self.clock.elapsed_ms() / 1000.0
        return f"{seconds:.2f} {seconds * 3.6:.2f}\n".encode()
