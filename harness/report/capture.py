"""One batterystats capture (``dumpsys batterystats -c`` plus ``--history`` of one test on one
device, or a dump taken by hand) as tidy frames, and how it is kept on disk.

A capture folder holds the raw text (``checkin.txt``, ``history.txt``; redacted unless personal
data is kept), one Parquet file per non-empty frame and ``meta.json``. It is built under a
temporary name and renamed into place in one step, so a reader (the xdist controller, a report
built while tests still run) sees either no capture or a complete one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from harness.batterystats import CheckinStats, History, parse_checkin, parse_history
from harness.batterystats.text import ProgressCallback
from harness.errors import ParseError
from harness.report.redaction import redact_raw_text

CHECKIN_FILE = "checkin.txt"
HISTORY_FILE = "history.txt"
META_FILE = "meta.json"

# Checkin tables kept per capture (the others are about radios and CPU frequencies).
CHECKIN_FRAMES = (
    "summary",
    "apps",
    "wakelocks",
    "aggregated_wakelocks",
    "kernel_wakelocks",
    "wakeup_reasons",
    "jobs",
    "job_completions",
    "syncs",
    "alarms",
    "services",
    "cpu",
    "processes",
    "process_state_time",
    "timers",
    "power_use",
    "steps",
)
# History timelines, stored with a "history_" prefix.
HISTORY_FRAMES = ("events", "battery", "states", "intervals")


@dataclass
class CaptureFrames:
    """The frames of one capture, by name (``jobs``, ``history_intervals``...).

    A capture read from its folder loads each frame when first asked for it: a report over
    hundreds of captures reads only the few frames it shows.
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    folder: Path | None = None

    def _path(self, name: str) -> Path | None:
        if self.folder is None:
            return None
        path = self.folder / f"{name}.parquet"
        return path if path.exists() else None

    def get(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            path = self._path(name)
            if path is None:
                return pd.DataFrame()
            self.frames[name] = pd.read_parquet(path)
        return self.frames[name]

    def names(self) -> list[str]:
        on_disk = {p.stem for p in self.folder.glob("*.parquet")} if self.folder else set()
        return sorted(set(self.frames) | on_disk)

    def __contains__(self, name: str) -> bool:
        return name in self.frames or self._path(name) is not None


def frames_from(
    checkin: CheckinStats | None, history: History | None
) -> dict[str, pd.DataFrame]:
    """The capture's frames from parsed dumps (empty tables are left out)."""
    out: dict[str, pd.DataFrame] = {}
    if checkin is not None:
        for name in CHECKIN_FRAMES:
            table = checkin.table(name)
            if len(table):
                out[name] = table
    if history is not None and len(history.events):
        tables = {
            "events": history.events,
            "battery": history.battery,
            "states": history.states,
            "intervals": history.intervals,
        }
        for name in HISTORY_FRAMES:
            out[f"history_{name}"] = tables[name]
    return out


def parse_capture(
    checkin_text: str | bytes | None,
    history_text: str | bytes | None,
    *,
    keep_personal_data: bool = False,
    progress: ProgressCallback | None = None,
) -> CaptureFrames:
    """Parse a ``-c`` dump and a ``--history`` dump (either may be missing or empty).

    The history comes from the checkin dump when it has one (epoch-ms anchors and UIDs), else
    from the text dump. What cannot be parsed becomes a warning, not an error.
    """
    redact = not keep_personal_data
    total = len(checkin_text or "") + len(history_text or "")
    done = 0

    def scoped(size: int) -> ProgressCallback | None:
        if progress is None:
            return None
        start = done

        def relay(d: int, t: int) -> None:
            progress(start + (size * d // t if t else size), max(total, 1))

        return relay

    warnings: list[str] = []
    checkin: CheckinStats | None = None
    history: History | None = None
    if checkin_text and str(checkin_text).strip():
        try:
            checkin = parse_checkin(checkin_text, redact=redact, progress=scoped(len(checkin_text)))
            warnings += [f"checkin: {w}" for w in checkin.warnings]
            history = checkin.history
        except ParseError as exc:
            warnings.append(f"checkin: {exc}")
        done += len(checkin_text)
    if (history is None or not len(history.events)) and history_text and str(
        history_text
    ).strip():
        try:
            history = parse_history(history_text, redact=redact, progress=scoped(len(history_text)))
            warnings += [f"history: {w}" for w in history.warnings]
        except ParseError as exc:
            warnings.append(f"history: {exc}")
    if progress is not None:
        progress(max(total, 1), max(total, 1))
    return CaptureFrames(frames_from(checkin, history), {}, warnings)


# -- on disk ---------------------------------------------------------------------------------


def _write_frame(path: Path, frame: pd.DataFrame) -> None:
    frame.to_parquet(path, index=False)


def write_capture(
    folder: Path,
    checkin_text: str | None,
    history_text: str | None,
    meta: Mapping[str, Any],
    *,
    keep_personal_data: bool = False,
    progress: ProgressCallback | None = None,
) -> CaptureFrames:
    """Parse and keep a capture in ``folder`` (replaced as a whole if it exists)."""
    capture = parse_capture(
        checkin_text, history_text, keep_personal_data=keep_personal_data, progress=progress
    )
    capture.meta = {
        **meta,
        "personal_data": "kept" if keep_personal_data else "redacted",
        "frames": sorted(capture.frames),
        "warnings": capture.warnings,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}"
    tmp.mkdir()
    try:
        scrub: Callable[[str], str] = (lambda s: s) if keep_personal_data else redact_raw_text
        if checkin_text is not None:
            (tmp / CHECKIN_FILE).write_text(scrub(_text(checkin_text)))
        if history_text is not None:
            (tmp / HISTORY_FILE).write_text(scrub(_text(history_text)))
        for name, frame in capture.frames.items():
            _write_frame(tmp / f"{name}.parquet", frame)
        (tmp / META_FILE).write_text(json.dumps(capture.meta, indent=2, default=str))
        _replace_dir(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return capture


def _text(data: str | bytes) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def _replace_dir(src: Path, dst: Path) -> None:
    """Move a finished folder into place; an older one of the same name is swapped out."""
    if dst.exists():
        old = dst.parent / f".{dst.name}.old-{os.getpid()}-{secrets.token_hex(3)}"
        os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dst)


def read_capture(folder: Path) -> CaptureFrames:
    """A capture folder written by :func:`write_capture`."""
    meta: dict[str, Any] = {}
    meta_path = folder / META_FILE
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
    return CaptureFrames({}, meta, list(meta.get("warnings", [])), folder)


def is_capture(folder: Path) -> bool:
    return folder.is_dir() and not folder.name.startswith(".") and (folder / META_FILE).exists()
