"""What a capture says about the app, and a run folder read as a whole."""

from __future__ import annotations

import pandas as pd

from harness.app.contract import EVENT_COLUMNS
from harness.report import RunData, capture_metrics, merge_events, name_of_test, parse_capture
from harness.report.metrics import app_uids
from tests.unit.report.conftest import DEVICES, TESTS
from tests.unit.report.fixtures import CHECKIN, HISTORY_TEXT


def test_sample_app_cost_comes_from_pwi_and_the_checkin_tables():
    m = capture_metrics(parse_capture(CHECKIN, None))
    assert m.app_uid == 10150
    assert m.app_mah == 0.0125
    assert (m.app_jobs, m.app_job_ms) == (2, 3500)
    assert (m.app_job_runs, m.app_job_run_ms) == (2, 3500)
    assert (m.app_alarms, m.app_alarm_events) == (3, 3)
    assert (m.app_wakelocks, m.app_wakelock_ms) == (2, 2000)
    assert m.wakeups == 4  # the mail app's alarm counts for the device
    assert m.wakeups_per_hour == round(4 / (16_000 / 3_600_000), 2)
    assert (m.battery_ms, m.discharge_pct, m.discharge_mah) == (16_000, 2, 80.0)
    assert m.deep_idle_ms == 3000 and m.light_idle_ms == 2000
    assert (m.start_ms, m.end_ms) == (1_700_000_000_000, 1_700_000_015_500)


def test_another_app_can_be_reported():
    m = capture_metrics(parse_capture(CHECKIN, None), "com.example.mail")
    assert m.app_uid == 10160 and m.app_mah == 0.00139 and m.app_jobs == 1


def test_app_uid_from_a_bare_history():
    capture = parse_capture(None, HISTORY_TEXT)
    assert app_uids(capture, "dev.harness.sample") == [10150]
    m = capture_metrics(capture)
    assert m.app_mah is None and m.app_job_runs == 1


def test_an_absent_app_costs_nothing():
    m = capture_metrics(parse_capture(CHECKIN, None), "org.absent")
    assert m.app_uid is None and m.app_mah is None and m.app_jobs == 0


def test_run_folder_reads_every_capture(run_dir):
    run = RunData.load(run_dir)
    assert run.run_id == "20240101-000000-abcdef"
    assert run.serials == [d["serial"] for d in DEVICES]
    assert len(run.captures) == 4
    jobs = run.frame("jobs")
    assert list(jobs.columns[:2]) == ["serial", "test"]
    assert set(jobs["test"]) == set(TESTS)
    assert len(jobs) == 4 * 2
    m = run.metrics
    assert len(m) == 4 and set(m["nodeid"]) == set(TESTS)
    assert m["app_mah"].tolist() == [0.0125] * 4
    assert run.device_info("R58M123")["model"] == "Pixel 8"


def test_events_are_merged_with_serial_and_test(run_dir):
    folder = run_dir / "events" / "R58M123"
    folder.mkdir(parents=True)
    rows = {name: [1, 2] if name in ("seq", "wall_ms", "elapsed_ms", "pid", "boot_count")
            else ["x", "y"] for name in EVENT_COLUMNS}
    rows.update(deep_idle=[False, True], light_idle=[False, False], power_save=[False, False],
                charging=[False, False], standby_bucket=[10, 40])
    pd.DataFrame(rows).to_parquet(folder / f"{name_of_test(TESTS[0])}.parquet")
    events = RunData.load(run_dir).events
    assert list(events.columns) == [*EVENT_COLUMNS, "serial", "test"]
    assert events["serial"].tolist() == ["R58M123"] * 2
    assert events["test"].tolist() == [TESTS[0]] * 2  # file names mapped back to node ids
    bare = merge_events(run_dir)
    assert bare["test"].tolist() == [name_of_test(TESTS[0])] * 2
    assert str(events["seq"].dtype) == "Int64" and str(events["deep_idle"].dtype) == "boolean"


def test_no_event_files_give_an_empty_frame_with_the_contract_columns(tmp_path):
    events = merge_events(tmp_path)
    assert events.empty
    assert list(events.columns) == [*EVENT_COLUMNS, "serial", "test"]
