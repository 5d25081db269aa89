import json

import pytest

from harness.android import registry
from harness.android.power import parse
from harness.errors import ParseError

# Android 8 layout: mLowPowerModeEnabled in the state block, "Display Power: state=...".
DUMP_API26 = """\
POWER MANAGER (dumpsys power)

Power Manager State:
  mDirty=0x0
  mWakefulness=Awake
  mWakefulnessChanging=false
  mIsPowered=false
  mPlugType=0
  mBatteryLevel=41
  mStayOn=false
  mBootCompleted=true
  mLowPowerModeEnabled=true
  mBatteryLevelLow=false
  mLightDeviceIdleMode=false
  mDeviceIdleMode=false
  mDeviceIdleWhitelist=[1000, 2000, 10021]
  mDeviceIdleTempWhitelist=[]
  mHoldingWakeLockSuspendBlocker=true
  mHoldingDisplaySuspendBlocker=true

Settings and Configuration:
  mLowPowerModeSetting=true
  mScreenOffTimeoutSetting=60000
  mStayOnWhilePluggedInSetting=3

Sleep timeout: -1 ms
Screen off timeout: 60000 ms

Wake Locks: size=3
  PARTIAL_WAKE_LOCK              'example:sync' ACQ=-2s10ms (uid=10088 pid=4321)
  SCREEN_BRIGHT_WAKE_LOCK        'WindowManager' ON_AFTER_RELEASE ACQ=-1m0s3ms (uid=1000 pid=900)
  PARTIAL_WAKE_LOCK              '*job*/com.example.app/.SyncJob' DISABLED LONG (uid=10088 \
ws=WorkSource{10088 com.example.app})

Suspend Blockers: size=2
  PowerManagerService.WakeLocks: ref count=1
  PowerManagerService.Display: ref count=1

Display Power: state=ON

Battery saver policy
  Settings battery_saver_constants
  value: null
"""

# Android 13 layout: no mLowPowerModeEnabled, the battery saver state machine, no display state.
DUMP_API33 = """\
POWER MANAGER (dumpsys power)

Power Manager State:
  Settings power_manager_constants:
    no_cached_wake_locks=true
  mDirty=0x0
  mWakefulness=Dozing
  mIsPowered=true
  mPlugType=2
  mBatteryLevel=77
  mStayOn=true
  mLightDeviceIdleMode=true
  mDeviceIdleMode=true
  mDeviceIdleWhitelist=[1001, 10030]
  mDeviceIdleTempWhitelist=[10099]
  mHoldingWakeLockSuspendBlocker=false
  mHoldingDisplaySuspendBlocker=false

Wake Locks: size=0

Display Power: com.android.server.power.PowerManagerService$1@5a1b2c3

Battery saving stats:
  Battery Saver is currently: ON
    Times full enabled: 1

Battery saver state machine:
  Enabled=true
    full=true
    adaptive=false
  mState=2
  mIsPowered=true
  mBatteryLevel=77
Profile power states: size=0
Wake Lock Log
  01-02 03:04:05.006 - 1000 - ACQ example (partial)
"""


def test_api26_fields() -> None:
    p = parse(DUMP_API26)
    assert p.wakefulness == "Awake"
    assert p.screen_on is True
    assert p.screen_on_source == "mWakefulness"
    assert p.display_state == "ON"
    assert p.holding_display_suspend_blocker is True
    assert p.battery_saver is True
    assert p.battery_saver_source == "mLowPowerModeEnabled"
    assert p.plugged_in is False and p.is_powered is False
    assert p.plug_type == 0
    assert p.battery_level == 41
    assert p.stay_on is False
    assert p.stay_on_while_plugged_in == 3
    assert p.device_idle_mode is False and p.light_device_idle_mode is False
    assert p.device_idle_whitelist == [1000, 2000, 10021]
    assert p.device_idle_temp_whitelist == []
    assert p.suspend_blockers == {
        "PowerManagerService.WakeLocks": 1,
        "PowerManagerService.Display": 1,
    }
    assert p.extras["Screen off timeout"] == "60000 ms"
    assert p.settings["mScreenOffTimeoutSetting"] == "60000"
    assert "Battery saver policy" in p.raw_sections


def test_wake_locks() -> None:
    locks = parse(DUMP_API26).wake_locks
    assert len(locks) == 3
    first, screen, job = locks
    assert (first.level, first.tag, first.uid, first.pid) == (
        "PARTIAL_WAKE_LOCK",
        "example:sync",
        10088,
        4321,
    )
    assert first.acquired == "-2s10ms"
    assert screen.level == "SCREEN_BRIGHT_WAKE_LOCK"
    assert screen.flags == ["ON_AFTER_RELEASE"]
    assert job.tag == "*job*/com.example.app/.SyncJob"
    assert job.disabled is True and job.long is True and job.acquired is None
    assert job.pid is None
    assert job.package == "com.example.app"
    assert job.work_source == "WorkSource{10088 com.example.app}"


def test_vendor_wake_lock_prefix_and_unreadable_line() -> None:
    text = (
        "Power Manager State:\n  mWakefulness=Awake\n\nWake Locks: size=2\n"
        "  mLock:12345 PARTIAL_WAKE_LOCK       'vendor' ACQ=-1s0ms (uid=1000 pid=10)\n"
        "  SOMETHING ELSE ENTIRELY\n"
    )
    vendor, odd = parse(text).wake_locks
    assert (vendor.level, vendor.tag, vendor.uid) == ("PARTIAL_WAKE_LOCK", "vendor", 1000)
    assert odd.uid is None and odd.raw == "SOMETHING ELSE ENTIRELY"


def test_api33_fields() -> None:
    p = parse(DUMP_API33)
    assert p.wakefulness == "Dozing"
    assert p.screen_on is False
    assert p.display_state is None
    assert p.battery_saver is True
    assert p.battery_saver_source == "Battery saver state machine"
    assert p.battery_saver_full is True
    assert p.battery_saver_adaptive is False
    assert p.plugged_in is True and p.plug_type == 2
    assert p.stay_on is True
    assert p.device_idle_mode is True and p.light_device_idle_mode is True
    assert p.device_idle_temp_whitelist == [10099]
    assert p.wake_locks == []
    assert p.battery_saver_state["mState"] == "2"
    assert "Wake Lock Log" in p.raw_sections


@pytest.mark.parametrize(
    ("wakefulness", "screen_on"),
    [("Awake", True), ("Dreaming", True), ("Asleep", False), ("Dozing", False)],
)
def test_wakefulness_decides_screen(wakefulness: str, screen_on: bool) -> None:
    # The display state disagrees on purpose: the wakefulness wins.
    text = (
        f"Power Manager State:\n  mWakefulness={wakefulness}\n"
        f"  mHoldingDisplaySuspendBlocker={str(not screen_on).lower()}\n\n"
        f"Display Power: state={'OFF' if screen_on else 'ON'}\n"
    )
    p = parse(text)
    assert p.screen_on is screen_on
    assert p.screen_on_source == "mWakefulness"


def test_screen_fallbacks() -> None:
    p = parse("Power Manager State:\n  mIsPowered=true\n\nDisplay Power: state=DOZE\n")
    assert (p.screen_on, p.screen_on_source) == (False, "Display Power")
    p = parse("Power Manager State:\n  mHoldingDisplaySuspendBlocker=true\n")
    assert (p.screen_on, p.screen_on_source) == (True, "mHoldingDisplaySuspendBlocker")
    p = parse("Power Manager State:\n  mIsPowered=true\n")
    assert p.screen_on is None and p.screen_on_source is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [("ON", True), ("OFF", False), ("ADAPTIVE", False)],
)
def test_battery_saver_from_saving_stats(line: str, expected: bool) -> None:
    text = (
        "Power Manager State:\n  mWakefulness=Awake\n\n"
        f"Battery saving stats:\n  Battery Saver is currently: {line}\n    Times enabled: 0\n"
    )
    p = parse(text)
    assert p.battery_saver is expected
    assert p.battery_saver_source == "Battery Saver is currently"


def test_adaptive_flag_with_advertise_suffix() -> None:
    text = (
        "Power Manager State:\n  mWakefulness=Awake\n\nBattery saver state machine:\n"
        "  Enabled=false\n    full=false\n    adaptive=true (advertise=false)\n"
    )
    p = parse(text)
    assert p.battery_saver is False
    assert p.battery_saver_adaptive is True


def test_no_battery_saver_signal() -> None:
    p = parse("Power Manager State:\n  mWakefulness=Awake\n")
    assert p.battery_saver is None


def test_priority_header_line_endings_and_bytes() -> None:
    data = (
        "DUMP OF SERVICE CRITICAL power:\r\n"
        "Service host process PID: 1234\r\n" + DUMP_API33.replace("\n", "\r\r\n")
    ).encode() + b"\xff\x00\n"
    p = parse(data)
    assert p.wakefulness == "Dozing"
    assert p.battery_saver is True
    assert "DUMP OF SERVICE CRITICAL power" not in p.raw_sections
    assert p.extras["Service host process PID"] == "1234"


def test_rejects_other_output() -> None:
    with pytest.raises(ParseError):
        parse("")
    with pytest.raises(ParseError):
        parse("Current Battery Service state:\n  level: 5\n")


def test_to_json() -> None:
    out = registry.parse_to_json("power", DUMP_API26)
    json.dumps(out)
    assert out["screen_on"] is True
    assert out["battery_saver"] is True
    assert out["plugged_in"] is False
    assert out["wake_locks"][0]["tag"] == "example:sync"
    for key in ("wakefulness", "stay_on", "device_idle_mode", "light_device_idle_mode"):
        assert key in out
