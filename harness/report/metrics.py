"""What one capture says about the device and about one app: the numbers of the power report.

``capture_metrics`` reads only the capture's frames. The app's UIDs come from the checkin
``uid`` rows of its package, or, for a bare history, from the tags that name the package.
Energy is the app's ``pwi`` estimate (``power_use``, kind ``app``) where the device prints one;
counts and durations come from the checkin tables (``jb``, ``wl``, ``wua``), which count only
time on battery, and from the history intervals (``Ejb``, ``Eal``, ``Ewl``), which count all of
it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from harness.app.contract import PACKAGE as SAMPLE_PACKAGE
from harness.report.capture import CaptureFrames

__all__ = ["SAMPLE_PACKAGE", "CaptureMetrics", "app_uids", "capture_metrics"]

HOUR_MS = 3_600_000


@dataclass
class CaptureMetrics:
    serial: str = ""
    test: str = ""
    nodeid: str = ""
    package: str = ""
    start_ms: int | None = None
    end_ms: int | None = None
    duration_ms: int = 0
    battery_ms: int = 0
    screen_on_ms: int = 0
    deep_idle_ms: int = 0
    light_idle_ms: int = 0
    discharge_pct: int = 0
    discharge_mah: float = 0.0
    device_mah: float | None = None  # pws computed drain
    app_uid: int | None = None
    app_mah: float | None = None  # pwi of the app's uid(s)
    app_jobs: int = 0  # jb: job starts on battery
    app_job_ms: int = 0
    app_job_runs: int = 0  # history: job intervals
    app_job_run_ms: int = 0
    app_alarms: int = 0  # wua: wakeup alarms (screen off, on battery)
    app_alarm_events: int = 0  # history: Eal (full history)
    app_wakelocks: int = 0  # wl partial: acquisitions on battery, screen off
    app_wakelock_ms: int = 0
    app_wakelock_events: int = 0  # history: Ewl (full history)
    wakeups: int = 0  # every app's wakeup alarms (wua)
    wakeups_per_hour: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _num(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns or not len(frame):
        return 0.0
    value = pd.to_numeric(frame[column], errors="coerce").sum(min_count=1)
    return 0.0 if pd.isna(value) else float(value)


def _first(frame: pd.DataFrame, column: str) -> float | None:
    if column not in frame.columns or not len(frame):
        return None
    value = frame[column].iloc[0]
    return None if pd.isna(value) else float(value)


def app_uids(capture: CaptureFrames, package: str) -> list[int]:
    """The UIDs of ``package`` in this capture (several when it runs for several users)."""
    apps = capture.get("apps")
    if len(apps) and "package" in apps.columns:
        hit = apps[apps["package"] == package]
        if len(hit):
            return sorted({int(u) for u in hit["uid"]})
    uids: set[int] = set()
    alarms = capture.get("alarms")
    if len(alarms) and "package" in alarms.columns:
        uids |= {int(u) for u in alarms.loc[alarms["package"] == package, "uid"]}
    for name in ("jobs", "history_intervals"):
        frame = capture.get(name)
        if len(frame) and "name" in frame.columns:
            names = frame["name"].astype("string")
            mask = (names == package) | names.str.startswith(package + "/", na=False)
            uids |= {int(u) for u in frame.loc[mask, "uid"].dropna()}
    return sorted(uids)


def _of(frame: pd.DataFrame, uids: list[int]) -> pd.DataFrame:
    if not len(frame) or "uid" not in frame.columns or not uids:
        return frame.iloc[0:0]
    return frame[frame["uid"].isin(uids)]


def capture_metrics(capture: CaptureFrames, package: str = SAMPLE_PACKAGE) -> CaptureMetrics:
    meta = capture.meta
    m = CaptureMetrics(
        serial=str(meta.get("serial", "")),
        test=str(meta.get("test", "")),
        nodeid=str(meta.get("nodeid", "")),
        package=package,
    )
    summary = capture.get("summary")
    m.battery_ms = int(_first(summary, "battery_realtime_ms") or 0)
    m.screen_on_ms = int(_first(summary, "screen_on_ms") or 0)
    m.deep_idle_ms = int(_first(summary, "device_idle_mode_deep_ms") or 0)
    m.light_idle_ms = int(_first(summary, "device_idle_mode_light_ms") or 0)
    m.discharge_pct = int(_first(summary, "discharge_high_pct") or 0)
    m.discharge_mah = float(_first(summary, "discharge_mah") or 0.0)
    m.device_mah = _first(summary, "computed_drain_mah")

    events = capture.get("history_events")
    times = events["time_ms"].dropna() if "time_ms" in events.columns else pd.Series([])
    if len(times):
        m.start_ms, m.end_ms = int(times.min()), int(times.max())
    else:
        m.start_ms = meta.get("started_ms")
        m.end_ms = meta.get("finished_ms")
    total = _first(summary, "total_realtime_ms")
    if total:
        m.duration_ms = int(total)
    elif m.start_ms is not None and m.end_ms is not None:
        m.duration_ms = int(m.end_ms - m.start_ms)

    alarms = capture.get("alarms")
    m.wakeups = int(_num(alarms, "count"))
    hours = (m.battery_ms or m.duration_ms) / HOUR_MS
    m.wakeups_per_hour = round(m.wakeups / hours, 2) if hours > 0 else 0.0

    uids = app_uids(capture, package)
    if not uids:
        return m
    m.app_uid = uids[0]
    power = _of(capture.get("power_use"), uids)
    if len(power) and "kind" in power.columns:
        power = power[power["kind"].astype("string") == "app"]
        if len(power):
            m.app_mah = round(_num(power, "energy_mah"), 6)
    jobs = _of(capture.get("jobs"), uids)
    m.app_jobs = int(_num(jobs, "count"))
    m.app_job_ms = int(_num(jobs, "total_ms"))
    m.app_alarms = int(_num(_of(alarms, uids), "count"))
    wakelocks = _of(capture.get("wakelocks"), uids)
    if len(wakelocks):
        partial = wakelocks[wakelocks["kind"].astype("string") == "partial"]
        m.app_wakelocks = int(_num(partial, "count"))
        m.app_wakelock_ms = int(_num(partial, "time_ms"))
    intervals = _of(capture.get("history_intervals"), uids)
    if len(intervals):
        kind = intervals["kind"].astype("string")
        jobs_iv = intervals[kind == "job"]
        m.app_job_runs = len(jobs_iv)
        m.app_job_run_ms = int(_num(jobs_iv, "duration_ms"))
        m.app_alarm_events = int((kind == "alarm").sum())
        m.app_wakelock_events = int((kind == "wakelock").sum())
    return m
