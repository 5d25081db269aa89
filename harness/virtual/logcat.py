"""The device log (logd): a ring buffer of entries that ``logcat`` prints and follows."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

LEVELS = "VDIWEF"
MAX_ENTRIES = 20000


@dataclass(frozen=True)
class LogEntry:
    seq: int
    wall_ms: int
    pid: int
    tid: int
    level: str  # one of VDIWEF
    tag: str
    message: str
    buffer: str = "main"


class LogBuffer:
    def __init__(self, wall_ms: callable) -> None:  # type: ignore[valid-type]
        self._wall_ms = wall_ms
        self.entries: list[LogEntry] = []
        self._seq = 0
        self._cleared_seq = 0
        self._changed = asyncio.Event()

    def log(
        self, level: str, tag: str, message: str, pid: int = 0, tid: int = 0, buffer: str = "main"
    ) -> LogEntry:
        self._seq += 1
        lines = message.split("\n")
        # logd stores one entry per call; multi-line messages print one line per line.
        entry = LogEntry(
            self._seq, int(self._wall_ms()), pid, tid or pid, level, tag, "\n".join(lines), buffer
        )
        self.entries.append(entry)
        if len(self.entries) > MAX_ENTRIES:
            del self.entries[: len(self.entries) - MAX_ENTRIES]
        self._changed.set()
        self._changed = asyncio.Event()
        return entry

    def clear(self, buffer: str | None = None) -> None:
        self.entries = [e for e in self.entries if buffer is not None and e.buffer != buffer]

    def since(self, seq: int) -> list[LogEntry]:
        return [e for e in self.entries if e.seq > seq]

    @property
    def last_seq(self) -> int:
        return self._seq

    async def wait_for_new(self, timeout_s: float | None = None) -> None:
        event = self._changed
        if timeout_s is None:
            await event.wait()
        else:
            try:
                await asyncio.wait_for(event.wait(), timeout_s)
            except TimeoutError:
                pass


def host_now_ms() -> int:
    return int(time.time() * 1000)
