"""The battery model: ``dumpsys battery`` / ``cmd battery``, the bench hardware, JobScheduler's
battery handshake, and what survives a reboot."""

from __future__ import annotations

import re

import pytest

from harness.android import battery as battery_parser
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.system.battery import BatteryService
from tests.conformance.captures import captures_dir
from tests.unit.virtual.conftest import Shell
from tests.unit.virtual.helpers import on_loop, reboot, recording, restore_battery, wait_for


def battery(dev: VirtualDevice) -> BatteryService:
    return dev.system.service(BatteryService)


# ----------------------------------------------------------------------------- dumpsys battery


def test_default_state_is_a_phone_on_usb(sh):
    out, err, rc = sh("dumpsys battery")
    assert (err, rc) == ("", 0)
    state = battery_parser.parse(out)
    assert state.plugged == "usb" and state.charging
    assert state.status == 2 and state.status_name == "charging"
    assert state.health_name == "good" and state.present is True
    assert state.scale == 100 and state.technology == "Li-ion"
    assert not state.updates_stopped
    assert out.startswith("Current Battery Service state:\n  AC powered: false\n")
    # API 34 (the default profile) prints the dock charger and the charging state/policy.
    assert "  Dock powered: false\n" in out and "  Charging policy: 1\n" in out


def _labels(text: str) -> list[str]:
    return [ln.split(":", 1)[0].strip() for ln in text.splitlines()[1:] if ":" in ln]


def test_api33_layout_matches_the_real_dump(device_loop):
    root = captures_dir()
    if root is None or not (root / "battery" / "axxs-mt8168-api33.txt").exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    real = (root / "battery" / "axxs-mt8168-api33.txt").read_text()
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=33, boot_time_s=0.05))
    try:
        out, _, _ = Shell(device_loop, dev)("dumpsys battery")
    finally:
        device_loop.stop_device(dev)
    assert _labels(out) == _labels(real)
    ours, theirs = battery_parser.parse(out), battery_parser.parse(real)
    assert set(ours.fields) == set(theirs.fields)
    assert (ours.plugged, ours.status) == (theirs.plugged, theirs.status) == ("usb", 2)


def test_set_freezes_state_and_force_prints_sequence(sh, vdev):
    try:
        out, _, rc = sh("cmd battery set -f level 42")
        assert rc == 0 and re.fullmatch(r"\d+\n", out)
        seq = int(out)
        out2, _, _ = sh("cmd battery set -f level 41")
        assert int(out2) == seq + 1
        # Without -f nothing is printed; a change still bumps the sequence.
        assert sh("dumpsys battery set level 40") == ("", "", 0)
        out, _, _ = sh("dumpsys battery")
        assert "  (UPDATES STOPPED -- use 'reset' to restart)\n" in out
        state = battery_parser.parse(out)
        assert state.updates_stopped and state.level == 40 and state.plugged == "usb"
        assert sh("cmd battery get level")[0] == "40\n"
        out, _, _ = sh("cmd battery reset -f")
        assert int(out) == seq + 3
        state = battery_parser.parse(sh("dumpsys battery")[0])
        assert not state.updates_stopped and state.level != 40
        # Reset when nothing is frozen does nothing, even with -f.
        assert sh("cmd battery reset -f") == ("", "", 0)
    finally:
        restore_battery(sh, vdev)


def test_unplug_get_and_errors(sh, vdev):
    try:
        assert sh("dumpsys battery unplug") == ("", "", 0)
        state = battery_parser.parse(sh("dumpsys battery")[0])
        assert state.plugged == "none" and not state.charging and state.updates_stopped
        assert sh("cmd battery get usb")[0] == "false\n"
        assert sh("cmd battery get ac")[0] == "false\n"
        assert sh("cmd battery get present")[0] == "true\n"
        assert sh("cmd battery set ac 1")[2] == 0
        assert battery_parser.parse(sh("dumpsys battery")[0]).plugged == "ac"
        assert sh("cmd battery get") == ("No property specified\n", "", 255)
        assert sh("cmd battery set level") == ("No value specified\n", "", 255)
        assert sh("cmd battery set level abc") == ("Bad value: abc\n", "", 255)
        assert sh("cmd battery set volume 3") == ("Unknown set option: volume\n", "", 0)
        assert sh("cmd battery get volume") == ("Unknown get option: volume\n", "", 0)
        assert sh("cmd battery frobnicate") == ("Unknown command: frobnicate\n", "", 255)
    finally:
        restore_battery(sh, vdev)


def test_help(sh):
    out, _, rc = sh("cmd battery")
    assert rc == 255 and out.startswith("Battery service (battery) commands:\n  help\n")
    assert "  get [-f] [ac|usb|wireless|dock|status|level|temp|present|counter|invalid]\n" in out
    assert "    -f: force a battery change broadcast be sent, prints new sequence.\n" in out
    out, _, rc = sh("dumpsys battery -h")
    assert rc == 0 and out.startswith("Battery service (battery) commands:")


def test_old_releases_have_no_get_and_no_dock(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=28, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        assert sh("cmd battery get level") == ("Unknown command: get\n", "", 255)
        assert sh("cmd battery set dock 1") == ("Unknown set option: dock\n", "", 0)
        out, _, _ = sh("dumpsys battery")
        assert "Dock powered" not in out and "Charging state" not in out
        help_text = sh("cmd battery help")[0]
        assert "  set [-f] [ac|usb|wireless|status|level|temp|present|invalid] <value>" in help_text
    finally:
        device_loop.stop_device(dev)


def test_every_change_publishes_battery_changed(device_loop, vdev, sh):
    try:
        with recording(device_loop, vdev, "battery_changed") as events:
            seq = int(sh("cmd battery unplug -f")[0])
            sh("cmd battery set level 30")
            sh("cmd battery set level 30")  # no change, no event
            sh("cmd battery set -f level 30")  # forced: an event with a new sequence
        assert [e["seq"] for e in events] == [seq, seq + 1, seq + 2]
        assert events[0] == {
            "plugged": "none",
            "level": events[0]["level"],
            "status": 2,
            "present": True,
            "seq": seq,
        }
        assert events[1]["level"] == 30 and events[1]["plugged"] == "none"
    finally:
        restore_battery(sh, vdev)


# ----------------------------------------------------------------------------- JobScheduler


def test_jobscheduler_battery_handshake(sh, vdev):
    """The CTS recipe: monitor-battery, then poll get-battery-seq and -charging/-not-low."""
    try:
        assert sh("cmd jobscheduler monitor-battery on") == ("Battery monitoring enabled\n", "", 0)
        seq = int(sh("cmd battery unplug -f")[0])
        assert int(sh("cmd jobscheduler get-battery-seq")[0]) == seq
        assert sh("cmd jobscheduler get-battery-charging")[0] == "false\n"
        assert sh("cmd jobscheduler get-battery-not-low")[0] == "true\n"

        # Plugged in but the level does not rise: BatteryStats does not call it charging.
        seq = int(sh("cmd battery set -f ac 1")[0])
        assert int(sh("cmd jobscheduler get-battery-seq")[0]) == seq
        assert sh("cmd jobscheduler get-battery-charging")[0] == "false\n"
        # A rise is reported after battery_charged_delay_ms (15 min by default; CTS sets 0).
        sh("settings put global battery_stats_constants battery_charged_delay_ms=0")
        sh("cmd battery set -f level 50")
        seq = int(sh("cmd battery set -f level 51")[0])
        assert int(sh("cmd jobscheduler get-battery-seq")[0]) == seq
        assert sh("cmd jobscheduler get-battery-charging")[0] == "true\n"

        # Low battery needs the charger gone; BATTERY_OKAY comes at warning level + 5.
        sh("cmd battery unplug -f")
        assert sh("cmd jobscheduler get-battery-charging")[0] == "false\n"
        sh("cmd battery set -f level 10")
        assert sh("cmd jobscheduler get-battery-not-low")[0] == "false\n"
        sh("cmd battery set -f level 18")
        assert sh("cmd jobscheduler get-battery-not-low")[0] == "false\n"
        sh("cmd battery set -f level 20")
        assert sh("cmd jobscheduler get-battery-not-low")[0] == "true\n"

        assert sh("cmd jobscheduler monitor-battery off") == (
            "Battery monitoring disabled\n",
            "",
            0,
        )
        before = int(sh("cmd jobscheduler get-battery-seq")[0])
        sh("cmd battery set -f level 25")
        assert int(sh("cmd jobscheduler get-battery-seq")[0]) == before
        assert sh("cmd jobscheduler monitor-battery maybe") == (
            "",
            "Error: unknown option maybe\n",
            1,
        )
    finally:
        restore_battery(sh, vdev)
        sh("cmd jobscheduler monitor-battery off")
        sh("settings delete global battery_stats_constants")


def test_charging_is_deferred_by_default(fresh):
    dev, sh = fresh
    sh("cmd battery unplug")
    sh("cmd battery set ac 1")
    sh("cmd battery set level 50")
    sh("cmd battery set level 51")
    tracker = dev.system.find("jobscheduler").battery
    assert tracker.charging is False
    assert battery(dev).stats._deferred is not None  # due 15 min of device time later
    sh("cmd battery set level 92")  # at 90 % and above it is charging at once
    assert sh("cmd jobscheduler get-battery-charging")[0] == "true\n"


# ----------------------------------------------------------------------------- the bench battery


def test_discharge_and_charge_over_time(device_loop):
    # 1200x: a device minute is 50 ms; screen-off drain is 1 % per 10 device minutes.
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05, clock_rate=1200))
    try:
        sh = Shell(device_loop, dev)
        svc = battery(dev)
        with recording(device_loop, dev, "battery_changed") as events:
            on_loop(device_loop, lambda: svc.set_hardware(plugged="none", level=60))
            sh("input keyevent KEYCODE_SLEEP")
            assert wait_for(lambda: svc.level <= 58)
            state = battery_parser.parse(sh("dumpsys battery")[0])
            assert state.plugged == "none" and state.status == 3 and state.level <= 58
            assert any(e["level"] == 59 and e["plugged"] == "none" for e in events)

            # A frozen state does not move, while the hardware keeps draining underneath.
            sh("cmd battery set level 57")
            hw_before = svc.hw.level
            assert wait_for(lambda: svc.hw.level < hw_before)
            assert battery_parser.parse(sh("dumpsys battery")[0]).level == 57
            sh("cmd battery reset")

            on_loop(device_loop, lambda: svc.set_hardware(plugged="ac"))
            level = svc.level
            assert wait_for(lambda: svc.level >= level + 2)
            assert svc.status == 2 and svc.plugged == "ac"
            on_loop(device_loop, lambda: svc.set_hardware(level=99))
            assert wait_for(lambda: svc.level == 100)
            assert svc.status == 5  # BATTERY_STATUS_FULL
    finally:
        device_loop.stop_device(dev)


def test_screen_on_drains_faster(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05, clock_rate=1200))
    try:
        svc = battery(dev)
        on_loop(device_loop, lambda: svc.set_hardware(plugged="none", level=70))
        # Screen on: 1 % per 2 device minutes, i.e. 100 ms here.
        assert wait_for(lambda: svc.level <= 65, timeout_s=5)
    finally:
        device_loop.stop_device(dev)


def test_overrides_are_lost_on_reboot_the_hardware_level_is_not(fresh, device_loop):
    dev, sh = fresh
    on_loop(device_loop, lambda: battery(dev).set_hardware(level=63))
    sh("cmd battery unplug")
    sh("cmd battery set level 5")
    sh("cmd jobscheduler monitor-battery on")
    reboot(device_loop, dev)
    state = battery_parser.parse(sh("dumpsys battery")[0])
    assert not state.updates_stopped
    assert state.plugged == "usb" and state.level == 63
    assert sh("cmd jobscheduler get-battery-seq")[0] == "-1\n"  # monitoring was in memory
