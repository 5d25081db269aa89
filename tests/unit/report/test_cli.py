"""``harness report show|export|compare`` and ``harness batterystats parse``."""

from __future__ import annotations

import io
import sys
import zipfile

import pandas as pd
import pytest

from harness.cli import main
from tests.unit.report.conftest import write_run
from tests.unit.report.fixtures import CHECKIN, bugreport


def test_show_by_run_id_under_the_reports_folder(run_dir, capsys):
    assert main(["report", "show", run_dir.name, "--reports", str(run_dir.parent)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"run {run_dir.name}  ({run_dir})")
    lines = out.splitlines()
    device = next(ln for ln in lines if ln.startswith("R58M123 "))
    assert device.split()[:6] == ["R58M123", "Google", "Pixel", "8", "34", "2"]
    assert "power cost per test" in out and "dev.harness.sample mAh" in out
    assert out.count("0.0125") == 4
    assert "report: (not built)" in out


def test_show_by_path_can_write_the_html(run_dir, capsys):
    assert main(["report", "show", str(run_dir), "--html"]) == 0
    assert (run_dir / "report.html").exists()
    assert f"report: {run_dir / 'report.html'}" in capsys.readouterr().out


def test_unknown_run_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "show", "nope", "--reports", str(tmp_path)]) == 1
    assert "no run 'nope': neither a folder nor a run id under" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export(run_dir, tmp_path, fmt, capsys):
    out = tmp_path / "x"
    assert main(["report", "export", str(run_dir), "--format", fmt, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert str(out / f"jobs.{fmt}") in printed
    assert (out / f"metrics.{fmt}").exists()


def test_export_defaults_to_a_folder_in_the_run(run_dir):
    assert main(["report", "export", str(run_dir), "--format", "parquet"]) == 0
    assert len(pd.read_parquet(run_dir / "export-parquet" / "alarms.parquet")) == 8


def test_compare_prints_a_table(tmp_path, capsys):
    a = write_run(tmp_path / "reports", "run-a")
    b = write_run(tmp_path / "reports", "run-b",
                  checkin=CHECKIN.replace("wua,*walarm*:dev.harness.sample.ALARM,3",
                                          "wua,*walarm*:dev.harness.sample.ALARM,9"))
    assert main(["report", "compare", "run-a", "run-b", "--reports", str(a.parent)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"A = run-a  ({a})\nB = run-b  ({b})\n")
    row = next(ln for ln in out.splitlines() if ln.startswith("all") and " app_alarms " in ln)
    assert row.split() == ["all", "app_alarms", "12", "36", "24", "+200.0%"]


def test_parse_a_bugreport_zip(tmp_path, capsys):
    archive = tmp_path / "bugreport-x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("bugreport-panther-2024.txt", bugreport())
        z.writestr("version.txt", "2.0")
    out = tmp_path / "out"
    assert main(["batterystats", "parse", str(archive), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    folder = out / "batterystats" / "capture" / "bugreport-x"
    assert f"frames: {folder}" in text
    assert (folder / "checkin.txt").exists() and (folder / "history.txt").exists()
    assert "Power report · bugreport-x.zip" in (out / "report.html").read_text()


def test_parse_from_stdin_reports_progress(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CHECKIN.encode())))
    out = tmp_path / "out"
    assert main(["batterystats", "parse", "-", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "parsing stdin (checkin): 100%" in captured.err
    jobs = pd.read_parquet(out / "batterystats" / "capture" / "stdin" / "jobs.parquet")
    assert len(jobs) == 2
