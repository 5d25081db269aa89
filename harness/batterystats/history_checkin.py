"""Reader for the checkin form of battery history: ``9,hsp,...`` and ``9,h,...`` lines.

Grammar (``BatteryStats.HistoryPrinter.printNextItem`` with ``checkin=true``)::

    9,hsp,<index>,<uid>,"<string>"          string pool, strings escape \\ and \"
    9,h,<delta_ms>[,<token>]*               one record; delta since the previous record
    9,h,<delta_ms>:START | :SHUTDOWN | :*OVERFLOW* | :TIME:<epoch_ms> | :RESET:TIME:<epoch_ms>
    9,h,0,Dcpu=...  9,h,0,Dpst=...          step details of the record before

Tokens are ``+code`` / ``-code`` (state on/off), ``code=value`` (multi-valued state or battery
field) and ``[+|-]Exx=<pool index>`` (events). Event, wakelock (``w``) and wake reason (``wr``)
values are indexes into the string pool, which gives the UID and the tag string.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.history_codes import (
    CMD_OVERFLOW,
    CMD_RESET,
    CMD_SHUTDOWN,
    CMD_START,
    CMD_TIME,
)
from harness.batterystats.history_tokens import (
    DETAIL_SCHEMA,
    TOKEN_SCHEMA,
    RawHistory,
    is_tagged,
    list_parts,
    split_tokens,
)
from harness.batterystats.text import ProgressReporter

# Lines per vectorised batch: large enough to amortise kernel overhead, small enough to report
# progress on multi-megabyte histories and to bound the memory of intermediate arrays.
CHUNK_LINES = 32_768

_ESCAPE = re.compile(r"\\(.)")


def parse_string_pool(hsp_lines: list[str], redact: Callable[[str], str] | None = None) -> pa.Table:
    """``9,hsp,<idx>,<uid>,"<string>"`` lines -> table (index, uid, string).

    The string is the last field and may contain commas, so everything after the fourth comma
    is taken, as Perfetto does. Later definitions of an index win (``NEXT:`` dumps restart it).
    """
    pool: dict[int, tuple[int, str]] = {}
    for line in hsp_lines:
        parts = line.split(",", 4)
        if len(parts) < 5:
            continue
        try:
            idx = int(parts[2])
            uid = int(parts[3])
        except ValueError:
            continue
        if not (0 <= idx < 2**31 and abs(uid) < 2**62):
            continue
        s = parts[4]
        if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
            s = s[1:-1]
        if "\\" in s:
            s = _ESCAPE.sub(r"\1", s)
        if redact is not None:
            s = redact(s)
        pool[idx] = (uid, s)
    keys = sorted(pool)
    return pa.table(
        {
            "index": pa.array(keys, pa.int64()),
            "uid": pa.array([pool[k][0] for k in keys], pa.int64()),
            "string": pa.array([pool[k][1] for k in keys], pa.string()),
        }
    )


def _command(cmd: str) -> tuple[str, int | None] | None:
    if cmd.startswith("RESET:TIME:"):
        return CMD_RESET, _int_or_none(cmd[len("RESET:TIME:") :])
    if cmd.startswith("TIME:"):
        return CMD_TIME, _int_or_none(cmd[len("TIME:") :])
    if cmd == "START":
        return CMD_START, None
    if cmd == "SHUTDOWN":
        return CMD_SHUTDOWN, None
    if cmd == "*OVERFLOW*":
        return CMD_OVERFLOW, None
    return None


def _int_or_none(s: str) -> int | None:
    try:
        value = int(s)
    except ValueError:
        return None
    return value if abs(value) < 2**62 else None  # a corrupted clock is no anchor


class _PoolLookup:
    """Dense index -> (uid, string) arrays for vectorised ``take``."""

    def __init__(self, pool: pa.Table) -> None:
        idx = pool.column("index").to_numpy()
        size = int(idx.max()) + 1 if len(idx) else 0
        if len(idx) and (idx.min() < 0 or size > 10 * len(idx) + 1_000_000):
            keep = (idx >= 0) & (idx < 10 * len(idx) + 1_000_000)
            pool = pool.filter(pa.array(keep))
            idx = idx[keep]
            size = int(idx.max()) + 1 if len(idx) else 0
        present = np.zeros(size, dtype=bool)
        present[idx] = True
        order = np.full(size, 0, dtype=np.int64)
        order[idx] = np.arange(len(idx))
        take = pa.array(order, mask=~present)
        self.size = size
        self.uid = (
            pc.take(pool.column("uid"), take).combine_chunks() if size else pa.array([], pa.int64())
        )
        self.string = (
            pc.take(pool.column("string"), take).combine_chunks()
            if size
            else pa.array([], pa.string())
        )

    def lookup(self, code: pa.Array, value: pa.Array) -> tuple[pa.Array, pa.Array, int]:
        tagged = is_tagged(code)
        digits = pc.fill_null(
            pc.and_(pc.utf8_is_digit(value), pc.less(pc.utf8_length(value), 10)), False
        )
        want = pc.and_(tagged, digits)
        raw_idx = pc.cast(pc.if_else(want, value, pa.scalar(None, pa.string())), pa.int64())
        in_range = pc.fill_null(pc.less(raw_idx, self.size), False)
        idx = pc.if_else(in_range, raw_idx, pa.scalar(None, pa.int64()))
        if self.size:
            uid = pc.take(self.uid, idx)
            tag = pc.take(self.string, idx)
        else:
            uid = pa.nulls(len(code), pa.int64())
            tag = pa.nulls(len(code), pa.string())
        missing = pc.and_(want, pc.is_null(tag))
        n_missing = pc.sum(missing).as_py() or 0
        if n_missing:
            # Keep the unresolved index visible instead of dropping the event.
            tag = pc.if_else(missing, pc.binary_join_element_wise("#", value, ""), tag)
        return uid, tag, n_missing


def read_checkin_history(
    h_lines: pa.Array,
    pool: pa.Table,
    *,
    version: int | None = None,
    progress: ProgressReporter | None = None,
) -> RawHistory:
    """``9,h,...`` lines (as an Arrow string array) plus the parsed pool -> :class:`RawHistory`."""
    lookup = _PoolLookup(pool)
    n = len(h_lines)
    token_batches: list[pa.Table] = []
    detail_batches: list[pa.Table] = []
    deltas: list[np.ndarray] = []
    commands: dict[int, tuple[str, int | None]] = {}
    warnings: list[str] = []
    rec_offset = 0
    missing_pool = 0
    for start in range(0, max(n, 1), CHUNK_LINES):
        chunk = h_lines.slice(start, CHUNK_LINES)
        if len(chunk) == 0:
            break
        if pc.all(pc.starts_with(chunk, "9,h,")).as_py():
            body = pc.utf8_slice_codeunits(chunk, 4)
        else:
            body = pc.replace_substring_regex(chunk, r"^\d+,h,", "", max_replacements=1)
        # AOSP prints step details as "9,h,0,Dcpu=..." and "9,h,0,Dpst=...".
        is_detail = pc.or_(pc.starts_with(body, "0,Dcpu="), pc.starts_with(body, "0,Dpst="))
        detail_np = is_detail.to_numpy(zero_copy_only=False)
        recs = body.filter(pc.invert(is_detail))
        rec_count = len(recs)

        flat_parts, starts, lengths = list_parts(pc.split_pattern(recs, ","))
        first = pc.take(flat_parts, pa.array(starts))
        # "<delta>" or "<delta>:<command>"
        head_flat, head_starts, head_lengths = list_parts(
            pc.split_pattern(first, ":", max_splits=1)
        )
        delta_text = pc.take(head_flat, pa.array(head_starts))
        try:
            delta_np = pc.cast(delta_text, pa.int64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ok = pc.match_substring_regex(delta_text, r"^-?\d{1,18}$")
            bad = len(delta_text) - (pc.sum(ok).as_py() or 0)
            warnings.append(f"{bad} history lines without a time delta")
            delta_np = pc.fill_null(
                pc.cast(pc.if_else(ok, delta_text, pa.scalar(None, pa.string())), pa.int64()), 0
            ).to_numpy(zero_copy_only=False)
        deltas.append(np.asarray(delta_np, dtype=np.int64))

        cmd_rows = np.flatnonzero(head_lengths > 1)
        if len(cmd_rows):
            cmd_text = pc.take(head_flat, pa.array(head_starts[cmd_rows] + 1)).to_pylist()
            for i, c in zip(cmd_rows, cmd_text, strict=True):
                parsed = _command(c)
                if parsed is None:
                    warnings.append(f"unknown history command {c!r}")
                    continue
                commands[rec_offset + int(i)] = parsed

        # Tokens are every field but the first of each record line.
        is_item = np.ones(len(flat_parts), dtype=bool)
        is_item[starts[lengths > 0]] = False
        owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        nonempty = pc.greater(pc.utf8_length(flat_parts), 0).to_numpy(zero_copy_only=False)
        keep = is_item & nonempty
        flat = flat_parts.filter(pa.array(keep))
        tok_rec = pa.array(owner[keep] + rec_offset)
        sign, code, value = split_tokens(flat)
        uid, tag, n_missing = lookup.lookup(code, value)
        missing_pool += n_missing
        token_batches.append(
            pa.Table.from_arrays(
                [pc.cast(tok_rec, pa.int64()), sign, code, value, uid, tag], schema=TOKEN_SCHEMA
            )
        )

        if detail_np.any():
            # A step-details line belongs to the record printed just before it.
            owner = np.cumsum(~detail_np) - 1 + rec_offset
            det_idx = np.flatnonzero(detail_np)
            det_text = pc.replace_substring_regex(
                body.filter(is_detail), r"^-?\d+,", "", max_replacements=1
            )
            detail_batches.append(
                pa.Table.from_arrays(
                    [pa.array(np.maximum(owner[det_idx], 0), pa.int64()), det_text],
                    schema=DETAIL_SCHEMA,
                )
            )
        rec_offset += rec_count
        if progress is not None:
            progress.fraction((start + len(chunk)) / n)

    if missing_pool:
        warnings.append(f"{missing_pool} history tokens name string-pool indexes that are missing")
    elapsed = np.cumsum(np.concatenate(deltas)) if deltas else np.zeros(0, dtype=np.int64)
    return RawHistory(
        source="checkin",
        elapsed_ms=elapsed.astype(np.int64),
        commands=commands,
        tokens=pa.concat_tables(token_batches) if token_batches else TOKEN_SCHEMA.empty_table(),
        details=pa.concat_tables(detail_batches) if detail_batches else DETAIL_SCHEMA.empty_table(),
        local_time=False,
        string_pool=pool,
        version=version,
        warnings=warnings,
    )
