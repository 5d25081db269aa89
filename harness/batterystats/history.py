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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.bugreport import locate_in_bugreport, looks_like_bugreport
from harness.batterystats.frames import categorical, frame, text_array
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
from harness.batterystats.redact import MAY_REDACT, redact_name, redact_sync_name
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


_DETAIL_CODE = "D"
_MARKER_NAMES = {
    "RESET": "reset",
    "TIME": "time",
    "START": "start",
    "SHUTDOWN": "shutdown",
    "*OVERFLOW*": "overflow",
}
_ENUM_CODES = frozenset(c.code for c in ALL_CODES if c.is_enum)


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


def _transition_codes(sign: pa.Array) -> np.ndarray:
    """0 for ``+`` (start), 1 for ``-`` (stop), -1 otherwise (``""`` or null).

    Read off the string buffers (a sign is one byte or none) rather than hashed as strings."""
    n = len(sign)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if pa.types.is_large_string(sign.type):
        sign = sign.cast(pa.string())
    _, offsets_buf, data_buf = sign.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[sign.offset : sign.offset + n + 1]
    data = np.zeros(0, np.uint8) if data_buf is None else np.frombuffer(data_buf, dtype=np.uint8)
    one = (offsets[1:] - offsets[:-1]) == 1
    first = np.zeros(n, dtype=np.uint8)
    first[one] = data[offsets[:-1][one]]
    out = np.where(first == _PLUS, 0, np.where(first == _MINUS, 1, -1)).astype(np.int64)
    if sign.null_count:
        out[sign.is_null().to_numpy(zero_copy_only=False)] = -1
    return out


_PLUS, _MINUS = ord("+"), ord("-")


def _long_values(code_enc: pa.DictionaryArray, value: pa.Array) -> pa.Array:
    """Checkin short values of multi-valued states mapped to long names, only where needed.

    ``code_enc`` is the dictionary-encoded code column: enum codes are picked per code."""
    is_enum = np.array(
        [c in _ENUM_CODES for c in code_enc.dictionary.to_pylist()] + [False], dtype=bool
    )
    idx = pc.fill_null(code_enc.indices, len(is_enum) - 1).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(is_enum[idx])
    if not len(rows):
        return value
    take = pa.array(rows)
    mapped = long_enum_values(pc.take(code_enc, take).cast(pa.string()), pc.take(value, take))
    # Scatter the mapped values back: index into value ++ mapped.
    out = np.arange(len(value), dtype=np.int64)
    out[rows] = len(value) + np.arange(len(rows))
    return pc.take(pa.concat_arrays([value, mapped]), pa.array(out))


def _numpy_int(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An int64 column without nulls as numpy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _first_seen(ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids (in ``range(size)``) renumbered by first appearance, and the original id of each
    new number."""
    n = len(ids)
    first = np.full(size, n, dtype=np.int64)
    # Fancy assignment keeps the last write: written back to front, that is the first index.
    first[ids[::-1]] = np.arange(n - 1, -1, -1, dtype=np.int64)
    seen = np.flatnonzero(first < n)
    by_first = seen[np.argsort(first[seen], kind="stable")]
    rank = np.zeros(size, dtype=np.int64)
    rank[by_first] = np.arange(len(by_first))
    return rank[ids], by_first


def _redact_tags(code: pa.Array, tag: pa.Array) -> pa.Array:
    """Sync tags lose their account by structure, every other tag its e-mail addresses.

    Each distinct tag is redacted once (both ways when there are sync tags) and the results are
    gathered with one take: ``general + sync`` indexed by tag index, offset for sync rows.
    """
    enc = pc.dictionary_encode(tag)
    src = enc.dictionary.to_pylist()
    general = _redacted(src, redact_name)
    is_sync = pc.fill_null(pc.equal(code, "Esy"), False)
    sync = _redacted(src, redact_sync_name) if pc.any(is_sync).as_py() else None
    if general == src and (sync is None or sync == src):
        return tag
    if sync is None or sync == general:
        return pa.array(general, pa.string()).take(enc.indices)
    offset = pc.if_else(is_sync, pa.scalar(len(src), pa.int32()), pa.scalar(0, pa.int32()))
    return pa.array(general + sync, pa.string()).take(pc.add(enc.indices, offset))


def _redacted(values: list[str], fn: Callable[[str], str]) -> list[str]:
    may = MAY_REDACT[fn]
    return [fn(s) if may(s) else s for s in values]


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

    tok_code = tokens.column("code").combine_chunks()
    code_enc = pc.dictionary_encode(tok_code)
    tok_value = pc.coalesce(
        tokens.column("tag").combine_chunks(),
        _long_values(code_enc, tokens.column("value").combine_chunks()),
    )
    # Markers, tokens and step details are merged by record as numpy arrays: only the value
    # text is gathered by Arrow; codes, signs and UIDs are small integers here.
    cmd_recs = sorted(r for r in raw.commands if r < n)
    det = raw.details
    n_cmd, n_det = len(cmd_recs), det.num_rows
    rec_all = np.concatenate(
        [
            np.array(cmd_recs, dtype=np.int64),
            _numpy_int(tokens.column("rec")),
            _numpy_int(det.column("rec")),
        ]
    )
    # Markers come first in their record, then tokens in print order, then step details.
    order = np.argsort(rec_all, kind="stable")
    keep = order[rec_all[order] < n] if n else order[:0]
    rec = rec_all[keep]
    identity = len(keep) == len(rec_all) and bool((keep == np.arange(len(keep))).all())

    # Codes: one id per distinct code string over all three parts, then numbered by first
    # appearance in event order (what dictionary_encode of the merged column gives).
    union: dict[str, int] = {}
    tok_ids = np.array(
        [union.setdefault(c, len(union)) for c in code_enc.dictionary.to_pylist()],
        dtype=np.int64,
    )
    tok_idx = code_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    cmd_codes = [_MARKER_CODES[raw.commands[r][0]] for r in cmd_recs]
    code_all = np.concatenate(
        [
            np.array([union.setdefault(c, len(union)) for c in cmd_codes], dtype=np.int64),
            tok_ids[tok_idx] if len(tok_ids) else tok_idx,
            np.full(n_det, union.setdefault(_DETAIL_CODE, len(union)), dtype=np.int64),
        ]
    )[keep]
    union_names = list(union)
    code_idx, first_ids = _first_seen(code_all, len(union))
    codes = [union_names[i] for i in first_ids]
    kinds = [_kind_of(c) for c in codes]
    names = [_name_of(c) for c in codes]
    transition = np.concatenate(
        [
            np.full(n_cmd, -1, dtype=np.int64),
            _transition_codes(tokens.column("sign").combine_chunks()),
            np.full(n_det, -1, dtype=np.int64),
        ]
    )[keep]
    tok_uid = tokens.column("uid").combine_chunks()
    uid = pd.arrays.IntegerArray(
        np.concatenate(
            [
                np.zeros(n_cmd, dtype=np.int64),
                pc.fill_null(tok_uid, 0).to_numpy(zero_copy_only=False).astype(np.int64),
                np.zeros(n_det, dtype=np.int64),
            ]
        )[keep],
        np.concatenate(
            [
                np.ones(n_cmd, dtype=bool),
                tok_uid.is_null().to_numpy(zero_copy_only=False),
                np.ones(n_det, dtype=bool),
            ]
        )[keep],
    )
    # large_string: what the str column keeps (and the timelines take their values from).
    cmd_value = pa.array(
        [None if raw.commands[r][1] is None else str(raw.commands[r][1]) for r in cmd_recs],
        pa.large_string(),
    )
    value = pa.concat_arrays(
        [
            cmd_value,
            tok_value.cast(pa.large_string()),
            det.column("text").combine_chunks().cast(pa.large_string()),
        ]
    )
    if not identity:
        value = value.take(pa.array(keep))
    events = frame(
        {
            "time_ms": pd.arrays.IntegerArray(time_ms[rec], missing[rec]),
            "elapsed_ms": raw.elapsed_ms[rec],
            "record": rec,
            "segment": segment[rec],
            "kind": _derived_category(code_idx, kinds),
            "code": categorical(code_idx, codes),
            "name": _derived_category(code_idx, names),
            "transition": categorical(transition, ["start", "stop"]),
            "uid": uid,
            "value": text_array(value),
        }
    )
    # What EventArrays.of would read back out of the event table, from the arrays at hand.
    arrays = EventArrays(
        code=code_idx,
        codes=codes,
        names=names,
        kinds=kinds,
        sign=np.where(transition == 0, 1, np.where(transition == 1, -1, 0)).astype(np.int8),
        record=rec,
        uid=uid,
        value=value,
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
                "string": pool.column("string"),
            }
        )
    else:
        string_pool = frame(
            {
                "index": np.zeros(0, dtype=np.int64),
                "uid": np.zeros(0, dtype=np.int64),
                "string": text_array(pa.array([], pa.large_string())),
            }
        )
    history = History(
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
    history.__dict__["_arrays"] = arrays  # the cached_property's slot
    return history


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
