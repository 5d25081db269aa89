"""Battery history in both forms: the event table, time reconstruction and timelines."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.batterystats import parse_history
from harness.errors import ParseError
from tests.unit.batterystats.fixtures import CHECKIN_HISTORY, TEXT_HISTORY, crlf

EPOCH = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


@pytest.fixture(scope="module")
def checkin():
    return parse_history(CHECKIN_HISTORY)


@pytest.fixture(scope="module")
def text():
    return parse_history(TEXT_HISTORY)


def events(h, **match) -> pd.DataFrame:
    ev = h.events
    for k, v in match.items():
        ev = ev[ev[k] == v]
    return ev


# -- checkin form ----------------------------------------------------------------------------


def test_checkin_source_and_version(checkin):
    assert checkin.source == "checkin"
    assert checkin.time_basis == "utc"
    assert checkin.version == 36
    assert checkin.record_count == 13


def test_event_table_columns_and_types(checkin):
    ev = checkin.events
    assert list(ev.columns) == [
        "time_ms",
        "elapsed_ms",
        "record",
        "segment",
        "kind",
        "code",
        "name",
        "transition",
        "uid",
        "value",
    ]
    assert str(ev.dtypes["time_ms"]) == "Int64"
    assert str(ev.dtypes["uid"]) == "Int64"
    assert ev.dtypes["elapsed_ms"] == "int64"
    for col in ("kind", "code", "name", "transition"):
        assert str(ev.dtypes[col]) == "category"


def test_deltas_accumulate_and_time_is_anchored(checkin):
    job = events(checkin, code="Ejb", transition="start").iloc[0]
    assert job["elapsed_ms"] == 1000
    assert job["time_ms"] == EPOCH + 1000


def test_time_record_reanchors_the_clock(checkin):
    # 3000 ms after the last record the device set its clock to EPOCH + 100 s.
    after = events(checkin, code="di", value="off").iloc[0]
    assert after["elapsed_ms"] == 10_000
    assert after["time_ms"] == EPOCH + 100_000 + 1000


def test_events_resolve_the_string_pool(checkin):
    job = events(checkin, name="job").iloc[0]
    assert (job["uid"], job["value"]) == (10123, "com.example.app/.SyncJob")
    wake = events(checkin, code="w", transition="start").iloc[0]
    assert (wake["uid"], wake["value"]) == (1000, "*alarm*")
    reason = events(checkin, kind="wake_reason").iloc[0]
    assert reason["value"] == 'qcom,smd-rpm:say "hi"'  # \" unescaped


def test_missing_pool_index_is_kept_and_warned(checkin):
    assert events(checkin, code="Etw").iloc[0]["value"] == "#9"
    assert any("string-pool" in w for w in checkin.warnings)


def test_short_values_become_long_names(checkin):
    assert events(checkin, code="Pss").iloc[0]["value"] == "great"
    assert events(checkin, code="Wsp").iloc[0]["value"] == "completed"
    assert events(checkin, code="Bs").iloc[0]["value"] == "discharging"


def test_step_details_follow_their_record(checkin):
    details = events(checkin, kind="details")
    assert list(details["record"]) == [2, 2]
    assert details.iloc[1]["value"].startswith("Dpst=1,2,3,4,5,6,state_1")


def test_markers_and_segments(checkin):
    markers = events(checkin, kind="marker")
    assert list(markers["name"]) == ["reset", "time", "shutdown", "start"]
    assert events(checkin, code="START").iloc[0]["segment"] == 1
    assert events(checkin, code="SHUTDOWN").iloc[0]["segment"] == 0
    assert not checkin.overflowed


def test_redaction_of_sync_tags_and_pool(checkin):
    sync = events(checkin, code="Esy").iloc[0]
    assert sync["value"] == "com.example.provider/com.example/<account>"
    assert "alice" not in " ".join(checkin.string_pool["string"])
    raw = parse_history(CHECKIN_HISTORY, redact=False)
    assert events(raw, code="Esy").iloc[0]["value"].endswith("alice@example.com")


def test_battery_timeline_is_forward_filled(checkin):
    b = checkin.battery
    assert list(b["level_pct"]) == [100, 99, 98, 98, 99]
    assert list(b["plug"].astype(str)) == ["none", "none", "none", "usb", "usb"]
    assert b.iloc[0]["temperature_c"] == pytest.approx(25.1)
    assert b.iloc[-1]["voltage_mv"] == 4395
    assert list(checkin.level["level_pct"]) == [100, 99, 98, 98, 99]


def test_screen_intervals_close_at_reboot(checkin):
    screen = checkin.screen
    first = screen.iloc[0]
    assert (first["start_elapsed_ms"], first["end_elapsed_ms"]) == (0, 3000)
    assert first["end_observed"]
    second = screen.iloc[1]
    assert second["segment"] == 1 and not second["end_observed"]


def test_doze_modes(checkin):
    doze = checkin.doze
    assert list(doze["mode"]) == ["light", "deep"]
    assert list(doze["duration_ms"]) == [1500, 5000]


def test_job_intervals_pair_start_and_stop(checkin):
    jobs = checkin.jobs
    paired = jobs[jobs["start_observed"] & jobs["end_observed"]].iloc[0]
    assert (paired["uid"], paired["duration_ms"]) == (10123, 2000)
    assert paired["start_ms"] == EPOCH + 1000
    # A second stop without a start begins at the start of its segment.
    orphan = jobs[~jobs["start_observed"]].iloc[0]
    assert (orphan["start_elapsed_ms"], orphan["end_elapsed_ms"]) == (0, 6000)


def test_open_sync_ends_with_its_segment(checkin):
    sync = checkin.syncs.iloc[0]
    assert sync["end_elapsed_ms"] == 10_500  # the SHUTDOWN record
    assert not sync["end_observed"]


def test_cpu_wakelock_is_attributed_to_the_first_tag(checkin):
    held = checkin.wakelocks.iloc[0]
    assert (held["kind"], held["uid"], held["name"]) == ("wakelock_held", 1000, "*alarm*")
    assert held["duration_ms"] == 3500


def test_plugged_and_charging_after_boot(checkin):
    plugged = checkin.plugged.iloc[0]
    assert plugged["segment"] == 1 and plugged["start_elapsed_ms"] == 10_500


# -- text form -------------------------------------------------------------------------------


def test_text_source_and_local_clock(text):
    assert text.source == "text"
    assert text.time_basis == "device-local"
    assert text.records.iloc[0]["time_ms"] == EPOCH


def test_text_timezone_converts_the_local_clock():
    berlin = parse_history(TEXT_HISTORY, tz="Europe/Berlin")
    assert berlin.time_basis == "utc"
    assert berlin.records.iloc[0]["time_ms"] == EPOCH - 3600 * 1000


def test_text_durations_with_days_hours_minutes(text):
    current = events(text, code="current").iloc[0]
    assert current["elapsed_ms"] == 3_723_004
    assert events(text, code="START").iloc[0]["elapsed_ms"] == 86_400_000


def test_text_tags_with_spaces_and_uid_formats(text):
    reason = events(text, kind="wake_reason").iloc[0]
    assert (reason["uid"], reason["value"]) == (0, "Abort: pm suspend")
    assert events(text, code="Etp").iloc[0]["uid"] == 10123  # u0a123
    assert events(text, code="Esy").iloc[0]["uid"] == 1_010_123  # u10a123
    assert events(text, code="Etw").iloc[0]["uid"] == 99_005  # u0i5 (isolated)


def test_text_vendor_fields_are_kept_raw(text):
    current = events(text, code="current").iloc[0]
    assert (current["kind"], current["value"]) == ("other", "12")
    assert events(text, code="wifi_ap").iloc[0]["transition"] == "start"


def test_text_level_emitted_on_change_only(text):
    assert list(events(text, code="Bl")["value"]) == ["100", "99", "98", "98"]


def test_text_details_lines(text):
    details = events(text, kind="details")
    assert details.iloc[0]["value"].startswith("Details: cpu=100u+50s")
    assert set(details["record"]) == {3}


def test_unsigned_events_at_reset_were_already_active(text):
    top = text.intervals[text.intervals["kind"] == "top"].iloc[0]
    assert top["start_elapsed_ms"] == 0
    assert not top["start_observed"]


def test_text_and_checkin_forms_agree_on_timelines(text, checkin):
    assert list(text.doze["mode"]) == list(checkin.doze["mode"])
    assert text.jobs.iloc[0]["duration_ms"] == 2000
    cols = ["name", "value", "start_elapsed_ms", "end_elapsed_ms"]

    def closed(h):
        st = h.states[h.states["end_observed"] & (h.states["segment"] == 0)]
        return st[cols].head(3).astype(str).reset_index(drop=True)

    pd.testing.assert_frame_equal(closed(text), closed(checkin))


def test_text_without_header_and_crlf():
    body = TEXT_HISTORY.split("\n", 1)[1]
    again = parse_history(crlf(body).encode())
    assert again.record_count == parse_history(TEXT_HISTORY).record_count


def test_checkin_crlf_and_cr_cr_lf():
    cr2 = CHECKIN_HISTORY.replace("\n", "\r\r\n")
    a, b = parse_history(crlf(CHECKIN_HISTORY)), parse_history(cr2)
    assert a.events["value"].tolist() == b.events["value"].tolist()


def test_dump_without_history_is_empty_not_an_error():
    h = parse_history("Statistics since last charge:\n  System starts: 1\n")
    assert h.record_count == 0 and len(h.events) == 0
    assert len(h.states) == 0 and len(h.intervals) == 0 and len(h.battery) == 0


def test_pool_only_snippet_is_empty_history():
    h = parse_history('9,hsp,94,10011,"com.google.android.gms.people/com.google/x@y.com"\n')
    assert h.record_count == 0
    assert h.string_pool.iloc[0]["uid"] == 10011


def test_overflow_flag():
    h = parse_history("9,h,0:RESET:TIME:1700000000000\n9,h,10:*OVERFLOW*\n9,h,5,+S\n")
    assert h.overflowed


def test_not_batterystats_raises():
    with pytest.raises(ParseError):
        parse_history("random text\nwith lines\n")


def test_progress_callback():
    seen: list[tuple[int, int]] = []
    parse_history(TEXT_HISTORY, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(TEXT_HISTORY), len(TEXT_HISTORY))
