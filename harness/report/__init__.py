"""Power reports: batterystats captures kept as frames, and the files a run's report is made of.

- :mod:`harness.report.capture` — one capture (``-c`` + ``--history``) parsed into frames and
  kept in a folder (raw text redacted, Parquet frames, ``meta.json``), written atomically;
- :mod:`harness.report.run` — a run folder as data (``run.json``, ``results.parquet``,
  captures, the sample app's event log);
- :mod:`harness.report.metrics` — what a capture says about the device and the app
  (energy, jobs, alarms, wakelocks, discharge, wakeups per hour);
- :mod:`harness.report.build` — ``report.html`` and ``events.parquet``, export to CSV or
  Parquet, comparison of two runs;
- :mod:`harness.report.html` / :mod:`harness.report.svg` — the self-contained page.
"""

from harness.report.build import (
    REPORT_FILE,
    build_report,
    compare_runs,
    export_run,
    export_tables,
    format_table,
    run_totals,
)
from harness.report.capture import CaptureFrames, parse_capture, read_capture, write_capture
from harness.report.metrics import SAMPLE_PACKAGE, CaptureMetrics, capture_metrics
from harness.report.redaction import redact_raw_text
from harness.report.run import RunData, merge_events, name_of_test, safe_name

__all__ = [
    "REPORT_FILE",
    "SAMPLE_PACKAGE",
    "CaptureFrames",
    "CaptureMetrics",
    "RunData",
    "build_report",
    "capture_metrics",
    "compare_runs",
    "export_run",
    "export_tables",
    "format_table",
    "merge_events",
    "name_of_test",
    "parse_capture",
    "read_capture",
    "redact_raw_text",
    "run_totals",
    "safe_name",
    "write_capture",
]
