"""Building a run's report files, exporting its tables, and comparing two runs."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.report.html import render
from harness.report.metrics import SAMPLE_PACKAGE
from harness.report.run import RunData, write_events, write_parquet_atomic

REPORT_FILE = "report.html"
METRICS_FILE = "metrics.parquet"


def build_report(run_dir: Path, package: str = SAMPLE_PACKAGE, title: str | None = None) -> Path:
    """Write ``events.parquet``, ``batterystats/metrics.parquet`` and ``report.html`` into the
    run folder; returns the report's path."""
    run = RunData.load(Path(run_dir), package)
    run.run_dir.mkdir(parents=True, exist_ok=True)
    write_events(run)
    if run.captures:
        write_parquet_atomic(run.metrics, run.run_dir / "batterystats" / METRICS_FILE)
    path = run.run_dir / REPORT_FILE
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}")
    tmp.write_text(render(run, title), encoding="utf-8")
    os.replace(tmp, path)
    return path


# -- export ----------------------------------------------------------------------------------


def export_tables(run: RunData) -> dict[str, pd.DataFrame]:
    """Every table of the run: the per-capture frames joined over captures (with ``serial``
    and ``test``), the per-capture metrics, results and the event log."""
    tables = {name: run.frame(name) for name in run.frame_names()}
    tables["metrics"] = run.metrics
    tables["events"] = run.events
    if len(run.results):
        tables["results"] = run.results
    return tables


def export_run(run: RunData, out_dir: Path, fmt: str) -> list[Path]:
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in export_tables(run).items():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
        written.append(path)
    return written


# -- compare ---------------------------------------------------------------------------------


@dataclass
class RunTotals:
    captures: int
    battery_h: float
    discharge_pct: int
    discharge_pct_per_h: float | None
    app_mah: float | None
    app_mah_per_h: float | None
    app_jobs: int
    app_job_runs: int
    app_alarms: int
    app_wakelocks: int
    wakeups: int
    wakeups_per_h: float | None


def run_totals(run: RunData, serial: str | None = None) -> RunTotals:
    m = run.metrics
    if serial is not None and len(m):
        m = m[m["serial"] == serial]
    hours = float(pd.to_numeric(m["battery_ms"]).sum()) / 3_600_000 if len(m) else 0.0
    app = pd.to_numeric(m["app_mah"], errors="coerce") if len(m) else pd.Series(dtype=float)
    app_total = None if app.isna().all() else float(app.sum())
    discharge = int(m["discharge_pct"].sum()) if len(m) else 0
    wakeups = int(m["wakeups"].sum()) if len(m) else 0

    def per_h(v: float | None) -> float | None:
        return None if v is None or not hours else v / hours

    return RunTotals(
        captures=len(m),
        battery_h=hours,
        discharge_pct=discharge,
        discharge_pct_per_h=per_h(discharge),
        app_mah=app_total,
        app_mah_per_h=per_h(app_total),
        app_jobs=int(m["app_jobs"].sum()) if len(m) else 0,
        app_job_runs=int(m["app_job_runs"].sum()) if len(m) else 0,
        app_alarms=int(m["app_alarms"].sum()) if len(m) else 0,
        app_wakelocks=int(m["app_wakelocks"].sum()) if len(m) else 0,
        wakeups=wakeups,
        wakeups_per_h=per_h(wakeups),
    )


def compare_runs(a: RunData, b: RunData) -> pd.DataFrame:
    """What changed from run A to run B: one row per metric and scope (``all`` devices, then
    each device present in both runs), with the absolute and relative change."""
    scopes: list[str | None] = [None]
    scopes += [s for s in a.serials if s in b.serials]
    rows = []
    for scope in scopes:
        ta, tb = run_totals(a, scope), run_totals(b, scope)
        for metric in RunTotals.__dataclass_fields__:
            va, vb = getattr(ta, metric), getattr(tb, metric)
            change = None if va is None or vb is None else vb - va
            rel = None if change is None or not va else change / va
            rows.append({"scope": scope or "all", "metric": metric, "a": va, "b": vb,
                         "change": change, "relative": rel})
    return pd.DataFrame(rows)


def format_table(frame: pd.DataFrame, floats: str = "{:.4g}") -> str:
    """A plain-text table for the terminal: text columns left-aligned, numbers right-aligned."""
    if not len(frame):
        return "(nothing)"
    header = [str(c) for c in frame.columns]
    body = []
    for row in frame.itertuples(index=False):
        line = []
        for v in row:
            if v is None or (isinstance(v, float) and pd.isna(v)):
                line.append("–")
            elif isinstance(v, float):
                line.append(floats.format(v))
            else:
                line.append(str(v))
        body.append(line)
    numeric = [
        all(_looks_numeric(r[i]) for r in body) for i in range(len(header))
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *map(fmt, body)])


def _looks_numeric(text: str) -> bool:
    if text in ("–", "-"):
        return True
    try:
        float(text.rstrip("%"))
    except ValueError:
        return False
    return True
