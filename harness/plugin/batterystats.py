"""Batterystats per test (or per run), and the power report at the end of the run.

For each test that uses the plugin's ``device`` fixture (``--batterystats per-test``, the
default), from the moment the test gets its device until that fixture is torn down (after
every fixture that uses the device, also when the run is interrupted):

1. ``dumpsys battery``: when the device is charging and nothing froze the battery state, it is
   unplugged (the profile's ``battery_unplug``): batterystats counts only time on battery
   ("since charged"), so a test on a USB cable would show no jobs, wakelocks or energy;
2. ``batterystats_reset`` and ``batterystats_enable_full_history`` (wakelock, alarm and process
   events in the history);
3. at the end: ``batterystats_checkin`` (``-c``, no side effects; never ``--checkin``, which
   clears the last completed stats) and ``batterystats_history``;
4. the battery is given back (``battery_reset``) only if this plugin unplugged it and it is
   still frozen: a battery that was already unplugged or frozen (by the test's own power
   controller, a fixture, a person) is left to whoever froze it, and a reboot already dropped
   the override. Full history is turned off again at the end of the run (it is off after
   every boot).

The dumps are kept raw (redacted unless ``--batterystats-keep-personal-data``) with their frames
under ``<run dir>/batterystats/<serial>/<test-id>/``, written atomically, so that under
pytest-xdist every worker writes its own captures and the controller only reads them when it
builds ``report.html`` and ``events.parquet`` in ``pytest_sessionfinish``.

``per-run`` takes one capture per device around the whole run (cheaper on phones: about four
shell commands and two dumps of up to a few MB per test are saved), ``off`` takes none; the
report is built either way.

Collecting never fails a test: what goes wrong is recorded in the capture's ``meta.json`` and
shown in the report.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.android.battery import BatteryState
from harness.android.battery import parse as parse_battery
from harness.device import Device
from harness.errors import HarnessError
from harness.plugin.session import DeviceInfo, HarnessSession, get_session
from harness.profiles import DeviceProfile, load_profiles
from harness.report import build_report, name_of_test, safe_name, write_capture
from harness.report.metrics import SAMPLE_PACKAGE

MODES = ("per-test", "per-run", "off")
DEFAULT_MODE = "per-test"
PLUGIN_NAME = "harness-batterystats"
_DUMP_TIMEOUT_S = 180.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness")
    group.addoption(
        "--batterystats",
        choices=MODES,
        default=DEFAULT_MODE,
        help="collect batterystats for each device test (per-test, the default), once per "
        "device for the whole run (per-run, faster on phones), or not at all (off)",
    )
    group.addoption(
        "--batterystats-keep-personal-data",
        action="store_true",
        default=False,
        help="keep account names and e-mail addresses in batterystats files and reports "
        "(redacted by default)",
    )
    group.addoption(
        "--batterystats-app",
        default=SAMPLE_PACKAGE,
        metavar="PACKAGE",
        help=f"the app whose power cost the report shows (default {SAMPLE_PACKAGE})",
    )


@dataclass
class _Collection:
    """One capture in progress on one device."""

    device: Device
    profile: DeviceProfile | None
    serial: str
    test: str
    nodeid: str
    started_ms: int
    battery_before: BatteryState | None = None
    unplugged: bool = False
    errors: list[str] = field(default_factory=list)


def _ms() -> int:
    return int(time.time() * 1000)


class BatterystatsCollector:
    """Registered once per pytest process (the controller and each xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.mode: str = config.getoption("batterystats")
        self.keep: bool = config.getoption("batterystats_keep_personal_data")
        self.package: str = config.getoption("batterystats_app")
        self._profiles: dict[str, DeviceProfile | None] = {}
        self._profile_errors: dict[str, str] = {}
        self._per_run: dict[str, _Collection] = {}
        self._touched: dict[str, Device] = {}

    # ---------------------------------------------------------------- helpers
    @property
    def session(self) -> HarnessSession:
        return get_session(self.config)

    def _profile(self, device: Device) -> DeviceProfile | None:
        key = _device_key(device)
        if key not in self._profiles:
            try:
                self._profiles[key] = load_profiles().match(device.getprops())
            except HarnessError as exc:
                self._profiles[key] = None
                self._profile_errors[key] = f"no device profile: {exc}"
        return self._profiles[key]

    def _run(self, c: _Collection, operation: str, timeout_s: float = 60.0) -> str | None:
        """stdout of the profile's command for ``operation``; None (and a note) on failure."""
        if c.profile is None:
            key = _device_key(c.device)
            c.errors.append(self._profile_errors.get(key, "no device profile"))
            return None
        try:
            argv = c.profile.command(operation)
            res = c.device.shell(argv, timeout_s=timeout_s)  # type: ignore[arg-type]
        except HarnessError as exc:
            c.errors.append(f"{operation}: {str(exc).splitlines()[0]}")
            return None
        if not res.ok:
            c.errors.append(f"{operation}: exit code {res.exit_code}: {res.output.strip()[:200]}")
            return None
        return res.stdout

    def _battery(self, c: _Collection) -> BatteryState | None:
        try:
            return parse_battery(c.device.shell(["dumpsys", "battery"], timeout_s=30).stdout)
        except HarnessError as exc:
            c.errors.append(f"dumpsys battery: {str(exc).splitlines()[0]}")
            return None

    def _info(self, device: Device) -> DeviceInfo | None:
        server = str(device.server)
        infos = [i for i in self.session.infos if i.serial == device.serial]
        return next((i for i in infos if i.server == server), infos[0] if infos else None)

    # ---------------------------------------------------------------- one capture
    def begin(self, device: Device, test: str, nodeid: str) -> _Collection:
        c = _Collection(device, self._profile(device), device.serial, test, nodeid, _ms())
        self._touched[_device_key(device)] = device
        c.battery_before = self._battery(c)
        before = c.battery_before
        # Batterystats only counts on battery; a battery someone else froze (unplugged, or set
        # on purpose) is left alone.
        charging_freely = (
            before is not None and before.charging and not before.updates_stopped
        )
        if charging_freely and self._run(c, "battery_unplug") is not None:
            c.unplugged = True
        self._run(c, "batterystats_reset")
        self._run(c, "batterystats_enable_full_history")
        return c

    def end(self, c: _Collection) -> Path | None:
        checkin = self._run(c, "batterystats_checkin", _DUMP_TIMEOUT_S)
        history = self._run(c, "batterystats_history", _DUMP_TIMEOUT_S)
        after = self._battery(c)
        if c.unplugged and after is not None and after.updates_stopped:
            self._run(c, "battery_reset")
        info = self._info(c.device)
        label = (getattr(info, "label", "") or c.serial) if info is not None else c.serial
        folder = self.session.run_dir / "batterystats" / safe_name(label) / c.test
        meta = {
            "serial": c.serial,
            "test": c.test,
            "nodeid": c.nodeid,
            "mode": self.mode,
            "started_ms": c.started_ms,
            "finished_ms": _ms(),
            "device": asdict(info) if info is not None else {"serial": c.serial},
            "profile": c.profile.name if c.profile is not None else None,
            "battery_before": c.battery_before.to_json() if c.battery_before else None,
            "battery_after": after.to_json() if after else None,
            "unplugged_by_harness": c.unplugged,
            "errors": c.errors,
        }
        try:
            write_capture(folder, checkin, history, meta, keep_personal_data=self.keep)
        except (OSError, ValueError, HarnessError) as exc:
            c.errors.append(f"writing {folder}: {exc}")
            return None
        return folder

    # ---------------------------------------------------------------- per test / per run
    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        # Collection starts as soon as the test has its device, before the fixtures that use
        # the device (a power controller then finds the battery as this plugin left it), and
        # ends in a finalizer of the device fixture: after those fixtures are torn down, and
        # also when the session is interrupted (pytest finalizes fixtures on Ctrl-C too).
        result = yield
        if (
            self.mode != "off"
            and fixturedef.argname == "device"
            and fixturedef.func.__module__ == "harness.plugin.fixtures"
            and isinstance(result, Device)
        ):
            if self.mode == "per-test":
                node = request.node
                c = self.begin(result, name_of_test(node.nodeid), node.nodeid)
                request.addfinalizer(lambda: self.end(c))
            elif _device_key(result) not in self._per_run:
                self._per_run[_device_key(result)] = self.begin(result, "run", "(whole run)")
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, None, object]:
        try:
            return (yield)
        finally:
            for c in self._per_run.values():
                self.end(c)
            self._per_run.clear()

    # ---------------------------------------------------------------- end of run
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._restore_options()

    def _restore_options(self) -> None:
        """Full history was off before the run (it is off after every boot); turn it off."""
        for device in self._touched.values():
            profile = self._profile(device)
            if profile is None or not profile.supports("batterystats_disable_full_history"):
                continue
            argv = profile.command("batterystats_disable_full_history")
            try:
                device.shell(argv, timeout_s=30)  # type: ignore[arg-type]
            except HarnessError:
                pass
        self._touched.clear()


def _device_key(device: Device) -> str:
    return f"{device.serial}@{device.server}"


# -- hooks -------------------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(BatterystatsCollector(config), PLUGIN_NAME)


def _report_dir(config: pytest.Config) -> Path | None:
    if hasattr(config, "workerinput"):
        return None  # the controller builds the report from what the workers wrote
    hs = get_session(config)
    if not hs.run_dir.is_dir():
        return None
    return hs.run_dir


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    run_dir = _report_dir(config)
    if run_dir is None:
        return
    collector = config.pluginmanager.get_plugin(PLUGIN_NAME)
    package = collector.package if collector is not None else SAMPLE_PACKAGE
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    try:
        path = build_report(run_dir, package)
    except Exception as exc:  # a report problem must not turn a green run red
        if reporter is not None:
            reporter.write_line(f"harness: power report not written: {exc}", red=True)
        return
    config.stash[_REPORT] = path


_REPORT = pytest.StashKey[Path]()


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    path = config.stash.get(_REPORT, None)
    if path is not None:
        terminalreporter.write_line(f"power report: {path}")
