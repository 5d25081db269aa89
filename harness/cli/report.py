"""``harness report show|export|compare``: a run's power report from the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import HarnessError
from harness.report import (
    REPORT_FILE,
    SAMPLE_PACKAGE,
    RunData,
    build_report,
    compare_runs,
    export_run,
    format_table,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("report", help="show, export or compare the power reports of runs",
                       description="RUN is a run id under the reports folder or a run folder.")
    commands = p.add_subparsers(dest="report_command", metavar="COMMAND")
    commands.required = True

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--reports", type=Path, default=Path("reports"), metavar="DIR",
                       help="where run folders are (default: reports/)")
        q.add_argument("--app", default=SAMPLE_PACKAGE, metavar="PACKAGE",
                       help=f"the app whose power cost is shown (default {SAMPLE_PACKAGE})")

    show = commands.add_parser("show", help="print a run's summary and per-test power cost")
    show.add_argument("run", metavar="RUN")
    show.add_argument("--html", action="store_true",
                      help="also (re)write the run's report.html")
    common(show)
    show.set_defaults(func=cmd_show)

    export = commands.add_parser("export", help="write a run's tables as CSV or Parquet files")
    export.add_argument("run", metavar="RUN")
    export.add_argument("--format", choices=("csv", "parquet"), required=True)
    export.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: <run>/export-<format>)")
    common(export)
    export.set_defaults(func=cmd_export)

    compare = commands.add_parser("compare", help="what changed from RUN_A to RUN_B")
    compare.add_argument("run_a", metavar="RUN_A")
    compare.add_argument("run_b", metavar="RUN_B")
    common(compare)
    compare.set_defaults(func=cmd_compare)


def resolve_run(text: str, reports: Path) -> Path:
    """A run folder from a path or a run id under ``reports``."""
    for candidate in (Path(text), reports / text):
        if candidate.is_dir():
            return candidate
    raise HarnessError(f"no run {text!r}: neither a folder nor a run id under {reports}/")


def _load(text: str, args: argparse.Namespace) -> RunData:
    return RunData.load(resolve_run(text, args.reports), args.app)


def _duration(ms: float) -> str:
    s = float(ms) / 1000
    return f"{s:.1f}s" if s < 120 else f"{s / 60:.1f}min"


def summary_text(run: RunData) -> str:
    lines = [f"run {run.run_id}  ({run.run_dir})"]
    started = run.info.get("started_at")
    if started:
        lines.append(f"started {started}, harness {run.info.get('harness_version', '?')}")
    m = run.metrics
    res = run.results
    rows = []
    for serial in run.serials:
        info = run.device_info(serial)
        mine = res[res["serial"].astype(str) == serial] if len(res) and "serial" in res else res
        counts = mine["outcome"].value_counts() if len(mine) else {}
        dm = m[m["serial"] == serial] if len(m) else m
        rows.append({
            "device": serial,
            "model": f"{info.get('manufacturer', '')} {info.get('model', '')}".strip() or "-",
            "API": str(info.get("api_level", "-")),
            "pass": int(counts.get("passed", 0)),
            "fail": int(counts.get("failed", 0)) + int(counts.get("error", 0)),
            "skip": int(counts.get("skipped", 0)),
            "captures": len(dm),
            "on battery": _duration(dm["battery_ms"].sum()) if len(dm) else "-",
            "discharge %": int(dm["discharge_pct"].sum()) if len(dm) else 0,
        })
    import pandas as pd

    lines += ["", "devices", format_table(pd.DataFrame(rows))]
    if len(m):
        tests = pd.DataFrame({
            "test": m["nodeid"],
            "device": m["serial"],
            "duration": [_duration(v) for v in m["duration_ms"]],
            f"{run.package} mAh": pd.to_numeric(m["app_mah"], errors="coerce"),
            "jobs": m["app_jobs"],
            "job runs": m["app_job_runs"],
            "alarms": m["app_alarms"],
            "wakelocks": m["app_wakelocks"],
            "wakeups/h": m["wakeups_per_hour"].astype(float),
        })
        lines += ["", "power cost per test", format_table(tests)]
    else:
        lines += ["", "no batterystats captures in this run"]
    report = run.run_dir / REPORT_FILE
    lines += ["", f"report: {report}" if report.exists() else "report: (not built)"]
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    run = _load(args.run, args)
    if args.html:
        path = build_report(run.run_dir, args.app)
        print(f"wrote {path}", file=sys.stderr)
    print(summary_text(run))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    run = _load(args.run, args)
    out = args.out or run.run_dir / f"export-{args.format}"
    written = export_run(run, out, args.format)
    for path in written:
        print(path)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    a, b = _load(args.run_a, args), _load(args.run_b, args)
    table = compare_runs(a, b)
    print(f"A = {a.run_id}  ({a.run_dir})")
    print(f"B = {b.run_id}  ({b.run_dir})")
    print(f"app: {a.package}")
    print()
    shown = table.copy()
    shown["relative"] = [
        "-" if v is None or v != v else f"{v:+.1%}" for v in shown["relative"]
    ]
    print(format_table(shown))
    return 0
