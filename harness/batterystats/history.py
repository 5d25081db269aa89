"""Battery history as pandas: one event table for both dump forms, and timelines derived from it.

``parse_history`` reads the checkin form (``9,hsp`` / ``9,h`` lines of ``dumpsys batterystats
-c``), the text form (``dumpsys batterystats [--history]``), or finds either inside a bugreport.

Time: ``elapsed_ms`` is the time since the first record. ``time_ms`` is wall-clock epoch ms,
re-anchored at every ``RESET:TIME`` / ``TIME`` record (the clock can be changed while the device
runs) and back-filled from the first anchor; it is missing when the history has no anchor. The
text form prints anchors in the device's local time without a zone; unless ``tz`` is given they
are read as UTC and :attr:`History.time_basis` says ``"device-local"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.bugreport import locate_in_bugreport, looks_like_bugreport
from harness.batterystats.frames import categorical, frame
from harness.batterystats.history_checkin import parse_string_pool, read_checkin_history
from harness.batterystats.history_codes import (
    ALL_CODES,
    BY_CODE,
    CMD_OVERFLOW,
    CMD_RESET,
    CMD_SHUTDOWN,
    CMD_START,
    CMD_TIME,
    DETAILS,
    EVENT,
    MARKER,
    OTHER,
)
from harness.batterystats.history_text import HEADER, find_history_block, read_text_history
from harness.batterystats.history_timelines import (
    EventArrays,
    RecordClock,
    app_intervals,
    battery_timeline,
    doze_intervals,
    state_intervals,
)
from harness.batterystats.history_tokens import (
    RawHistory,
    is_event_code,
    long_enum_values,
    unique_map,
)
from harness.batterystats.redact import redact_name, redact_sync_name
from harness.batterystats.text import ProgressCallback, ProgressReporter, normalize
from harness.errors import ParseError

COMMAND = "dumpsys batterystats"

_VERS_RE = re.compile(r"^\d+,0,i,vers,(\d+)", re.M)
# Text that only a batterystats dump prints, for telling "no history" from "not batterystats".
_TEXT_MARKERS = (
    HEADER,
    "Statistics since last charge:",
    "Per-PID Stats:",
    "Discharge step durations:",
    "Daily stats:",
    "Estimated power use (mAh):",
)


@dataclass
class History:
    """Parsed battery history.

    ``events`` has one row per reported change, in order:

    ============ ==========================================================================
    time_ms      wall-clock epoch ms (Int64, NA without a time anchor)
    elapsed_ms   ms since the first record (int64)
    record       index of the history record (int64)
    segment      increments at every boot (``START``) and stats reset (``RESET``)
    kind         battery / state / event / wake_reason / marker / details / other
    code         checkin short code (``S``, ``Bl``, ``Ejb``...), raw key for vendor fields
    name         long name (``screen``, ``level``, ``job``...)
    transition   ``start`` / ``stop`` for ``+`` / ``-``, NA otherwise
    uid          UID of events, wakelocks and wake reasons (Int64)
    value        the value: level, state value, or the tag (job, sync, wakelock name)
    ============ ==========================================================================

    The derived timelines (:attr:`battery`, :attr:`states`, :attr:`intervals` and the
    shortcuts :attr:`level`, :attr:`screen`, :attr:`plugged`, :attr:`doze`, :attr:`jobs`,
    :attr:`syncs`, :attr:`alarms`, :attr:`wakelocks`) are built on first access.
    """

    events: pd.DataFrame
    records: pd.DataFrame
    string_pool: pd.DataFrame
    source: str  # "checkin" or "text"
    time_basis: str  # "utc" or "device-local"
    version: int | None = None
    redacted: bool = True
    warnings: list[str] = field(default_factory=list)
    clock: RecordClock | None = field(default=None, repr=False)

    # -- summary -----------------------------------------------------------------------------
    @property
    def record_count(self) -> int:
        return len(self.records)

    @property
    def overflowed(self) -> bool:
        """The ring buffer wrapped: history before the ``*OVERFLOW*`` record is incomplete."""
        return bool((self.events["code"] == "*OVERFLOW*").any())

    @property
    def start_time_ms(self) -> int | None:
        t = self.records["time_ms"].dropna()
        return int(t.iloc[0]) if len(t) else None

    @property
    def end_time_ms(self) -> int | None:
        t = self.records["time_ms"].dropna()
        return int(t.iloc[-1]) if len(t) else None

    @property
    def duration_ms(self) -> int:
        e = self.records["elapsed_ms"]
        return int(e.iloc[-1] - e.iloc[0]) if len(e) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "time_basis": self.time_basis,
            "version": self.version,
            "records": self.record_count,
            "events": len(self.events),
            "start_time_ms": self.start_time_ms,
            "end_time_ms": self.end_time_ms,
            "duration_ms": self.duration_ms,
            "overflowed": self.overflowed,
            "warnings": list(self.warnings),
        }

    # -- derived timelines -------------------------------------------------------------------
    def _clock(self) -> RecordClock:
        if self.clock is None:
            t = self.records["time_ms"]
            self.clock = RecordClock(
                self.records["elapsed_ms"].to_numpy(np.int64),
                t.fillna(0).to_numpy(np.int64),
                t.isna().to_numpy(),
                self.records["segment"].to_numpy(np.int64),
            )
        return self.clock

    @cached_property
    def _arrays(self) -> EventArrays:
        return EventArrays.of(self.events)

    @cached_property
    def battery(self) -> pd.DataFrame:
        """Battery level, status, plug, temperature, voltage and charge over time."""
        return battery_timeline(self._arrays, self._clock())

    @cached_property
    def states(self) -> pd.DataFrame:
        """Intervals of every device state (screen, plugged, Doze, radios, wakelock held...)."""
        return state_intervals(self._arrays, self._clock())

    @cached_property
    def intervals(self) -> pd.DataFrame:
        """Per-UID intervals: jobs, syncs, alarms, wakelocks, top/foreground apps..."""
        return app_intervals(self._arrays, self._clock())

    @property
    def level(self) -> pd.DataFrame:
        return self.battery[["record", "time_ms", "elapsed_ms", "level_pct"]]

    def state(self, name: str) -> pd.DataFrame:
        """Intervals of one state by long name (``"screen"``) or code (``"S"``)."""
        st = self.states
        return st[(st["name"] == name) | (st["code"] == name)].reset_index(drop=True)

    @property
    def screen(self) -> pd.DataFrame:
        return self.state("screen")

    @property
    def plugged(self) -> pd.DataFrame:
        return self.state("plugged")

    @property
    def doze(self) -> pd.DataFrame:
        return doze_intervals(self.states)

    def interval_kind(self, *kinds: str) -> pd.DataFrame:
        iv = self.intervals
        return iv[iv["kind"].isin(kinds)].reset_index(drop=True)

    @property
    def jobs(self) -> pd.DataFrame:
        return self.interval_kind("job")

    @property
    def syncs(self) -> pd.DataFrame:
        return self.interval_kind("sync")

    @property
    def alarms(self) -> pd.DataFrame:
        return self.interval_kind("alarm")

    @property
    def wakelocks(self) -> pd.DataFrame:
        """``wakelock`` rows come from full wakelock history (``Ewl``), ``wakelock_held`` rows
        from the CPU wakelock state, attributed to the wakelock that took it first."""
        return self.interval_kind("wakelock", "wakelock_held")


# -- assembly ------------------------------------------------------------------------------------


def _int_array(arr: pa.Array) -> pd.arrays.IntegerArray:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    values = pc.fill_null(arr, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    mask = arr.is_null().to_numpy(zero_copy_only=False)
    return pd.arrays.IntegerArray(values, mask)


_DETAIL_CODE = "D"
_MARKER_NAMES = {
    "RESET": "reset",
    "TIME": "time",
    "START": "start",
    "SHUTDOWN": "shutdown",
    "*OVERFLOW*": "overflow",
}
_ENUM_CODE_SET = pa.array(sorted(c.code for c in ALL_CODES if c.is_enum), pa.string())


def _kind_of(code: str) -> str:
    known = BY_CODE.get(code)
    if known is not None:
        return known.kind
    if code in _MARKER_NAMES:
        return MARKER
    if code == _DETAIL_CODE:
        return DETAILS
    return EVENT if is_event_code(code) else OTHER


def _name_of(code: str) -> str:
    known = BY_CODE.get(code)
    if known is not None:
        return known.name
    if code in _MARKER_NAMES:
        return _MARKER_NAMES[code]
    return DETAILS if code == _DETAIL_CODE else code


def _derived_category(code_idx: np.ndarray, labels: list[str]) -> pd.Categorical:
    """A category per code, from the code's dictionary instead of per-row string work."""
    cats = list(dict.fromkeys(labels))
    position = {c: i for i, c in enumerate(cats)}
    mapping = np.array([position[x] for x in labels], dtype=np.int64)
    return categorical(mapping[code_idx] if len(labels) else code_idx, cats)


def _transitions(sign: pa.Array) -> pd.Categorical:
    enc = pc.dictionary_encode(sign)
    idx = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = enc.dictionary.to_pylist()
    mapping = np.array([0 if s == "+" else 1 if s == "-" else -1 for s in labels], dtype=np.int64)
    codes = mapping[idx] if len(labels) else idx
    return categorical(codes, ["start", "stop"])


def _long_values(code: pa.Array, value: pa.Array) -> pa.Array:
    """Checkin short values of multi-valued states mapped to long names, only where needed."""
    rows = np.flatnonzero(pc.is_in(code, value_set=_ENUM_CODE_SET).to_numpy(zero_copy_only=False))
    if not len(rows):
        return value
    take = pa.array(rows)
    mapped = long_enum_values(pc.take(code, take), pc.take(value, take))
    # Scatter the mapped values back: index into value ++ mapped.
    idx = np.arange(len(value), dtype=np.int64)
    idx[rows] = len(value) + np.arange(len(rows))
    return pc.take(pa.concat_arrays([value, mapped]), pa.array(idx))


def _redact_tags(code: pa.Array, tag: pa.Array) -> pa.Array:
    """Sync tags lose their account by structure, every other tag its e-mail addresses."""
    is_sync = pc.fill_null(pc.equal(code, "Esy"), False)
    general = unique_map(tag, redact_name)
    if not pc.any(is_sync).as_py():
        return general
    return pc.if_else(is_sync, unique_map(tag, redact_sync_name), general)


def _redact_pool(pool: pa.Table, tokens: pa.Table) -> pa.Table:
    if pool.num_rows == 0:
        return pool
    sync_values = tokens.filter(pc.equal(tokens.column("code"), "Esy")).column("value")
    sync_idx = pc.cast(
        pc.if_else(
            pc.fill_null(pc.match_substring_regex(sync_values, r"^\d{1,9}$"), False),
            sync_values,
            pa.scalar(None, pa.string()),
        ),
        pa.int64(),
    )
    is_sync = pc.is_in(pool.column("index"), value_set=sync_idx.combine_chunks().drop_null())
    strings = pool.column("string").combine_chunks()
    redacted = pc.if_else(
        is_sync, unique_map(strings, redact_sync_name), unique_map(strings, redact_name)
    )
    return pool.set_column(2, "string", redacted)


def _clock_arrays(raw: RawHistory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time_ms, time_missing, segment) per record."""
    n = raw.record_count
    elapsed = raw.elapsed_ms
    anchors = sorted(
        (rec, ms) for rec, (_, ms) in raw.commands.items() if ms is not None and rec < n
    )
    if anchors and n:
        a_rec = np.array([a for a, _ in anchors], dtype=np.int64)
        a_ms = np.array([m for _, m in anchors], dtype=np.int64)
        which = np.maximum(np.searchsorted(a_rec, np.arange(n), side="right") - 1, 0)
        time_ms = a_ms[which] + (elapsed - elapsed[a_rec[which]])
        missing = np.zeros(n, dtype=bool)
    else:
        time_ms = np.zeros(n, dtype=np.int64)
        missing = np.ones(n, dtype=bool)
    boundary = np.zeros(n, dtype=np.int64)
    for rec, (cmd, _) in raw.commands.items():
        if cmd in (CMD_START, CMD_RESET) and rec < n:
            boundary[rec] = 1
    segment = np.cumsum(boundary) - (boundary[0] if n else 0)
    return time_ms, missing, segment


def assemble(raw: RawHistory, *, redact: bool = True) -> History:
    """Turn a reader's :class:`RawHistory` into the public :class:`History`."""
    n = raw.record_count
    time_ms, missing, segment = _clock_arrays(raw)
    tokens = raw.tokens
    pool = raw.string_pool
    if redact:
        if pool is not None:
            pool = _redact_pool(pool, tokens)
        tag = tokens.column("tag").combine_chunks()
        if tag.null_count < len(tag):
            tokens = tokens.set_column(
                5, "tag", _redact_tags(tokens.column("code").combine_chunks(), tag)
            )

    value = pc.coalesce(
        tokens.column("tag").combine_chunks(),
        _long_values(
            tokens.column("code").combine_chunks(), tokens.column("value").combine_chunks()
        ),
    )
    cmd_recs = sorted(r for r in raw.commands if r < n)
    marker_part = pa.table(
        {
            "rec": pa.array(cmd_recs, pa.int64()),
            "sign": pa.array([""] * len(cmd_recs), pa.string()),
            "code": pa.array([_MARKER_CODES[raw.commands[r][0]] for r in cmd_recs], pa.string()),
            "uid": pa.nulls(len(cmd_recs), pa.int64()),
            "value": pa.array(
                [None if raw.commands[r][1] is None else str(raw.commands[r][1]) for r in cmd_recs],
                pa.string(),
            ),
        }
    )
    token_part = pa.table(
        {
            "rec": tokens.column("rec"),
            "sign": tokens.column("sign"),
            "code": tokens.column("code"),
            "uid": tokens.column("uid"),
            "value": value,
        }
    )
    det = raw.details
    detail_part = pa.table(
        {
            "rec": det.column("rec"),
            "sign": pa.array([""] * det.num_rows, pa.string()),
            "code": pa.array([_DETAIL_CODE] * det.num_rows, pa.string()),
            "uid": pa.nulls(det.num_rows, pa.int64()),
            "value": det.column("text"),
        }
    )
    table = pa.concat_tables([marker_part, token_part, detail_part]).combine_chunks()
    rec = table.column("rec").to_numpy().astype(np.int64)
    # Markers come first in their record, then tokens in print order, then step details.
    order = np.argsort(rec, kind="stable")
    rec = rec[order]
    keep = order[rec < n] if n else order[:0]
    if len(keep) != len(order) or not np.array_equal(order, np.arange(len(order))):
        table = table.take(pa.array(keep))
        rec = rec[rec < n] if n else rec[:0]
    code_enc = pc.dictionary_encode(table.column("code").combine_chunks())
    code_idx = code_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    codes = code_enc.dictionary.to_pylist()
    events = frame(
        {
            "time_ms": pd.arrays.IntegerArray(time_ms[rec], missing[rec]),
            "elapsed_ms": raw.elapsed_ms[rec],
            "record": rec,
            "segment": segment[rec],
            "kind": _derived_category(code_idx, [_kind_of(c) for c in codes]),
            "code": categorical(code_idx, codes),
            "name": _derived_category(code_idx, [_name_of(c) for c in codes]),
            "transition": _transitions(table.column("sign").combine_chunks()),
            "uid": _int_array(table.column("uid")),
            "value": table.column("value").to_pandas(),
        }
    )
    records = frame(
        {
            "record": np.arange(n, dtype=np.int64),
            "time_ms": pd.arrays.IntegerArray(time_ms.astype(np.int64), missing),
            "elapsed_ms": raw.elapsed_ms,
            "segment": segment,
        }
    )
    if pool is not None:
        string_pool = frame(
            {
                "index": pool.column("index").to_numpy(),
                "uid": pool.column("uid").to_numpy(),
                "string": pool.column("string").to_pandas(),
            }
        )
    else:
        string_pool = pd.DataFrame(
            {
                "index": pd.Series(dtype="int64"),
                "uid": pd.Series(dtype="int64"),
                "string": pd.Series(dtype="str"),
            }
        )
    return History(
        events=events,
        records=records,
        string_pool=string_pool,
        source=raw.source,
        time_basis="device-local" if raw.local_time else "utc",
        version=raw.version,
        redacted=redact,
        warnings=list(raw.warnings),
        clock=RecordClock(raw.elapsed_ms, time_ms.astype(np.int64), missing, segment),
    )


_MARKER_CODES = {
    CMD_RESET: "RESET",
    CMD_TIME: "TIME",
    CMD_START: "START",
    CMD_SHUTDOWN: "SHUTDOWN",
    CMD_OVERFLOW: "*OVERFLOW*",
}


# -- entry points --------------------------------------------------------------------------------


def split_checkin_lines(text: str) -> tuple[pa.Array, pa.Array, pa.Array]:
    """All lines of a checkin dump as Arrow, with masks of history and string-pool lines."""
    lines = pc.split_pattern(pa.array([text], pa.string()), "\n").flatten()
    is_h = pc.starts_with(lines, "9,h,")
    is_hsp = pc.starts_with(lines, "9,hsp,")
    if not pc.any(pc.starts_with(lines, "9,")).as_py():
        # Pre-Lollipop dumps start lines with 8 or 7 instead of 9.
        is_h = pc.match_substring_regex(lines, r"^\d+,h,")
        is_hsp = pc.match_substring_regex(lines, r"^\d+,hsp,")
    return lines, is_h, is_hsp


def history_from_checkin_lines(
    lines: pa.Array,
    is_h: pa.Array,
    is_hsp: pa.Array,
    *,
    version: int | None,
    redact: bool,
    progress: ProgressReporter | None = None,
) -> History:
    pool = parse_string_pool(lines.filter(is_hsp).to_pylist())
    raw = read_checkin_history(lines.filter(is_h), pool, version=version, progress=progress)
    return assemble(raw, redact=redact)


def has_checkin_history(text: str) -> bool:
    return text.startswith(("9,h,", "9,hsp,")) or "\n9,h," in text or "\n9,hsp," in text


def parse_history(
    data: str | bytes,
    *,
    redact: bool = True,
    tz: str | None = None,
    progress: ProgressCallback | None = None,
) -> History:
    """Parse battery history from a checkin dump, a text dump or a bugreport.

    ``redact`` replaces account names and e-mail addresses in tags (see
    :mod:`harness.batterystats.redact`). ``tz`` (an IANA zone such as ``"Europe/Berlin"``)
    converts the text form's local clock to UTC. ``progress(done, total)`` is called with byte
    counts while parsing. Raises :class:`~harness.errors.ParseError` only when the input is not
    batterystats output at all; a dump without history gives an empty :class:`History`.
    """
    reporter = ProgressReporter(progress, len(data))
    if looks_like_bugreport(data):
        sections = locate_in_bugreport(data)
        reporter.fraction(0.05)
        # The checkin form has millisecond epoch anchors and UIDs, so it is preferred.
        if sections.checkin is not None and has_checkin_history(sections.checkin.text):
            sub = reporter.scoped(
                sections.checkin.start, sections.checkin.end - sections.checkin.start
            )
            history = _parse_checkin_text(sections.checkin.text, redact, sub)
        elif sections.dumpsys is not None:
            sub = reporter.scoped(
                sections.dumpsys.start, sections.dumpsys.end - sections.dumpsys.start
            )
            history = _parse_text(sections.dumpsys.text, redact, tz, sub)
        else:
            history = _parse_checkin_text(sections.checkin.text, redact, reporter)  # type: ignore[union-attr]
        reporter.finish()
        return history
    text = normalize(data)
    if HEADER in text:
        # Only the text form prints this header; checked first as it is found at once.
        history = _parse_text(text, redact, tz, reporter)
    elif has_checkin_history(text):
        history = _parse_checkin_text(text, redact, reporter)
    elif looks_like_text_dump(text):
        history = _parse_text(text, redact, tz, reporter)
    elif _VERS_RE.search(text):
        history = _parse_checkin_text(text, redact, reporter)
    else:
        first = next((ln for ln in text.split("\n", 50) if ln.strip()), "")
        raise ParseError(COMMAND, "no battery history or batterystats dump found", 1, first)
    reporter.finish()
    return history


_TEXT_RECORD = re.compile(r"^\s+(?:0|[+-]\S+) \(\d+\) (?:\d{1,3}\b|RESET:TIME:|TIME:|START)", re.M)


def looks_like_text_dump(text: str) -> bool:
    """Text that only ``dumpsys batterystats`` prints (with or without a history)."""
    return any(marker in text for marker in _TEXT_MARKERS) or (
        _TEXT_RECORD.search(text, 0, 200_000) is not None
    )


def _parse_checkin_text(text: str, redact: bool, reporter: ProgressReporter) -> History:
    m = _VERS_RE.search(text)
    version = int(m.group(1)) if m else None
    lines, is_h, is_hsp = split_checkin_lines(text)
    return history_from_checkin_lines(
        lines, is_h, is_hsp, version=version, redact=redact, progress=reporter
    )


def _parse_text(text: str, redact: bool, tz: str | None, reporter: ProgressReporter) -> History:
    block = find_history_block(text) or ""
    # Progress counts bytes of the whole input; the history block is one stretch of it.
    offset = max(text.find(block[:200]), 0) if block else 0
    sub = reporter.scoped(offset, len(block))
    raw = read_text_history(block, tz=tz, progress=sub)
    return assemble(raw, redact=redact)
