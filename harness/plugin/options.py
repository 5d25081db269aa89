"""Command-line options of the plugin."""

from __future__ import annotations

import pytest

from harness.virtual.launcher import DEFAULT_BOOT_TIME_S


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "Android background-work harness")
    group.addoption("--serial", action="append", default=[], metavar="SERIAL",
                    help="run on this device (repeatable); no --serial means virtual devices")
    group.addoption("--virtual", nargs="?", type=int, const=1, default=None, metavar="N",
                    help="run on N virtual devices (the default, with N=1)")
    group.addoption("--virtual-profiles", default=None, metavar="P1,P2",
                    help="virtual device profiles, e.g. pixel-34,samsung-33")
    group.addoption("--virtual-api", type=int, default=None, metavar="LEVEL",
                    help="API level of the virtual devices")
    group.addoption("--virtual-boot-time", type=float, default=DEFAULT_BOOT_TIME_S,
                    metavar="SECONDS", help="how long a virtual device takes to boot")
    group.addoption("--virtual-clock-rate", type=float, default=1.0, metavar="RATE",
                    help="run virtual devices' clocks faster than real time")
    group.addoption("--adb-server", action="append", default=[], metavar="HOST:PORT",
                    help="adb server(s) to find --serial devices on (default 127.0.0.1:5037)")
    group.addoption("--harness-reports", default="reports", metavar="DIR",
                    help="where run folders are written (default: reports/)")
    group.addoption("--harness-artifacts", choices=("on-failure", "never"),
                    default="on-failure",
                    help="keep logcat, screenshot and UI hierarchy of failed tests")
