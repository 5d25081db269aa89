"""Parser for ``cmd appops get PKG [OP]`` (AppOpsService.Shell ``get``).

Each line is ``<OP>: <mode>`` with optional suffixes ``; time=+1m2s ago``,
``; rejectTime=... ago``, ``; duration=...`` or `` (running)``. Modes are printed by
``AppOpsManager.modeToName``: ``allow``, ``ignore``, ``deny``, ``default``, ``foreground``
(``mode=N`` for anything else), and are kept as printed.

Uid-level modes are printed first, and the shell prints ``Uid mode: `` only in front of the
first of them; the package-level lines follow without a separator. Uid-level entries never
carry an access time, and neither level repeats an op, so the uid block is taken to end at the
first line with a time suffix or the first op seen twice. A package-level op that was set but
never used and that directly follows the uid block cannot be told apart from a uid-level op in
the text; it is counted as uid-level. :meth:`AppOpsState.mode` gives the mode that applies
whichever level the line was counted in. With an OP argument (the usual use) there is at most
one line per level and no ambiguity.

``No operations.`` (nothing set, nothing used) may be followed by ``Default mode: <mode>``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.text import normalize
from harness.errors import ParseError

COMMAND = "cmd appops get"

_UID_PREFIX = "Uid mode: "
_OP_LINE = re.compile(r"^(?P<op>[A-Z][A-Z0-9_]*):\s+(?P<mode>[\w=-]+)(?P<rest>.*)$")
_SUFFIX = re.compile(r";\s*(time|rejectTime|duration)=([^;]*?)(?:\s+ago)?\s*(?=;|\(|$)")


@dataclass
class OpEntry:
    op: str
    mode: str
    uid_level: bool = False
    time: str | None = None  # "+1m2s3ms" (ago), as printed
    reject_time: str | None = None
    duration: str | None = None
    running: bool = False
    raw: str = ""


@dataclass
class AppOpsState:
    entries: list[OpEntry] = field(default_factory=list)
    no_operations: bool = False
    default_mode: str | None = None  # "Default mode:" after "No operations."
    notes: list[str] = field(default_factory=list)

    @property
    def ops(self) -> dict[str, str]:
        """Package-level op -> mode."""
        return {e.op: e.mode for e in self.entries if not e.uid_level}

    @property
    def uid_mode(self) -> dict[str, str]:
        """Uid-level op -> mode."""
        return {e.op: e.mode for e in self.entries if e.uid_level}

    def mode(self, op: str) -> str | None:
        """The mode that applies to ``op``: a uid-level mode other than ``default`` wins, as in
        AppOpsService.checkOperation; otherwise the package-level mode, then ``default_mode``."""
        uid = self.uid_mode.get(op)
        if uid is not None and uid != "default":
            return uid
        return self.ops.get(op, uid if uid is not None else self.default_mode)

    def to_json(self) -> dict[str, Any]:
        return {
            "ops": self.ops,
            "uid_mode": self.uid_mode,
            "no_operations": self.no_operations,
            "default_mode": self.default_mode,
            "entries": [asdict(e) for e in self.entries],
            "notes": list(self.notes),
        }


def _entry(text: str, uid_level: bool) -> OpEntry | None:
    m = _OP_LINE.match(text)
    if not m:
        return None
    entry = OpEntry(op=m.group("op"), mode=m.group("mode"), uid_level=uid_level, raw=text)
    rest = m.group("rest")
    for key, value in _SUFFIX.findall(rest):
        value = value.strip()
        if key == "time":
            entry.time = value
        elif key == "rejectTime":
            entry.reject_time = value
        else:
            entry.duration = value
    entry.running = "(running)" in rest
    return entry


def _has_times(entry: OpEntry) -> bool:
    return bool(entry.time or entry.reject_time or entry.duration or entry.running)


def parse(text: str | bytes) -> AppOpsState:
    rows = [ln.strip() for ln in normalize(text).split("\n") if ln.strip()]
    if not rows:
        raise ParseError(COMMAND, "empty output")

    state = AppOpsState()
    in_uid_block = False
    uid_ops: set[str] = set()
    for row in rows:
        if row == "No operations.":
            state.no_operations = True
            continue
        if row.startswith("Default mode:"):
            state.default_mode = row.partition(":")[2].strip() or None
            continue
        is_uid_start = row.startswith(_UID_PREFIX)
        if is_uid_start:
            row = row[len(_UID_PREFIX) :].strip()
            in_uid_block, uid_ops = True, set()
        entry = _entry(row, uid_level=False)
        if entry is None:
            state.notes.append(row)
            continue
        if in_uid_block and not is_uid_start and (_has_times(entry) or entry.op in uid_ops):
            in_uid_block = False
        if in_uid_block:
            entry.uid_level = True
            uid_ops.add(entry.op)
        state.entries.append(entry)

    if not state.entries and not state.no_operations:
        raise ParseError(COMMAND, "no app ops found", 1, rows[0])
    return state
