"""The run's devices: chosen once per session, started when the first test needs them."""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import __version__
from harness.adb_server import AdbServerAddress, PrivateAdbServer, ensure_server, free_port
from harness.device import Device
from harness.errors import DeviceNotFound, HarnessError
from harness.virtual.launcher import DEFAULT_BOOT_TIME_S

SESSION_KEY = pytest.StashKey["HarnessSession"]()
DEVICE_FIXTURES = {"device", "devices"}


@dataclass
class DeviceInfo:
    serial: str
    server: str
    model: str = ""
    manufacturer: str = ""
    api_level: int = 0
    virtual_profile: str = ""

    def describe(self) -> str:
        kind = f"  (virtual device, profile {self.virtual_profile})" if self.virtual_profile else ""
        return f"{self.serial}  {self.manufacturer} {self.model}  API {self.api_level}{kind}"


@dataclass
class HarnessSession:
    config: pytest.Config
    run_id: str
    run_dir: Path
    devices: list[Device] = field(default_factory=list)
    infos: list[DeviceInfo] = field(default_factory=list)
    private_server: PrivateAdbServer | None = None
    farm: object | None = None
    started: bool = False
    error: str | None = None

    # ---------------------------------------------------------------- start/stop
    def ensure_started(self) -> None:
        if self.started:
            if self.error:
                raise HarnessError(self.error)
            return
        self.started = True
        try:
            self._start()
        except HarnessError as exc:
            self.error = str(exc)
            raise
        self._write_run_json()

    def _start(self) -> None:
        opt = self.config.getoption
        serials: list[str] = opt("serial")
        if serials:
            named = [AdbServerAddress.parse(s) for s in opt("adb_server")]
            servers = named or [_default_server()]
            for address in servers:
                ensure_server(address, start=not named)
            for serial in serials:
                self.devices.append(_find(serial, servers))
        else:
            self._start_virtual(opt("virtual") or 1)
        for dev in self.devices:
            props = dev.getprops()
            profile = ""
            if self.farm is not None:
                profile = self.farm.handle(dev.serial).profile  # type: ignore[attr-defined]
            self.infos.append(
                DeviceInfo(
                    dev.serial,
                    str(dev.server),
                    props.get("ro.product.model", ""),
                    props.get("ro.product.manufacturer", ""),
                    int(props.get("ro.build.version.sdk", "0") or 0),
                    profile,
                )
            )

    def _start_virtual(self, count: int) -> None:
        from harness.virtual.launcher import VirtualFarm

        opt = self.config.getoption
        port = free_port()
        # Tools that use adbutils' module-level client (uiautomator2.connect(serial)) read this
        # variable when adbutils is first imported; set it before anything imports it.
        os.environ["ANDROID_ADB_SERVER_PORT"] = str(port)
        self.private_server = PrivateAdbServer(port=port).start()
        profiles = opt("virtual_profiles").split(",") if opt("virtual_profiles") else None
        self._say(f"harness: starting {count} virtual device(s)...")
        farm = VirtualFarm(
            count,
            self.private_server.address,
            profiles,
            opt("virtual_api"),
            opt("virtual_boot_time"),
            opt("virtual_clock_rate"),
            progress=self._say,
        )
        farm.start()
        self.farm = farm
        self.devices = [Device(s, self.private_server.address) for s in farm.serials]

    def stop(self) -> None:
        if self.farm is not None:
            self.farm.stop()  # type: ignore[attr-defined]
            self.farm = None
        if self.private_server is not None:
            self.private_server.stop()
            self.private_server = None

    # ---------------------------------------------------------------- helpers
    def _say(self, message: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(message)
        else:
            print(message, file=sys.stderr, flush=True)

    def _write_run_json(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "run_id": self.run_id,
            "harness_version": __version__,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "devices": [info.__dict__ for info in self.infos],
            "options": {
                k: self.config.getoption(k)
                for k in ("serial", "virtual", "virtual_profiles", "virtual_api", "adb_server")
            },
        }
        tmp = self.run_dir / "run.json.tmp"
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.run_dir / "run.json")


def _default_server() -> AdbServerAddress:
    port = os.environ.get("ANDROID_ADB_SERVER_PORT")
    return AdbServerAddress(port=int(port)) if port else AdbServerAddress()


def _find(serial: str, servers: list[AdbServerAddress]) -> Device:
    seen: list[str] = []
    for address in servers:
        try:
            return Device(serial, address)
        except DeviceNotFound as exc:
            seen.extend(f"{s} @ {address}" for s in exc.seen)
    raise DeviceNotFound(serial, seen, ", ".join(str(s) for s in servers))


def get_session(config: pytest.Config) -> HarnessSession:
    return config.stash[SESSION_KEY]


# ---------------------------------------------------------------- hooks
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "Android background-work harness")
    group.addoption(
        "--serial",
        action="append",
        default=[],
        metavar="SERIAL",
        help="run on this device (repeatable); no --serial means virtual devices",
    )
    group.addoption(
        "--virtual",
        nargs="?",
        type=int,
        const=1,
        default=None,
        metavar="N",
        help="run on N virtual devices (the default, with N=1)",
    )
    group.addoption(
        "--virtual-profiles",
        default=None,
        metavar="P1,P2",
        help="virtual device profiles, e.g. pixel-34,samsung-33",
    )
    group.addoption(
        "--virtual-api",
        type=int,
        default=None,
        metavar="LEVEL",
        help="API level of the virtual devices",
    )
    group.addoption(
        "--virtual-boot-time",
        type=float,
        default=DEFAULT_BOOT_TIME_S,
        metavar="SECONDS",
        help="how long a virtual device takes to boot",
    )
    group.addoption(
        "--virtual-clock-rate",
        type=float,
        default=1.0,
        metavar="RATE",
        help="run virtual devices' clocks faster than real time",
    )
    group.addoption(
        "--adb-server",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="adb server(s) to find --serial devices on (default 127.0.0.1:5037)",
    )
    group.addoption(
        "--harness-reports",
        default="reports",
        metavar="DIR",
        help="where run folders are written (default: reports/)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "device: a test that runs on a device")
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    run_dir = Path(config.getoption("harness_reports")) / run_id
    config.stash[SESSION_KEY] = HarnessSession(config, run_id, run_dir.resolve())


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.stop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if config.getoption("serial"):
        return [f"harness: devices {', '.join(config.getoption('serial'))}"]
    return [
        f"harness: virtual devices ({config.getoption('virtual') or 1}), started when a "
        f"test needs one"
    ]


def uses_plugin_devices(item: pytest.Item) -> bool:
    """True when the test gets its device from this plugin (not from a fixture overriding it)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name in DEVICE_FIXTURES & set(info.names_closure):
        defs = info.name2fixturedefs.get(name, ())
        if defs and defs[-1].func.__module__ == "harness.plugin.fixtures":
            return True
    return False


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    needs_device = any(uses_plugin_devices(item) for item in items)
    if needs_device and not config.getoption("collectonly"):
        try:
            get_session(config).ensure_started()
        except HarnessError:
            pass  # reported by the fixture of each test that needs a device


def pytest_report_collectionfinish(
    config: pytest.Config, start_path: Path, items: list[pytest.Item]
) -> list[str]:
    hs = get_session(config)
    if not hs.started:
        return []
    if hs.error:
        return [f"harness: devices could not be started: {hs.error}"]
    lines = [f"harness: run {hs.run_id} -> {hs.run_dir}"]
    lines += [f"harness: device {info.describe()}" for info in hs.infos]
    return lines
