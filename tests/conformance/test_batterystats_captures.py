"""The batterystats parsers against real captures (read from outside the repository).

Every file of the capture kinds ``batterystats_checkin``, ``batterystats_history``,
``batterystats_history_snippets`` and ``bugreport`` must parse, with every table and timeline
built; a few values read by hand from the captures are checked per file name.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from harness.batterystats import (
    BugreportBatterystats,
    CheckinStats,
    History,
    locate_in_bugreport,
    parse_any,
    parse_checkin,
    parse_history,
)
from tests.conformance.captures import capture_params


def _build_everything(history: History) -> None:
    for frame in (history.battery, history.states, history.intervals, history.doze):
        assert isinstance(frame, pd.DataFrame)
    # Records stay in print order; elapsed time may step back (a TIME record can be stamped
    # after the records that follow it, seen on a MediaTek tablet), so only records are ordered.
    assert history.events["record"].is_monotonic_increasing


def _local_ms(stamp: str) -> int:
    when = dt.datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def _one(df: pd.DataFrame, **match) -> pd.Series:
    for k, v in match.items():
        df = df[df[k] == v]
    assert len(df) >= 1, f"no row matches {match}"
    return df.iloc[0]


# -- dumpsys batterystats -c --------------------------------------------------------------------

CHECKIN_SPOT_CHECKS = {
    "google-pixel-api27.txt": lambda s: (
        s.version == 27
        and s.summary.iloc[0]["battery_realtime_ms"] == 34_517_110
        and s.summary.iloc[0]["screen_on_ms"] == 41_291
        and s.summary.iloc[0]["screen_off_ms"] == 34_517_110 - 41_291
        and _one(s.wakelocks, uid=1000, name="WifiSuspend", kind="partial")["count"] == 1
        and _one(s.wakelocks, uid=1000, name="WifiSuspend", kind="partial")["total_ms"] == 82
        and _one(s.syncs, uid=10018)["total_ms"] == 1446
        and _one(s.alarms, uid=10018, name="*walarm*:com.google.android.gms.gcm.HEARTBEAT_ALARM")[
            "package"
        ]
        == "com.google.android.gms"
        and len(s.job_completions["reason"].cat.categories) == 5
    ),
    "vivo-x9-api25.txt": lambda s: (
        s.version == 20
        and _one(s.wakelocks, uid=1000, name="ProcessTrace", kind="partial")["time_ms"] == 1663
        and _one(s.wakelocks, uid=1000, name="ProcessTrace", kind="partial")["count"] == 29
        and set(s.wakelocks["kind"]) == {"full", "partial", "window"}
        and (s.steps["kind"] == "discharge").sum() == 44
        and s.summary.iloc[0]["start_clock_time_ms"] == 1_572_923_806_671
    ),
    "axxs-mt8168-api33.txt": lambda s: (
        s.version == 35
        and _one(s.jobs, uid=10033)["total_ms"] == 213
        and _one(s.jobs, uid=10033)["background_ms"] == 132
        and _one(s.job_completions, uid=10033, reason="successful_finish")["count"] == 4
        and s.summary.iloc[0]["screen_doze_ms"] == 0
        and len(s.process_state_time["state"].cat.categories) == 7
    ),
    "sunmi-t2slite-api28.txt": lambda s: (
        s.version == 32
        and _one(s.syncs, uid=10024, name="subscribedfeeds/com.google/<account>")["total_ms"]
        == 1870
        and not s.syncs["name"].str.contains("@").any()
        and _one(s.controllers, controller="bluetooth", uid=0)["rx_ms"] == 270_796
    ),
    "posiflex-hs3314-api28.txt": lambda s: (
        s.version == 32 and s.history is not None and s.history.record_count > 70_000
    ),
    "google-pixel-api34-excerpt.txt": lambda s: (
        s.version == 36
        and s.history is not None
        and s.history.start_time_ms == 1_732_816_430_344
        and _one(s.history.battery, record=1)["charge_mah"] == 4263
        and _one(s.history.events, code="Pcn")["value"] == "lte"
    ),
}


@pytest.mark.parametrize("capture", capture_params("batterystats_checkin"))
def test_checkin_capture_parses(capture):
    stats = parse_checkin(capture.read_bytes())
    assert isinstance(stats, CheckinStats)
    tables = stats.tables()
    assert all(isinstance(df, pd.DataFrame) for df in tables.values())
    if stats.history is not None:
        _build_everything(stats.history)
    check = CHECKIN_SPOT_CHECKS.get(capture.name)
    if check is not None:
        assert check(stats), f"spot check failed for {capture.name}"


# -- dumpsys batterystats (text) ----------------------------------------------------------------

HISTORY_SPOT_CHECKS = {
    "nexus-2014.txt": lambda h: (
        h.overflowed
        and h.records.iloc[0]["time_ms"] == _local_ms("2014-06-29-22-23-58")
        and _one(h.screen, start_observed=True)["start_elapsed_ms"] == 2895
        and _one(h.events, code="w", transition="start")["uid"] == -1
    ),
    "vivo-x9-api25.txt": lambda h: (
        _one(h.jobs, uid=10057)["start_elapsed_ms"] == 14_130
        and _one(h.jobs, uid=10057)["duration_ms"] == 91
        and _one(h.battery, record=1)["status"] == "full"
    ),
    "emulator-2022.txt": lambda h: (
        _one(h.events, code="TIME")["time_ms"] == _local_ms("2022-02-26-14-55-54")
        and _one(h.events, code="TIME")["elapsed_ms"] == 5412
        and h.record_count > 60_000
    ),
    "xiaomi-redmik80pro-short.txt": lambda h: (
        h.record_count == 44
        and h.duration_ms == 23_970
        and _one(h.intervals, kind="top", uid=10141, start_observed=True)["start_elapsed_ms"]
        == 5939
        and _one(h.battery, record=1)["charge_mah"] == 5604
    ),
    "samsung-2024.txt": lambda h: (
        {"current", "ap_temp", "skin_temp"}
        <= set(h.events.loc[h.events["kind"] == "other", "code"])
    ),
    "emulator-lollipop.txt": lambda h: h.record_count == 0,
    "emulator-2023-pkg.txt": lambda h: h.record_count == 0,
}


@pytest.mark.parametrize("capture", capture_params("batterystats_history"))
def test_text_history_capture_parses(capture):
    result = parse_any(capture.read_bytes())
    history = result.dumpsys if isinstance(result, BugreportBatterystats) else result
    assert isinstance(history, History)
    _build_everything(history)
    check = HISTORY_SPOT_CHECKS.get(capture.name)
    if check is not None:
        assert check(history), f"spot check failed for {capture.name}"


# -- checkin history snippets (Battery Historian's test inputs) --------------------------------

SNIPPET_SPOT_CHECKS = {
    "005-analyze-history-generated-incorrect.txt": lambda h: (
        list(h.syncs["duration_ms"])[:2] == [275, 2152]
        and _one(h.syncs, uid=10013)["name"].endswith("/<account>")
    ),
    "063-normal-alarm-parse-cases.txt": lambda h: (
        _one(h.alarms, uid=1000)["duration_ms"] == 3000
        and _one(h.alarms, uid=10105)["duration_ms"] == 1000
    ),
    "084-first-entry-negative-transition.txt": lambda h: (
        not _one(h.states, code="ca")["start_observed"]
        and _one(h.states, code="ca")["end_elapsed_ms"] == 2000
    ),
    "103-analyze-history-returned-unexpected.txt": lambda h: (
        h.version == 11 and (h.events["kind"] == "details").sum() >= 2
    ),
}


@pytest.mark.parametrize("capture", capture_params("batterystats_history_snippets"))
def test_history_snippet_parses(capture):
    history = parse_history(capture.read_bytes())
    assert history.source == "checkin"
    _build_everything(history)
    check = SNIPPET_SPOT_CHECKS.get(capture.name)
    if check is not None:
        assert check(history), f"spot check failed for {capture.name}"


# -- whole bugreports ---------------------------------------------------------------------------

BUGREPORT_SPOT_CHECKS = {
    "google-pixel-api27.txt": lambda r: (
        r.checkin.version == 27
        and r.checkin.summary.iloc[0]["battery_realtime_ms"] == 34_517_110
        and r.dumpsys.record_count > 0
    ),
    "sunmi-t2slite-api28.txt": lambda r: (
        r.checkin.version == 32 and r.dumpsys is not None and r.history.source == "checkin"
    ),
}


@pytest.mark.parametrize("capture", capture_params("bugreport"))
def test_bugreport_sections_are_found_and_parsed(capture):
    data = capture.read_bytes()
    sections = locate_in_bugreport(data)
    assert sections.checkin is not None and sections.dumpsys is not None
    result = parse_any(data)
    assert isinstance(result, BugreportBatterystats)
    assert result.checkin is not None
    result.checkin.tables()
    for history in (result.checkin.history, result.dumpsys):
        if history is not None:
            _build_everything(history)
    check = BUGREPORT_SPOT_CHECKS.get(capture.name)
    if check is not None:
        assert check(result), f"spot check failed for {capture.name}"


# -- line endings -------------------------------------------------------------------------------


def _lf_and_crlf(capture) -> tuple[str, str]:
    text = capture.read_bytes().decode("utf-8", errors="replace")
    lf = text.replace("\r\n", "\n").replace("\r", "")
    return lf, lf.replace("\n", "\r\n")


@pytest.mark.parametrize(
    "capture",
    [p for p in capture_params("batterystats_checkin") if "vivo" in p.id or "absent" in p.id],
)
def test_checkin_capture_in_crlf_gives_the_same_tables(capture):
    lf, crlf = _lf_and_crlf(capture)
    a, b = parse_checkin(lf), parse_checkin(crlf.encode())
    for name in ("summary", "wakelocks", "jobs", "alarms", "steps"):
        pd.testing.assert_frame_equal(a.table(name), b.table(name))
    pd.testing.assert_frame_equal(a.history.events, b.history.events)


@pytest.mark.parametrize(
    "capture",
    [p for p in capture_params("batterystats_history") if "asus" in p.id or "absent" in p.id],
)
def test_text_capture_in_lf_and_crlf_gives_the_same_events(capture):
    # This capture is stored with CR CR LF line ends; compare it to LF and CRLF versions.
    lf, crlf = _lf_and_crlf(capture)
    raw = parse_history(capture.read_bytes())
    for variant in (lf, crlf):
        pd.testing.assert_frame_equal(parse_history(variant).events, raw.events)
