"""report.html, events.parquet, exports and run comparison."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from harness.report import RunData, build_report, compare_runs, export_run, format_table
from tests.unit.report.conftest import TESTS, write_run
from tests.unit.report.fixtures import CHECKIN


def test_report_files_are_written(run_dir):
    path = build_report(run_dir)
    assert path == run_dir / "report.html"
    assert (run_dir / "events.parquet").exists()
    metrics = pd.read_parquet(run_dir / "batterystats" / "metrics.parquet")
    assert len(metrics) == 4
    assert not [p for p in run_dir.rglob("*") if ".tmp-" in p.name]


def test_report_is_self_contained_and_has_every_section(run_dir):
    html = build_report(run_dir).read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in html  # any fetch would be blocked (and counted)
    # Nothing is loaded from anywhere: the only URL is the SVG namespace name.
    urls = set(re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", html))
    assert urls == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b", html)
    assert not re.search(r"<script[^>]*\bsrc=", html)
    for anchor in ('id="summary"', 'id="timelines"', 'id="tests"', 'id="devices"'):
        assert anchor in html
    # One timeline per device, the per-test energy bars and three comparison charts.
    assert html.count('class="plot timeline"') == 2
    assert html.count('class="plot bars"') == 4
    assert html.count('class="span job-app"') == 2 * 2 * 2  # 2 runs x 2 tests x 2 devices
    assert "dev.harness.sample" in html and "Pixel 8" in html
    for nodeid in TESTS:
        assert nodeid in html
    assert 'class="fail"' in html  # the failed test's row is marked


def test_report_without_captures_still_summarises(tmp_path):
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    html = build_report(run_dir).read_text()
    assert "No batterystats captures in this run." in html
    assert pd.read_parquet(run_dir / "events.parquet").empty


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_one_file_per_table(run_dir, tmp_path, fmt):
    run = RunData.load(run_dir)
    written = export_run(run, tmp_path / "out", fmt)
    names = {p.stem for p in written}
    assert {"jobs", "alarms", "wakelocks", "power_use", "summary", "history_intervals",
            "metrics", "events", "results"} <= names
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    jobs = read(tmp_path / "out" / f"jobs.{fmt}")
    assert list(jobs.columns[:2]) == ["serial", "test"] and len(jobs) == 8


def test_compare_shows_what_changed(tmp_path):
    a = write_run(tmp_path / "reports", "run-a")
    more_jobs = CHECKIN.replace(
        '9,10150,l,jb,"dev.harness.sample/.SampleJobService",3500,2,3500,2',
        '9,10150,l,jb,"dev.harness.sample/.SampleJobService",7000,4,7000,4',
    ).replace("9,10150,l,pwi,uid,0.0125,", "9,10150,l,pwi,uid,0.025,")
    b = write_run(tmp_path / "reports", "run-b", checkin=more_jobs)
    table = compare_runs(RunData.load(a), RunData.load(b))
    row = table[(table["scope"] == "all") & (table["metric"] == "app_jobs")].iloc[0]
    assert (row["a"], row["b"], row["change"], row["relative"]) == (8, 16, 8, 1.0)
    energy = table[(table["scope"] == "R58M123") & (table["metric"] == "app_mah")].iloc[0]
    assert energy["b"] == pytest.approx(2 * energy["a"])
    assert set(table["scope"]) == {"all", "R58M123", "127.0.0.1:40001"}
    text = format_table(table)
    assert text.splitlines()[0].split() == ["scope", "metric", "a", "b", "change", "relative"]
