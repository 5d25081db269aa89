"""Unit tests of the ``content`` shell tool output parser."""

from __future__ import annotations

import json

import pytest

from harness.android import content
from harness.errors import ParseError

QUERY = """\
Row: 0 _id=1, name=wifi_on, value=1
Row: 1 _id=7, name=device_name, value=Pixel, the 2nd
Row: 2 _id=9, name=empty_value, value=
Row: 3 _id=12, name=nothing, value=NULL
"""


def test_query_rows() -> None:
    result = content.parse(QUERY)
    assert result.kind == "query" and not result.no_result
    assert [r.index for r in result.rows] == [0, 1, 2, 3]
    assert result.rows[0].values == {"_id": "1", "name": "wifi_on", "value": "1"}
    # ", the 2nd" is no "key=" so it stays in the value.
    assert result.rows[1].values["value"] == "Pixel, the 2nd"
    assert result.rows[2].values["value"] == ""
    assert result.rows[3].values["value"] is None
    assert result.columns == ["_id", "name", "value"]


def test_values_with_comma_and_equals_need_known_columns() -> None:
    row = "Row: 0 name=sync_filter, value=a=1, b=2, flags=x\n"
    guessed = content.parse_query(row)
    assert guessed.rows[0].values == {"name": "sync_filter", "value": "a=1", "b": "2", "flags": "x"}
    known = content.parse_query(row, columns=["name", "value"])
    assert known.rows[0].values == {"name": "sync_filter", "value": "a=1, b=2, flags=x"}


def test_known_columns_in_any_order_and_missing_ones() -> None:
    row = "Row: 0 value=x, y=z, name=n, extra=e\n"
    result = content.parse_query(row, columns=["name", "value", "absent"])
    assert result.rows[0].values == {"value": "x, y=z", "name": "n, extra=e"}


def test_value_with_newline_continues_row() -> None:
    result = content.parse_query("Row: 0 _id=3, note=line one\nline two\nRow: 1 _id=4, note=x\n")
    assert result.rows[0].values["note"] == "line one\nline two"
    assert result.rows[1].values == {"_id": "4", "note": "x"}


def test_no_result() -> None:
    result = content.parse("No result found.\n")
    assert result.kind == "query" and result.no_result and result.rows == []


def test_call_bundle() -> None:
    result = content.parse(
        "Result: Bundle[{value=42, name=screen_off_timeout, _generation_index=3, "
        "_track_generation=android.util.MemoryIntArray@1a2b3c, nested=Bundle[{a=1, b=2}]}]\n"
    )
    assert result.kind == "call"
    assert result.bundle == {
        "value": "42",
        "name": "screen_off_timeout",
        "_generation_index": "3",
        "_track_generation": "android.util.MemoryIntArray@1a2b3c",
        "nested": "Bundle[{a=1, b=2}]",
    }
    assert result.bundle_raw is not None and result.bundle_raw.startswith("Bundle[{value=42")


def test_call_null_and_parcelled() -> None:
    null = content.parse_call("Result: null\n")
    assert null.kind == "call" and null.bundle is None and null.bundle_raw == "null"
    parcelled = content.parse_call("Result: Bundle[mParcelledData.dataSize=88]\n")
    assert parcelled.bundle == {}
    empty = content.parse_call("Result: Bundle[{}]\n")
    assert empty.bundle == {}


def test_empty_output_of_insert_update_delete() -> None:
    assert content.parse("").kind == "empty"
    assert content.parse(b"\r\n").kind == "empty"


def test_provider_error() -> None:
    text = (
        "Error while accessing provider:settings\n"
        "java.lang.SecurityException: Permission Denial: writing com.android.providers.settings"
        " uri content://settings/secure\n"
        "\tat android.os.Parcel.createException(Parcel.java:2071)\n"
    )
    result = content.parse(text)
    assert result.kind == "error" and result.error_authority == "settings"
    assert result.error is not None and result.error.startswith("java.lang.SecurityException")
    assert content.parse_query(text).kind == "error"
    assert content.parse_call(text).kind == "error"


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n"])
def test_line_endings(ending: str) -> None:
    result = content.parse(QUERY.replace("\n", ending).encode())
    assert len(result.rows) == 4 and result.rows[1].values["value"] == "Pixel, the 2nd"


def test_not_content_output() -> None:
    with pytest.raises(ParseError):
        content.parse("Current Alarm Manager state:\n")
    with pytest.raises(ParseError):
        content.parse_query("Result: null\n")
    with pytest.raises(ParseError):
        content.parse_call("Row: 0 a=1\n")


def test_to_json() -> None:
    data = content.parse(QUERY).to_json()
    json.dumps(data)
    assert data["kind"] == "query"
    values = {"_id": "12", "name": "nothing", "value": None}
    assert data["rows"][3] == {"index": 3, "values": values}
