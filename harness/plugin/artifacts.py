"""What a person needs to see why a device test failed, kept next to the run's results.

When a test that used a device fails, the plugin saves that device's logcat since the test
started, a screenshot and the UI hierarchy under ``<run dir>/artifacts/<test>/<serial>/`` and
lists them in the test report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.device import Device
from harness.errors import HarnessError

_START = pytest.StashKey[tuple[Device, str]]()
_DUMP_PATH = "/data/local/tmp/harness_window_dump.xml"


def begin_test(item: pytest.Item, device: Device) -> None:
    """Remember where the device's log stood when the test started."""
    try:
        stamp = device.shell_text("date +'%m-%d %H:%M:%S'", timeout_s=10).strip()
    except HarnessError:
        stamp = ""
    item.stash[_START] = (device, stamp)


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", nodeid).strip("_")[:150]


def collect(item: pytest.Item, run_dir: Path) -> list[str]:
    device, stamp = item.stash[_START]
    out_dir = run_dir / "artifacts" / _safe_name(item.nodeid) / _safe_name(device.serial)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []

    def keep(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        try:
            data = fn()
        except HarnessError as exc:
            notes.append(f"{name}: not collected ({str(exc).splitlines()[0]})")
            return
        (out_dir / name).write_bytes(data)
        notes.append(f"{name}: {out_dir / name}")

    since = ["-T", f"{stamp}.000"] if stamp else []
    keep(
        "logcat.txt",
        lambda: device.exec_out(["logcat", "-d", "-v", "threadtime", *since], timeout_s=30),
    )
    keep("screenshot.png", lambda: device.exec_out(["screencap", "-p"], timeout_s=30))
    keep(
        "window_dump.xml",
        lambda: device.exec_out(
            f"uiautomator dump {_DUMP_PATH} >/dev/null && cat {_DUMP_PATH}; rm -f {_DUMP_PATH}",
            timeout_s=30,
        ),
    )
    return notes


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("harness").addoption(
        "--harness-artifacts",
        choices=("on-failure", "never"),
        default="on-failure",
        help="keep logcat, screenshot and UI hierarchy of failed tests",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if (
        report.when == "call"
        and report.failed
        and _START in item.stash
        and item.config.getoption("harness_artifacts") == "on-failure"
    ):
        from harness.plugin.session import get_session

        notes = collect(item, get_session(item.config).run_dir)
        report.sections.append(("harness artifacts", "\n".join(notes)))
    return report
