"""Convert a human-readable battery history into the checkin history form.

Battery Historian was timed on checkin-form histories derived from the public text captures
(batterystats reference, section 3.2: "converted to checkin history form. The conversion is
lossy: step details and OEM keys are dropped, and times are taken as UTC"). This module makes
that conversion, so that the benchmark can time this library on the same kind of input.

The output is what ``BatteryStats.HistoryPrinter.printNextItem`` prints with ``checkin=true``,
preceded by the string pool, as ``dumpsys batterystats -c`` prints them::

    9,hsp,<index>,<uid>,"<tag>"              one per distinct (uid, tag), \\ and " escaped
    9,h,<delta ms>[,<item>]*                 Bl= only when the level changes
    9,h,<delta ms>:RESET:TIME:<epoch ms>     also :TIME:, :START, :SHUTDOWN, :*OVERFLOW*

Long names become the short codes of :mod:`harness.batterystats.history_codes` (the project's
own tables, inverted), long values the short values (``brightness=bright`` -> ``Sb=4``), and
``<uid>:"<tag>"`` values string-pool indexes. What has no short code is dropped and counted:
OEM keys (``current=``, ``ap_temp=``, ``-otg``...) and the step details (``Details: cpu=...``
and ``/proc/stat=...`` lines). The text form prints wall-clock anchors in device-local time
without a zone; they are read as UTC, as the reference's conversion did.

Usage::

    python bench/history_checkin_form.py <text dump> [<output>]
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import pyarrow as pa  # noqa: E402

from harness.batterystats.history_codes import (  # noqa: E402
    BY_CODE,
    EVENT_CODES,
    LONG_TO_CODE,
    TAGGED_CODES,
)
from harness.batterystats.history_text import find_history_block  # noqa: E402
from harness.batterystats.history_tokens import parse_uid_text  # noqa: E402
from harness.batterystats.text import normalize  # noqa: E402

CHECKIN_PREFIX = "9"  # BATTERY_STATS_CHECKIN_VERSION, frozen at 9

# Long value -> short value per code, the inverse of the (short, long) pairs of each Code.
_SHORT_VALUES: dict[str, dict[str, str]] = {
    c.code: {long: short for short, long in c.values} for c in BY_CODE.values() if c.values
}
_EVENTS = frozenset(c.code for c in EVENT_CODES)
# Events AOSP cannot name print as "event<n>" in text and "Ev<n>" in checkin.
_UNNAMED_EVENT = re.compile(r"event(\d+)")
_STATE_WORD = re.compile(r"[0-9a-f]{8}(?: |$)")
_DURATION_PART = re.compile(r"(\d+)(ms|[dhms])?")
_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1, "": 1}
_DETAIL_PREFIXES = ("Details:", "/proc/stat=", ", SubsystemPowerState")
_CLOCK_FORMAT = "%Y-%m-%d-%H-%M-%S"


@dataclass
class Conversion:
    """The checkin text and an account of what the conversion left out."""

    text: str
    records: int = 0
    pool_size: int = 0
    # Long names without a short code (OEM keys), by name: the tokens were dropped.
    dropped_keys: Counter[str] = field(default_factory=Counter)
    # "Details: cpu=" / "/proc/stat=" lines: the checkin form would print Dcpu= / Dpst=, but
    # the text form does not carry all their fields, and the reference dropped them too.
    dropped_details: int = 0
    # "name=value" kept as printed because no short value is known (vendor values such as
    # phone_signal_strength=fully); both forms then parse to the same value.
    unmapped_values: Counter[str] = field(default_factory=Counter)
    # Command records that could not be read (kept as empty records so counts still agree).
    unreadable_commands: int = 0
    # Tagged tokens whose UID text could not be read; their pool entry gets UID -1.
    unreadable_uids: int = 0

    @property
    def dropped_tokens(self) -> int:
        return sum(self.dropped_keys.values())


def to_checkin_history(text: str) -> str:
    """The history of a text dump (``dumpsys batterystats [--history]``) in checkin form."""
    return convert(text).text


def convert(text: str | bytes) -> Conversion:
    """:func:`to_checkin_history` with the counts of what was dropped."""
    block = find_history_block(normalize(text)) or ""
    return _Converter().run(block)


class _Converter:
    def __init__(self) -> None:
        self.pool: dict[tuple[int, str], int] = {}
        self.uids: dict[str, int | None] = {}
        self.out = Conversion("")
        self.last_ms: int | None = None
        self.level: int | None = None  # the printer's oldLevel; None after a reset

    def run(self, block: str) -> Conversion:
        records: list[str] = []
        for line in block.split("\n"):
            rec = self._record(line)
            if rec is not None:
                records.append(rec)
        pool = [_pool_line(i, uid, tag) for (uid, tag), i in self.pool.items()]
        self.out.text = "\n".join(pool + records) + "\n" if records or pool else ""
        self.out.records = len(records)
        self.out.pool_size = len(pool)
        return self.out

    def _record(self, line: str) -> str | None:
        parts = line.lstrip(" ").split(" ", 3)
        if not _is_record(parts):
            if line.strip().startswith(_DETAIL_PREFIXES):
                self.out.dropped_details += 1
            return None
        when, _, head = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        rest = parts[3] if len(parts) > 3 else ""
        elapsed = _duration_ms(when)
        # The printer's first delta is from the history's base time, which the text form's
        # times are relative to; every later one is from the record before.
        delta = elapsed - (self.last_ms if self.last_ms is not None else 0)
        self.last_ms = elapsed
        prefix = f"{CHECKIN_PREFIX},h,{delta}"
        if head.isascii() and head.isdigit() and len(head) <= 9:
            return prefix + "".join("," + item for item in self._items(int(head), rest))
        command = self._command(head, rest)
        if command is None:
            self.out.unreadable_commands += 1
            return prefix
        return f"{prefix}:{command}"

    def _command(self, head: str, rest: str) -> str | None:
        text = f"{head} {rest}".strip()
        for name in ("RESET:TIME:", "TIME:"):
            if text.startswith(name):
                ms = _utc_ms(text[len(name) :])
                if name == "RESET:TIME:":
                    self.level = None  # HistoryPrinter.reset(): the next record prints Bl again
                if ms is None:
                    # Still a reset (or a clock record) for both readers, just with no anchor.
                    self.out.unreadable_commands += 1
                    return name
                return f"{name}{ms}"
        if text == "START":
            self.level = None
            return text
        if text in ("SHUTDOWN", "*OVERFLOW*"):
            return text
        return None

    def _items(self, level: int, rest: str) -> list[str]:
        items: list[str] = []
        if level != self.level:
            self.level = level
            items.append(f"Bl={level}")
        if _STATE_WORD.match(rest):
            rest = rest[9:]  # the --verbose state word; checkin never prints it
        for token, tag in _tokens(rest):
            item = self._item(token, tag)
            if item is not None:
                items.append(item)
        return items

    def _item(self, token: str, tag: str | None) -> str | None:
        sign = token[0] if token[0] in "+-" else ""
        key, eq, value = token[len(sign) :].partition("=")
        code = LONG_TO_CODE.get(key)
        if code is None:
            unnamed = _UNNAMED_EVENT.fullmatch(key)
            if unnamed is None:
                self.out.dropped_keys[key] += 1
                return None
            code = f"Ev{unnamed.group(1)}"
        if not eq:
            return sign + code
        tagged = code in TAGGED_CODES or code.startswith("Ev")
        if tagged:
            if tag is None:
                # A pool index is all checkin can print here; without a tag there is none.
                self.out.unmapped_values[f"{key}={value}"] += 1
                return sign + code
            return f"{sign}{code}={self._pool_index(value, tag)}"
        short = _SHORT_VALUES.get(code)
        if short is not None:
            mapped = short.get(value)
            if mapped is None:
                if not value.lstrip("-").isdigit():
                    self.out.unmapped_values[f"{key}={value}"] += 1
                mapped = value  # the printer's fallback for unknown values is the number
            value = mapped
        return f"{sign}{code}={value}"

    def _pool_index(self, uid_text: str, tag: str) -> int:
        uid = self._uid(uid_text.removesuffix(":"))
        if uid is None:
            self.out.unreadable_uids += 1
            uid = -1
        return self.pool.setdefault((uid, tag), len(self.pool))

    def _uid(self, text: str) -> int | None:
        if text not in self.uids:
            self.uids[text] = parse_uid_text(pa.array([text], pa.string()))[0].as_py()
        return self.uids[text]


def _is_record(parts: list[str]) -> bool:
    """``<time> (<n>) ...``: the shape the text reader takes for a record line."""
    if len(parts) < 2:
        return False
    when, n = parts[0], parts[1]
    return n.startswith("(") and n.endswith(")") and (when == "0" or when[:1] in "+-")


def _tokens(rest: str) -> list[tuple[str, str | None]]:
    """Changes as (token, quoted tag or None), split as the text reader splits them.

    Tags are not escaped in the text form and may contain spaces, so the line is split on
    ``"`` first: even pieces are space-separated tokens, each odd piece is the tag of the last
    token before it (``+job=u0a57:`` + ``com.example/.Job``).
    """
    out: list[tuple[str, str | None]] = []
    for i, piece in enumerate(rest.split('"')):
        if i % 2:
            if out:
                out[-1] = (out[-1][0], piece)
            continue
        out.extend((tok, None) for tok in piece.split(" ") if tok)
    return out


def _duration_ms(when: str) -> int:
    """``TimeUtils.formatDuration`` text (``+1h26m18s315ms``, ``0``, ``-2s``) -> ms."""
    total = sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION_PART.findall(when))
    return -total if when.startswith("-") else total


def _utc_ms(stamp: str) -> int | None:
    try:
        when = dt.datetime.strptime(stamp.strip(), _CLOCK_FORMAT)
    except ValueError:
        return None
    return int(when.replace(tzinfo=dt.UTC).timestamp() * 1000)


def _pool_line(index: int, uid: int, tag: str) -> str:
    escaped = tag.replace("\\", "\\\\").replace('"', '\\"')
    return f'{CHECKIN_PREFIX},hsp,{index},{uid},"{escaped}"'


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print(__doc__.split("Usage::")[1].strip(), file=sys.stderr)
        return 2
    conv = convert(Path(args[0]).read_bytes())
    if len(args) == 2:
        Path(args[1]).write_text(conv.text)
    else:
        sys.stdout.write(conv.text)
    print(
        f"{conv.records} records, {conv.pool_size} pool strings, "
        f"{len(conv.text.encode()) / 1e6:.3f} MB; dropped {conv.dropped_tokens} tokens "
        f"({len(conv.dropped_keys)} keys) and {conv.dropped_details} step-detail lines",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
