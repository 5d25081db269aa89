"""The run's devices: chosen once per run, started when the first test needs them.

Without pytest-xdist the devices are selected (virtual ones started) when collection meets the
first test that uses the plugin's ``device`` or ``devices`` fixture. Under xdist the controller
selects them before the workers start (:mod:`harness.plugin.farm`) and hands the list to every
worker, so that all workers collect the same tests and share one run folder.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import __version__
from harness.adb_server import AdbServerAddress, PrivateAdbServer, ensure_server, free_port
from harness.device import Device
from harness.errors import DeviceFilterError, HarnessError
from harness.farm.discovery import FarmDevice, discover
from harness.farm.selection import Expr, labels, parse_filter, select
from harness.virtual.launcher import DEFAULT_BOOT_TIME_S

SESSION_KEY = pytest.StashKey["HarnessSession"]()
DEVICE_FIXTURES = {"device", "devices"}
WORKERINPUT_KEY = "harness"


@dataclass
class DeviceInfo:
    """A device of the run, as reports and test ids name it."""

    serial: str
    server: str
    model: str = ""
    manufacturer: str = ""
    api_level: int = 0
    virtual_profile: str = ""  # the virtual family this run started it as (pixel-34 ...)
    profile: str = ""  # the matched device profile
    is_virtual: bool = False
    label: str = ""  # short name in test ids: the serial, or serial@server if ambiguous

    @property
    def key(self) -> str:
        return f"{self.serial}@{self.server}"

    @classmethod
    def from_farm(cls, d: FarmDevice, label: str, virtual_profile: str = "") -> DeviceInfo:
        return cls(
            d.serial, d.server, d.model, d.manufacturer, d.api_level, virtual_profile,
            d.profile, d.is_virtual, label,
        )

    def describe(self) -> str:
        started = (
            f"  (virtual device, profile {self.virtual_profile})" if self.virtual_profile else ""
        )
        profile = f"  profile {self.profile}" if self.profile else ""
        return (
            f"{self.serial}  {self.manufacturer} {self.model}  API {self.api_level}{profile}"
            f"  on {self.server}{started}"
        )


@dataclass
class HarnessSession:
    config: pytest.Config
    run_id: str
    run_dir: Path
    devices: list[Device] = field(default_factory=list)
    infos: list[DeviceInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    private_server: PrivateAdbServer | None = None
    farm: object | None = None
    started: bool = False
    error: str | None = None
    is_worker: bool = False
    shown: bool = False  # device lines already printed
    _run_info: dict[str, Any] = field(default_factory=dict)

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

    def device_by_key(self, key: str) -> tuple[DeviceInfo, Device]:
        for info, dev in zip(self.infos, self.devices, strict=True):
            if info.key == key:
                return info, dev
        raise KeyError(key)

    def _start(self) -> None:
        opt = self.config.getoption
        expr = device_filter(self.config)
        text = opt("device_filter") or ""
        started_as: dict[str, str] = {}
        if wants_real_devices(self.config):
            named = [AdbServerAddress.parse(s) for s in opt("adb_server")]
            servers = named or [_default_server()]
            for address in servers:
                # Only the default local server may be started; a named one belongs to a lab.
                ensure_server(address, start=not named)
            seen, warnings = discover(servers)
            chosen, notes = select(seen, opt("serial"), expr, opt("all_devices"), text)
        else:
            self._start_virtual(opt("virtual") or 1)
            assert self.private_server is not None
            seen, warnings = discover([self.private_server.address])
            chosen, notes = select(seen, (), expr, True, text)
            handles = self.farm.handles  # type: ignore[attr-defined]
            started_as = {h.serial: h.profile for h in handles}
            order = [h.serial for h in handles]  # the order of --virtual-profiles
            chosen.sort(key=lambda d: order.index(d.serial) if d.serial in order else len(order))
        self.notes = warnings + notes
        names = labels(chosen)
        self.infos = [
            DeviceInfo.from_farm(d, names[d.key], started_as.get(d.serial, "")) for d in chosen
        ]
        self.devices = [Device(d.serial, d.address, check_present=False) for d in chosen]

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
        self.farm = farm  # set first, so that stop() cleans up a farm that failed half-way
        farm.start()

    def stop(self) -> None:
        if self.farm is not None:
            self.farm.stop()  # type: ignore[attr-defined]
            self.farm = None
        if self.private_server is not None:
            self.private_server.stop()
            self.private_server = None

    # ---------------------------------------------------------------- xdist
    def to_workerinput(self) -> dict[str, Any]:
        """What a worker needs to join this run: JSON-able, sent through execnet."""
        return {
            "run_id": self.run_id,
            "run_dir": str(self.run_dir),
            "started": self.started,
            "error": self.error,
            "infos": [asdict(i) for i in self.infos],
            "notes": list(self.notes),
        }

    @classmethod
    def from_workerinput(cls, config: pytest.Config, data: dict[str, Any]) -> HarnessSession:
        infos = [DeviceInfo(**i) for i in data["infos"]]
        return cls(
            config,
            data["run_id"],
            Path(data["run_dir"]),
            devices=[
                Device(i.serial, AdbServerAddress.parse(i.server), check_present=False)
                for i in infos
            ],
            infos=infos,
            notes=list(data["notes"]),
            started=bool(data["started"]),
            error=data["error"],
            is_worker=True,
        )

    # ---------------------------------------------------------------- helpers
    def _say(self, message: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(message)
        else:
            print(message, file=sys.stderr, flush=True)

    def header_lines(self) -> list[str]:
        if self.error:
            return [f"harness: devices could not be started: {self.error}"]
        mode = self.config.getoption("device_mode", "matrix")
        lines = [
            f"harness: run {self.run_id} -> {self.run_dir}",
            f"harness: {len(self.infos)} device(s), mode {mode}",
        ]
        lines += [f"harness: device {info.describe()}" for info in self.infos]
        lines += [f"harness: note: {note}" for note in self.notes]
        return lines

    def _write_run_json(self) -> None:
        if self.is_worker:
            return
        opt = self.config.getoption
        self._run_info = {
            "run_id": self.run_id,
            "harness_version": __version__,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "mode": opt("device_mode", "matrix"),
            "devices": [asdict(info) for info in self.infos],
            "notes": self.notes,
            "options": {
                k: opt(k, None)
                for k in (
                    "serial", "all_devices", "device_filter", "device_mode", "virtual",
                    "virtual_profiles", "virtual_api", "adb_server", "lease_dir",
                )
            },
        }
        self.update_run_json({})

    def update_run_json(self, extra: dict[str, Any]) -> None:
        """Rewrite run.json (atomically) with ``extra`` merged in, e.g. the final summary."""
        if self.is_worker:
            return
        self._run_info.update(extra)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.run_dir / "run.json.tmp"
        tmp.write_text(json.dumps(self._run_info, indent=2, default=str))
        tmp.replace(self.run_dir / "run.json")


def _default_server() -> AdbServerAddress:
    port = os.environ.get("ANDROID_ADB_SERVER_PORT")
    return AdbServerAddress(port=int(port)) if port else AdbServerAddress()


def wants_real_devices(config: pytest.Config) -> bool:
    """Real devices only when named: a serial, --all-devices, or a filter without --virtual."""
    opt = config.getoption
    return bool(
        opt("serial") or opt("all_devices") or (opt("device_filter") and opt("virtual") is None)
    )


def device_filter(config: pytest.Config) -> Expr | None:
    text = config.getoption("device_filter")
    return parse_filter(text) if text else None


def get_session(config: pytest.Config) -> HarnessSession:
    return config.stash[SESSION_KEY]


# ---------------------------------------------------------------- hooks
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "Android background-work harness")
    group.addoption(
        "--serial",
        action="append",
        default=[],
        metavar="SERIAL[@HOST:PORT]",
        help="run on this device (repeatable); without --serial, --all-devices or "
        "--device-filter the run uses virtual devices",
    )
    group.addoption(
        "--all-devices",
        action="store_true",
        default=False,
        help="run on every online device of the adb server(s)",
    )
    group.addoption(
        "--device-filter",
        default=None,
        metavar="EXPR",
        help='choose devices by API level, manufacturer, model, profile, virtual, e.g. '
        '"api>=31 and manufacturer=Google" or "not virtual and model~Pixel"',
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
        help="virtual device profiles, cycled over the N devices, e.g. pixel-34,samsung-33",
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
        help="adb server(s) to find devices on (repeatable; default 127.0.0.1:5037)",
    )
    group.addoption(
        "--harness-reports",
        default="reports",
        metavar="DIR",
        help="where run folders are written (default: reports/)",
    )


def _check_options(config: pytest.Config) -> None:
    opt = config.getoption
    if opt("virtual") is not None and (opt("serial") or opt("all_devices")):
        raise pytest.UsageError(
            "--virtual starts its own devices; it cannot be combined with --serial or "
            "--all-devices"
        )
    if opt("adb_server") and not wants_real_devices(config):
        raise pytest.UsageError(
            "--adb-server needs --serial, --all-devices or --device-filter to choose devices "
            "(tests never touch a device that was not asked for)"
        )
    try:
        device_filter(config)
    except DeviceFilterError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "device: a test that runs on a device")
    _check_options(config)
    workerinput = getattr(config, "workerinput", {})
    if WORKERINPUT_KEY in workerinput:
        config.stash[SESSION_KEY] = HarnessSession.from_workerinput(
            config, workerinput[WORKERINPUT_KEY]
        )
        return
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    run_dir = Path(config.getoption("harness_reports")) / run_id
    config.stash[SESSION_KEY] = HarnessSession(config, run_id, run_dir.resolve())


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.stop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    hs = get_session(config)
    if hs.started:
        hs.shown = True
        return hs.header_lines()
    if wants_real_devices(config):
        return ["harness: real devices, selected when a test needs one"]
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
    if not hs.started or hs.shown:
        return []
    hs.shown = True
    return hs.header_lines()
