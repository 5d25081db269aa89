"""The app's event log: table ``events`` of ``databases/harness_events.db``, mirrored to logcat
under ``HarnessSample`` as one JSON object per line (the app's ``EventLog.kt``).

Every row carries the device state read when the event is recorded. ``seq`` is an AUTOINCREMENT
key, so a sequence number is never reused. The provider's query understands what the driver
sends, ``--where "seq>N"``; any other selection is refused with an IllegalArgumentException
that says so.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.base import ProviderError
from harness.virtual.apps.sample import device_state
from harness.virtual.apps.sample.hostdb import HostDatabase
from harness.virtual.apps.sample.jsonargs import dumps

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

SCHEMA_VERSION = 1
CREATE_EVENTS = """CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    event TEXT NOT NULL,
    wall_ms INTEGER NOT NULL,
    elapsed_ms INTEGER NOT NULL,
    boot_count INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    deep_idle INTEGER NOT NULL,
    light_idle INTEGER NOT NULL,
    power_save INTEGER NOT NULL,
    standby_bucket INTEGER NOT NULL,
    charging INTEGER NOT NULL,
    network TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
)"""
_SEQ_AFTER = re.compile(r"^\s*seq\s*>\s*(-?\d+)\s*$")
_SORT = re.compile(r"^\s*seq(?:\s+(asc|desc))?\s*$", re.I)
IAE = "java.lang.IllegalArgumentException"


class EventLog:
    def __init__(self, app: SampleAppModel) -> None:
        self.app = app
        path = f"{app.package.data_dir}/{c.EVENT_DATABASE}"
        self.db = HostDatabase(app.device, app.package.uid, path, app.device.api_level)

    def open(self) -> None:
        # Android 9+ opens SQLiteOpenHelper databases in "compatibility WAL" unless the app
        # chooses (SQLiteCompatibilityWalFlags); before, the default journal mode.
        conn = self.db.open(wal=self.app.device.api_level >= 28)
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            with self.db.transaction():
                conn.execute("CREATE TABLE IF NOT EXISTS android_metadata (locale TEXT)")
                conn.execute("INSERT INTO android_metadata VALUES ('en_US')")
                conn.execute(CREATE_EVENTS)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def record(self, source: str, event: str, name: str = "", detail: dict[str, Any] | None
               = None) -> int:
        """EventLog.record: one row with the device state now, and its logcat line."""
        app = self.app
        system = app.system
        state = device_state.read(system, app.package.name)
        detail = detail or {}
        values = {
            "name": name,
            "source": source,
            "event": event,
            "wall_ms": app.device.clock.wall_ms(),
            "elapsed_ms": app.device.clock.elapsed_ms(),
            "boot_count": device_state.boot_count(system),
            "pid": app.process.pid,
            "deep_idle": int(state.deep_idle),
            "light_idle": int(state.light_idle),
            "power_save": int(state.power_save),
            "standby_bucket": state.standby_bucket,
            "charging": int(state.charging),
            "network": state.network,
            "detail": dumps(detail),
        }
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.db.transaction() as conn:
            cursor = conn.execute(f"INSERT INTO events ({columns}) VALUES ({marks})",
                                  list(values.values()))
        seq = int(cursor.lastrowid or 0)
        # In logcat the detail is a nested object; in the table it is the same object as text.
        line = {"seq": seq, **{k: v for k, v in values.items() if k != "detail"},
                "detail": detail}
        app.log("I", dumps(line))
        return seq

    def query(self, uri: str, projection: list[str] | None, where: str | None,
              sort: str | None) -> tuple[list[str], list[list[Any]]]:
        """ControlProvider.query on the events URI."""
        if uri.rstrip("/") != c.EVENTS_URI:
            raise ProviderError(IAE, f"unknown URI {uri}; the events are at {c.EVENTS_URI}")
        columns = list(projection) if projection else list(c.EVENT_COLUMNS)
        for column in columns:
            if column not in c.EVENT_COLUMNS:
                raise ProviderError(IAE, f"Invalid column {column}")
        sql = f"SELECT {', '.join(columns)} FROM events"
        params: list[Any] = []
        if where:
            m = _SEQ_AFTER.match(where)
            if m is None:
                raise ProviderError(
                    IAE, f"unsupported selection {where!r}: this model of the app reads only "
                    "'seq>N' (the events after sequence number N)")
            sql += " WHERE seq > ?"
            params.append(int(m.group(1)))
        order = "ASC"
        if sort:
            m = _SORT.match(sort)
            if m is None:
                raise ProviderError(IAE, f"unsupported sort order {sort!r}: only 'seq [ASC|DESC]'")
            order = (m.group(1) or "ASC").upper()
        sql += f" ORDER BY seq {order}"
        conn = self.db.conn
        assert conn is not None
        return columns, [list(row) for row in conn.execute(sql, params)]

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` events, newest first (the main activity's list)."""
        conn = self.db.conn
        assert conn is not None
        columns = list(c.EVENT_COLUMNS)
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM events ORDER BY seq DESC "
                            "LIMIT ?", (limit,))
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def last_seq(self) -> int:
        conn = self.db.conn
        assert conn is not None
        return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])
