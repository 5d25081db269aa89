"""The power manager: battery saver (refused while charging, sticky across plug and reboot),
``svc power stayon``, wake locks and ``dumpsys power`` as the project's parser reads it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.android import power as power_parser
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.system.battery import BatteryService
from harness.virtual.system.power import PowerManagerService
from tests.conformance.captures import captures_dir
from tests.unit.virtual.conftest import Shell
from tests.unit.virtual.helpers import on_loop, reboot, recording, restore_battery


def power_state(sh: Shell) -> power_parser.PowerState:
    out, err, rc = sh("dumpsys power")
    assert (err, rc) == ("", 0)
    return power_parser.parse(out)


@pytest.fixture
def restore_saver(sh: Shell, vdev: VirtualDevice) -> Iterator[None]:
    yield
    sh("cmd battery unplug")
    sh("cmd power set-mode 0")
    restore_battery(sh, vdev)
    for key in ("low_power", "low_power_sticky"):
        sh(f"settings put global {key} 0")
    assert power_state(sh).battery_saver is False


# ----------------------------------------------------------------------------- battery saver


def test_saver_is_refused_while_charging(device_loop, vdev, sh, restore_saver):
    with recording(device_loop, vdev, "power_save_changed") as events:
        # setLowPowerModeInternal returns false while powered; the shell says nothing, exits 0.
        assert sh("cmd power set-mode 1") == ("", "", 0)
        state = power_state(sh)
        assert state.battery_saver is False and state.plugged_in is True
        assert state.battery_saver_source == "Battery saver state machine"
        # The setting path is refused too ("Can't enable: isPowered"); the setting stays 1.
        sh("settings put global low_power 1")
        assert power_state(sh).battery_saver is False
        assert sh("settings get global low_power")[0] == "1\n"
    assert events == []


def test_saver_accepted_on_battery_and_published(device_loop, vdev, sh, restore_saver):
    sh("dumpsys battery unplug")
    with recording(device_loop, vdev, "power_save_changed") as events:
        assert sh("cmd power set-mode 1") == ("", "", 0)
        state = power_state(sh)
        assert state.battery_saver is True and state.battery_saver_full is True
        assert state.battery_saver_state["mState"] == "2"  # MANUAL_ON
        assert "Battery Saver is currently: ON" in sh("dumpsys power")[0]
        assert sh("settings get global low_power")[0] == "1\n"
        assert sh("settings get global low_power_sticky")[0] == "1\n"
        assert vdev.system.service(PowerManagerService).battery_saver_enabled
        sh("cmd power set-mode 0")
        assert power_state(sh).battery_saver is False
        assert sh("settings get global low_power_sticky")[0] == "0\n"
    assert events == [{"enabled": True}, {"enabled": False}]


def test_plugging_in_turns_it_off_and_unplugging_restores_it(sh, restore_saver):
    sh("dumpsys battery unplug")
    sh("cmd power set-mode 1")
    sh("dumpsys battery set usb 1")
    state = power_state(sh)
    assert state.battery_saver is False
    assert state.battery_saver_state["mState"] == "5"  # PENDING_STICKY_ON
    assert state.battery_saver_state["mLastChangedStrReason"] == "Plugged in"
    sh("dumpsys battery set usb 0")
    state = power_state(sh)
    assert state.battery_saver is True
    assert state.battery_saver_state["mLastChangedStrReason"] == "Sticky restore"
    # Sticky gives up once the battery is charged past 90 %.
    sh("dumpsys battery set usb 1")
    sh("dumpsys battery set level 95")
    sh("dumpsys battery set usb 0")
    state = power_state(sh)
    assert state.battery_saver is False and state.battery_saver_state["mState"] == "1"
    assert sh("settings get global low_power_sticky")[0] == "0\n"


def test_settings_low_power_toggles_it_on_battery(sh, restore_saver):
    sh("dumpsys battery unplug")
    sh("settings put global low_power 1")
    state = power_state(sh)
    assert state.battery_saver is True
    assert state.battery_saver_state["mLastChangedStrReason"] == "Global.low_power changed to 1"
    # The setting path leaves the state machine OFF: plugging in does not turn it off, and
    # set-mode 0 is refused while powered; the setting turns it off.
    sh("dumpsys battery set usb 1")
    assert power_state(sh).battery_saver is True
    sh("cmd power set-mode 0")
    assert power_state(sh).battery_saver is True
    sh("settings put global low_power 0")
    assert power_state(sh).battery_saver is False


def test_sticky_saver_after_reboot(fresh, device_loop):
    dev, sh = fresh
    sh("dumpsys battery unplug")
    sh("cmd power set-mode 1")
    reboot(device_loop, dev)
    # onBootCompleted clears low_power; on the USB cable the sticky saver waits.
    state = power_state(sh)
    assert state.battery_saver is False
    assert state.battery_saver_state["mState"] == "5"
    assert sh("settings get global low_power")[0] == "0\n"
    sh("dumpsys battery unplug")
    assert power_state(sh).battery_saver is True
    # Booting on battery restores it straight away.
    on_loop(device_loop, lambda: dev.system.service(BatteryService).set_hardware(plugged="none"))
    reboot(device_loop, dev)
    assert power_state(sh).battery_saver is True


def test_saver_not_sticky_after_manual_off_and_reboot(fresh, device_loop):
    dev, sh = fresh
    on_loop(device_loop, lambda: dev.system.service(BatteryService).set_hardware(plugged="none"))
    sh("cmd power set-mode 1")
    sh("cmd power set-mode 0")
    reboot(device_loop, dev)
    assert power_state(sh).battery_saver is False


def test_set_mode_errors_and_help(sh):
    out, _, rc = sh("cmd power set-mode on")
    assert (out, rc) == ('Error: java.lang.NumberFormatException: For input string: "on"\n', 255)
    out, _, rc = sh("cmd power")
    assert rc == 255 and out.startswith("Power manager (power) commands:\n")
    assert sh("cmd power frobnicate") == ("Unknown command: frobnicate\n", "", 255)


def test_legacy_low_power_before_api_28(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=27, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        sh("settings put global low_power 1")  # powered: PowerManagerService clears it
        assert sh("settings get global low_power")[0] == "0\n"
        out = sh("dumpsys power")[0]
        state = power_parser.parse(out)
        assert state.battery_saver is False and state.battery_saver_source == "mLowPowerModeEnabled"
        assert state.display_state == "ON" and "Battery saver state machine" not in out
        sh("dumpsys battery unplug")
        sh("cmd power set-mode 1")
        assert power_parser.parse(sh("dumpsys power")[0]).battery_saver is True
        sh("dumpsys battery reset")  # plugging in turns it off and clears the setting
        assert power_parser.parse(sh("dumpsys power")[0]).battery_saver is False
        assert sh("settings get global low_power")[0] == "0\n"
    finally:
        device_loop.stop_device(dev)


# ----------------------------------------------------------------------------- stay on


def test_svc_power_stayon(device_loop, vdev, sh):
    power = vdev.system.service(PowerManagerService)
    try:
        assert sh("svc power stayon usb") == ("", "", 0)
        state = power_state(sh)
        assert state.stay_on is True and state.stay_on_while_plugged_in == 2
        assert sh("settings get global stay_on_while_plugged_in")[0] == "2\n"
        sh("svc power stayon ac")  # on USB, an AC-only setting does not keep it awake
        assert power_state(sh).stay_on is False
        sh("svc power stayon true")
        state = power_state(sh)
        assert state.stay_on is True and state.stay_on_while_plugged_in == 7
        sh("dumpsys battery unplug")
        assert power_state(sh).stay_on is False
        sh("dumpsys battery reset")
        # Any value but false wakes the screen first.
        sh("input keyevent KEYCODE_SLEEP")
        assert power.screen_on is False
        sh("svc power stayon wireless")
        assert power.screen_on is True and power.last_wake_reason == "PowerCommand"
        out, err, rc = sh("svc power stayon sometimes")
        assert (out, rc) == ("", 0)
        assert err.startswith("Control the power manager\n\nusage: svc power stayon")
    finally:
        sh("svc power stayon false")
        restore_battery(sh, vdev)
    assert power_state(sh).stay_on_while_plugged_in == 0


def test_svc_help_lists_commands(sh):
    out, err, rc = sh("svc")
    assert (out, rc) == ("", 0)
    assert err.splitlines()[:3] == [
        "Available commands:",
        "    help             Show information about the subcommands",
        "    power            Control the power manager",
    ]


# ----------------------------------------------------------------------------- dumpsys power


def test_parser_reads_screen_power_idle_and_wake_locks(device_loop, vdev, sh):
    power = vdev.system.service(PowerManagerService)
    token = on_loop(
        device_loop,
        lambda: power.acquire_wake_lock("sync:upload", 10180, pid=3853, package="com.example.a"),
    )
    try:
        state = power_state(sh)
        assert state.wakefulness == "Awake" and state.screen_on is True
        assert state.screen_on_source == "mWakefulness"
        assert state.plugged_in is True and state.plug_type == 2
        assert state.device_idle_mode is False and state.light_device_idle_mode is False
        (lock,) = state.wake_locks
        assert (lock.level, lock.tag, lock.uid, lock.pid) == (
            "PARTIAL_WAKE_LOCK",
            "sync:upload",
            10180,
            3853,
        )
        assert lock.package == "com.example.a" and not lock.disabled
        assert lock.acquired is not None  # "-1s2ms" ago, or "0" right after acquiring

        # Doze's idle state as the Doze model publishes it; deep idle disables app wake locks.
        on_loop(
            device_loop,
            lambda: vdev.system.bus.publish(
                "idle_state_changed",
                deep="IDLE",
                light="OVERRIDE",
                deep_idle=True,
                light_idle=False,
                reason="test",
            ),
        )
        state = power_state(sh)
        assert state.device_idle_mode is True and state.wake_locks[0].disabled
    finally:
        on_loop(device_loop, lambda: power.release_wake_lock(token))
        on_loop(
            device_loop,
            lambda: vdev.system.bus.publish(
                "idle_state_changed",
                deep="ACTIVE",
                light="ACTIVE",
                deep_idle=False,
                light_idle=False,
                reason="test",
            ),
        )
    state = power_state(sh)
    assert state.wake_locks == [] and state.device_idle_mode is False


def test_screen_off_in_dump(sh):
    try:
        sh("input keyevent KEYCODE_SLEEP")
        state = power_state(sh)
        assert state.wakefulness == "Asleep" and state.screen_on is False
        assert state.holding_display_suspend_blocker is False
    finally:
        sh("input keyevent KEYCODE_WAKEUP")
    assert power_state(sh).screen_on is True


def _block(text: str, title: str) -> dict[str, str]:
    lines = text.splitlines()
    start = lines.index(title)
    out: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        key, sep, value = line.strip().partition("=")
        if sep:
            out[key] = value
    return out


def test_api33_dump_matches_the_real_layout(device_loop):
    root = captures_dir()
    path = root / "power" / "axxs-mt8168-api33.txt" if root else None
    if path is None or not path.exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    real = path.read_text(errors="replace")
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=33, boot_time_s=0.05))
    try:
        ours = Shell(device_loop, dev)("dumpsys power")[0]
    finally:
        device_loop.stop_device(dev)
    # Every state field printed is one the phone prints, and the saver state machine has
    # exactly the phone's fields in the phone's order.
    assert set(_block(ours, "Power Manager State:")) <= set(_block(real, "Power Manager State:"))
    assert list(_block(ours, "Battery saver state machine:")) == list(
        _block(real, "Battery saver state machine:")
    )
    mine, theirs = power_parser.parse(ours), power_parser.parse(real)
    assert mine.battery_saver_source == theirs.battery_saver_source
    assert mine.display_state is None and theirs.display_state is None
    assert mine.battery_saver is False and mine.plugged_in is True
