"""Run folders built from written captures, the way the plugin leaves them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.report import name_of_test, safe_name, write_capture
from tests.unit.report.fixtures import CHECKIN, HISTORY_TEXT

DEVICES = (
    {"serial": "R58M123", "server": "127.0.0.1:5037", "model": "Pixel 8",
     "manufacturer": "Google", "api_level": 34, "virtual_profile": "", "profile": "pixel"},
    {"serial": "127.0.0.1:40001", "server": "127.0.0.1:5037", "model": "Virtual Device",
     "manufacturer": "Harness", "api_level": 34, "virtual_profile": "virtual-34",
     "profile": "virtual"},
)
TESTS = ("tests/device/test_jobs.py::test_job_runs", "tests/device/test_alarms.py::test_alarm")


def write_run(root: Path, run_id: str = "20240101-000000-abcdef",
              checkin: str = CHECKIN, history: str = HISTORY_TEXT,
              keep_personal_data: bool = False, tests: tuple[str, ...] = TESTS) -> Path:
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({
        "run_id": run_id, "harness_version": "0.1.0", "started_at": "2024-01-01T00:00:00Z",
        "devices": list(DEVICES)}))
    rows = []
    for d, device in enumerate(DEVICES):
        for t, nodeid in enumerate(tests):
            folder = run_dir / "batterystats" / safe_name(device["serial"]) / name_of_test(nodeid)
            meta = {"serial": device["serial"], "test": name_of_test(nodeid), "nodeid": nodeid,
                    "started_ms": 1_700_000_000_000 + 100_000 * t + d}
            write_capture(folder, checkin, history, meta, keep_personal_data=keep_personal_data)
            rows.append({"nodeid": nodeid, "serial": device["serial"],
                         "outcome": "failed" if (d, t) == (1, 1) else "passed",
                         "duration_s": 1.0, "when": "call", "message": ""})
    pd.DataFrame(rows).to_parquet(run_dir / "results.parquet", index=False)
    return run_dir


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "reports")
