import json

import pytest

from harness.android import registry
from harness.android.deviceidle import (
    parse,
    parse_get,
    parse_whitelist_command,
)
from harness.errors import ParseError

# Android 13 layout: constants, whitelists, then the state lines.
DUMP_API33 = """\
  Settings:
    flex_time_short=+1m0s0ms
    light_after_inactive_to=+4m0s0ms
    light_idle_to=+5m0s0ms
    inactive_to=+30m0s0ms
    idle_to=+1h0m0s0ms
    max_temp_app_allowlist_duration_ms=+5m0s0ms
    use_window_alarms=true
  Idling history:
         normal: -2h10m3s12ms (screen)
     light-idle: -1h58m0s1ms
    light-maint: -1h48m0s7ms
      deep-idle: -1h20m4s500ms (s:shell)
     deep-maint: -20m0s0ms
  Whitelist (except idle) system apps:
    com.android.providers.downloads
    com.example.telephony
    com.android.shell
  Whitelist system apps:
    com.android.providers.downloads
    com.android.shell
  Removed from whitelist system apps:
    com.example.removed
  Whitelist user apps:
    com.example.mail
    com.android.shell
  Whitelist (except idle) all app ids:
    2000
    10011
    10042
  Whitelist user app ids:
    10042
  Whitelist all app ids:
    2000
    10011
    10042
  Temp whitelist schedule:
    UID=10077: +8s120ms - shell
    UID=10078: +1m2s0ms - broadcast:android.intent.action.BOOT_COMPLETED
  Temp whitelist app ids:
    10077
    10078
  mLightEnabled=true  mDeepEnabled=true
  mForceIdle=true
  mUseMotionSensor=true mMotionSensor={Sensor name="Significant motion", vendor="Example", \
version=1, type=17, maxRange=1.0, resolution=1.0, power=0.001, minDelay=-1}
  mScreenOn=false
  mScreenLocked=true
  mNetworkConnected=true
  mCharging=false
  mConstraints={
    "example_constraint"=true
  }
  mMotionActive=false
  mNotMoving=true
  mMotionListener.activatedTimeElapsed=0
  mLastMotionEventElapsed=0
  1 stationary listeners registered
  mLocating=false mHasGps=true mHasNetwork=false mLocated=false
  mState=IDLE mLightState=OVERRIDE
  mInactiveTimeout=+30m0s0ms
  mNextAlarmTime=+59m58s1ms
  mNextIdleDelay=+2h0m0s0ms
"""

# Android 6.0 (API 23): one switch, no light machine, mState alone on its line.
DUMP_API23 = """\
  Settings:
    inactive_to=+30m0s0ms
    sensing_to=+4m0s0ms
    idle_to=+1h0m0s0ms
  Whitelist system apps:
    com.android.providers.downloads
  Whitelist all app ids:
    10005
  mEnabled=true
  mForceIdle=false
  mSigMotionSensor=null
  mCurDisplay=Display id 0: DisplayInfo{"Built-in Screen", app 1080 x 1920, state OFF}
  mScreenOn=false
  mCharging=false
  mSigMotionActive=false
  mState=IDLE_PENDING
  mInactiveTimeout=+30m0s0ms
"""


def test_state_lines_of_api33_dump() -> None:
    s = parse(DUMP_API33)
    assert s.deep_state == "IDLE"
    assert s.light_state == "OVERRIDE"
    assert s.force_idle is True
    assert s.light_enabled is True and s.deep_enabled is True
    assert s.screen_on is False
    assert s.screen_locked is True
    assert s.network_connected is True
    assert s.charging is False
    assert s.inactive_timeout == "+30m0s0ms"
    assert s.deep_idle and s.light_idle


def test_whitelists_are_kept_apart_and_merged_without_duplicates() -> None:
    s = parse(DUMP_API33)
    assert s.whitelist_system == ["com.android.providers.downloads", "com.android.shell"]
    assert s.whitelist_user == ["com.example.mail", "com.android.shell"]
    assert s.whitelist_except_idle == [
        "com.android.providers.downloads",
        "com.example.telephony",
        "com.android.shell",
    ]
    assert s.whitelist_removed_system == ["com.example.removed"]
    assert s.whitelist == [
        "com.android.providers.downloads",
        "com.android.shell",
        "com.example.mail",
    ]
    assert s.app_ids_all == [2000, 10011, 10042]
    assert s.app_ids_user == [10042]
    assert s.app_ids_except_idle == [2000, 10011, 10042]


def test_temp_whitelist_and_history() -> None:
    s = parse(DUMP_API33)
    assert [(e.app_id, e.expires_in, e.reason) for e in s.temp_whitelist] == [
        (10077, "+8s120ms", "shell"),
        (10078, "+1m2s0ms", "broadcast:android.intent.action.BOOT_COMPLETED"),
    ]
    assert s.temp_whitelist_app_ids == [10077, 10078]
    assert [e.event for e in s.idling_history] == [
        "normal",
        "light-idle",
        "light-maint",
        "deep-idle",
        "deep-maint",
    ]
    assert s.idling_history[0].reason == "screen"
    assert s.idling_history[3].reason == "s:shell"
    assert s.idling_history[1].time == "-1h58m0s1ms"


def test_settings_and_unknown_lines_are_kept() -> None:
    s = parse(DUMP_API33)
    assert s.settings["light_idle_to"] == "+5m0s0ms"
    assert s.settings["use_window_alarms"] == "true"
    assert s.extras["mMotionSensor"].startswith('{Sensor name="Significant motion"')
    assert s.extras["mHasGps"] == "true"
    assert s.extras["mMotionListener.activatedTimeElapsed"] == "0"
    assert s.extras["mNextIdleDelay"] == "+2h0m0s0ms"
    assert s.raw_sections["mConstraints"] == '"example_constraint"=true'
    assert "1 stationary listeners registered" in s.notes


def test_api23_dump_has_no_light_state() -> None:
    s = parse(DUMP_API23)
    assert s.deep_state == "IDLE_PENDING"
    assert s.light_state is None
    assert s.deep_enabled is True
    assert s.light_enabled is None
    assert s.screen_locked is None
    assert s.network_connected is None
    assert s.whitelist == ["com.android.providers.downloads"]
    assert s.extras["mCurDisplay"].startswith("Display id 0: DisplayInfo{")


def test_state_and_light_state_on_separate_lines() -> None:
    s = parse("  mForceIdle=false\n  mState=ACTIVE\n  mLightState=INACTIVE\n")
    assert (s.deep_state, s.light_state, s.force_idle) == ("ACTIVE", "INACTIVE", False)


@pytest.mark.parametrize("eol", ["\r\n", "\r\r\n", "\r"])
def test_line_endings(eol: str) -> None:
    s = parse(DUMP_API33.replace("\n", eol))
    assert s.deep_state == "IDLE"
    assert s.whitelist_user == ["com.example.mail", "com.android.shell"]


def test_bytes_with_nul_and_invalid_utf8_and_dump_header() -> None:
    data = (
        b"DUMP OF SERVICE deviceidle:\n"
        + DUMP_API23.encode()
        + b"  mVendorField=\xff\xfe\x00x\n"
        + b"--------- 0.004s was the duration of dumpsys deviceidle\n"
    )
    s = parse(data)
    assert s.deep_state == "IDLE_PENDING"
    assert "mVendorField" in s.extras


def test_empty_and_foreign_text_raise() -> None:
    with pytest.raises(ParseError):
        parse("")
    with pytest.raises(ParseError):
        parse(b"\n\n")
    with pytest.raises(ParseError):
        parse("Current Battery Service state:\n  level: 50\n")


def test_to_json_is_serializable_and_has_required_keys() -> None:
    out = parse(DUMP_API33).to_json()
    json.dumps(out)
    for key in (
        "deep_state",
        "light_state",
        "force_idle",
        "whitelist",
        "whitelist_user",
        "whitelist_system",
        "whitelist_except_idle",
        "light_enabled",
        "deep_enabled",
        "screen_on",
        "charging",
        "screen_locked",
        "network_connected",
        "temp_whitelist",
        "settings",
    ):
        assert key in out
    assert out["temp_whitelist"][0] == {
        "app_id": 10077,
        "expires_in": "+8s120ms",
        "reason": "shell",
    }


def test_registry_dispatch() -> None:
    assert registry.parse_to_json("deviceidle", DUMP_API23)["deep_state"] == "IDLE_PENDING"


# -- get -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IDLE\n", "IDLE"),
        ("OVERRIDE\r\n", "OVERRIDE"),
        (b"true\n", "true"),
        ("  ACTIVE  ", "ACTIVE"),
    ],
)
def test_parse_get(text: str | bytes, expected: str) -> None:
    assert parse_get(text) == expected


@pytest.mark.parametrize("text", ["", "\n", "Unknown get option: foo\n", "Argument required\n"])
def test_parse_get_rejects_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse_get(text)


def test_parse_get_rejects_a_full_dump() -> None:
    with pytest.raises(ParseError):
        parse_get(DUMP_API23)


# -- whitelist command ----------------------------------------------------------------------------

WHITELIST = """\
system-excidle,com.android.providers.downloads,10011
system-excidle,com.android.shell,2000
system,com.android.providers.downloads,10011
system,com.android.shell,2000
user,com.example.mail,10042
user,com.android.shell,2000
"""


def test_parse_whitelist_command() -> None:
    w = parse_whitelist_command(WHITELIST.replace("\n", "\r\n"))
    assert w.except_idle == ["com.android.providers.downloads", "com.android.shell"]
    assert w.system == ["com.android.providers.downloads", "com.android.shell"]
    assert w.user == ["com.example.mail", "com.android.shell"]
    assert w.whitelist == [
        "com.android.providers.downloads",
        "com.android.shell",
        "com.example.mail",
    ]
    assert w.entries[4].app_id == 10042
    out = w.to_json()
    json.dumps(out)
    assert out["whitelist_user"] == ["com.example.mail", "com.android.shell"]


def test_parse_whitelist_command_empty_listing_is_valid() -> None:
    assert parse_whitelist_command("").entries == []


def test_parse_whitelist_command_keeps_odd_lines_and_rejects_non_listings() -> None:
    w = parse_whitelist_command(WHITELIST + "vendor,com.example.x,1\n")
    assert w.notes == ["vendor,com.example.x,1"]
    with pytest.raises(ParseError):
        parse_whitelist_command("Package must be prefixed with +, -, or =: foo\n")
