"""A run folder (``reports/<run-id>/``) as data: what the plugin and the app driver wrote.

Layout read here::

    run.json                              devices, options (the plugin's session)
    results.parquet                       one row per test per device
    batterystats/<serial>/<test-id>/      one capture per test and device (capture.py)
    events/<serial>/<test-id>.parquet     the sample app's event log per test (the app driver)
    events.parquet                        all of them merged (written by the report)

Nothing here writes into the run except :func:`write_events`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from harness.app.contract import EVENT_COLUMNS
from harness.report.capture import CaptureFrames, is_capture, read_capture
from harness.report.metrics import SAMPLE_PACKAGE, capture_metrics

BATTERYSTATS_DIR = "batterystats"
EVENTS_DIR = "events"
EVENTS_FILE = "events.parquet"
RESULTS_FILE = "results.parquet"
RUN_FILE = "run.json"

# The event log's columns (sample_app/CONTRACT.md) and the types they are kept in.
_EVENT_DTYPES: dict[str, str] = {
    "seq": "Int64",
    "name": "string",
    "source": "string",
    "event": "string",
    "wall_ms": "Int64",
    "elapsed_ms": "Int64",
    "boot_count": "Int64",
    "pid": "Int64",
    "deep_idle": "boolean",
    "light_idle": "boolean",
    "power_save": "boolean",
    "standby_bucket": "Int64",
    "charging": "boolean",
    "network": "string",
    "detail": "string",
}
EVENT_FRAME_COLUMNS = (*EVENT_COLUMNS, "serial", "test")


def safe_name(text: str) -> str:
    """A file name for a serial or a test id (the artifacts folder uses the same rule)."""
    return re.sub(r"[^\w.\-]+", "_", text).strip("_")[:150] or "_"


def name_of_test(nodeid: str) -> str:
    """The folder/file name of a test: its node id made safe for file systems."""
    return safe_name(nodeid)


@dataclass
class CaptureRef:
    folder: Path
    meta: dict[str, Any]

    @property
    def serial(self) -> str:
        return str(self.meta.get("serial") or self.folder.parent.name)

    @property
    def test(self) -> str:
        return str(self.meta.get("test") or self.folder.name)

    @property
    def nodeid(self) -> str:
        return str(self.meta.get("nodeid") or self.test)

    @property
    def order_key(self) -> tuple[float, str]:
        return (float(self.meta.get("started_ms") or 0), self.folder.name)

    def load(self) -> CaptureFrames:
        capture = read_capture(self.folder)
        capture.meta.setdefault("serial", self.serial)
        capture.meta.setdefault("test", self.test)
        return capture


@dataclass
class RunData:
    run_dir: Path
    info: dict[str, Any] = field(default_factory=dict)
    results: pd.DataFrame = field(default_factory=pd.DataFrame)
    captures: list[CaptureRef] = field(default_factory=list)
    package: str = SAMPLE_PACKAGE

    @classmethod
    def load(cls, run_dir: Path, package: str = SAMPLE_PACKAGE) -> RunData:
        run_dir = Path(run_dir)
        info: dict[str, Any] = {}
        if (run_dir / RUN_FILE).exists():
            info = json.loads((run_dir / RUN_FILE).read_text())
        results = pd.DataFrame()
        if (run_dir / RESULTS_FILE).exists():
            results = pd.read_parquet(run_dir / RESULTS_FILE)
        captures = []
        root = run_dir / BATTERYSTATS_DIR
        if root.is_dir():
            for serial_dir in sorted(p for p in root.iterdir() if p.is_dir()):
                for folder in sorted(serial_dir.iterdir()):
                    if is_capture(folder):
                        meta = json.loads((folder / "meta.json").read_text())
                        captures.append(CaptureRef(folder, meta))
        captures.sort(key=lambda c: (c.serial, c.order_key))
        return cls(run_dir, info, results, captures, package)

    @property
    def run_id(self) -> str:
        return str(self.info.get("run_id") or self.run_dir.name)

    @property
    def serials(self) -> list[str]:
        seen = [d.get("serial", "") for d in self.info.get("devices", [])]
        seen += [c.serial for c in self.captures]
        if len(self.results) and "serial" in self.results.columns:
            seen += [s for s in self.results["serial"].astype(str) if s]
        return list(dict.fromkeys(s for s in seen if s))

    def device_info(self, serial: str) -> dict[str, Any]:
        for d in self.info.get("devices", []):
            if d.get("serial") == serial:
                return dict(d)
        for c in self.captures:
            if c.serial == serial and c.meta.get("device"):
                return dict(c.meta["device"])
        return {"serial": serial}

    @cached_property
    def loaded(self) -> list[CaptureFrames]:
        return [c.load() for c in self.captures]

    def frame(self, name: str) -> pd.DataFrame:
        """One table over every capture, with ``serial`` and ``test`` (the node id) in front."""
        parts = []
        for ref, capture in zip(self.captures, self.loaded, strict=True):
            table = capture.get(name)
            if not len(table):
                continue
            table = table.copy()
            table.insert(0, "test", ref.nodeid)
            table.insert(0, "serial", ref.serial)
            parts.append(table)
        if not parts:
            return pd.DataFrame(columns=["serial", "test"])
        return pd.concat(parts, ignore_index=True)

    def frame_names(self) -> list[str]:
        return sorted({name for c in self.loaded for name in c.names()})

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """One row of :class:`~harness.report.metrics.CaptureMetrics` per capture."""
        rows = []
        for ref, capture in zip(self.captures, self.loaded, strict=True):
            m = capture_metrics(capture, self.package)
            m.serial, m.test, m.nodeid = ref.serial, ref.test, ref.nodeid
            rows.append(m.to_dict())
        if not rows:
            from harness.report.metrics import CaptureMetrics

            return pd.DataFrame(columns=list(CaptureMetrics().to_dict()))
        return pd.DataFrame(rows)

    @property
    def nodeids(self) -> list[str]:
        ids = [c.nodeid for c in self.captures]
        if len(self.results) and "nodeid" in self.results.columns:
            ids += [str(n) for n in self.results["nodeid"]]
        return list(dict.fromkeys(ids))

    @cached_property
    def events(self) -> pd.DataFrame:
        return merge_events(self.run_dir, self.serials, self.nodeids)


# -- the sample app's event log ---------------------------------------------------------------


def empty_events() -> pd.DataFrame:
    columns = {name: pd.Series(dtype=_EVENT_DTYPES.get(name, "string")) for name in EVENT_COLUMNS}
    columns["serial"] = pd.Series(dtype="string")
    columns["test"] = pd.Series(dtype="string")
    return pd.DataFrame(columns)


def merge_events(
    run_dir: Path, serials: Iterable[str] = (), nodeids: Iterable[str] = ()
) -> pd.DataFrame:
    """``events/<serial>/<test>.parquet`` files in one frame, an empty frame with the
    contract's columns when there are none. ``serial`` and ``test`` (the node id) come from
    the file's own columns, else from its path, with file-safe names mapped back to the
    ``serials`` and ``nodeids`` of the run."""
    root = Path(run_dir) / EVENTS_DIR
    real = {safe_name(s): s for s in serials}
    tests = {name_of_test(n): n for n in nodeids}
    parts = []
    if root.is_dir():
        for path in sorted(root.glob("*/*.parquet")):
            frame = pd.read_parquet(path)
            if "serial" not in frame.columns:
                frame["serial"] = real.get(path.parent.name, path.parent.name)
            if "test" not in frame.columns:
                frame["test"] = tests.get(path.stem, path.stem)
            parts.append(frame)
    if not parts:
        return empty_events()
    merged = pd.concat(parts, ignore_index=True)
    for name in EVENT_FRAME_COLUMNS:
        if name not in merged.columns:
            merged[name] = pd.Series(dtype=_EVENT_DTYPES.get(name, "string"))
    for name, dtype in _EVENT_DTYPES.items():
        try:
            merged[name] = merged[name].astype(dtype)
        except (TypeError, ValueError):
            merged[name] = merged[name].astype("string")
    rest = [c for c in merged.columns if c not in EVENT_FRAME_COLUMNS]
    return merged[[*EVENT_FRAME_COLUMNS, *rest]]


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_events(run: RunData) -> Path:
    path = run.run_dir / EVENTS_FILE
    write_parquet_atomic(run.events, path)
    return path
