import json

import pytest

from harness.android import registry
from harness.android.getprop import parse
from harness.errors import ParseError

GETPROP = """\
[dalvik.vm.heapsize]: [512m]
[persist.sys.boot.reason.history]: [reboot,shell,1700000100
reboot,ota,1700000000
cold,powerkey,1699990000]
[persist.vendor.example.mode]: [0
]
[ro.build.version.release]: [14]
[ro.build.version.sdk]: [34]
[ro.product.model]: [Example Phone [5G]]
[sys.empty]: []
"""


def test_flat_properties() -> None:
    p = parse(GETPROP)
    assert p["ro.build.version.sdk"] == "34"
    assert p.sdk == 34
    assert p.get("ro.build.version.release") == "14"
    assert p.get("missing") is None
    assert "dalvik.vm.heapsize" in p
    assert p["sys.empty"] == ""
    assert p["ro.product.model"] == "Example Phone [5G]"
    assert p.irregular_lines == [] and p.unparsed == []


def test_multi_line_values() -> None:
    p = parse(GETPROP)
    assert p["persist.sys.boot.reason.history"] == (
        "reboot,shell,1700000100\nreboot,ota,1700000000\ncold,powerkey,1699990000"
    )
    assert p["persist.vendor.example.mode"] == "0\n"
    assert p["ro.build.version.release"] == "14"


def test_unterminated_value_does_not_swallow_the_next_property() -> None:
    text = "[a.b]: [1]\n[c.d]: [broken\n[e.f]: [2]\n"
    p = parse(text)
    assert p.props == {"a.b": "1", "c.d": "broken", "e.f": "2"}
    assert p.irregular_lines == [2]


def test_mangled_opening_bracket_is_read() -> None:
    text = "[a.b]: [1]\n]c.d]: [value:X1\n[e.f]: [2]\n"
    p = parse(text)
    assert p.props == {"a.b": "1", "c.d": "value:X1", "e.f": "2"}
    assert p.irregular_lines == [2]


def test_blank_and_foreign_lines() -> None:
    p = parse("[a.b]: [1]\n\n[c.d]: [2]\nnot a property\n\n")
    assert p.props == {"a.b": "1", "c.d": "2"}
    assert p.unparsed == ["not a property"]


def test_output_cut_inside_a_value() -> None:
    p = parse("[a.b]: [1]\n[c.d]: [first\nsecond")
    assert p["c.d"] == "first\nsecond"
    assert p.irregular_lines == [2]


@pytest.mark.parametrize("eol", ["\r\n", "\r\r\n"])
def test_line_endings(eol: str) -> None:
    p = parse(GETPROP.replace("\n", eol).encode())
    assert p.sdk == 34
    assert p["persist.sys.boot.reason.history"].count("\n") == 2


def test_invalid_utf8_and_nul() -> None:
    p = parse(b"[a.b]: [x\xffy]\n[c.d]: [\x00]\n")
    assert p["a.b"] == "x\ufffdy"
    assert p["c.d"] == "\x00"


def test_sdk_absent_or_odd() -> None:
    assert parse("[a.b]: [1]\n").sdk is None
    assert parse("[ro.build.version.sdk]: [S]\n").sdk is None


def test_rejects_other_output() -> None:
    with pytest.raises(ParseError):
        parse("")
    with pytest.raises(ParseError):
        parse("/system/bin/sh: getprop: not found\n")


def test_to_json_is_flat() -> None:
    out = registry.parse_to_json("getprop", GETPROP)
    json.dumps(out)
    assert out["ro.build.version.sdk"] == "34"
    assert all(isinstance(v, str) for v in out.values())
