"""Unit tests of the shared dumpsys value readers."""

from __future__ import annotations

import pytest

from harness.android.dumpsys_format import (
    duration_ms,
    fields_dict,
    parse_bool,
    parse_int,
    split_fields,
    uid_number,
)


def test_split_fields_keeps_brackets_and_spaces_in_values() -> None:
    line = (
        "isForeground=true foregroundId=7 foregroundNoti=Notification(channel=x pri=0 flags=0x40)"
        " when=2024-05-01 17:00:00.000 tail=1"
    )
    assert split_fields(line) == [
        ("isForeground", "true"),
        ("foregroundId", "7"),
        ("foregroundNoti", "Notification(channel=x pri=0 flags=0x40)"),
        ("when", "2024-05-01 17:00:00.000"),
        ("tail", "1"),
    ]


def test_split_fields_comma_separator_and_leading_words() -> None:
    assert split_fields("a=1, b=x, y, c=Bundle[{d=1, e=2}]", ", ") == [
        ("a", "1"),
        ("b", "x, y"),
        ("c", "Bundle[{d=1, e=2}]"),
    ]
    assert split_fields("tick defaults=0x0") == [("", "tick"), ("defaults", "0x0")]


def test_split_fields_survives_unbalanced_brackets() -> None:
    assert fields_dict("a=(b c=d) e=f) g=h") == {"a": "(b c=d)", "e": "f)", "g": "h"}
    assert fields_dict("color=0x0      timeout=unknown") == {"color": "0x0", "timeout": "unknown"}


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("+1d0h0m0s0ms", 86_400_000),
        ("-3h05m18s793ms", -(3 * 3_600_000 + 5 * 60_000 + 18_793)),
        ("+30s0ms", 30_000),
        ("+45s", 45_000),
        ("-191ms", -191),
        ("0", 0),
        ("+24855d3h14m7s658ms", 24855 * 86_400_000 + 3 * 3_600_000 + 14 * 60_000 + 7_658),
        ("--", None),
        ("none", None),
        ("N/A", None),
        ("4:18:49", None),
        (None, None),
    ],
)
def test_duration_ms(text: str | None, ms: int | None) -> None:
    assert duration_ms(text) == ms


@pytest.mark.parametrize(
    ("text", "uid"),
    [
        ("1000", 1000),
        ("u0a123", 10123),
        ("u10a5", 1_010_005),
        ("u0i7", 99_007),
        ("u10s1000", 1_001_000),
        ("x", None),
        (None, None),
    ],
)
def test_uid_number(text: str | None, uid: int | None) -> None:
    assert uid_number(text) == uid


def test_scalars() -> None:
    assert parse_bool("true") is True and parse_bool(" False ") is False
    assert parse_bool("yes") is None and parse_bool(None) is None
    assert parse_int("0x1F") == 31 and parse_int("-12") == -12
    assert parse_int("12ab") is None and parse_int(None) is None
