"""The flat, typed field table of a checkin dump's aggregate lines, and views on it.

Every line ``9,<uid>,<cat>,<key>,<fields...>`` is split once, for all sections together, by a
few numpy passes over the raw UTF-8 bytes. History and string-pool lines are dropped first (in
a full dump they are most of the bytes). The positions of commas and line ends then give every
field of the dump, and ``bytes.translate`` deleting the separators turns the bytes into a
zero-copy Arrow string array of all fields (each field ends with exactly one separator, so
without them the fields are back to back: field ``i`` ends at its separator's position less
``i``). The first four fields of each line are checked from those; rows are grouped by section
key (stably, so the print order inside a section is kept); a leading quoted name (``"name
with, commas"``; quotes inside it are not escaped by AOSP) ends at the last quote of its line;
and every field also has its number where it looks like one. Section builders slice this table
with numpy instead of parsing text again, and text is only gathered where a table asks for it.

The cost is a fixed number of vectorised passes, whatever the number of sections or lines:
per-line Python and per-section parser calls (one ``read_csv`` per section) both cost more on
the 20-1000 KB aggregates devices print. The large arrays live on Arrow's memory pool
(:func:`~harness.batterystats.frames.pooled`): fresh numpy arrays of a megabyte are paged in by
the kernel on every parse.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.frames import pooled

CATEGORIES = ("l", "i")
_NUMBER_RE = r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"
_COMMA, _NEWLINE, _QUOTE, _MINUS, _ZERO = (ord(c) for c in ',\n"-0')
_EMPTY_TEXT = pa.array([], pa.large_string())


@dataclass
class Fields:
    """All aggregate rows, sorted by section key, and their fields flattened."""

    keys: list[str]  # section key per run, in run order
    runs: dict[str, tuple[int, int]]  # key -> [row start, row end)
    uid: np.ndarray  # int64 per row
    line: np.ndarray  # int64 per row: 0-based line number in the dump
    row_start: np.ndarray  # int64 per row: offset of its first field in the flat arrays
    row_count: np.ndarray  # int64 per row: number of fields
    num: np.ndarray  # flat float64 value, NaN where the field is not a number
    skipped_categories: dict[str, int]
    junk_lines: int
    # Rows that start with a quoted name: their row index and the names (without quotes).
    quoted_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    quoted_names: pa.Array = field(default_factory=lambda: _EMPTY_TEXT, repr=False)
    # Every field of the dump (in text order, prefixes included) and, per flat position, the
    # index of its field there: text is only gathered where a table asks for it.
    source: pa.Array = field(default_factory=lambda: _EMPTY_TEXT, repr=False)
    source_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    # The dump's bytes, and where each of its fields starts and how long it is: short codes
    # (wakelock markers) are recognised from these without gathering text.
    source_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8), repr=False)
    source_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    source_length: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32), repr=False)
    # Section views are asked for the same flat arrays by several tables; computed once.
    _flat: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    @property
    def row_total(self) -> int:
        return len(self.uid)

    @cached_property
    def text(self) -> pa.Array:
        """Flat field text, parallel to :attr:`num`."""
        return self.text_of(self.source_index)

    def codes_of(self, flat_index: np.ndarray, codes: tuple[str, ...]) -> np.ndarray:
        """Per field at these flat positions: the index of its text in ``codes`` (short ASCII
        strings, at most two bytes), -1 when it is none of them."""
        at = self.source_index[flat_index]
        length = self.source_length[at]
        start = self.source_start[at]
        buf = self.source_bytes
        last = len(buf) - 1
        first = buf[np.minimum(start, last)]
        second = buf[np.minimum(start + 1, last)]
        out = np.full(len(at), -1, dtype=np.int64)
        for i, code in enumerate(codes):
            raw = code.encode()
            hit = (length == len(raw)) & (first == raw[0])
            if len(raw) == 2:
                hit &= second == raw[1]
            out[hit] = i
        return out

    def text_of(self, flat_index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        """Text of the fields at these flat positions (null where ``mask``)."""
        if len(flat_index) == 0:
            return _EMPTY_TEXT
        return self.source.take(pa.array(self.source_index[flat_index], mask=mask))

    @cached_property
    def quoted_name(self) -> pa.Array:
        """Per row: the quoted first field, null when unquoted."""
        slot = np.full(self.row_total, -1, dtype=np.int64)
        slot[self.quoted_rows] = np.arange(len(self.quoted_rows))
        return self.quoted_names.take(pa.array(np.maximum(slot, 0), mask=slot < 0))

    @cached_property
    def is_quoted(self) -> np.ndarray:
        out = np.zeros(self.row_total, dtype=bool)
        out[self.quoted_rows] = True
        return out

    def view(self, key: str) -> SectionRows:
        """The rows of ``key``; an empty view when the dump has no such section."""
        start, end = self.runs.get(key, (0, 0))
        return SectionRows(self, key, start, end)


@dataclass
class SectionRows:
    """The rows of one section and their fields."""

    fields: Fields
    key: str
    start: int
    end: int

    @property
    def n(self) -> int:
        return self.end - self.start

    @property
    def uid(self) -> np.ndarray:
        return self.fields.uid[self.start : self.end]

    @property
    def line(self) -> np.ndarray:
        return self.fields.line[self.start : self.end]

    @property
    def count(self) -> np.ndarray:
        return self.fields.row_count[self.start : self.end]

    @property
    def quoted_name(self) -> pa.Array:
        return self.fields.quoted_name.slice(self.start, self.n)

    def quoted_span(self) -> tuple[int, int]:
        """The section's rows among :attr:`Fields.quoted_rows`: [first, last)."""
        rows = self.fields.quoted_rows
        a, b = np.searchsorted(rows, (self.start, self.end)).tolist()
        return a, b

    @property
    def quoted(self) -> pa.Array:
        return pa.array(self.is_quoted)

    @property
    def is_quoted(self) -> np.ndarray:
        return self.fields.is_quoted[self.start : self.end]

    @property
    def field_span(self) -> tuple[int, int]:
        f = self.fields
        if self.n == 0:
            return 0, 0
        first = int(f.row_start[self.start])
        last = int(f.row_start[self.end - 1] + f.row_count[self.end - 1])
        return first, last

    @property
    def local_start(self) -> np.ndarray:
        """Offset of each row's first field within :meth:`flat`."""
        return self.fields.row_start[self.start : self.end] - self.field_span[0]

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
        """(row within section, position, number, text) of every field of the section."""
        row, pos, num = self.flat_numbers()
        a, b = self.field_span
        return row, pos, num, self.fields.text_of(np.arange(a, b))

    def flat_numbers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row within section, position, number) of every field of the section."""
        cached = self.fields._flat.get((self.start, self.end))
        if cached is None:
            a, b = self.field_span
            counts = self.count
            row = np.repeat(np.arange(self.n), counts)
            pos = np.arange(b - a) - np.repeat(self.local_start, counts)
            cached = (row, pos, self.fields.num[a:b])
            self.fields._flat[(self.start, self.end)] = cached
        return cached

    def uniform_width(self) -> int | None:
        """The number of fields when every row has the same, else None."""
        if self.n == 0:
            return None
        counts = self.count
        first = int(counts[0])
        return first if (counts == first).all() else None

    def matrix(self, width: int | None = None, *, copy: bool = True) -> np.ndarray:
        """Numbers as a (rows x width) float64 matrix; NaN where missing or not numeric.

        ``copy=False`` may return a view of the flat numbers, which must not be written to."""
        if width is None:
            width = int(self.count.max()) if self.n else 0
        uniform = self.uniform_width()
        if uniform is not None and uniform >= width:
            # Rows of one length (the usual case) are already a matrix in the flat array.
            a, b = self.field_span
            out = self.fields.num[a:b].reshape(self.n, uniform)[:, :width]
            return out.copy() if copy else out
        row, pos, num = self.flat_numbers()
        out = np.full((self.n, width), np.nan)
        inside = pos < width
        out[row[inside], pos[inside]] = num[inside]
        return out

    def first_row(self, width: int) -> np.ndarray:
        """Numbers of the first row, ``width`` of them (NaN where missing or not numeric)."""
        out = np.full(width, np.nan)
        if self.n:
            f = self.fields
            a = int(f.row_start[self.start])
            k = min(int(f.row_count[self.start]), width)
            out[:k] = f.num[a : a + k]
        return out

    def text_at(self, position: int) -> pa.Array:
        """Field text at ``position`` for every row (null where the row is shorter); position 0
        gives the quoted name where there is one."""
        if self.n == 0:
            return _EMPTY_TEXT
        has = self.count > position
        starts = self.fields.row_start[self.start : self.end] + position
        if has.all():
            out = self.fields.text_of(starts)
        else:
            out = self.fields.text_of(np.where(has, starts, 0), ~has)
        if position == 0:
            a, b = self.quoted_span()
            if b > a:
                names = self.fields.quoted_names.slice(a, b - a).cast(out.type)
                if b - a == self.n:
                    return names
                out = pc.replace_with_mask(out, pa.array(self.is_quoted), names)
        return out

    def row_text(self, i: int) -> list[str | None]:
        """All field texts of row ``i`` as Python strings (the quoted name first, if any)."""
        f = self.fields
        r = self.start + i
        a = int(f.row_start[r])
        out: list[str | None] = f.text_of(np.arange(a, a + int(f.row_count[r]))).to_pylist()
        if out and f.is_quoted[r]:
            out[0] = f.quoted_name[r].as_py()
        return out


# -- tokenising ----------------------------------------------------------------------------------


def _byte_strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The byte ranges [start, end) of ``buf`` as an Arrow string array (one gather)."""
    lengths = ends - starts
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    idx = np.arange(int(offsets[-1])) + np.repeat(starts - offsets[:-1], lengths)
    data = buf[idx]
    return pa.LargeStringArray.from_buffers(len(lengths), pa.py_buffer(offsets), pa.py_buffer(data))


def numbers(
    text: pa.Array, byte_len: np.ndarray, first_byte: np.ndarray, buf: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, digits, negative) of every field: the float64 value where the field is a number
    (NaN elsewhere; a read-only array), whether it is a plain ASCII digit string and whether it
    is ``-`` and one.

    ``byte_len`` and ``first_byte`` describe each field of ``text``, ``start`` is where it is
    in ``buf``. Nearly all fields are plain digit strings and take one cast; ``-1`` ("not
    tracked") is recognised from its bytes, other negative integers take the cast after their
    sign, and only the rest that can start a number (mAh decimals, Java's ``1.2E-4``) go
    through the number regex. Arrow computes the big arrays: its memory pool reuses memory
    from one dump to the next, where fresh numpy arrays of this size cost page faults.
    """
    # ASCII digits only: a Unicode digit would pass utf8_is_digit and then fail the cast.
    digits = pc.ascii_is_decimal(text).to_numpy(zero_copy_only=False)
    # Up to 18 digits are exact in int64; parsed as a double they round just as int64 ->
    # float64 does. Longer ones (a corrupted field) take the regex path like decimals.
    short = digits & (byte_len <= 18)
    # The same strings with the others marked null (no copy), so that one cast reads them all.
    _, offsets, data = text.buffers()
    valid = pa.array(short).buffers()[1]
    masked = type(text).from_buffers(len(text), offsets, data, null_bitmap=valid)
    values = pc.cast(masked, pa.float64())
    # What can start a number: "-", "." or a digit ("/" comes along and fails the regex).
    candidate = np.flatnonzero(~short & ((first_byte - _MINUS).astype(np.uint8) <= 12))
    negative = np.zeros(len(text), dtype=bool)
    # Values the cast did not give: positions and values, put in with one Arrow call.
    fix_at: list[np.ndarray] = []
    fix_to: list[np.ndarray] = []
    if len(candidate):
        minus = first_byte[candidate] == _MINUS
        length = byte_len[candidate]
        second = buf[np.minimum(start[candidate] + 1, len(buf) - 1)]
        done = minus & (length == 2) & (second == _ZERO + 1)
        fix_at.append(candidate[done])
        fix_to.append(np.full(len(fix_at[-1]), -1.0))
        maybe = np.flatnonzero(minus & ~done & (length >= 2) & (length <= 19))
        if len(maybe):
            tail = pc.utf8_slice_codeunits(text.take(pa.array(candidate[maybe])), 1)
            ok = pc.ascii_is_decimal(tail).to_numpy(zero_copy_only=False)
            # Negated as a float so that "-0" stays -0.0, as the float parse gives.
            fix_at.append(candidate[maybe[ok]])
            fix_to.append(-pc.cast(tail.filter(pa.array(ok)), pa.float64()).to_numpy())
            done[maybe[ok]] = True
        negative[candidate[done]] = True
        rest = candidate[~done]
        if len(rest):
            sub = text.take(pa.array(rest))
            is_num = pc.match_substring_regex(sub, _NUMBER_RE)
            parsed = pc.cast(pc.if_else(is_num, sub, pa.scalar(None, sub.type)), pa.float64())
            fix_at.append(rest)
            fix_to.append(parsed.to_numpy(zero_copy_only=False))
    # Nulls come out as NaN, in a new writable array (on Arrow's pool) for the fixes.
    out = values.to_numpy(zero_copy_only=False, writable=True)
    for at, to in zip(fix_at, fix_to, strict=True):
        out[at] = to
    out.flags.writeable = False
    return out, digits, negative


# Pre-Lollipop dumps start their lines with 8 or 7 instead of 9.
_OLD_HISTORY_LINE = re.compile(rb"^\d+,(?:h|hsp),", re.M)


def _may_have_history(buf: np.ndarray) -> bool:
    """Whether ``,h,`` or ``,hsp,`` occurs, which every history line has: found from the few
    ``h`` bytes with numpy, where ``bytes.__contains__`` stops at every comma of the dump
    (3 ms for a 2 MB aggregate)."""
    at = np.flatnonzero(buf[1:-1] == ord("h")) + 1
    if not len(at):
        return False
    at = at[buf[at - 1] == _COMMA]
    last = len(buf) - 1
    after = buf[np.minimum(at + 1, last)]
    if (after == _COMMA).any():
        return True
    sp = at[(after == ord("s")) & (at + 3 <= last)]
    return bool(((buf[sp + 2] == ord("p")) & (buf[sp + 3] == _COMMA)).any())


def _drop_history(data: bytes) -> tuple[bytes, np.ndarray | None, bool]:
    """The dump without its history (``9,h,``) and string-pool (``9,hsp,``) lines, as the
    history reader tells them apart; then the original line number of each line left (None
    when nothing was dropped) and whether anything was. ``data`` ends with a line end.

    Dropped before splitting fields: a full dump's history is most of its bytes.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    if not _may_have_history(buf):
        return data, None, False
    ends = np.flatnonzero(buf == _NEWLINE)
    starts = np.empty(len(ends), dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts

    def at(k: int) -> np.ndarray:
        return buf[np.minimum(starts + k, len(buf) - 1)]

    nine = (length >= 2) & (at(0) == ord("9")) & (at(1) == _COMMA)
    if nine.any():
        h = nine & (length >= 4) & (at(2) == ord("h"))
        history = h & (at(3) == _COMMA)
        history |= h & (length >= 6) & (at(3) == ord("s")) & (at(4) == ord("p")) & (at(5) == _COMMA)
    else:
        history = np.zeros(len(starts), dtype=bool)
        found = [m.start() for m in _OLD_HISTORY_LINE.finditer(data)]
        history[np.searchsorted(starts, found)] = True
    if not history.any():
        return data, None, False
    keep = ~history
    return buf[np.repeat(keep, length + 1)].tobytes(), np.flatnonzero(keep), True


def _prefix_ok(f0: pa.Array, f1: pa.Array) -> np.ndarray:
    """``<digits>,<uid>`` as the Arrow string kernels see it (Unicode digits included)."""
    uid_ok = pc.and_(
        pc.less_equal(pc.utf8_length(f1), 18),
        pc.or_(
            pc.utf8_is_digit(f1),
            pc.and_(pc.starts_with(f1, "-"), pc.utf8_is_digit(pc.utf8_slice_codeunits(f1, 1))),
        ),
    )
    return pc.and_(pc.utf8_is_digit(f0), uid_ok).to_numpy(zero_copy_only=False)


@dataclass
class _Split:
    """Every field of the dump: byte start and length, and the text of all of them."""

    buf: np.ndarray  # the dump's UTF-8 bytes
    seps: np.ndarray  # byte position of each field's separator (comma or line end)
    start: np.ndarray  # byte position of each field
    length: np.ndarray
    first_byte: np.ndarray  # the field's first byte; its separator when it is empty
    text: pa.Array  # one string per field


def _split(data: bytes) -> _Split:
    """Fields of ``data``, which ends with a line end."""
    buf = np.frombuffer(data, dtype=np.uint8)
    is_sep = pooled(len(buf), bool)
    np.equal(buf, _COMMA, out=is_sep)
    newline = pooled(len(buf), bool)
    np.equal(buf, _NEWLINE, out=newline)
    is_sep |= newline
    del newline
    seps = np.flatnonzero(is_sep)
    del is_sep
    n = len(seps)
    # Few arrays, written in place on pooled memory (int32 lengths: a field is shorter than
    # 2 GB).
    start = pooled(n, np.int64)
    start[0] = 0
    np.add(seps[:-1], 1, out=start[1:])
    length = pooled(n, np.int32)
    np.subtract(seps, start, out=length, casting="unsafe")
    # Each field ends with exactly one separator: without the separators the fields are back
    # to back.
    # (large_string: what pandas keeps its str columns in, so that they need no cast.)
    offsets = pooled(n + 1, np.int64)
    offsets[0] = 0
    np.subtract(seps, np.arange(n), out=offsets[1:])  # the end of field i, less i separators
    content = data.translate(None, b",\n")
    all_text = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(content))
    first_byte = pooled(n, np.uint8)
    np.take(buf, start, out=first_byte)
    # The byte at a field's start (its separator when it is empty).
    return _Split(buf, seps, start, length, first_byte, all_text)


def _junk_lines(sp: _Split, first: np.ndarray, last: np.ndarray) -> int:
    """How many of these lines are not blank (whitespace as Arrow trims it)."""
    if not len(first):
        return 0
    lines = _byte_strings(sp.buf, sp.start[first], sp.seps[last])
    return int(pc.sum(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0)).as_py())


def _skipped(sp: _Split, cat_fields: np.ndarray) -> dict[str, int]:
    if not len(cat_fields):
        return {}
    cats = sp.text.take(pa.array(cat_fields)).to_numpy(zero_copy_only=False)
    other_cats, counts = np.unique(cats.astype(str), return_counts=True)
    return {str(k): int(c) for k, c in zip(other_cats, counts, strict=True)}


def _quoted(
    sp: _Split, rest_first: np.ndarray, row_count: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, pa.Array]:
    """Rows whose first field is a quoted name, and the names; moves those rows' first field
    (``rest_first`` and ``row_count`` are updated in place).

    Quoted names are rare (kwl, wr, jb, sy, pr...): the name runs from the quote that opens the
    first field to the last quote of the line. AOSP does not escape quotes inside it, and the
    numbers after it never contain one. The row's first field is then the one holding the
    closing quote: never a number, and its text is replaced by the name.
    """
    has_rest = np.flatnonzero(row_count > 0)
    quoted = has_rest[sp.first_byte[rest_first[has_rest]] == _QUOTE]
    if not len(quoted):
        return np.zeros(0, dtype=np.int64), _EMPTY_TEXT
    open_at = sp.start[rest_first[quoted]]
    line_end = sp.seps[last[quoted]]
    quotes = np.flatnonzero(sp.buf == _QUOTE)
    close_at = quotes[np.searchsorted(quotes, line_end) - 1]
    closed = close_at > open_at
    rows = quoted[closed]
    open_at, close_at = open_at[closed], close_at[closed]
    names = _byte_strings(sp.buf, open_at + 1, close_at)
    holder = np.searchsorted(sp.seps, close_at)
    rest_first[rows] = holder
    row_count[rows] = last[rows] - holder + 1
    return rows, names


def _runs(codes: np.ndarray, names: list[str]) -> dict[str, tuple[int, int]]:
    runs: dict[str, tuple[int, int]] = {}
    if len(codes):
        bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True]).tolist()
        for a, b in itertools.pairwise(bounds):
            runs[names[codes[a]]] = (a, b)
    return runs


def _field_index(
    first: np.ndarray, row_start: np.ndarray, row_count: np.ndarray, total: int
) -> np.ndarray:
    """Per flat position, the index of its field in the dump: each row's fields are a run
    ``first, first + 1, ...``; built as a cumulative sum of steps in one array."""
    out = pooled(total, np.int64)
    out.fill(1)
    used = row_count > 0
    if total:
        at, first, count = row_start[used], first[used], row_count[used]
        out[at[1:]] = first[1:] - (first[:-1] + count[:-1] - 1)
        out[0] = first[0]
        np.cumsum(out, out=out)
    return out


def read_checkin(text: str) -> tuple[Fields, bool]:
    """Tokenise the aggregate lines of a (normalised) checkin dump.

    Returns the fields and whether the dump has history lines, which are left out here. Lines
    that do not start with ``<digits>,<uid>,<cat>,<key>`` are counted as junk, rows of
    categories other than ``l`` and ``i`` as skipped.
    """
    data = text.encode()
    if not data.endswith(b"\n"):
        data += b"\n"
    data, line_numbers, has_history = _drop_history(data)
    sp = _split(data or b"\n")
    num_all, digits, negative = numbers(sp.text, sp.length, sp.first_byte, sp.buf, sp.start)

    line_last = np.flatnonzero(sp.buf[sp.seps] == _NEWLINE)
    line_first = np.empty(len(line_last), dtype=np.int64)
    line_first[0] = 0
    line_first[1:] = line_last[:-1] + 1
    nf = line_last - line_first + 1

    f1 = np.minimum(line_first + 1, line_last)
    f2 = np.minimum(line_first + 2, line_last)
    ok = digits[line_first] & (digits[f1] | negative[f1]) & (sp.length[f1] <= 18) & (nf >= 4)
    recheck = np.flatnonzero(~ok & (nf >= 4))
    if len(recheck):
        # What failed the ASCII test may still pass Arrow's Unicode one, as it always did.
        ok[recheck] = _prefix_ok(
            sp.text.take(pa.array(line_first[recheck])), sp.text.take(pa.array(f1[recheck]))
        )
    cat_byte = sp.first_byte[f2]
    cat_ok = (sp.length[f2] == 1) & ((cat_byte == ord("l")) | (cat_byte == ord("i")))
    suspect = np.flatnonzero(~ok)
    junk = _junk_lines(sp, line_first[suspect], line_last[suspect])
    skipped = _skipped(sp, f2[ok & ~cat_ok])

    rows = np.flatnonzero(ok & cat_ok)
    first = line_first[rows]
    key_dict = sp.text.take(pa.array(first + 3)).dictionary_encode()
    codes = key_dict.indices.to_numpy(zero_copy_only=False)
    if len(key_dict.dictionary) < 256:
        codes = codes.astype(np.uint8)  # numpy's stable sort is a radix sort for these
    # Group rows by the key's first appearance (stable), so print order is kept in a section.
    order = np.argsort(codes, kind="stable")
    codes, rows, first = codes[order], rows[order], first[order]
    uid_at = first + 1
    uid = num_all[uid_at]
    if len(rows) and (sp.length[uid_at].max() > 15 or np.isnan(uid).any()):
        # Beyond 2**53 the float value is not exact (and Unicode digits are cast as before).
        uid = pc.cast(sp.text.take(pa.array(uid_at)), pa.int64()).to_numpy(zero_copy_only=False)
    last = line_last[rows]
    rest_first = first + 4
    row_count = np.maximum(last - rest_first + 1, 0)
    quoted_rows, quoted_names = _quoted(sp, rest_first, row_count, last)

    row_start = np.zeros(len(row_count), dtype=np.int64)
    if len(row_count) > 1:
        np.cumsum(row_count[:-1], out=row_start[1:])
    total = int(row_start[-1] + row_count[-1]) if len(row_count) else 0
    source_index = _field_index(rest_first, row_start, row_count, total)
    runs = _runs(codes, key_dict.dictionary.to_pylist())
    fields = Fields(
        keys=list(runs),
        runs=runs,
        uid=uid.astype(np.int64),
        line=(rows if line_numbers is None else line_numbers[rows]).astype(np.int64, copy=False),
        row_start=row_start,
        row_count=row_count,
        num=np.take(num_all, source_index, out=pooled(total, np.float64)),
        skipped_categories=skipped,
        junk_lines=junk,
        quoted_rows=quoted_rows,
        quoted_names=quoted_names,
        source=sp.text,
        source_index=source_index,
        source_bytes=sp.buf,
        source_start=sp.start,
        source_length=sp.length,
    )
    return fields, has_history
