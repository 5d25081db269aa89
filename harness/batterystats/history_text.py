"""Reader for the human-readable battery history (``dumpsys batterystats [--history]``).

Grammar (``BatteryStats.HistoryPrinter.printNextItem`` with ``checkin=false``)::

    Battery History (2% used, 6860 used of 256KB, 78 strings using 8244):
                        0 (15) RESET:TIME: 2014-06-29-22-23-58
                        0 (2) 100 status=not-charging health=good plug=none +running
                 +2s895ms (4) 100 c4100020 +wake_lock=-1:"screen" +screen brightness=bright
               +1h26m18s315ms (2) 095 +top=u0a280:"com.whatsapp"
                             Details: cpu=5250u+8030s (...)      <- step details, optional
                             /proc/stat=5880 usr, 8390 sys, ...

The time is ``TimeUtils.formatDuration`` of the time since the first record, ``(N)`` is the
number of ints read (ignored), then the 3-digit battery level, an 8-digit hex state word (only
with ``--verbose`` and on Android 5), and the changes. Tags are ``<formatted uid>:"<string>"``;
the string is not escaped and may contain spaces. Everything is mapped onto the checkin short
codes so that both forms share one event model.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.history_codes import (
    CMD_OVERFLOW,
    CMD_RESET,
    CMD_SHUTDOWN,
    CMD_START,
    CMD_TIME,
    LONG_TO_CODE,
)
from harness.batterystats.history_tokens import (
    DETAIL_SCHEMA,
    TOKEN_SCHEMA,
    RawHistory,
    list_parts,
    parse_uid_text,
    split_tokens,
)
from harness.batterystats.text import ProgressReporter

HEADER = "Battery History ("
CHUNK_LINES = 32_768

_STATE_WORD = re.compile(r"^[0-9a-f]{8}(?: |$)")
_DETAIL_PREFIXES = ("Details:", "/proc/stat=", ", SubsystemPowerState")
_CLOCK_FORMAT = "%Y-%m-%d-%H-%M-%S"

_LONG_NAMES = pa.array(list(LONG_TO_CODE), pa.string())
_SHORT_CODES = pa.array(list(LONG_TO_CODE.values()), pa.string())


def find_history_block(text: str) -> str | None:
    """The history lines of a text dump: after the header up to the first blank line.

    Dumps made with ``--history-start`` or cut out of a bigger file may lack the header; then the
    text from its first record-looking line on is used.
    """
    start = text.find(HEADER)
    if start >= 0:
        start = text.find("\n", start)
        if start < 0:
            return ""
        start += 1
    else:
        start = 0
    end = _find_blank_line(text, start)
    # "\n\n" right at the start means an empty history.
    return text[start:] if end < 0 else text[start : end + 1]


def _find_blank_line(text: str, start: int) -> int:
    """``text.find("\n\n", start)``. str.find is slow on this needle (its first character is
    on every line); for ASCII text, where byte and character offsets agree, numpy looks for two
    line ends in a row a chunk at a time (stopping at the first chunk with one), several times
    faster."""
    if len(text) - start < 16_384 or not text.isascii():
        return text.find("\n\n", start)
    buf = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    last = len(buf) - 1
    pos = start
    while pos < last:
        end = min(pos + _BLANK_CHUNK, last)
        pair = buf[pos:end] == _NL
        pair &= buf[pos + 1 : end + 1] == _NL
        i = int(pair.argmax())
        if pair[i]:
            return pos + i
        pos = end
    return -1


_BLANK_CHUNK = 65_536
_NL = ord("\n")
_UNIT_MS = np.zeros(256)
_UNIT_MS[ord("d")] = 86_400_000
_UNIT_MS[ord("h")] = 3_600_000
_UNIT_MS[ord("m")] = 60_000  # "ms" is told apart by the "s" after it
_UNIT_MS[ord("s")] = 1_000


def _durations_ms(t: pa.Array) -> np.ndarray:
    """``formatDuration`` strings (``+1d02h03m04s005ms``, ``0``) -> ms, parsed on raw bytes.

    Each run of digits is a number whose unit is the letter(s) right after it; runs are found
    and evaluated with numpy over the string buffer, with no per-line Python.
    """
    if isinstance(t, pa.ChunkedArray):
        t = t.combine_chunks()
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    t = pc.fill_null(t, "0")
    offsets = np.frombuffer(t.buffers()[1], dtype=np.int32)[t.offset : t.offset + n + 1]
    data = np.frombuffer(t.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = (offsets - offsets[0]).astype(np.int64)
    size = len(data)
    digit = (data - 48) < 10  # uint8 wrap-around makes every non-digit large
    line_first = offsets[:-1][offsets[:-1] < offsets[1:]]
    line_last = offsets[1:][offsets[:-1] < offsets[1:]] - 1
    run_start = digit.copy()
    run_start[1:] &= ~digit[:-1]
    run_start[line_first] = digit[line_first]  # a run never continues from the line before
    run_last = digit.copy()
    run_last[:-1] &= ~digit[1:]
    run_last[line_last] = digit[line_last]
    first = np.flatnonzero(run_start)
    if len(first) == 0:
        return np.zeros(n, dtype=np.int64)
    after = np.flatnonzero(run_last) + 1
    value = np.zeros(len(first), dtype=np.int64)
    for k in range(int((after - first).max())):
        pos = first + k
        inside = pos < after
        value = np.where(inside, value * 10 + data[np.minimum(pos, size - 1)] - 48, value)
    line = np.searchsorted(offsets, first, side="right") - 1
    line_end = offsets[1:][line]
    padded = np.concatenate([data, np.zeros(2, np.uint8)])
    unit = np.where(after >= line_end, 0, padded[after])
    factor = _UNIT_MS[unit]
    factor[(unit == ord("m")) & (padded[after + 1] == ord("s"))] = 1.0
    factor[unit == 0] = 1.0
    total = np.rint(np.bincount(line, weights=value * factor, minlength=n)).astype(np.int64)
    negative = np.zeros(n, dtype=bool)
    nonempty = offsets[:-1] < offsets[1:]
    negative[nonempty] = data[offsets[:-1][nonempty]] == ord("-")
    return np.where(negative, -total, total)


def _clock_ms(stamp: str, tz: ZoneInfo | None) -> int | None:
    try:
        when = dt.datetime.strptime(stamp.strip(), _CLOCK_FORMAT)
    except ValueError:
        return None
    when = when.replace(tzinfo=tz or dt.UTC)
    return int(when.timestamp() * 1000)


def _command(rest: str, tz: ZoneInfo | None) -> tuple[str, int | None] | None:
    if rest.startswith("RESET:TIME:"):
        return CMD_RESET, _clock_ms(rest[len("RESET:TIME:") :], tz)
    if rest.startswith("TIME:"):
        return CMD_TIME, _clock_ms(rest[len("TIME:") :], tz)
    word = rest.strip()
    if word == "START":
        return CMD_START, None
    if word == "SHUTDOWN":
        return CMD_SHUTDOWN, None
    if word == "*OVERFLOW*":
        return CMD_OVERFLOW, None
    return None


def _tokenize(items: pa.Array, rec_ids: np.ndarray) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """Split change lists on spaces outside ``"..."``; attach each quoted string to its token.

    Splitting on ``"`` first gives alternating unquoted / quoted pieces; the unquoted ones are
    split on spaces and each quoted piece belongs to the last token before it
    (``+job=u0a57:`` + ``com.vivo.push/...``).
    """
    pieces = pc.split_pattern(pc.fill_null(items, ""), '"')
    flat = pc.list_flatten(pieces)
    parent = pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False)
    lengths = pc.list_value_length(pieces).to_numpy(zero_copy_only=False)
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    pos = np.arange(len(flat)) - first[parent]
    even = (pos % 2) == 0
    even_ids = np.flatnonzero(even)
    odd_ids = np.flatnonzero(~even)

    toks = pc.split_pattern(flat.filter(pa.array(even)), " ")
    tok_text = pc.list_flatten(toks)
    tok_piece = even_ids[pc.list_parent_indices(toks).to_numpy(zero_copy_only=False)]
    # Non-empty tokens, from the offsets (byte length) rather than a UTF-8 length kernel.
    nonempty = _byte_lengths(tok_text) > 0
    tok_text = tok_text.filter(pa.array(nonempty))
    tok_piece = tok_piece[nonempty]

    tag_src = np.full(len(tok_text), -1, dtype=np.int64)
    if len(odd_ids) and len(tok_piece):
        last = np.flatnonzero(np.r_[tok_piece[1:] != tok_piece[:-1], True])
        last_piece = tok_piece[last]
        target = odd_ids - 1
        where = np.searchsorted(last_piece, target)
        where_c = np.minimum(where, len(last_piece) - 1)
        hit = (where < len(last_piece)) & (last_piece[where_c] == target)
        tag_src[last[where_c[hit]]] = np.flatnonzero(hit)
    # Straight from the pieces (no filtered copy of the quoted ones first).
    no_tag = tag_src < 0
    tag = (
        pc.take(flat, pa.array(odd_ids[np.where(no_tag, 0, tag_src)], mask=no_tag))
        if len(odd_ids)
        else pa.nulls(len(tok_text), pa.string())
    )
    tok_rec = rec_ids[parent[tok_piece]] if len(tok_piece) else np.zeros(0, dtype=np.int64)
    return tok_rec, tok_text, tag


def _byte_lengths(text: pa.Array) -> np.ndarray:
    """Byte length of each string (0 for null) from the offsets buffer."""
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=width)[text.offset : text.offset + n + 1]
    out = offsets[1:] - offsets[:-1]
    if text.null_count:
        out = np.where(text.is_null().to_numpy(zero_copy_only=False), 0, out)
    return out


def read_text_history(
    block: str,
    *,
    tz: str | None = None,
    progress: ProgressReporter | None = None,
) -> RawHistory:
    """The history block of a text dump -> :class:`RawHistory` (see :func:`find_history_block`)."""
    zone = ZoneInfo(tz) if tz else None
    lines = pc.split_pattern(pa.array([block], pa.string()), "\n").flatten()
    n = len(lines)
    elapsed_parts: list[np.ndarray] = []
    level_parts: list[np.ndarray] = []
    token_batches: list[pa.Table] = []
    detail_rows: list[tuple[int, str]] = []
    commands: dict[int, tuple[str, int | None]] = {}
    warnings: list[str] = []
    rec_offset = 0
    verbose: bool | None = None
    for start in range(0, max(n, 1), CHUNK_LINES):
        chunk = lines.slice(start, CHUNK_LINES)
        if len(chunk) == 0:
            break
        # "<time> (<n>) <level or command> <changes>", split on the first three spaces.
        flat, starts, lengths = list_parts(
            pc.split_pattern(pc.utf8_ltrim(chunk, " "), " ", max_splits=3)
        )
        part = [_nth(flat, starts, lengths, i) for i in range(2)]
        is_rec = pc.and_(
            pc.and_(pc.starts_with(part[1], "("), pc.ends_with(part[1], ")")),
            pc.or_(
                pc.equal(part[0], "0"),
                pc.or_(pc.starts_with(part[0], "+"), pc.starts_with(part[0], "-")),
            ),
        )
        is_rec = pc.fill_null(is_rec, False).to_numpy(zero_copy_only=False)
        count = int(is_rec.sum())

        other = np.flatnonzero(~is_rec)
        if len(other):
            owners = np.cumsum(is_rec) - 1 + rec_offset
            for i, text in zip(other, chunk.take(pa.array(other)).to_pylist(), strict=True):
                stripped = (text or "").strip()
                if stripped.startswith(_DETAIL_PREFIXES) and owners[i] >= 0:
                    detail_rows.append((int(owners[i]), stripped))

        # The fields of record lines only, each gathered with one take.
        rec_rows = np.flatnonzero(is_rec)
        when, head, rest = (_nth(flat, starts[rec_rows], lengths[rec_rows], i) for i in (0, 2, 3))
        elapsed_parts.append(_durations_ms(when))
        is_level = pc.fill_null(
            pc.and_(pc.utf8_is_digit(head), pc.less_equal(pc.utf8_length(head), 9)), False
        )
        level_np = pc.fill_null(
            pc.cast(pc.if_else(is_level, head, pa.scalar(None, pa.string())), pa.int64()), -1
        ).to_numpy(zero_copy_only=False)
        level_parts.append(level_np)
        is_item = is_level.to_numpy(zero_copy_only=False)
        items = pc.if_else(is_level, rest, pa.scalar(None, pa.string()))
        if verbose is None:
            verbose = _has_state_word(items)
        if verbose:
            # --verbose (and Android 5) print an 8-digit hex state word before the changes.
            items = pc.utf8_slice_codeunits(items, 9)
            items = pc.if_else(pc.equal(items, ""), pa.scalar(None, pa.string()), items)

        cmd_rows = np.flatnonzero(~is_item)
        if len(cmd_rows):
            cmd_head = head.take(pa.array(cmd_rows)).to_pylist()
            cmd_rest = rest.take(pa.array(cmd_rows)).to_pylist()
            for i, h, r in zip(cmd_rows, cmd_head, cmd_rest, strict=True):
                text = f"{h or ''} {r}" if r is not None else (h or "")
                parsed = _command(text, zone)
                if parsed is None:
                    warnings.append(f"unreadable history record {text!r}")
                else:
                    commands[rec_offset + int(i)] = parsed

        rec_ids = np.arange(rec_offset, rec_offset + count, dtype=np.int64)
        tok_rec, tok_text, tag = _tokenize(items, rec_ids)
        sign, key, value = split_tokens(tok_text)
        code = pc.coalesce(pc.take(_SHORT_CODES, pc.index_in(key, value_set=_LONG_NAMES)), key)
        has_tag = pc.is_valid(tag)
        uid_text = pc.if_else(
            pc.and_(has_tag, pc.fill_null(pc.ends_with(value, ":"), False)),
            pc.utf8_slice_codeunits(value, 0, -1),
            pa.scalar(None, pa.string()),
        )
        uid = parse_uid_text(uid_text)
        value = pc.if_else(has_tag, uid_text, value)
        token_batches.append(
            pa.Table.from_arrays(
                [pa.array(tok_rec, pa.int64()), sign, code, value, uid, tag], schema=TOKEN_SCHEMA
            )
        )
        rec_offset += count
        if progress is not None:
            progress.fraction((start + len(chunk)) / n)

    elapsed = np.concatenate(elapsed_parts) if elapsed_parts else np.zeros(0, dtype=np.int64)
    levels = np.concatenate(level_parts) if level_parts else np.zeros(0, dtype=np.int64)
    tokens = pa.concat_tables(token_batches) if token_batches else TOKEN_SCHEMA.empty_table()
    boundaries = [r for r, (cmd, _) in commands.items() if cmd in (CMD_RESET, CMD_START)]
    tokens = pa.concat_tables([_level_tokens(levels, boundaries), tokens])
    details = (
        pa.table(
            {"rec": [r for r, _ in detail_rows], "text": [t for _, t in detail_rows]},
            schema=DETAIL_SCHEMA,
        )
        if detail_rows
        else DETAIL_SCHEMA.empty_table()
    )
    return RawHistory(
        source="text",
        elapsed_ms=elapsed.astype(np.int64),
        commands=commands,
        tokens=tokens,
        details=details,
        local_time=zone is None,
        warnings=warnings,
    )


def _nth(flat: pa.Array, starts: np.ndarray, lengths: np.ndarray, i: int) -> pa.Array:
    has = lengths > i
    return pc.take(flat, pa.array(np.where(has, starts + i, 0), mask=~has))


def _has_state_word(items: pa.Array) -> bool:
    """Whether records carry the hex state word (decided on the first records)."""
    sample = [s for s in items.slice(0, 64).to_pylist() if s]
    return bool(sample) and all(_STATE_WORD.match(s) for s in sample)


def _level_tokens(levels: np.ndarray, boundaries: list[int]) -> pa.Table:
    """``Bl`` tokens where the level changes, as the checkin form prints them.

    The text form repeats the level on every record; emitting it only on change (and on the
    first record after a reset or boot, where the checkin printer starts over) keeps the event
    table the same for both forms. Command records (level -1) do not break the run.
    """
    rec = np.flatnonzero(levels >= 0)
    if len(rec) == 0:
        return TOKEN_SCHEMA.empty_table()
    lv = levels[rec]
    changed = np.r_[True, lv[1:] != lv[:-1]]
    if boundaries:
        after = np.searchsorted(rec, np.asarray(boundaries), side="right")
        changed[after[after < len(rec)]] = True
    rec = rec[changed]
    lv = lv[changed]
    n = len(rec)
    return pa.Table.from_arrays(
        [
            pa.array(rec, pa.int64()),
            pa.array([""] * n, pa.string()),
            pa.array(["Bl"] * n, pa.string()),
            pc.cast(pa.array(lv), pa.string()),
            pa.nulls(n, pa.int64()),
            pa.nulls(n, pa.string()),
        ],
        schema=TOKEN_SCHEMA,
    )
