"""Whatever happens inside a test, the device ends as it was found: a failure inside
``with doze.deep():`` and a run interrupted with Ctrl-C both leave the PowerState unchanged."""

from __future__ import annotations

import pytest

from harness.device import Device
from harness.power import PowerState

pytest_plugins = ["pytester"]

INNER = '''
import os, signal, time

def test_fails_inside_deep_doze(power):
    power.battery.unplug()
    power.screen.off()
    with power.doze.deep():
        assert power.doze.get("deep") == "IDLE"
        raise AssertionError("boom inside deep doze")

def test_interrupted_inside_deep_doze(power):
    power.battery.unplug()
    power.saver.on()
    # Python's own SIGINT handler, as in a terminal: a runner that starts the suite in the
    # background of a non-interactive shell hands SIGINT down ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with power.doze.deep():
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does
        time.sleep(30)
'''


def _inner_args(adb_server, serial: str) -> list[str]:
    return ["--serial", serial, "--adb-server", f"127.0.0.1:{adb_server.port}",
            "-p", "no:cacheprovider"]


@pytest.fixture
def power_device(fresh_farm, adb_server) -> Device:
    return Device(fresh_farm.serials[0], adb_server.address)


def test_failure_inside_deep_doze_leaves_the_device_as_found(pytester, power_device, adb_server):
    before = PowerState.capture(power_device)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess(*_inner_args(adb_server, power_device.serial),
                                           "-k", "fails_inside")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*boom inside deep doze*"])
    after = PowerState.capture(power_device)
    assert after == before, after.differences(before)


def test_ctrl_c_inside_deep_doze_leaves_the_device_as_found(pytester, power_device, adb_server):
    before = PowerState.capture(power_device)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess(*_inner_args(adb_server, power_device.serial),
                                           "-k", "interrupted")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    after = PowerState.capture(power_device)
    assert after == before, after.differences(before)
