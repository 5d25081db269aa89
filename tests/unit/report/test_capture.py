"""One capture: parsed into frames, kept in a folder atomically, read back."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from harness.report import parse_capture, read_capture, write_capture
from harness.report.capture import is_capture
from tests.unit.report.fixtures import CHECKIN, EMAILS, HISTORY_TEXT


def test_checkin_gives_aggregate_and_history_frames():
    capture = parse_capture(CHECKIN, HISTORY_TEXT)
    assert not capture.warnings
    for name in ("summary", "apps", "jobs", "job_completions", "alarms", "wakelocks",
                 "power_use", "history_events", "history_intervals", "history_states",
                 "history_battery"):
        assert name in capture, name
    # The checkin history wins over the text one: epoch-ms anchors and exact UIDs.
    jobs = capture.get("history_intervals")
    jobs = jobs[jobs["kind"].astype(str) == "job"]
    assert jobs["start_ms"].tolist() == [1_700_000_001_000, 1_700_000_013_000]


def test_text_history_alone_is_enough():
    capture = parse_capture(None, HISTORY_TEXT)
    assert "summary" not in capture and "history_intervals" in capture
    iv = capture.get("history_intervals")
    assert (iv["kind"].astype(str) == "job").sum() == 1


def test_garbage_becomes_warnings_not_errors():
    capture = parse_capture("hello\nworld\n", "not a history either\n")
    assert capture.frames == {}
    assert any(w.startswith("checkin:") for w in capture.warnings)
    assert any(w.startswith("history:") for w in capture.warnings)


def test_progress_is_reported_up_to_the_total():
    calls: list[tuple[int, int]] = []
    parse_capture(CHECKIN, HISTORY_TEXT, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] == len(CHECKIN) + len(HISTORY_TEXT)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_write_then_read_round_trips(tmp_path):
    folder = tmp_path / "batterystats" / "R58M123" / "test_a"
    written = write_capture(folder, CHECKIN, HISTORY_TEXT, {"serial": "R58M123", "test": "a"})
    assert is_capture(folder)
    names = {p.name for p in folder.iterdir()}
    assert {"checkin.txt", "history.txt", "meta.json", "jobs.parquet",
            "history_intervals.parquet"} <= names
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["serial"] == "R58M123" and meta["personal_data"] == "redacted"
    assert "jobs" in meta["frames"]
    back = read_capture(folder)
    for name, frame in written.frames.items():
        pd.testing.assert_frame_equal(
            back.get(name).reset_index(drop=True), frame.reset_index(drop=True),
            check_dtype=False, check_categorical=False,
        )


def test_rewriting_a_capture_replaces_it_whole(tmp_path):
    folder = tmp_path / "cap"
    write_capture(folder, CHECKIN, HISTORY_TEXT, {"n": 1})
    write_capture(folder, None, HISTORY_TEXT, {"n": 2})
    assert not (folder / "checkin.txt").exists() and not (folder / "jobs.parquet").exists()
    assert json.loads((folder / "meta.json").read_text())["n"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["cap"]


@pytest.mark.parametrize("keep", [False, True])
def test_raw_text_is_redacted_unless_kept(tmp_path, keep):
    folder = tmp_path / "cap"
    write_capture(folder, CHECKIN, HISTORY_TEXT, {}, keep_personal_data=keep)
    raw = (folder / "checkin.txt").read_text() + (folder / "history.txt").read_text()
    for email in EMAILS:
        assert (email in raw) is keep, email
    if not keep:
        assert "*sync*/com.example.mail/com.example/<account>" in raw
        assert '9,hsp,3,10160,"*gms_scheduler*:<email>"' in raw
        # Only names change: the layout and everything else stay as the device printed them.
        assert len(raw.splitlines()) == len((CHECKIN + HISTORY_TEXT).splitlines())
