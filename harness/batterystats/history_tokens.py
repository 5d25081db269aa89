"""The intermediate form both history readers produce: records and their tokens, in Arrow.

A history *record* is one line of the dump (one ``HistoryItem``); a *token* is one change that
line reports (``+S``, ``Bl=57``, ``+Ejb=12``). The checkin reader and the text reader each turn
their format into a :class:`RawHistory`; :mod:`harness.batterystats.history` turns that into the
public event table and timelines. Keeping the tokens as Arrow arrays lets every step run as a
vectorised kernel instead of a Python loop per token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.history_codes import TAGGED_CODES, enum_value_table
from harness.batterystats.redact import MAY_REDACT

TOKEN_SCHEMA = pa.schema(
    [
        ("rec", pa.int64()),
        ("sign", pa.string()),  # "+", "-" or ""
        ("code", pa.string()),  # checkin short code (or the raw key when unknown)
        ("value", pa.string()),  # raw value as printed, null when there is none
        ("uid", pa.int64()),  # UID of a tagged token, null otherwise
        ("tag", pa.string()),  # tag string of a tagged token (wakelock, job, sync name...)
    ]
)

DETAIL_SCHEMA = pa.schema([("rec", pa.int64()), ("text", pa.string())])


@dataclass
class RawHistory:
    """What a reader extracted, before time reconstruction and naming."""

    source: str  # "checkin" or "text"
    elapsed_ms: np.ndarray  # int64, one per record, ms since the first record
    # Records that are commands: record index -> (command, wall clock ms or None).
    commands: dict[int, tuple[str, int | None]]
    tokens: pa.Table
    details: pa.Table
    # Text dumps print RESET:TIME / TIME in the device's local time without a zone.
    local_time: bool
    string_pool: pa.Table | None = None
    version: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return len(self.elapsed_ms)


_SIGNS = pa.array(["+", "-"], pa.string())


def list_parts(lists: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(flat values, start offset, length) of a list array, robust to slicing."""
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return pc.list_flatten(lists), starts, lengths


def split_tokens(raw: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """``[+|-]key[=value]`` strings -> (sign, key, value); value is null when there is no ``=``.

    Done with slicing and one split rather than a regex: this runs once per history token.
    """
    first = pc.utf8_slice_codeunits(raw, 0, 1)
    signed = pc.is_in(first, value_set=_SIGNS)
    sign = pc.if_else(signed, first, pa.scalar("", pa.string()))
    body = pc.if_else(signed, pc.utf8_slice_codeunits(raw, 1), raw)
    flat, starts, lengths = list_parts(pc.split_pattern(body, "=", max_splits=1))
    key = pc.take(flat, pa.array(starts))
    has_value = lengths > 1
    value = pc.take(flat, pa.array(np.where(has_value, starts + 1, 0), mask=~has_value))
    return sign, key, value


_ENUM_TABLE = enum_value_table()
_ENUM_KEYS = pa.array(list(_ENUM_TABLE), pa.string())
_ENUM_VALUES = pa.array(list(_ENUM_TABLE.values()), pa.string())


def long_enum_values(code: pa.Array, value: pa.Array) -> pa.Array:
    """Checkin short values (``Pss=4``, ``Bs=d``) -> the long names the text form prints."""
    joined = pc.binary_join_element_wise(code, value, "=")
    idx = pc.index_in(joined, value_set=_ENUM_KEYS)
    return pc.coalesce(pc.take(_ENUM_VALUES, idx), value)


# Event codes newer than this table: "Exx" names, and "Ev<n>" (checkin) / "event<n>" (text) for
# codes AOSP itself cannot name.
_EVENT_CODE_RE = r"^(?:E(?:[a-z]{2}|v\d+)|event\d+)$"


def is_event_code(code: str) -> bool:
    return re.match(_EVENT_CODE_RE, code) is not None


def is_tagged(code: pa.Array) -> pa.Array:
    """Tokens whose value is a string-pool index (events, ``w``, ``wr``)."""
    # Decided once per distinct code: there are a few dozen codes and ~10^5 tokens.
    enc = pc.dictionary_encode(code)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    flags = np.array(
        [
            c is not None and (c in TAGGED_CODES or is_event_code(c))
            for c in enc.dictionary.to_pylist()
        ],
        dtype=bool,
    )
    idx = enc.indices.to_numpy(zero_copy_only=False)
    return pa.array(flags[idx] if len(flags) else np.zeros(len(idx), dtype=bool))


# Bounded digit runs: anything longer is not a UID (and would overflow int64). ASCII digits
# only and a full match, as Arrow's RE2 reads ``\d`` and ``^...$``.
_UID_TEXT_RE = r"^(?:u(?P<user>\d{1,6})(?P<kind>ai|a|i|s)(?P<id>\d{1,9})|(?P<plain>-?\d{1,12}))$"
_UID_TEXT = re.compile(_UID_TEXT_RE.removeprefix("^").removesuffix("$"), re.ASCII)
_UID_BASE = {
    "a": 10_000,  # Process.FIRST_APPLICATION_UID
    "i": 99_000,  # Process.FIRST_ISOLATED_UID
    "ai": 90_000,  # Process.FIRST_APP_ZYGOTE_ISOLATED_UID
    "s": 0,
}


def _uid_of(text: str) -> int | None:
    m = _UID_TEXT.fullmatch(text)
    if m is None:
        return None
    plain = m.group("plain")
    if plain is not None:
        return int(plain)
    return int(m.group("user")) * 100_000 + _UID_BASE[m.group("kind")] + int(m.group("id"))


def parse_uid_text(text: pa.Array) -> pa.Array:
    """Inverse of ``UserHandle.formatUid``: ``1000``, ``u0a152``, ``u10s1000``, ``u0i5``...

    Read once per distinct text with Python's regex: a history names a few dozen UIDs in
    thousands of tokens, and Arrow's regex kernels compile their pattern on every call, which
    alone costs more than parsing the distinct texts.
    """
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    enc = pc.dictionary_encode(text)
    uids = pa.array([_uid_of(s) for s in enc.dictionary.to_pylist()], pa.int64())
    return uids.take(enc.indices)


def unique_map(values: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply a Python string function to each distinct value only (tags repeat a lot)."""
    uniq = pc.unique(values)
    if uniq.null_count:
        uniq = uniq.drop_null()
    if len(uniq) == 0:
        return values
    src = uniq.to_pylist()
    may = MAY_REDACT.get(fn)
    # Only values the function may change are passed to it (see redact.MAY_REDACT).
    dst = [fn(s) for s in src] if may is None else [fn(s) if may(s) else s for s in src]
    if dst == src:
        return values
    idx = pc.index_in(values, value_set=uniq)
    return pc.take(pa.array(dst, pa.string()), idx)
