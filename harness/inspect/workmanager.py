"""WorkManager's own view: its Room database, read through ``run-as`` (debuggable apps).

The database is ``no_backup/androidx.work.workdb`` with ``-wal`` and ``-shm`` beside it
(WorkDatabasePathHelper, API 23+); WorkManager writes in WAL mode, so recent changes live in
the WAL file until a checkpoint. All three files are copied out and opened together.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.device import Device
from harness.errors import DeviceCommandError

DB = "no_backup/androidx.work.workdb"
# WorkTypeConverters: State, BackoffPolicy, NetworkType, OutOfQuotaPolicy
STATES = {0: "ENQUEUED", 1: "RUNNING", 2: "SUCCEEDED", 3: "FAILED", 4: "BLOCKED", 5: "CANCELLED"}
BACKOFF = {0: "EXPONENTIAL", 1: "LINEAR"}
NETWORK = {0: "NOT_REQUIRED", 1: "CONNECTED", 2: "UNMETERED", 3: "NOT_ROAMING", 4: "METERED",
           5: "TEMPORARILY_UNMETERED"}


@dataclass(frozen=True)
class WorkSpecRecord:
    id: str
    state: str
    worker_class: str
    tags: tuple[str, ...]
    unique_names: tuple[str, ...]
    job_ids: tuple[int, ...]  # SystemIdInfo: JobScheduler ids given to this work
    run_attempt_count: int
    periodic: bool
    interval_ms: int
    flex_ms: int
    initial_delay_ms: int
    last_enqueue_time_ms: int
    period_count: int
    generation: int
    backoff_policy: str
    backoff_delay_ms: int
    expedited: bool
    requires_charging: bool
    requires_device_idle: bool
    requires_battery_not_low: bool
    requires_storage_not_low: bool
    network_type: str
    prerequisites: tuple[str, ...]


class WorkManagerInspector:
    def __init__(self, device: Device, package: str) -> None:
        self.device = device
        self.package = package

    def _read(self, name: str) -> bytes | None:
        """A file of the app's data directory, or None when it does not exist."""
        try:
            return self.device.exec_out(["run-as", self.package, "cat", name], timeout_s=60)
        except DeviceCommandError as exc:
            if "No such file" in exc.stderr:
                return None
            raise DeviceCommandError(self.device.serial, exc.command, exc.exit_code,
                                     exc.stdout, exc.stderr,
                                     message="cannot read WorkManager's database through "
                                             "run-as (is the app debuggable?)") from exc

    def snapshot(self, directory: Path | None = None) -> Path:
        """Copy the database (with its WAL) to a host folder; returns the database path."""
        out = Path(directory or tempfile.mkdtemp(prefix="harness-workdb-"))
        main = self._read(DB)
        if main is None:
            raise DeviceCommandError(self.device.serial, f"run-as {self.package} cat {DB}", 1,
                                     message="WorkManager's database does not exist yet")
        (out / "androidx.work.workdb").write_bytes(main)
        for suffix in ("-wal", "-shm"):
            data = self._read(DB + suffix)
            if data is not None and suffix == "-wal":
                (out / f"androidx.work.workdb{suffix}").write_bytes(data)
        return out / "androidx.work.workdb"

    def frames(self) -> dict[str, object]:
        """Every WorkManager table as a pandas DataFrame."""
        import pandas as pd

        path = self.snapshot()
        with sqlite3.connect(path) as db:
            names = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT IN ('room_master_table', 'android_metadata')")]
            return {n: pd.read_sql_query(f'SELECT * FROM "{n}"', db) for n in names}

    def work(self) -> list[WorkSpecRecord]:
        path = self.snapshot()
        with sqlite3.connect(path) as db:
            db.row_factory = sqlite3.Row
            tags = _multi(db, "SELECT work_spec_id, tag FROM WorkTag")
            names = _multi(db, "SELECT work_spec_id, name FROM WorkName")
            jobs = _multi(db, "SELECT work_spec_id, system_id FROM SystemIdInfo")
            prereq = _multi(db, "SELECT work_spec_id, prerequisite_id FROM Dependency")
            out = []
            for r in db.execute("SELECT * FROM WorkSpec"):
                keys = r.keys()
                out.append(WorkSpecRecord(
                    id=r["id"], state=STATES.get(r["state"], str(r["state"])),
                    worker_class=r["worker_class_name"], tags=tuple(tags.get(r["id"], ())),
                    unique_names=tuple(names.get(r["id"], ())),
                    job_ids=tuple(int(j) for j in jobs.get(r["id"], ())),
                    run_attempt_count=r["run_attempt_count"],
                    periodic=r["interval_duration"] != 0, interval_ms=r["interval_duration"],
                    flex_ms=r["flex_duration"], initial_delay_ms=r["initial_delay"],
                    last_enqueue_time_ms=r["last_enqueue_time"],
                    period_count=r["period_count"] if "period_count" in keys else 0,
                    generation=r["generation"] if "generation" in keys else 0,
                    backoff_policy=BACKOFF.get(r["backoff_policy"], str(r["backoff_policy"])),
                    backoff_delay_ms=r["backoff_delay_duration"],
                    expedited=bool(r["run_in_foreground"]),
                    requires_charging=bool(r["requires_charging"]),
                    requires_device_idle=bool(r["requires_device_idle"]),
                    requires_battery_not_low=bool(r["requires_battery_not_low"]),
                    requires_storage_not_low=bool(r["requires_storage_not_low"]),
                    network_type=NETWORK.get(r["required_network_type"],
                                             str(r["required_network_type"])),
                    prerequisites=tuple(prereq.get(r["id"], ())),
                ))
            return out

    def by_tag(self, tag: str) -> list[WorkSpecRecord]:
        return [w for w in self.work() if tag in w.tags]

    def request_diagnostics(self) -> None:
        """WorkManager 2.4+: log the work tables under WM-DiagnosticsWrkr (DiagnosticsReceiver
        is protected by DUMP, which the shell holds)."""
        self.device.shell(["am", "broadcast", "-a",
                           "androidx.work.diagnostics.REQUEST_DIAGNOSTICS", "-p", self.package],
                          check=True)


def _multi(db: sqlite3.Connection, sql: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        for key, value in db.execute(sql):
            out.setdefault(key, []).append(value)
    except sqlite3.OperationalError:
        pass  # a table older WorkManager versions do not have
    return out
