"""The --device-filter language and device selection (no devices needed)."""

from __future__ import annotations

import pytest

from harness.errors import DeviceFilterError, DeviceNotFound, NoDevicesSelected
from harness.farm.discovery import FarmDevice
from harness.farm.selection import labels, parse_filter, select, split_serial

PIXEL = FarmDevice("R58PIXEL", "127.0.0.1:5037", "device", "Pixel 8", "Google", 34, "pixel")
SAMSUNG = FarmDevice("R58SAM", "127.0.0.1:5037", "device", "SM-S911B", "samsung", 33,
                     "samsung-oneui")
EMULATOR = FarmDevice("emulator-5554", "10.0.0.2:5037", "device", "sdk_gphone64_x86_64",
                      "Google", 31, "emulator", True)
VIRTUAL = FarmDevice("127.0.0.1:40123", "127.0.0.1:5038", "device", "Pixel 8", "Google", 35,
                     "virtual", True)
OFFLINE = FarmDevice("R58OFF", "127.0.0.1:5037", "offline")
ALL = [PIXEL, SAMSUNG, EMULATOR, VIRTUAL, OFFLINE]


def chosen(expr: str) -> list[str]:
    tree = parse_filter(expr)
    return [d.serial for d in ALL if d.online and tree.matches(d.facts())]


@pytest.mark.parametrize(
    ("expr", "serials"),
    [
        ("api>=31 and manufacturer=Google", ["R58PIXEL", "emulator-5554", "127.0.0.1:40123"]),
        ("virtual", ["emulator-5554", "127.0.0.1:40123"]),
        ("not virtual", ["R58PIXEL", "R58SAM"]),
        ("not virtual and model~Pixel", ["R58PIXEL"]),
        ("virtual=false", ["R58PIXEL", "R58SAM"]),
        ("virtual != yes", ["R58PIXEL", "R58SAM"]),
        ("api=33", ["R58SAM"]),
        ("api == 33 or api < 32", ["R58SAM", "emulator-5554"]),
        ("api>34", ["127.0.0.1:40123"]),
        ("api<=33", ["R58SAM", "emulator-5554"]),
        ("api!=34", ["R58SAM", "emulator-5554", "127.0.0.1:40123"]),
        ("manufacturer=SAMSUNG", ["R58SAM"]),  # text equality ignores case
        ("manufacturer!=google", ["R58SAM"]),
        ("model~'pixel [0-9]'", ["R58PIXEL", "127.0.0.1:40123"]),
        ('model!~"^sdk_"', ["R58PIXEL", "R58SAM", "127.0.0.1:40123"]),
        ("profile=samsung-oneui", ["R58SAM"]),
        ("serial=emulator-5554", ["emulator-5554"]),
        ("server=10.0.0.2:5037", ["emulator-5554"]),
        ("server~:5038$", ["127.0.0.1:40123"]),
        # precedence: not > and > or
        ("virtual or api=33 and manufacturer=samsung", ["R58SAM", "emulator-5554",
                                                        "127.0.0.1:40123"]),
        ("(virtual or api=33) and manufacturer=google", ["emulator-5554", "127.0.0.1:40123"]),
        ("not (virtual or api=33)", ["R58PIXEL"]),
        ("not not virtual", ["emulator-5554", "127.0.0.1:40123"]),
        ("VIRTUAL AND API>=35", ["127.0.0.1:40123"]),  # keywords and fields ignore case
    ],
)
def test_filter_selects(expr: str, serials: list[str]):
    assert chosen(expr) == serials


def test_filter_prints_back_in_canonical_form():
    tree = parse_filter("not (virtual or api=33) and model~'Pixel [78]' or serial=\"a b\"")
    assert str(tree) == 'not (virtual or api=33) and model~"Pixel [78]" or serial="a b"'
    assert str(parse_filter(str(tree))) == str(tree)


@pytest.mark.parametrize(
    ("expr", "column", "words"),
    [
        ("", 1, "empty"),
        ("api>=", 6, "expected a value after 'api>='"),
        ("api>= and model~Pixel", 7, "expected a value after 'api>='"),
        ("modle~Pixel", 1, "did you mean 'model'"),
        ("api>=thirty", 6, "whole number"),
        ("model>5", 6, "does not apply to text field 'model'"),
        ("api~3", 4, "does not apply to number field 'api'"),
        ("model Pixel", 7, "expected an operator after 'model'"),
        ("virtual=maybe", 9, "true or false"),
        ("(virtual", 9, "expected ')' to close the '(' at column 1"),
        ("virtual)", 8, "')' without a matching '('"),
        ("virtual api=31", 9, "join conditions with 'and' or 'or'"),
        ("virtual and", 12, "ends where a condition was expected"),
        ("and virtual", 1, "expected a condition"),
        ("model~'unclosed", 7, "unterminated string"),
        ("model~'['", 7, "invalid regular expression"),
        ("api ! 3", 5, "unexpected character '!'"),
    ],
)
def test_filter_errors_say_what_and_where(expr: str, column: int, words: str):
    with pytest.raises(DeviceFilterError) as info:
        parse_filter(expr)
    message = str(info.value)
    assert words in message
    assert f"(column {column})" in message
    # The caret points at the column under a copy of the expression.
    lines = message.splitlines()
    assert lines[1] == f"  {expr}"
    assert lines[2] == "  " + " " * (column - 1) + "^"


def test_filter_never_evaluates_python():
    with pytest.raises(DeviceFilterError):
        parse_filter("__import__('os').system('true')")
    # A value that looks like code is just text to compare.
    assert chosen("model='__import__(\"os\")'") == []


def test_select_all_online_devices_and_note_the_others():
    devices, notes = select(ALL, all_devices=True)
    assert [d.serial for d in devices] == ["R58PIXEL", "R58SAM", "emulator-5554",
                                           "127.0.0.1:40123"]
    assert len(notes) == 1 and "R58OFF" in notes[0] and "offline" in notes[0]


def test_select_named_serials_in_order_and_qualified_by_server():
    devices, _ = select(ALL, ["emulator-5554@10.0.0.2:5037", "R58PIXEL"])
    assert [d.serial for d in devices] == ["emulator-5554", "R58PIXEL"]
    assert split_serial("127.0.0.1:40123@127.0.0.1:5038") == ("127.0.0.1:40123",
                                                              "127.0.0.1:5038")
    assert split_serial("127.0.0.1:40123") == ("127.0.0.1:40123", None)


def test_select_serials_and_filter_combine():
    devices, _ = select(ALL, ["R58PIXEL", "R58SAM"], parse_filter("api>=34"))
    assert [d.serial for d in devices] == ["R58PIXEL"]


def test_unknown_serial_lists_what_was_seen():
    with pytest.raises(DeviceNotFound) as info:
        select(ALL, ["R58NOPE"])
    text = str(info.value)
    assert "R58NOPE" in text
    for d in ALL:
        assert d.serial in text
    assert "Pixel 8" in text and "API 33" in text and "10.0.0.2:5037" in text


def test_offline_serial_is_refused_with_its_state():
    with pytest.raises(NoDevicesSelected, match="R58OFF is offline"):
        select(ALL, ["R58OFF"])


def test_serial_on_two_servers_must_name_one():
    twin = FarmDevice("emulator-5554", "10.0.0.3:5037", "device", "x", "Google", 34)
    with pytest.raises(NoDevicesSelected, match="name one as emulator-5554@HOST:PORT"):
        select([EMULATOR, twin], ["emulator-5554"])
    assert labels([EMULATOR, twin]) == {
        EMULATOR.key: "emulator-5554@10.0.0.2:5037",
        twin.key: "emulator-5554@10.0.0.3:5037",
    }
    assert labels([PIXEL]) == {PIXEL.key: "R58PIXEL"}


def test_nothing_matches_lists_serial_model_api_and_server():
    with pytest.raises(NoDevicesSelected) as info:
        select(ALL, all_devices=True, expr=parse_filter("api>=40"), filter_text="api>=40")
    text = str(info.value)
    assert text.startswith("no device matches --device-filter 'api>=40'; devices seen:")
    assert "R58SAM  samsung SM-S911B  API 33  profile samsung-oneui  on 127.0.0.1:5037" in text
    assert "127.0.0.1:40123  Google Pixel 8  API 35  profile virtual (virtual)  on " \
           "127.0.0.1:5038" in text
    assert "R58OFF  ?  API ?  on 127.0.0.1:5037  [offline]" in text


def test_no_devices_at_all():
    with pytest.raises(NoDevicesSelected) as info:
        select([], all_devices=True)
    assert str(info.value) == "no online device found; devices seen:\n  (none)"


def test_farm_device_round_trips_through_a_dict():
    assert FarmDevice.from_dict(VIRTUAL.to_dict()) == VIRTUAL
    assert VIRTUAL.key == "127.0.0.1:40123@127.0.0.1:5038"
