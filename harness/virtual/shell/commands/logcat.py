"""logcat: dump (-d), clear (-c), formats (-v), filters (TAG:LEVEL, -s), -t/-T, and follow.

Output formats follow liblog's logprint.cpp (threadtime is the default since Android 7).
"""

from __future__ import annotations

import re
import time

from harness.virtual.logcat import LEVELS, LogEntry
from harness.virtual.shell.registry import Invocation, command

_FORMATS = {
    "brief",
    "process",
    "tag",
    "thread",
    "raw",
    "time",
    "threadtime",
    "long",
    "color",
    "epoch",
    "monotonic",
    "uid",
    "usec",
    "UTC",
    "year",
    "zone",
    "printable",
    "descriptive",
    "nsec",
}


def _stamp(entry: LogEntry, year: bool = False) -> str:
    secs = entry.wall_ms / 1000
    base = time.strftime("%Y-%m-%d %H:%M:%S" if year else "%m-%d %H:%M:%S", time.gmtime(secs))
    return f"{base}.{entry.wall_ms % 1000:03d}"


def format_entry(entry: LogEntry, fmt: str, year: bool = False) -> str:
    out = []
    for line in entry.message.split("\n"):
        if fmt == "raw":
            out.append(line)
        elif fmt == "brief":
            out.append(f"{entry.level}/{entry.tag}({entry.pid:5d}): {line}")
        elif fmt == "tag":
            out.append(f"{entry.level}/{entry.tag}: {line}")
        elif fmt == "process":
            out.append(f"{entry.level}({entry.pid:5d}) {line}  ({entry.tag})")
        elif fmt == "thread":
            out.append(f"{entry.level}({entry.pid:5d}:{entry.tid:5d}) {line}")
        elif fmt == "time":
            out.append(f"{_stamp(entry, year)} {entry.level}/{entry.tag}({entry.pid:5d}): {line}")
        elif fmt == "long":
            out.append(
                f"[ {_stamp(entry, year)} {entry.pid:5d}:{entry.tid:5d} "
                f"{entry.level}/{entry.tag} ]\n{line}\n"
            )
        else:  # threadtime
            out.append(
                f"{_stamp(entry, year)} {entry.pid:5d} {entry.tid:5d} "
                f"{entry.level} {entry.tag}: {line}"
            )
    return "\n".join(out) + "\n"


class _Filter:
    def __init__(self, specs: list[str], silence_others: bool) -> None:
        self.default = "S" if silence_others else "V"
        self.tags: dict[str, str] = {}
        for spec in specs:
            tag, _, level = spec.partition(":")
            level = (level or "V").upper()[:1]
            if tag == "*":
                self.default = level
            else:
                self.tags[tag] = level

    def accepts(self, entry: LogEntry) -> bool:
        min_level = self.tags.get(entry.tag, self.default)
        if min_level == "S":
            return False
        return LEVELS.index(entry.level) >= LEVELS.index(min_level)


def _parse_since(text: str, inv: Invocation) -> tuple[int | None, int | None]:
    """``-T`` takes a count or a time ``MM-DD hh:mm:ss.mmm`` (or ``YYYY-MM-DD ...``)."""
    if text.isdigit():
        return int(text), None
    m = re.match(r"(?:(\d{4})-)?(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?", text)
    if not m:
        return None, None
    year = int(m.group(1)) if m.group(1) else time.gmtime(inv.device.clock.wall_ms() / 1000).tm_year
    ms_text = (m.group(7) or "0").ljust(3, "0")
    import calendar

    epoch = calendar.timegm(
        (
            year,
            int(m.group(2)),
            int(m.group(3)),
            int(m.group(4)),
            int(m.group(5)),
            int(m.group(6)),
            0,
            0,
            0,
        )
    )
    return None, epoch * 1000 + int(ms_text)


@command("logcat")
async def logcat(inv: Invocation) -> int:
    args = list(inv.args)
    dump = False
    fmt = "threadtime"
    year = False
    specs: list[str] = []
    silence = False
    tail_count: int | None = None
    since_ms: int | None = None
    buffers: set[str] = set()
    regex = None
    it = iter(args)
    for a in it:
        if a == "-d":
            dump = True
        elif a in ("-c", "--clear"):
            inv.device.log.clear()
            return 0
        elif a in ("-v", "--format"):
            value = next(it, "threadtime")
            if value == "year":
                year = True
            elif value in _FORMATS and value not in (
                "color",
                "epoch",
                "monotonic",
                "uid",
                "usec",
                "UTC",
                "zone",
                "printable",
                "descriptive",
                "nsec",
            ):
                fmt = value
        elif a.startswith("-v") and len(a) > 2:
            fmt = a[2:]
        elif a == "-s":
            silence = True
        elif a == "-t":
            tail_count = int(next(it, "0"))
            dump = True
        elif a == "-T":
            tail_count, since_ms = _parse_since(next(it, "0"), inv)
        elif a in ("-b", "--buffer"):
            buffers.update(next(it, "main").split(","))
        elif a in ("-e", "--regex"):
            regex = re.compile(next(it, ""))
        elif a in ("-B", "--binary", "-S", "--statistics", "-g", "--buffer-size"):
            if a in ("-g", "--buffer-size"):
                inv.outln(
                    "main: ring buffer is 256 KiB (254 KiB consumed), max entry is "
                    "5120 B, max payload is 4068 B"
                )
            return 0
        elif a.startswith("-"):
            continue
        else:
            specs.append(a)
    filt = _Filter(specs, silence)
    wanted_buffers = buffers or {"main", "system", "crash"}
    if "all" in wanted_buffers:
        wanted_buffers = {"main", "system", "crash", "events", "radio"}
    log = inv.device.log

    def ok(e: LogEntry) -> bool:
        return (
            e.buffer in wanted_buffers
            and filt.accepts(e)
            and (regex is None or regex.search(e.message) is not None)
            and (since_ms is None or e.wall_ms >= since_ms)
        )

    entries = [e for e in log.entries if ok(e)]
    if tail_count is not None:
        entries = entries[-tail_count:] if tail_count else []
    printed_header: set[str] = set()

    def emit(e: LogEntry) -> None:
        if e.buffer not in printed_header:
            printed_header.add(e.buffer)
            inv.outln(f"--------- beginning of {e.buffer}")
        inv.out(format_entry(e, fmt, year))

    for e in entries:
        emit(e)
    if dump:
        return 0
    last = log.last_seq
    while True:
        await inv.stdout.drain()
        await log.wait_for_new(timeout_s=1.0)
        for e in log.since(last):
            if ok(e):
                emit(e)
        last = log.last_seq


@command("log")
async def log_(inv: Invocation) -> int:
    """``log [-p PRIORITY] [-t TAG] MESSAGE``: write to the main log (system/core/logcat/log)."""
    priority, tag = "I", "log"
    words: list[str] = []
    it = iter(inv.args)
    for a in it:
        if a == "-p":
            priority = next(it, "i").upper()[:1]
        elif a == "-t":
            tag = next(it, "log")
        else:
            words.append(a)
    if priority not in LEVELS:
        inv.errln(f"log: invalid priority '{priority}'")
        return 1
    message = " ".join(words) if words else (await inv.read_stdin()).decode(errors="replace")
    inv.device.log.log(priority, tag, message.rstrip("\n"), pid=inv.device.shell_pid())
    return 0
