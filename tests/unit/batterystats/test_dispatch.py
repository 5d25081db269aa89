"""Finding batterystats in a bugreport, detecting the kind of input, and shared helpers."""

from __future__ import annotations

import pyarrow as pa
import pytest

from harness.batterystats import (
    BugreportBatterystats,
    CheckinStats,
    History,
    detect_kind,
    locate_in_bugreport,
    parse_any,
    parse_checkin,
    parse_history,
)
from harness.batterystats.history_text import _durations_ms
from harness.batterystats.history_tokens import parse_uid_text
from harness.batterystats.text import ProgressReporter, normalize
from harness.errors import ParseError
from tests.unit.batterystats.fixtures import (
    CHECKIN_HISTORY,
    CHECKIN_V36,
    TEXT_HISTORY,
    bugreport,
    crlf,
)


def test_locate_both_sections():
    found = locate_in_bugreport(bugreport())
    assert found.checkin is not None and found.dumpsys is not None
    assert found.checkin.title.startswith("------ CHECKIN BATTERYSTATS")
    assert found.checkin.text.startswith("9,0,i,vers,36")
    assert "MEMINFO" not in found.checkin.text and "duration of" not in found.checkin.text
    assert found.dumpsys.text.startswith("Battery History (")
    assert "bluetooth" not in found.dumpsys.text


def test_locate_works_on_bytes_and_crlf():
    data = crlf(bugreport()).encode()
    found = locate_in_bugreport(data)
    assert found.checkin is not None and "\r" not in found.checkin.text
    assert found.dumpsys is not None and found.dumpsys.text.startswith("Battery History (")


def test_locate_reports_missing_sections():
    found = locate_in_bugreport("------ SYSTEM PROPERTIES ------\n[a]: [b]\n")
    assert not found.found


def test_parse_any_dispatches_on_the_kind_of_input():
    assert isinstance(parse_any(CHECKIN_V36), CheckinStats)
    assert isinstance(parse_any(TEXT_HISTORY), History)
    # A history-only checkin snippet (vers + hsp + h lines) is a history.
    assert isinstance(parse_any(CHECKIN_HISTORY), History)
    report = parse_any(bugreport().encode())
    assert isinstance(report, BugreportBatterystats)
    assert report.checkin is not None and report.checkin.version == 36
    assert report.dumpsys is not None and report.dumpsys.source == "text"
    assert report.history is report.checkin.history
    assert report.history is not None and report.history.source == "checkin"


def test_detect_kind():
    assert detect_kind(CHECKIN_V36) == "checkin"
    assert detect_kind(CHECKIN_HISTORY) == "history"
    assert detect_kind(TEXT_HISTORY) == "history"
    assert detect_kind(bugreport()) == "bugreport"
    with pytest.raises(ParseError):
        detect_kind("just some text\n")


def test_parsers_find_their_section_in_a_bugreport():
    stats = parse_checkin(bugreport())
    assert stats.summary.iloc[0]["battery_realtime_ms"] == 7_200_000
    history = parse_history(bugreport())
    assert history.source == "checkin"
    text_only = parse_history(bugreport(checkin="9,0,i,vers,36,214,A,B\n"))
    assert text_only.source == "text"


def test_bugreport_without_checkin_section_is_a_parse_error_for_parse_checkin():
    report = bugreport().replace("------ CHECKIN BATTERYSTATS", "------ CHECKIN SOMETHING")
    with pytest.raises(ParseError):
        parse_checkin(report)


def test_parse_any_rejects_other_text():
    with pytest.raises(ParseError):
        parse_any("Proc #0: fg     T/A/TOP  LCM  t: 0 1234:com.example/u0a1 (top-activity)\n")


def test_progress_through_a_bugreport():
    data = bugreport()
    calls: list[tuple[int, int]] = []
    parse_any(data, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (len(data), len(data))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_normalize_line_ends():
    assert normalize(b"a\r\r\nb\r\nc\rd\n") == "a\nb\nc\nd\n"
    assert normalize("plain\n") == "plain\n"
    assert normalize(b"\xffx") == "\ufffdx"


def test_progress_reporter_throttles_but_always_finishes():
    calls: list[tuple[int, int]] = []
    rep = ProgressReporter(lambda d, t: calls.append((d, t)), 100, min_interval_s=3600)
    rep.advance_to(10)
    rep.advance_to(20)  # dropped: too soon after the first
    rep.finish()
    assert calls == [(10, 100), (100, 100)]


def test_duration_strings():
    got = _durations_ms(
        pa.array(["0", "+16ms", "+1s002ms", "+1h26m18s315ms", "+2d01h00m00s000ms", "-5s", "0"])
    )
    assert got.tolist() == [0, 16, 1002, 5_178_315, 176_400_000, -5000, 0]


def test_uid_formats():
    got = parse_uid_text(pa.array(["1000", "u0a152", "u10s1000", "u0i5", "u0ai3", "-1", "x"]))
    assert got.to_pylist() == [1000, 10152, 1_001_000, 99_005, 90_003, -1, None]


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda s: s.replace("9,10123,l,cpu,5200", "9,10123,l,cpu,99999999999999999999999"),
        lambda s: s.replace('"com.example.app:remote"', '"com.example.app:remote'),
        lambda s: s.replace("9,0,l,pwi,scrn,80.5,1,0,0", "9,0,l,pwi"),
        lambda s: s.replace("9,10123,l,ctf,A,2,", "9,10123,l,ctf,A,999999999999999999999,"),
        lambda s: s[: len(s) // 2],
        lambda s: s.replace("9,h,1000,+Ejb=0", "9,h,99999999999999999999,+Ejb=77777777777"),
        lambda s: s.replace("RESET:TIME:1700000000000", "RESET:TIME:170000000000000000000000"),
        lambda s: s.replace('9,hsp,0,10123,"', '9,hsp,99999999999999999999,10123,"'),
        lambda s: s.replace("\n", "\r"),  # old Mac line ends
    ],
)
def test_corrupted_checkin_dumps_degrade_instead_of_crashing(corrupt):
    stats = parse_checkin(corrupt(CHECKIN_V36 + CHECKIN_HISTORY))
    stats.tables()
    if stats.history is not None:
        h = stats.history
        h.battery, h.states, h.intervals, h.doze  # noqa: B018


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda s: s.replace("+1s000ms (2) 100", "+1s000ms (2) 100000000000000000000000"),
        lambda s: s.replace('u0a123:"com.example.app"', 'u99999999999999a123:"com.example.app'),
        lambda s: s.replace("RESET:TIME: 2023-11-14-22-13-20", "RESET:TIME: 2023-99-14"),
        lambda s: s[: len(s) // 3],
        lambda s: s.replace("(2)", "(x)"),
    ],
)
def test_corrupted_text_histories_degrade_instead_of_crashing(corrupt):
    h = parse_history(corrupt(TEXT_HISTORY))
    h.battery, h.states, h.intervals, h.doze  # noqa: B018


def test_bugreport_with_a_failed_checkin_section_still_gives_the_text_history():
    report = parse_any(bugreport(checkin="Can't find service: batterystats\n"))
    assert isinstance(report, BugreportBatterystats)
    assert report.checkin is None
    assert report.history is report.dumpsys and report.dumpsys is not None
