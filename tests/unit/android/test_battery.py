import json

import pytest

from harness.android import registry
from harness.android.battery import parse
from harness.errors import ParseError

CHARGING_USB = """\
Current Battery Service state:
  AC powered: false
  USB powered: true
  Wireless powered: false
  Max charging current: 500000
  Max charging voltage: 5000000
  Charge counter: 2100000
  status: 2
  health: 2
  present: true
  level: 64
  scale: 100
  voltage: 4012
  temperature: 296
  technology: Li-ion
"""

# After "dumpsys battery unplug" + "set level 15" on a newer release (Dock powered line).
FROZEN = """\
Current Battery Service state:
  (UPDATES STOPPED -- use 'reset' to restart)
  AC powered: false
  USB powered: false
  Wireless powered: false
  Dock powered: false
  Max charging current: 0
  Max charging voltage: 0
  Charge counter: 0
  status: 3
  health: 2
  present: true
  level: 15
  scale: 100
  voltage: 3700
  temperature: 250
  technology: Li-poly
  Charging state: 1
  Charging policy: 1
"""


def test_typed_fields() -> None:
    b = parse(CHARGING_USB)
    assert b.level == 64
    assert b.scale == 100
    assert b.plugged == "usb"
    assert b.charging is True
    assert b.status == 2 and b.status_name == "charging"
    assert b.health == 2 and b.health_name == "good"
    assert b.present is True
    assert b.voltage == 4012
    assert b.temperature == 296
    assert b.temperature_celsius == pytest.approx(29.6)
    assert b.technology == "Li-ion"
    assert b.updates_stopped is False
    assert b.fields["Max charging current"] == "500000"
    assert b.fields["Charge counter"] == "2100000"


def test_updates_stopped_and_new_keys_kept() -> None:
    b = parse(FROZEN)
    assert b.updates_stopped is True
    assert b.plugged == "none"
    assert b.charging is False
    assert b.status_name == "discharging"
    assert b.fields["Charging state"] == "1"
    assert b.fields["Dock powered"] == "false"
    assert b.notes == []


@pytest.mark.parametrize(
    ("ac", "usb", "wireless", "dock", "expected"),
    [
        ("true", "true", "false", "false", "ac"),  # first true wins
        ("false", "true", "true", "false", "usb"),
        ("false", "false", "true", "false", "wireless"),
        ("false", "false", "false", "true", "dock"),
        ("false", "false", "false", "false", "none"),
    ],
)
def test_plugged_order(ac: str, usb: str, wireless: str, dock: str, expected: str) -> None:
    text = (
        "Current Battery Service state:\n"
        f"  AC powered: {ac}\n  USB powered: {usb}\n"
        f"  Wireless powered: {wireless}\n  Dock powered: {dock}\n  level: 50\n"
    )
    assert parse(text).plugged == expected


def test_no_power_source_lines_leaves_plugged_unknown() -> None:
    assert parse("Current Battery Service state:\n  level: 50\n").plugged is None


@pytest.mark.parametrize(
    ("status", "name"),
    [(1, "unknown"), (2, "charging"), (3, "discharging"), (4, "not_charging"), (5, "full")],
)
def test_status_names(status: int, name: str) -> None:
    text = f"Current Battery Service state:\n  status: {status}\n  level: 1\n"
    assert parse(text).status_name == name


def test_unparseable_values_degrade_to_none() -> None:
    b = parse("Current Battery Service state:\n  level: ?\n  status: x\n  present: maybe\n")
    assert (b.level, b.status, b.present, b.status_name) == (None, None, None, None)
    assert b.fields["level"] == "?"


@pytest.mark.parametrize("eol", ["\r\n", "\r\r\n"])
def test_line_endings_and_bytes(eol: str) -> None:
    data = ("DUMP OF SERVICE battery:" + eol + CHARGING_USB.replace("\n", eol)).encode()
    b = parse(data + b"\x00")
    assert (b.level, b.plugged, b.status) == (64, "usb", 2)


def test_rejects_other_output() -> None:
    with pytest.raises(ParseError):
        parse("")
    with pytest.raises(ParseError):
        parse("Can't find service: battery\n")


def test_to_json() -> None:
    out = registry.parse_to_json("battery", FROZEN)
    json.dumps(out)
    assert out["level"] == 15
    assert out["plugged"] == "none"
    assert out["status"] == 3
    assert out["status_name"] == "discharging"
    assert out["updates_stopped"] is True
    for key in ("health", "present", "scale", "voltage", "temperature", "technology", "fields"):
        assert key in out
