"""The power-state parsers against every real capture: each file parses and its key fields come
out, checked against the raw text rather than against numbers copied from it, plus a few values
read by hand from specific captures (skipped when that capture is absent).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from harness.android import battery, deviceidle, getprop, power, usagestats
from harness.android.text import normalize
from tests.conformance.captures import Capture, capture_params, captures_dir


def _api(capture: Capture) -> int | None:
    """The capture's API level, exact or inferred ("~31"); None when unknown."""
    digits = capture.api_level.lstrip("~")
    return int(digits) if digits.isdigit() else None


def _text(capture: Capture) -> str:
    return normalize(capture.read_bytes())


def _json_roundtrip(result: Any) -> dict[str, Any]:
    out = result.to_json()
    json.dumps(out)
    return out


# -- deviceidle ---------------------------------------------------------------------------------


@pytest.mark.parametrize("capture", capture_params("deviceidle"))
def test_deviceidle_capture(capture: Capture) -> None:
    text = _text(capture)
    state = deviceidle.parse(capture.read_bytes())
    _json_roundtrip(state)

    assert state.deep_state in deviceidle.DEEP_STATES
    api = _api(capture)
    if api is None or api >= 24:
        assert state.light_state in deviceidle.LIGHT_STATES
    assert isinstance(state.force_idle, bool)
    assert state.settings, "the Settings block has the constants"

    for title, listed in (
        ("Whitelist system apps:", state.whitelist_system),
        ("Whitelist user apps:", state.whitelist_user),
        ("Whitelist (except idle) system apps:", state.whitelist_except_idle),
    ):
        if title in text:
            assert listed, title
            assert all(re.fullmatch(r"[\w.]+", pkg) for pkg in listed)
    if "Whitelist system apps:" in text or "Whitelist user apps:" in text:
        assert state.whitelist
        assert set(state.whitelist) == set(state.whitelist_system) | set(state.whitelist_user)
    if "Whitelist all app ids:" in text:
        assert state.app_ids_all


# -- battery ------------------------------------------------------------------------------------


@pytest.mark.parametrize("capture", capture_params("battery"))
def test_battery_capture(capture: Capture) -> None:
    state = battery.parse(capture.read_bytes())
    _json_roundtrip(state)
    assert isinstance(state.level, int)
    assert state.scale and 0 <= state.level <= state.scale
    assert state.plugged in ("none", "ac", "usb", "wireless", "dock")
    assert state.status in battery.STATUS_NAMES
    assert state.status_name in battery.STATUS_NAMES.values()
    assert state.present is True
    assert state.notes == []


# -- power --------------------------------------------------------------------------------------


@pytest.mark.parametrize("capture", capture_params("power"))
def test_power_capture(capture: Capture) -> None:
    text = _text(capture)
    state = power.parse(capture.read_bytes())
    _json_roundtrip(state)
    assert isinstance(state.screen_on, bool)
    assert isinstance(state.battery_saver, bool)
    assert state.wakefulness in ("Awake", "Asleep", "Dreaming", "Dozing")
    assert isinstance(state.plugged_in, bool)
    assert isinstance(state.device_idle_mode, bool)

    size = re.search(r"^Wake Locks: size=(\d+)", text, re.MULTILINE)
    if size:
        assert len(state.wake_locks) == int(size.group(1))
        for lock in state.wake_locks:
            assert lock.uid is not None, lock.raw


# -- usagestats ---------------------------------------------------------------------------------

_BUCKET_LINE = re.compile(r"^\s*package=\S+ u=\d+ bucket=", re.MULTILINE)


@pytest.mark.parametrize("capture", capture_params("usagestats"))
def test_usagestats_capture(capture: Capture) -> None:
    text = _text(capture)
    state = usagestats.parse(capture.read_bytes())
    _json_roundtrip(state)

    bucket_lines = len(_BUCKET_LINE.findall(text))
    if "App Standby States:" in text:
        assert state.buckets
        assert all(isinstance(b, int) for b in state.buckets.values())
        assert set(state.buckets.values()) <= set(usagestats.BUCKET_NAMES)
        assert len(state.entries) == bucket_lines
    else:
        # Before API 28 there are no buckets, only the idle flags.
        assert state.buckets == {}
        assert bucket_lines == 0
        if "Package idle stats:" in text:
            assert state.idle
    assert isinstance(state.app_idle_enabled, bool)


# -- getprop ------------------------------------------------------------------------------------

_PROP_START = re.compile(r"^\[[^\]\s]*\]: \[", re.MULTILINE)


@pytest.mark.parametrize("capture", capture_params("getprop"))
def test_getprop_capture(capture: Capture) -> None:
    text = _text(capture)
    props = getprop.parse(capture.read_bytes())
    out = _json_roundtrip(props)
    assert out == props.props
    assert len(props.props) >= len(set(_PROP_START.findall(text))) > 0
    assert props.unparsed == []

    sdk = re.search(r"^\[ro\.build\.version\.sdk\]: \[(\d+)\]", text, re.MULTILINE)
    if sdk:
        assert props.sdk == int(sdk.group(1))
        api = _api(capture)
        if api is not None and not capture.api_level.startswith("~"):
            assert props.sdk == api
    for key, value in props.props.items():
        assert key and "\n" not in key
        assert isinstance(value, str)


# -- values read by hand from particular captures ------------------------------------------------


def _capture(kind: str, name: str) -> bytes:
    root = captures_dir()
    path = root / kind / name if root else None
    if path is None or not path.is_file():
        pytest.skip(f"capture {kind}/{name} not available")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "level", "plugged", "status"),
    [
        ("axxs-mt8168-api33.txt", 58, "usb", 2),
        ("google-pixel-api27.txt", 100, "ac", 5),
        # AC and USB both print true here: AC, listed first, wins.
        ("posiflex-hs3314-api28.txt", 50, "ac", 3),
        ("sunmi-t2slite-api28.txt", 58, "usb", 2),
        ("vivo-x9-api25.txt", 55, "none", 3),
    ],
)
def test_battery_spot_checks(name: str, level: int, plugged: str, status: int) -> None:
    state = battery.parse(_capture("battery", name))
    assert (state.level, state.plugged, state.status) == (level, plugged, status)


def test_deviceidle_spot_check_api33_tablet() -> None:
    state = deviceidle.parse(_capture("deviceidle", "axxs-mt8168-api33.txt"))
    assert (state.deep_state, state.light_state) == ("ACTIVE", "ACTIVE")
    assert state.light_enabled is False and state.deep_enabled is False
    assert state.screen_on is False and state.screen_locked is True
    assert state.charging is True and state.network_connected is False
    assert state.whitelist_user == ["com.android.phone"]
    assert "com.android.shell" in state.whitelist_system
    assert state.app_ids_user == [1001]
    assert state.settings["light_idle_to"] == "+5m0s0ms"


def test_deviceidle_spot_check_pixel_api27() -> None:
    state = deviceidle.parse(_capture("deviceidle", "google-pixel-api27.txt"))
    assert state.light_enabled is True and state.deep_enabled is True
    assert state.whitelist_user == ["com.google.android.gm"]
    assert "com.google.android.gms" in state.whitelist
    assert state.screen_locked is None  # not printed before API 28
    assert state.idling_history[0].event == "normal"
    assert {e.event for e in state.idling_history} == {
        "normal",
        "light-idle",
        "light-maint",
        "deep-idle",
        "deep-maint",
    }


def test_deviceidle_spot_check_vivo_api25() -> None:
    state = deviceidle.parse(_capture("deviceidle", "vivo-x9-api25.txt"))
    assert state.charging is False
    assert state.whitelist == [
        "com.android.providers.downloads",
        "com.smart_invest.marathonappforandroid",
    ]
    assert state.app_ids_all == [10008, 10873]


def test_power_spot_check_api33_tablet_asleep() -> None:
    state = power.parse(_capture("power", "axxs-mt8168-api33.txt"))
    assert state.wakefulness == "Asleep"
    assert state.screen_on is False
    assert state.display_state is None  # API 33 prints an object reference there
    assert state.battery_saver is False
    assert state.battery_saver_full is False and state.battery_saver_adaptive is False
    assert (state.plugged_in, state.plug_type, state.battery_level) == (True, 2, 58)
    assert state.device_idle_whitelist == [1001, 2000, 10025, 10033, 10082]


def test_power_spot_check_pixel_api27() -> None:
    state = power.parse(_capture("power", "google-pixel-api27.txt"))
    assert state.screen_on is True
    assert state.display_state == "ON"
    assert state.battery_saver_source == "mLowPowerModeEnabled"
    assert state.battery_saver is False
    assert state.plug_type == 1


def test_power_spot_check_tcl_wake_locks() -> None:
    state = power.parse(_capture("power", "tcl-excerpt.txt"))
    assert state.battery_saver_source == "Battery Saver is currently"
    assert state.battery_level == 13
    assert state.device_idle_temp_whitelist == [10182]
    audio, gms = state.wake_locks
    assert (audio.level, audio.tag, audio.uid, audio.long) == (
        "PARTIAL_WAKE_LOCK",
        "AudioIn",
        1041,
        True,
    )
    assert (gms.uid, gms.pid, gms.package) == (10180, 3853, "com.google.android.gms")


@pytest.mark.parametrize(
    ("name", "package", "bucket"),
    [
        ("posiflex-hs3314-api28.txt", "android.rk.RockVideoPlayer", 40),
        ("posiflex-hs3314-api28.txt", "com.android.documentsui", 10),
        ("sunmi-t2slite-api28.txt", "com.coderays.tamilcalendar", 20),
        ("axxs-mt8168-api33.txt", "com.mediatek.camera", 10),
        ("axxs-mt8168-api33.txt", "com.android.providers.telephony", 5),
    ],
)
def test_usagestats_bucket_spot_checks(name: str, package: str, bucket: int) -> None:
    assert usagestats.parse(_capture("usagestats", name)).buckets[package] == bucket


def test_usagestats_spot_check_pre_bucket_pixel() -> None:
    state = usagestats.parse(_capture("usagestats", "google-pixel-api27.txt"))
    assert state.buckets == {}
    assert state.idle["com.skype.raider"] is True
    assert state.idle["com.google.android.googlequicksearchbox"] is False


@pytest.mark.parametrize(
    ("name", "sdk"),
    [
        ("samsung-s25plus-api36.txt", 36),  # CRLF, converted from UTF-16
        ("vivo-x9-api25.txt", 25),
        ("axxs-mt8168-api33.txt", 33),
    ],
)
def test_getprop_sdk_spot_checks(name: str, sdk: int) -> None:
    assert getprop.parse(_capture("getprop", name)).sdk == sdk


def test_getprop_spot_check_multi_line_value() -> None:
    props = getprop.parse(_capture("getprop", "axxs-mt8168-api33.txt"))
    assert props["persist.sys.boot.reason.history"] == (
        "reboot,factory_reset,1765260157\ncold,powerkey,1765260109"
    )
    assert props["persist.vendor.sys.pq.modeindex"] == "0\n"


def test_getprop_spot_check_mangled_line() -> None:
    # One line of this capture reads "]key]: [value" with no closing bracket.
    props = getprop.parse(_capture("getprop", "gwm-haval-headunit-api28.txt"))
    assert props["persist.vendor.gwm.cfg.bean_file_version"] == "cfgVersion:E0480037"
    assert props["persist.vendor.gwm.cfg.bean_modify_utc"] == "1672314962"
    assert props.irregular_lines == [169]
