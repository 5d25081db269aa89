"""One row per test per device, written to ``results.parquet``, and the end-of-run summary.

Under pytest-xdist, reports reach the controller through ``pytest_runtest_logreport`` with the
device's serial in ``user_properties``, so the controller alone writes the file.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

SERIAL_PROPERTY = "harness_serial"
PLUGIN_NAME = "harness-results"


@dataclass
class TestResult:
    nodeid: str
    serial: str
    outcome: str  # passed, failed, skipped, error
    duration_s: float
    when: str
    message: str = ""
    finished_at: float = field(default_factory=time.time)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class ResultLog:
    """A pytest plugin object: registered once per run in ``pytest_configure``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rows: list[TestResult] = []

    # ---------------------------------------------------------------- recording
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        serial = next((str(v) for k, v in report.user_properties if k == SERIAL_PROPERTY), "")
        if report.when == "call" or (report.when == "setup" and not report.passed):
            outcome = "error" if (report.when == "setup" and report.failed) else report.outcome
            self.rows.append(
                TestResult(
                    report.nodeid,
                    serial,
                    outcome,
                    round(report.duration, 3),
                    report.when,
                    _message(report),
                )
            )
        elif report.when == "teardown" and report.failed:
            self.rows.append(
                TestResult(
                    report.nodeid,
                    serial,
                    "error",
                    round(report.duration, 3),
                    report.when,
                    _message(report) or "teardown failed",
                )
            )

    def per_device(self) -> dict[str, dict[str, float]]:
        table: dict[str, dict[str, float]] = defaultdict(
            lambda: {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "duration_s": 0.0}
        )
        for row in self.rows:
            if not row.serial:
                continue
            entry = table[row.serial]
            entry[row.outcome] = entry.get(row.outcome, 0) + 1
            entry["duration_s"] += row.duration_s
        return dict(table)

    def write_parquet(self, path: Path) -> None:
        import pandas as pd

        frame = pd.DataFrame(
            [asdict(r) for r in self.rows], columns=list(TestResult.__dataclass_fields__)
        )
        frame["finished_at"] = pd.to_datetime(frame["finished_at"], unit="s", utc=True)
        tmp = path.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)

    # ---------------------------------------------------------------- end of run
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from harness.plugin.session import get_session

        hs = get_session(self.config)
        if _is_xdist_worker(self.config) or not hs.started or not self.rows:
            return
        hs.run_dir.mkdir(parents=True, exist_ok=True)
        self.write_parquet(hs.run_dir / "results.parquet")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        from harness.plugin.session import get_session

        hs = get_session(self.config)
        if not hs.started or not self.rows or _is_xdist_worker(self.config):
            return
        tr = terminalreporter
        tr.section("harness summary")
        infos = {i.serial: i for i in hs.infos}
        tr.write_line(
            f"{'device':<24} {'model':<24} {'API':>3}  {'pass':>4} {'fail':>4} "
            f"{'skip':>4} {'err':>4} {'time':>8}"
        )
        for serial, counts in sorted(self.per_device().items()):
            info = infos.get(serial)
            model = f"{info.manufacturer} {info.model}".strip() if info else ""
            api = str(info.api_level) if info else ""
            tr.write_line(
                f"{serial:<24} {model[:24]:<24} {api:>3}  {int(counts['passed']):>4} "
                f"{int(counts['failed']):>4} {int(counts['skipped']):>4} "
                f"{int(counts['error']):>4} {counts['duration_s']:>7.1f}s"
            )
        without = sum(1 for r in self.rows if not r.serial)
        if without:
            tr.write_line(f"({without} test(s) ran without a device)")
        for row in self.rows:
            if row.outcome in ("failed", "error") and row.serial:
                tr.write_line(f"  FAILED on {row.serial}: {row.nodeid}: {row.message}")
        tr.write_line(f"run folder: {hs.run_dir}")


def _message(report: pytest.TestReport) -> str:
    if report.failed and report.longrepr:
        lines = str(report.longrepr).strip().splitlines()
        return lines[-1][:500] if lines else ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])[:500]
    return ""


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ResultLog(config), PLUGIN_NAME)
