"""A SQLite database in an app's data directory, kept in real host files.

The app model writes with Python's sqlite3 into files under the device's state directory; the
device's file system shows them as :class:`~harness.virtual.fs.HostFile` nodes owned by the app
(``-rw-rw----``, as SQLiteDatabase creates them), so ``run-as <pkg> cat`` reads the very bytes,
WAL file included. The ``-wal``, ``-shm`` and ``-journal`` nodes come and go with the host
files, as SQLite creates and deletes them.

When the node is gone but the host file is not (``pm clear``, an uninstall), the stale host
files are deleted first: the app starts with an empty database, as it would on a phone.
"""

from __future__ import annotations

import sqlite3
import stat as st
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from harness.virtual.fs import FsError, HostFile

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice

SUFFIXES = ("", "-wal", "-shm", "-journal")


def host_file(device: VirtualDevice, path: str) -> Path:
    """Where the bytes of the device file ``path`` live on the host."""
    return device.host_path("appdata", *path.strip("/").split("/"))


class HostDatabase:
    def __init__(self, device: VirtualDevice, uid: int, path: str, api_level: int) -> None:
        self.device = device
        self.uid = uid
        self.path = path  # on the device, e.g. /data/data/<pkg>/databases/x.db
        self.api_level = api_level
        self.host = host_file(device, path)
        self.conn: sqlite3.Connection | None = None
        # Called after each commit: what Room's InvalidationTracker tells observers (flows).
        self.commit_listeners: list[Callable[[], None]] = []

    @property
    def exists(self) -> bool:
        return self.device.fs.exists(self.path)

    def open(self, wal: bool) -> sqlite3.Connection:
        if not self.exists:
            for suffix in SUFFIXES:
                Path(f"{self.host}{suffix}").unlink(missing_ok=True)
        conn = sqlite3.connect(self.host, isolation_level=None, check_same_thread=False)
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL databases are opened with synchronous=NORMAL (SQLiteGlobal.getWALSyncMode).
            conn.execute("PRAGMA synchronous=NORMAL")
        else:
            # SQLiteGlobal.getDefaultJournalMode: TRUNCATE.
            conn.execute("PRAGMA journal_mode=TRUNCATE")
        self.conn = conn
        self.sync_nodes()
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.sync_nodes()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; nested calls join the outer one (Room's runInTransaction)."""
        conn = self.conn
        assert conn is not None, "database not open"
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self.sync_nodes()
        for listener in list(self.commit_listeners):
            listener()

    def sync_nodes(self) -> None:
        """File nodes for the host files that exist now, none for those that do not."""
        fs = self.device.fs
        if not fs.exists(self.path.rsplit("/", 1)[0]):
            return  # the data directory went away (the package is being cleared or removed)
        for suffix in SUFFIXES:
            host = Path(f"{self.host}{suffix}")
            path = f"{self.path}{suffix}"
            present = fs.exists(path)
            if host.exists() and not present:
                fs.add_node(path, HostFile(st.S_IFREG | 0o660, self.uid, self.uid, host_path=host))
            elif present and not host.exists():
                try:
                    fs.remove(path)
                except FsError:
                    pass
