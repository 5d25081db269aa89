"""The event table is created with the contract's columns, in order, and mirrored to logcat."""

from __future__ import annotations

from pathlib import Path

from harness.app import static_checks as sc
from tests.static.conftest import SOURCE, messages


def test_the_event_table_matches_the_contract():
    assert sc.check_event_log(sc.SAMPLE_APP_DIR) == []


def test_the_create_statement_is_the_contract_table():
    sql = sc.app_constants(sc.SAMPLE_APP_DIR).get("CREATE_EVENTS")
    assert sql.startswith("CREATE TABLE events (")
    assert "seq INTEGER PRIMARY KEY AUTOINCREMENT" in sql


def test_a_dropped_column_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "EventLog.kt",
         "                ${Contract.COL_CHARGING} INTEGER NOT NULL,\n", "")
    findings = messages(sc.check_event_log(app_copy))
    assert "columns" in findings and "'charging'" in findings


def test_reordered_columns_are_reported(app_copy: Path, edit):
    log = app_copy / SOURCE / "EventLog.kt"
    edit(log, "                ${Contract.COL_NETWORK} TEXT NOT NULL,\n", "")
    edit(log, "                ${Contract.COL_DETAIL} TEXT NOT NULL DEFAULT '{}'\n",
         "                ${Contract.COL_DETAIL} TEXT NOT NULL DEFAULT '{}',\n"
         "                ${Contract.COL_NETWORK} TEXT NOT NULL\n")
    assert "order differs" in messages(sc.check_event_log(app_copy))


def test_a_reusable_seq_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "EventLog.kt", "INTEGER PRIMARY KEY AUTOINCREMENT",
         "INTEGER PRIMARY KEY")
    assert "not AUTOINCREMENT" in messages(sc.check_event_log(app_copy))


def test_a_missing_logcat_mirror_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "EventLog.kt", "Log.i(Contract.LOG_TAG, logLine(seq, values, detail))",
         "logLine(seq, values, detail)")
    assert "not mirrored" in messages(sc.check_event_log(app_copy))
