"""``device_config`` (API 29+): the shell verbs as DeviceConfigService.MyShellCommand prints them,
persistence across reboots, the Python API and its ``device_config_changed`` event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.device_config import DeviceConfigService
from tests.unit.virtual.conftest import Shell


@pytest.fixture
def device(device_loop: DeviceLoop) -> Iterator[Callable[..., VirtualDevice]]:
    made: list[VirtualDevice] = []

    def make(api_level: int | None = None) -> VirtualDevice:
        dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05, api_level=api_level))
        made.append(dev)
        return dev

    yield make
    for dev in made:
        device_loop.stop_device(dev)


def run(loop: DeviceLoop, fn: Callable[[], Any]) -> Any:
    async def go() -> Any:
        return fn()

    return loop.call(go())


def reboot(loop: DeviceLoop, dev: VirtualDevice) -> None:
    loop.call(dev.reboot())
    loop.call(dev.wait_booted(), timeout_s=60)


def test_get_put_delete_list(sh):
    assert sh("device_config get jobscheduler nothing_here") == ("null\n", "", 0)
    assert sh("device_config put jobscheduler min_ready_non_active_jobs_count 0") == ("", "", 0)
    assert sh("cmd device_config get jobscheduler min_ready_non_active_jobs_count") == (
        "0\n", "", 0)
    sh("device_config put alarm_manager min_futurity 1000")
    out, _, _ = sh("device_config list")
    assert "alarm_manager/min_futurity=1000\n" in out
    assert "jobscheduler/min_ready_non_active_jobs_count=0\n" in out
    assert sh("device_config list alarm_manager") == ("min_futurity=1000\n", "", 0)
    assert sh("device_config delete alarm_manager min_futurity") == (
        "Successfully deleted min_futurity from alarm_manager\n", "", 0)
    assert sh("device_config delete alarm_manager min_futurity") == (
        "Failed to delete min_futurity from alarm_manager\n", "", 0)
    assert sh("device_config list alarm_manager") == ("", "", 0)
    sh("device_config delete jobscheduler min_ready_non_active_jobs_count")


def test_argument_errors_follow_the_shell_command(sh):
    assert sh("device_config frob") == ("", "Invalid command: frob\n", 255)
    assert sh("device_config get jobscheduler") == ("", "Bad arguments\n", 255)
    assert sh("device_config get a b c") == ("", "Too many arguments\n", 255)
    assert sh("device_config put a b") == ("", "Bad arguments\n", 255)
    assert sh("device_config put a b c d") == ("", "Bad arguments\n", 255)
    assert sh("device_config reset bogus") == ("", "Invalid reset mode: bogus\n", 255)
    assert sh("device_config set_sync_disabled_for_tests never")[1:] == (
        "Invalid sync disabled mode: never\n", 255)
    out, _err, rc = sh("device_config")
    assert out.startswith("Device Config (device_config) commands:") and rc == 255


def test_reset_puts_back_defaults_of_shell_written_flags(sh):
    sh("device_config put ns_reset with_default 1 default")
    sh("device_config put ns_reset with_default 2")
    sh("device_config put ns_reset no_default 3")
    sh("device_config reset untrusted_defaults ns_reset")
    assert sh("device_config list ns_reset")[0] == "no_default=3\nwith_default=1\n"
    sh("device_config put ns_reset with_default 2")
    sh("device_config reset untrusted_clear ns_reset")
    assert sh("device_config list ns_reset")[0] == "with_default=1\n"


def test_sync_disabled_mode_and_persistence(device_loop, device):
    dev = device()
    sh = Shell(device_loop, dev)
    assert sh("device_config get_sync_disabled_for_tests") == ("none\n", "", 0)
    sh("device_config set_sync_disabled_for_tests until_reboot")
    assert sh("device_config get_sync_disabled_for_tests")[0] == "until_reboot\n"
    sh("device_config put jobscheduler qc_max_session_count_rare 5")
    reboot(device_loop, dev)
    # Flags live in the settings provider's config table; "until_reboot" ends with the boot.
    assert sh("device_config get jobscheduler qc_max_session_count_rare")[0] == "5\n"
    assert sh("device_config get_sync_disabled_for_tests")[0] == "none\n"
    sh("device_config set_sync_disabled_for_tests persistent")
    reboot(device_loop, dev)
    assert sh("device_config get_sync_disabled_for_tests")[0] == "persistent\n"


def test_python_api_and_change_event(device_loop, device):
    dev = device()
    events: list[dict[str, Any]] = []
    config = run(device_loop, lambda: dev.system.service(DeviceConfigService))
    run(device_loop, lambda: dev.system.bus.subscribe(
        "device_config_changed", lambda **p: events.append(p)))
    sh = Shell(device_loop, dev)
    sh("device_config put device_idle light_after_inactive_to 1000")
    assert run(device_loop, lambda: config.get("device_idle", "light_after_inactive_to")) == "1000"
    assert run(device_loop, lambda: config.get_int("device_idle", "light_after_inactive_to", 5)) \
        == 1000
    sh("device_config put device_idle light_after_inactive_to 1000")  # unchanged: no event
    sh("device_config delete device_idle light_after_inactive_to")
    assert events == [
        {"namespace": "device_idle", "key": "light_after_inactive_to", "value": "1000"},
        {"namespace": "device_idle", "key": "light_after_inactive_to", "value": None},
    ]


def test_versions(device_loop, device):
    old = Shell(device_loop, device(api_level=28))
    assert old("device_config get a b")[1:] == ("/system/bin/sh: device_config: not found\n", 127)
    q = Shell(device_loop, device(api_level=29))
    assert q("device_config get a b") == ("null\n", "", 0)
    # The sync-disabled modes arrived with Android 12.
    assert q("device_config get_sync_disabled_for_tests") == (
        "", "Invalid command: get_sync_disabled_for_tests\n", 255)
