"""No e-mail address or account name from batterystats reaches any report file unless asked.

The inputs carry addresses in a sync adapter's name (sync, its wakelock and its history tag),
in a plain wakelock name, in a job name and in an alarm tag; every file of the run folder, of
the exports and of ``harness batterystats parse`` is searched, Parquet files cell by cell.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.report import RunData, build_report, export_run, redact_raw_text
from tests.unit.report.conftest import write_run
from tests.unit.report.fixtures import CHECKIN, EMAILS, HISTORY_TEXT, bugreport

ACCOUNT_NAMES = ("alice", "bob.smith", "carol+work")


def file_texts(root: Path) -> dict[Path, str]:
    """Every file as text; Parquet files as all their string cells and column names."""
    out = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            cells = [str(c) for c in frame.columns]
            for column in frame.columns:
                cells += [str(v) for v in frame[column].tolist()]
            out[path] = "\n".join(cells) + path.read_bytes().decode("latin-1")
        else:
            out[path] = path.read_bytes().decode("utf-8", errors="replace")
    return out


def leaks(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path, text in file_texts(root).items():
        hits = [e for e in EMAILS if e in text]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def test_inputs_do_carry_addresses():
    assert all(e in CHECKIN for e in EMAILS)
    assert sum(e in HISTORY_TEXT for e in EMAILS) == 2


def test_a_run_folder_and_its_exports_have_no_addresses(tmp_path):
    run_dir = write_run(tmp_path / "reports")
    build_report(run_dir)
    run = RunData.load(run_dir)
    export_run(run, run_dir / "export-csv", "csv")
    export_run(run, run_dir / "export-parquet", "parquet")
    assert len(list(run_dir.rglob("*.parquet"))) > 40
    assert leaks(run_dir) == {}
    html = (run_dir / "report.html").read_text()
    assert not any(name + "@" in html for name in ACCOUNT_NAMES)


def test_keeping_personal_data_keeps_them_everywhere_it_was(tmp_path):
    run_dir = write_run(tmp_path / "reports", keep_personal_data=True)
    build_report(run_dir)
    found = leaks(run_dir)
    capture = "batterystats/R58M123/tests_device_test_jobs.py_test_job_runs"
    assert set(found[f"{capture}/checkin.txt"]) == set(EMAILS)
    assert set(found[f"{capture}/wakelocks.parquet"]) == {EMAILS[0], EMAILS[1]}
    assert "personal data kept" in (run_dir / "report.html").read_text()


@pytest.mark.parametrize("kind", ["checkin", "history", "bugreport"])
def test_parse_command_redacts_by_default(tmp_path, kind, capsys):
    source = {"checkin": CHECKIN, "history": HISTORY_TEXT, "bugreport": bugreport()}[kind]
    capture = tmp_path / f"{kind}.txt"
    capture.write_text(source)
    out = tmp_path / "out"
    assert main(["batterystats", "parse", str(capture), "--out", str(out), "--quiet"]) == 0
    assert "report: " in capsys.readouterr().out
    assert (out / "report.html").exists()
    assert leaks(out) == {}
    kept = tmp_path / "kept"
    assert main(["batterystats", "parse", str(capture), "--out", str(kept), "--quiet",
                 "--keep-personal-data"]) == 0
    assert leaks(kept)


def test_raw_text_redaction_matches_the_parsers():
    text = (
        '9,10160,l,sy,"com.example.mail/com.example/alice@example.com",500,1,500,1\n'
        "9,10160,l,wl,*sync*/com.example.mail/com.example/Alice Smith,0,f,0,0,0,0\n"
        '9,hsp,7,10160,"say \\"hi\\" to bob.smith@gmail.com"\n'
        '  +5s (3) 080 +sync=u0a160:"com.example.mail/com.example/alice@example.com"\n'
        "plain text mail carol+work@corp.example.org here\n"
        '9,10150,l,jb,"@androidx.work.systemjobscheduler@dev.harness.sample/.Job",1,1,1,1\n'
    )
    assert redact_raw_text(text) == (
        '9,10160,l,sy,"com.example.mail/com.example/<account>",500,1,500,1\n'
        "9,10160,l,wl,*sync*/com.example.mail/com.example/<account>,0,f,0,0,0,0\n"
        '9,hsp,7,10160,"say \\"hi\\" to <email>"\n'
        '  +5s (3) 080 +sync=u0a160:"com.example.mail/com.example/<account>"\n'
        "plain text mail <email> here\n"
        '9,10150,l,jb,"@androidx.work.systemjobscheduler@dev.harness.sample/.Job",1,1,1,1\n'
    )
