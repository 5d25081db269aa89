"""The sample app fixtures: ``app`` (the driver, prepared and restored), ``jobs`` and
``workmanager`` (inspectors of the platform's and the library's view), and ``--app-apk``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.app.sample import SampleApp
from harness.device import Device
from harness.errors import HarnessError
from harness.inspect.alarms import AlarmInspector
from harness.inspect.jobs import JobSchedulerInspector
from harness.inspect.services import ForegroundServiceInspector
from harness.inspect.workmanager import WorkManagerInspector

_INSTALLED = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("harness").addoption(
        "--app-apk", default=None, metavar="PATH",
        help="the sample app APK to install (default: sample_app's built debug APK, else a "
             "manifest-only stand-in that only models of a device run)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_INSTALLED] = set()


@pytest.fixture
def app(device: Device, request: pytest.FixtureRequest) -> Iterator[SampleApp]:
    """The sample app on the test's device: installed once per run, prepared for the test
    (contract "How the harness prepares the app"), everything it scheduled cancelled and the
    preparation undone afterwards. Its events are saved with the run's results."""
    apk = request.config.getoption("app_apk")
    sample = SampleApp(device, Path(apk) if apk else None)
    installed = request.config.stash[_INSTALLED]
    if device.serial not in installed:
        sample.install()
        installed.add(device.serial)
    sample.prepare()
    try:
        yield sample
    finally:
        _save_events(request, sample)
        sample.restore()


def _save_events(request: pytest.FixtureRequest, sample: SampleApp) -> None:
    """``<run dir>/events/<serial>/<test>.parquet``: the report merges them into events.parquet."""
    from harness.plugin.session import get_session

    try:
        events = sample.events()
    except HarnessError:
        return
    frame = SampleApp.to_frame(events)
    frame["serial"] = sample.device.serial
    frame["test"] = request.node.nodeid
    safe = lambda s: re.sub(r"[^\w.\-]+", "_", s).strip("_")[:150]  # noqa: E731
    out = get_session(request.config).run_dir / "events" / safe(sample.device.serial)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{safe(request.node.nodeid)}.parquet"
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


@pytest.fixture
def jobs(device: Device) -> JobSchedulerInspector:
    """JobScheduler as the platform sees it: jobs with their constraints and state; force-run."""
    return JobSchedulerInspector(device)


@pytest.fixture
def alarms(device: Device) -> AlarmInspector:
    """AlarmManager's pending alarms and idle state (``dumpsys alarm``)."""
    return AlarmInspector(device)


@pytest.fixture
def services(device: Device) -> ForegroundServiceInspector:
    """Foreground services, their notifications, and the notification shade."""
    return ForegroundServiceInspector(device)


@pytest.fixture
def workmanager(app: SampleApp) -> WorkManagerInspector:
    """The app's WorkManager database, read through run-as."""
    return WorkManagerInspector(app.device, app.package)
