"""Helpers shared by the batterystats parsers: decoding, progress reports and UID formats."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.android.text import decode

__all__ = [
    "ProgressCallback",
    "ProgressReporter",
    "decode",
    "normalize",
    "split_uid",
]

ProgressCallback = Callable[[int, int], None]


def normalize(data: bytes | str) -> str:
    """Decode and turn CR LF, CR CR LF and lone CR line ends into LF.

    Same result as :func:`harness.android.text.normalize`, with plain string replacement
    instead of a regex: batterystats dumps are megabytes and this runs on all of them.
    """
    text = decode(data)
    if "\r" not in text:
        return text
    while "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n")


# Real UIDs are userId * PER_USER_RANGE + appId (android.os.UserHandle).
PER_USER_RANGE = 100_000


def split_uid(uid: int) -> tuple[int, int]:
    """(user, app_id) of a kernel UID; negative pseudo-UIDs such as -1 stay as they are."""
    if uid < 0:
        return 0, uid
    return uid // PER_USER_RANGE, uid % PER_USER_RANGE


@dataclass
class ProgressReporter:
    """Turns stage completion into ``(bytes_done, bytes_total)`` calls on a user callback.

    Parsers work in a few vectorised stages rather than line by line, so progress is reported
    per stage and per chunk; calls closer than ``min_interval_s`` apart are dropped, except the
    final one, so that a slow callback (a progress bar redraw) cannot slow the parse down.
    """

    callback: ProgressCallback | None
    total: int
    min_interval_s: float = 0.05
    _last_call: float = field(default=float("-inf"), init=False)
    _done: int = field(default=0, init=False)
    _reported: int = field(default=-1, init=False)

    def advance_to(self, done: int, *, force: bool = False) -> None:
        if self.callback is None:
            return
        done = max(self._done, min(done, self.total))
        self._done = done
        if done == self._reported:
            return  # nothing new to say
        now = time.monotonic()
        if force or done >= self.total or now - self._last_call >= self.min_interval_s:
            self._last_call = now
            self._reported = done
            self.callback(done, self.total)

    def fraction(self, part: float) -> None:
        """Report that ``part`` (0..1) of the input has been handled."""
        self.advance_to(int(self.total * part))

    def finish(self) -> None:
        self.advance_to(self.total, force=True)

    def relay(self) -> ProgressCallback | None:
        """A ``(done, total)`` callback feeding this reporter, for a nested parse."""
        if self.callback is None:
            return None

        def forward(done: int, total: int) -> None:
            self.advance_to(self.total * done // total if total else self.total)

        return forward

    def scoped(self, start: int, size: int) -> ProgressReporter:
        """A reporter for a sub-range of this one (a section inside a bugreport)."""
        parent = self

        def relay(done: int, total: int) -> None:
            scaled = start + (size * done // total if total else size)
            parent.advance_to(scaled)

        return ProgressReporter(relay if self.callback else None, max(size, 1), 0.0)
