"""One row per test per device, written to ``results.parquet``, and the end-of-run summary.

Each process folds a test's setup, call and teardown reports into one row carrying the
device's serial and adb server (from ``user_properties``). Under pytest-xdist:

- every worker writes its rows to ``parts/results/<worker>.parquet`` when it finishes
  (temporary file, then rename: a reader never sees half a file);
- the controller merges the parts into ``results.parquet``. Rows of a worker that died before
  writing its part come from the reports xdist forwarded to the controller, which include the
  crash itself.

Other per-worker tables use the same layout (:func:`write_part`): the controller merges every
``parts/<table>/`` into ``<table>.parquet``. Every table has a ``serial`` column.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

SERIAL_PROPERTY = "harness_serial"
SERVER_PROPERTY = "harness_server"
PLUGIN_NAME = "harness-results"
PARTS_DIR = "parts"
RESULTS_TABLE = "results"


@dataclass
class TestResult:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    nodeid: str
    serial: str
    outcome: str  # passed, failed, skipped, error, interrupted (the run stopped during it)
    duration_s: float  # setup + call + teardown
    when: str  # the phase that decided the outcome
    message: str = ""
    finished_at: float = field(default_factory=time.time)
    server: str = ""
    worker: str = ""


COLUMNS = list(TestResult.__dataclass_fields__)


def _worker_of(report: pytest.TestReport, config: pytest.Config) -> str:
    node = getattr(report, "node", None)  # set by the xdist controller on forwarded reports
    if node is not None:
        return str(node.workerinput.get("workerid", ""))
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


# ------------------------------------------------------------------------------ parts
def write_part(run_dir: Path, table: str, worker: str, frame: pd.DataFrame) -> Path:
    """Write one worker's rows of ``table`` atomically under the run folder."""
    if "serial" not in frame.columns:
        raise ValueError(f"table {table!r} needs a 'serial' column")
    out = run_dir / PARTS_DIR / table
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{worker}.parquet"
    tmp = out / f".{worker}.parquet.tmp"
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def read_parts(run_dir: Path, table: str) -> pd.DataFrame | None:
    import pandas as pd

    paths = sorted((run_dir / PARTS_DIR / table).glob("*.parquet"))
    frames = [pd.read_parquet(p) for p in paths]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


def merge_parts(run_dir: Path, skip: tuple[str, ...] = (RESULTS_TABLE,)) -> list[Path]:
    """Merge every ``parts/<table>/`` (but ``skip``) into ``<table>.parquet``."""
    written = []
    parts = run_dir / PARTS_DIR
    for table_dir in sorted(p for p in parts.glob("*") if p.is_dir()) if parts.exists() else []:
        if table_dir.name in skip:
            continue
        frame = read_parts(run_dir, table_dir.name)
        if frame is not None:
            written.append(_write_parquet(frame, run_dir / f"{table_dir.name}.parquet"))
    return written


def _write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


# ------------------------------------------------------------------------------ the log
class ResultLog:
    """A pytest plugin object: registered once per process in ``pytest_configure``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rows: list[TestResult] = []
        self._pending: dict[tuple[str, str], TestResult] = {}

    # ---------------------------------------------------------------- recording
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        worker = _worker_of(report, self.config)
        key = (report.nodeid, worker)
        row = self._pending.get(key)
        if row is None:
            row = TestResult(report.nodeid, "", "passed", 0.0, report.when or "",
                             worker=worker)
            self._pending[key] = row
        props = dict(report.user_properties)
        row.serial = row.serial or str(props.get(SERIAL_PROPERTY, ""))
        row.server = row.server or str(props.get(SERVER_PROPERTY, ""))
        row.duration_s += report.duration or 0.0
        when = report.when
        if when == "setup":
            if not report.passed:
                row.outcome = "error" if report.failed else "skipped"
                row.when, row.message = "setup", _message(report)
        elif when == "call":
            row.outcome, row.when, row.message = report.outcome, "call", _message(report)
        elif when == "teardown":
            if report.failed and row.outcome in ("passed", "skipped"):
                row.outcome, row.when = "error", "teardown"
                row.message = _message(report) or "teardown failed"
            self._finish(key)
        else:  # xdist's report for a test whose worker crashed
            row.outcome, row.when = "failed", str(when)
            row.message = _message(report) or "worker crashed"
            self._finish(key)

    def _finish(self, key: tuple[str, str]) -> None:
        row = self._pending.pop(key)
        row.duration_s = round(row.duration_s, 3)
        row.finished_at = time.time()
        self.rows.append(row)

    def _finish_all(self) -> None:
        # A test still pending at the end never reached teardown: the run was interrupted.
        for key, row in list(self._pending.items()):
            if row.outcome == "passed":
                row.outcome = "interrupted"
                row.message = row.message or "the run stopped before this test finished"
            self._finish(key)

    def frame(self, rows: list[TestResult] | None = None) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [asdict(r) for r in (self.rows if rows is None else rows)], columns=COLUMNS
        )

    def merged(self, run_dir: Path) -> pd.DataFrame:
        """The workers' parts, plus this process's rows for tests no part has."""
        import pandas as pd

        own = self.frame()
        parts = read_parts(run_dir, RESULTS_TABLE)
        if parts is None:
            return own
        have = set(zip(parts["nodeid"], parts["worker"], strict=True))
        extra = own[[(n, w) not in have for n, w in zip(own["nodeid"], own["worker"], strict=True)]]
        return pd.concat([parts, extra], ignore_index=True) if len(extra) else parts

    # ---------------------------------------------------------------- end of run
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from harness.plugin.session import get_session

        hs = get_session(self.config)
        self._finish_all()
        if not hs.started:
            return
        if _is_xdist_worker(self.config):
            if self.rows:
                worker = str(self.config.workerinput["workerid"])
                write_part(hs.run_dir, RESULTS_TABLE, worker, self.frame())
            return
        frame = self.merged(hs.run_dir)
        if frame.empty:
            return
        self.rows = [TestResult(**r) for r in frame.to_dict("records")]
        hs.run_dir.mkdir(parents=True, exist_ok=True)
        _write_parquet(_timestamps(frame), hs.run_dir / "results.parquet")
        merge_parts(hs.run_dir)
        hs.update_run_json(
            {
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "summary": {key: dict(counts) for key, counts in self.per_device().items()},
            }
        )

    def per_device(self) -> dict[str, dict[str, float]]:
        """Counts and time (setup + call + teardown) per device, keyed ``serial@server``."""
        table: dict[str, dict[str, float]] = defaultdict(
            lambda: {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "duration_s": 0.0}
        )
        for row in self.rows:
            if not row.serial:
                continue
            entry = table[f"{row.serial}@{row.server}" if row.server else row.serial]
            entry[row.outcome] = entry.get(row.outcome, 0) + 1
            entry["duration_s"] = round(entry["duration_s"] + float(row.duration_s), 3)
        return dict(table)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        from harness.plugin.session import get_session

        hs = get_session(self.config)
        if not hs.started or not self.rows or _is_xdist_worker(self.config):
            return
        tr = terminalreporter
        tr.section("harness summary")
        infos = {i.key: i for i in hs.infos}
        infos.update({i.serial: i for i in hs.infos})
        width = max([24, *(len(i.label) for i in hs.infos)])
        tr.write_line(
            f"{'device':<{width}} {'model':<24} {'API':>3}  {'pass':>4} {'fail':>4} "
            f"{'skip':>4} {'err':>4} {'time':>8}  server"
        )
        for key, counts in sorted(self.per_device().items()):
            info = infos.get(key)
            label = info.label if info else key
            model = f"{info.manufacturer} {info.model}".strip() if info else ""
            api = str(info.api_level) if info else ""
            server = info.server if info else ""
            tr.write_line(
                f"{label:<{width}} {model[:24]:<24} {api:>3}  {int(counts['passed']):>4} "
                f"{int(counts['failed']):>4} {int(counts['skipped']):>4} "
                f"{int(counts['error'] + counts.get('interrupted', 0)):>4} "
                f"{counts['duration_s']:>7.1f}s  {server}"
            )
        without = sum(1 for r in self.rows if not r.serial)
        if without:
            tr.write_line(f"({without} test(s) ran without a device)")
        for row in self.rows:
            if row.outcome in ("failed", "error") and row.serial:
                tr.write_line(f"  FAILED on {row.serial}: {row.nodeid}: {row.message}")
        tr.write_line(f"run folder: {hs.run_dir}")


def _timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if len(frame) and not isinstance(frame["finished_at"].dtype, pd.DatetimeTZDtype):
        frame = frame.copy()
        frame["finished_at"] = pd.to_datetime(frame["finished_at"], unit="s", utc=True)
    return frame


def _message(report: pytest.TestReport) -> str:
    if report.failed and report.longrepr:
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None and getattr(crash, "message", ""):
            return str(crash.message).strip()[:500]
        lines = str(report.longrepr).strip().splitlines()
        return lines[-1][:500] if lines else ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])[:500]
    return ""


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ResultLog(config), PLUGIN_NAME)
