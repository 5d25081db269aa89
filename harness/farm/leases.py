"""Device leases: one holder per device (serial plus adb server) across workers and runs.

A lease is two files in the lease directory (default ``~/.cache/harness/leases``,
``$HARNESS_LEASE_DIR`` or ``--lease-dir``):

- ``NAME.lock``: held with ``fcntl.flock`` for the whole lease. The kernel drops a flock when
  its process dies, however it dies (SIGKILL included), so a crashed worker never leaves a lock
  that blocks the next run.
- ``NAME.json``: who holds it: host, pid, the pid's start time and the host's boot id (so a
  reused pid or a rebooted host is not mistaken for the owner), worker id, run id, since when.
  Written atomically (temporary file, then rename).

Taking a lease: open and ``flock(LOCK_EX | LOCK_NB)`` the lock file; then read the record.
No record: the device is free. A record whose owner is gone (same host, pid not running, or a
zombie, or another process under that pid) is stale: it is recovered and the recovery logged.
A record whose owner still runs is respected even though the lock is free (some file systems
do not share flocks), and so is a record from another host, whose processes cannot be checked
from here: the wait message says so and names the file to delete if that host is gone.

Releasing: the record is removed and the lock file unlinked while the lock is still held; a
waiter that had opened the old file sees, after locking it, that the path no longer names that
file and starts over. Lock files therefore do not pile up, one per device per run.

Every acquire, release, recovery and wait is appended to a JSON-lines lease log (one per run)
with worker id, pid, host, serial, server and monotonic and wall times; :func:`find_overlaps`
checks from it that no two holders ever had one device at the same time. The log entry of an
acquire is written after the lock is taken and that of a release before it is dropped, so the
logged intervals lie inside the real ones.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.errors import HarnessError, LeaseTimeout

LEASE_DIR_ENV = "HARNESS_LEASE_DIR"
DEFAULT_TIMEOUT_S = 600.0
REPORT_EVERY_S = 5.0

Progress = Callable[[str], None]


def default_lease_dir() -> Path:
    """``$HARNESS_LEASE_DIR``, else ``$XDG_CACHE_HOME/harness/leases`` (``~/.cache/...``)."""
    env = os.environ.get(LEASE_DIR_ENV)
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "harness" / "leases"


# ------------------------------------------------------------------------------ owners
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) from /proc, or None off Linux."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    rest = text[text.rindex(")") + 2 :].split()
    return rest[0], int(rest[19])


@dataclass(frozen=True)
class Owner:
    """Who holds (or wants) a lease."""

    host: str
    pid: int
    worker: str = "main"
    run_id: str = ""
    pid_start: int | None = None
    boot_id: str = ""

    @classmethod
    def current(cls, worker: str = "main", run_id: str = "") -> Owner:
        pid = os.getpid()
        stat = _proc_stat(pid)
        return cls(
            socket.gethostname(), pid, worker, run_id, stat[1] if stat else None, _boot_id()
        )

    def describe(self) -> str:
        run = f", run {self.run_id}" if self.run_id else ""
        return f"worker {self.worker}, pid {self.pid} on host {self.host}{run}"

    def state(self) -> str:
        """``alive``, ``dead`` or ``unknown`` (another host: its processes are not ours to see)."""
        if self.host != socket.gethostname():
            return "unknown"
        here = _boot_id()
        if self.boot_id and here and self.boot_id != here:
            return "dead"  # the host rebooted since: every pid of the record is gone
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return "dead"
        except PermissionError:
            pass  # exists, under another user
        stat = _proc_stat(self.pid)
        if stat is not None:
            state, start = stat
            if state in ("Z", "X"):
                return "dead"  # killed, not yet reaped by its parent: it holds nothing
            if self.pid_start is not None and start != self.pid_start:
                return "dead"  # the pid was reused by another process
        return "alive"


@dataclass(frozen=True)
class LeaseRecord:
    serial: str
    server: str
    owner: Owner
    since: float  # wall clock
    token: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LeaseRecord:
        data = json.loads(text)
        return cls(
            data["serial"], data["server"], Owner(**data["owner"]), data["since"], data["token"]
        )

    def describe(self) -> str:
        since = time.strftime("%H:%M:%S", time.localtime(self.since))
        return f"{self.owner.describe()} since {since}"


# ------------------------------------------------------------------------------ the log
class LeaseLog:
    """Appends one JSON line per lease event; several processes may share one file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, event: str, serial: str, server: str, owner: Owner, **extra: object) -> None:
        if self.path is None:
            return
        entry = {
            "event": event,
            "serial": serial,
            "server": server,
            "worker": owner.worker,
            "pid": owner.pid,
            "host": owner.host,
            "run_id": owner.run_id,
            "mono": time.monotonic(),
            "wall": time.time(),
            **extra,
        }
        line = (json.dumps(entry, sort_keys=True) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write() to an O_APPEND file: lines of concurrent workers never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def read_log(path: Path | str) -> list[dict[str, object]]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Overlap:
    device: str
    first: str
    second: str
    at: float

    def __str__(self) -> str:
        return f"{self.device}: {self.second} acquired it while {self.first} still held it"


def find_overlaps(events: Iterable[dict[str, object]]) -> list[Overlap]:
    """Intervals (acquire to release) of different holders of one device that overlap.

    Times are monotonic when every event comes from one host (the monotonic clock is shared by
    a host's processes), wall clock otherwise. A lease never released counts until the end, or
    until it was recovered from its dead owner.
    """
    events = [e for e in events if e.get("event") in ("acquire", "release", "recover")]
    clock = "mono" if len({e.get("host") for e in events}) <= 1 else "wall"
    events.sort(key=lambda e: float(e[clock]))  # type: ignore[arg-type]
    open_since: dict[tuple[object, ...], float] = {}
    spans: dict[str, list[tuple[float, float, str]]] = {}
    for e in events:
        device = f"{e['serial']}@{e['server']}"
        holder = (device, e.get("host"), e.get("pid"), e.get("worker"))
        t = float(e[clock])  # type: ignore[arg-type]
        if e["event"] == "recover":
            # The owner was found dead: its lease ended, at the latest, now.
            holder = (device, e.get("previous_host"), e.get("previous_pid"),
                      e.get("previous_worker"))
        if e["event"] == "acquire":
            open_since[holder] = t
        elif holder in open_since:
            start = open_since.pop(holder)
            spans.setdefault(device, []).append((start, t, _who(holder)))
    for holder, start in open_since.items():
        spans.setdefault(str(holder[0]), []).append((start, float("inf"), _who(holder)))
    found: list[Overlap] = []
    for device, items in spans.items():
        items.sort()
        for (_s1, end1, who1), (start2, _e2, who2) in itertools.pairwise(items):
            if start2 < end1:
                found.append(Overlap(device, who1, who2, start2))
    return found


def _who(holder: tuple[object, ...]) -> str:
    _device, host, pid, worker = holder
    return f"worker {worker} (pid {pid} on {host})"


# ------------------------------------------------------------------------------ leases
def _file_name(serial: str, server: str) -> str:
    key = f"{serial}@{server}"
    readable = re.sub(r"[^A-Za-z0-9._@-]+", "_", key)[:80]
    return f"{readable}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


@dataclass
class Lease:
    """A held lease; :meth:`release` (or leaving the ``with`` block) gives it back."""

    serial: str
    server: str
    record: LeaseRecord
    lock_path: Path
    record_path: Path
    log: LeaseLog
    waited_s: float = 0.0
    recovered: LeaseRecord | None = None
    _fd: int | None = field(default=None, repr=False)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.log.write("release", self.serial, self.server, self.record.owner)
            current = _read_record(self.record_path)
            if current is not None and current.token == self.record.token:
                with contextlib.suppress(FileNotFoundError):
                    self.record_path.unlink()
            with contextlib.suppress(FileNotFoundError):
                if _same_file(self.lock_path, fd):
                    self.lock_path.unlink()
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_record(path: Path) -> LeaseRecord | None:
    try:
        return LeaseRecord.from_json(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # Unreadable: not written by this code (records are renamed into place whole).
        # Treated as absent, which is safe because the flock, not the record, excludes.
        return None


def _same_file(path: Path, fd: int) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (fst.st_ino, fst.st_dev)


@dataclass(frozen=True)
class _Refusal:
    holder: LeaseRecord | None
    reason: str  # locked, alive, other-host


class LeaseDir:
    """The lease directory: take and inspect device leases.

    Args:
        path: the directory (created when missing).
        log: where lease events go (the run folder's ``leases.jsonl``), or None.
        progress: called with a line while waiting (every ``report_every_s``).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        log: LeaseLog | None = None,
        progress: Progress | None = None,
        report_every_s: float = REPORT_EVERY_S,
    ) -> None:
        self.path = Path(path) if path is not None else default_lease_dir()
        self.log = log or LeaseLog(None)
        self.progress = progress
        self.report_every_s = report_every_s

    def paths(self, serial: str, server: str) -> tuple[Path, Path]:
        name = _file_name(serial, server)
        return self.path / f"{name}.lock", self.path / f"{name}.json"

    def holder(self, serial: str, server: str) -> LeaseRecord | None:
        """The current record (None when free); informational, may change at once."""
        return _read_record(self.paths(serial, server)[1])

    def try_acquire(self, serial: str, server: str, owner: Owner) -> Lease | None:
        """Take the lease if nobody holds it, without waiting."""
        while True:
            outcome = self._attempt(serial, server, owner)
            if outcome is not None:
                return outcome if isinstance(outcome, Lease) else None

    def acquire(
        self,
        serial: str,
        server: str,
        owner: Owner,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        refuse: Callable[[LeaseRecord], None] | None = None,
    ) -> Lease:
        """Take the lease, waiting up to ``timeout_s`` for its holder to give it back.

        Raises :class:`~harness.errors.LeaseTimeout` naming the holder. ``refuse`` is called
        with the holder's record while waiting and may raise to stop waiting for a holder that
        will never let go. Interrupting the wait (Ctrl-C) leaves nothing behind: nothing is
        held until this returns.
        """
        start = time.monotonic()
        next_report = start
        attempt = 0
        waiting_logged = False
        while True:
            outcome = self._attempt(serial, server, owner)
            if outcome is None:
                continue  # the lock file was replaced under us: retry at once
            if isinstance(outcome, Lease):
                outcome.waited_s = time.monotonic() - start
                return outcome
            if refuse is not None and outcome.holder is not None:
                refuse(outcome.holder)
            now = time.monotonic()
            waited = now - start
            holder = self._describe(outcome, serial, server)
            if waited >= timeout_s:
                self.log.write("timeout", serial, server, owner, waited_s=round(waited, 3),
                               holder=holder)
                record_path = str(self.paths(serial, server)[1])
                raise LeaseTimeout(serial, server, waited, holder, record_path)
            if not waiting_logged:
                self.log.write("wait", serial, server, owner, holder=holder)
                waiting_logged = True
            if now >= next_report and self.progress is not None:
                self.progress(
                    f"[{serial}] waiting for the device lease ({waited:.0f} s of "
                    f"{timeout_s:.0f} s): held by {holder}"
                )
                next_report = now + self.report_every_s
            attempt += 1
            time.sleep(min(0.02 * 2**attempt, 0.5, max(0.0, timeout_s - waited)))

    # -------------------------------------------------------------------- internals
    def _attempt(self, serial: str, server: str, owner: Owner) -> Lease | _Refusal | None:
        """A lease, a refusal saying who holds it, or None to retry (lock file replaced)."""
        lock_path, record_path = self.paths(serial, server)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            # Read-only is enough for flock, and works on a lock file another user created.
            fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise HarnessError(
                f"cannot open the lease file {lock_path}: {exc} (the lease directory must be "
                f"writable by everyone who runs tests on these devices; see --lease-dir)"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise HarnessError(f"cannot lock {lock_path}: {exc}") from exc
            return _Refusal(_read_record(record_path), "locked")
        try:
            if not _same_file(lock_path, fd):
                self._unlock(fd)
                return None
            existing = _read_record(record_path)
            recovered = None
            if existing is not None:
                state = existing.owner.state()
                if state == "alive":
                    self._unlock(fd)
                    return _Refusal(existing, "alive")
                if state == "unknown":
                    self._unlock(fd)
                    return _Refusal(existing, "other-host")
                recovered = existing
            record = LeaseRecord(serial, server, owner, time.time(), secrets.token_hex(8))
            tmp = record_path.with_name(f".{record_path.name}.{os.getpid()}.tmp")
            tmp.write_text(record.to_json())
            tmp.replace(record_path)
        except BaseException:
            self._unlock(fd)
            raise
        if recovered is not None:
            gone = recovered.owner
            self.log.write(
                "recover", serial, server, owner,
                previous=gone.describe(), previous_since=recovered.since,
                previous_host=gone.host, previous_pid=gone.pid, previous_worker=gone.worker,
            )
        self.log.write("acquire", serial, server, owner)
        return Lease(serial, server, record, lock_path, record_path, self.log,
                     recovered=recovered, _fd=fd)

    @staticmethod
    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def _describe(self, refusal: _Refusal, serial: str, server: str) -> str:
        holder = refusal.holder
        record_path = self.paths(serial, server)[1]
        if holder is None:
            return "a process that has just locked it (no lease record yet)"
        text = holder.describe()
        if refusal.reason == "other-host":
            return (
                f"{text} (another host: its process cannot be checked from here, so the lease "
                f"is respected; if that run is gone, delete {record_path})"
            )
        if refusal.reason == "alive":
            return f"{text} (that process is still running)"
        return text
