import json

import pytest

from harness.android import registry
from harness.android.appops import parse
from harness.errors import ParseError


def test_single_op_restricted() -> None:
    a = parse("RUN_ANY_IN_BACKGROUND: ignore\n")
    assert a.ops == {"RUN_ANY_IN_BACKGROUND": "ignore"}
    assert a.uid_mode == {}
    assert a.mode("RUN_ANY_IN_BACKGROUND") == "ignore"


def test_time_suffixes() -> None:
    text = (
        "RUN_IN_BACKGROUND: allow; time=+1h2m3s4ms ago; rejectTime=+5m0s0ms ago\n"
        "WAKE_LOCK: allow; time=+10s ago; duration=+2s500ms\n"
        "CAMERA: foreground; time=+1s ago (running)\n"
        "COARSE_LOCATION: mode=5\n"
    )
    a = parse(text)
    assert a.ops == {
        "RUN_IN_BACKGROUND": "allow",
        "WAKE_LOCK": "allow",
        "CAMERA": "foreground",
        "COARSE_LOCATION": "mode=5",
    }
    bg, wake, cam, _ = a.entries
    assert (bg.time, bg.reject_time, bg.duration) == ("+1h2m3s4ms", "+5m0s0ms", None)
    assert (wake.time, wake.duration) == ("+10s", "+2s500ms")
    assert cam.running is True and cam.time == "+1s"


def test_uid_mode_block_then_package_ops() -> None:
    text = (
        "Uid mode: COARSE_LOCATION: foreground\n"
        "FINE_LOCATION: foreground\n"
        "SCHEDULE_EXACT_ALARM: allow\n"
        "COARSE_LOCATION: allow; time=+3m0s0ms ago\n"
        "RUN_ANY_IN_BACKGROUND: ignore\n"
    )
    a = parse(text)
    assert a.uid_mode == {
        "COARSE_LOCATION": "foreground",
        "FINE_LOCATION": "foreground",
        "SCHEDULE_EXACT_ALARM": "allow",
    }
    assert a.ops == {"COARSE_LOCATION": "allow", "RUN_ANY_IN_BACKGROUND": "ignore"}
    # The uid-level mode wins unless it is "default".
    assert a.mode("COARSE_LOCATION") == "foreground"
    assert a.mode("RUN_ANY_IN_BACKGROUND") == "ignore"


def test_uid_block_ends_at_a_repeated_op() -> None:
    a = parse("Uid mode: RUN_ANY_IN_BACKGROUND: default\nRUN_ANY_IN_BACKGROUND: ignore\n")
    assert a.uid_mode == {"RUN_ANY_IN_BACKGROUND": "default"}
    assert a.ops == {"RUN_ANY_IN_BACKGROUND": "ignore"}
    assert a.mode("RUN_ANY_IN_BACKGROUND") == "ignore"


def test_uid_only() -> None:
    a = parse("Uid mode: SCHEDULE_EXACT_ALARM: ignore\n")
    assert a.uid_mode == {"SCHEDULE_EXACT_ALARM": "ignore"}
    assert a.ops == {}
    assert a.mode("SCHEDULE_EXACT_ALARM") == "ignore"


def test_no_operations_with_default_mode() -> None:
    a = parse("No operations.\r\nDefault mode: allow\r\n")
    assert a.no_operations is True
    assert a.ops == {}
    assert a.default_mode == "allow"
    assert a.mode("RUN_ANY_IN_BACKGROUND") == "allow"
    assert parse(b"No operations.\n").default_mode is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Error: Unknown operation string: FOO\n",
        "Error: No UID for com.example.missing in user 0\n",
    ],
)
def test_rejects_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


def test_odd_lines_are_kept() -> None:
    a = parse("RUN_ANY_IN_BACKGROUND: allow\nsomething vendor specific\n")
    assert a.notes == ["something vendor specific"]


def test_to_json() -> None:
    out = registry.parse_to_json(
        "appops", b"Uid mode: RUN_ANY_IN_BACKGROUND: ignore\r\r\nWAKE_LOCK: allow; time=+1s ago\n"
    )
    json.dumps(out)
    assert out["uid_mode"] == {"RUN_ANY_IN_BACKGROUND": "ignore"}
    assert out["ops"] == {"WAKE_LOCK": "allow"}
