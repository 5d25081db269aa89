"""The flat, typed field table of a checkin dump's aggregate lines, and views on it.

Every aggregate line ``9,<uid>,<cat>,<key>,<fields...>`` is split once, for all sections
together, with a few Arrow kernels over all lines (a numpy pass over the raw bytes was tried and
was slower at every size): rows are grouped by section key (stably, so
the print order inside a section is kept), a leading quoted name (``"name with, commas"``; quotes
inside it are not escaped by AOSP) is one field, and every field also has its number where it
looks like one. Section builders slice this table with numpy instead of parsing text again.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.history_tokens import list_parts

_NUMBER_RE = r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"
# Stands in for a quoted name while splitting; the name itself is kept per row.
NAME_SLOT = "\x00"
CATEGORIES = ("l", "i")


@dataclass
class Fields:
    """All aggregate rows, sorted by section key, and their fields flattened."""

    keys: list[str]  # section key per run, in run order
    runs: dict[str, tuple[int, int]]  # key -> [row start, row end)
    uid: np.ndarray  # int64 per row
    line: np.ndarray  # int64 per row: 0-based line number in the dump
    quoted_name: pa.Array  # per row: the quoted first field, null when unquoted
    row_start: np.ndarray  # int64 per row: offset of its first field in the flat arrays
    row_count: np.ndarray  # int64 per row: number of fields
    text: pa.Array  # flat field text
    num: np.ndarray  # flat float64 value, NaN where the field is not a number
    skipped_categories: dict[str, int]
    junk_lines: int
    # Section views are asked for the same flat arrays by several tables; computed once.
    _flat: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]] = field(
        default_factory=dict, repr=False
    )

    @property
    def row_total(self) -> int:
        return len(self.uid)

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

    @property
    def quoted(self) -> pa.Array:
        return self.quoted_name.is_valid()

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
        cached = self.fields._flat.get((self.start, self.end))
        if cached is None:
            cached = self._flat()
            self.fields._flat[(self.start, self.end)] = cached
        return cached

    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
        a, b = self.field_span
        counts = self.count
        row = np.repeat(np.arange(self.n), counts)
        pos = np.arange(b - a) - np.repeat(self.local_start, counts)
        return row, pos, self.fields.num[a:b], self.fields.text.slice(a, b - a)

    def matrix(self, width: int | None = None) -> np.ndarray:
        """Numbers as a (rows x width) float64 matrix; NaN where missing or not numeric."""
        row, pos, num, _ = self.flat()
        if width is None:
            width = int(self.count.max()) if self.n else 0
        out = np.full((self.n, width), np.nan)
        inside = pos < width
        out[row[inside], pos[inside]] = num[inside]
        return out

    def text_at(self, position: int) -> pa.Array:
        """Field text at ``position`` for every row (null where the row is shorter); position 0
        gives the quoted name where there is one."""
        if self.n == 0:
            return pa.array([], pa.string())
        has = self.count > position
        starts = self.fields.row_start[self.start : self.end] + position
        idx = pa.array(np.where(has, starts, 0), mask=~has)
        out = pc.take(self.fields.text, idx)
        if position == 0:
            out = pc.coalesce(self.quoted_name, out)
        return out


_NUMBER_RE = r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"


def _nth(flat: pa.Array, starts: np.ndarray, lengths: np.ndarray, i: int) -> pa.Array:
    has = lengths > i
    return pc.take(flat, pa.array(np.where(has, starts + i, 0), mask=~has))


def _numbers(text: pa.Array) -> np.ndarray:
    """float64 value of every field that is a number, NaN elsewhere.

    Nearly all fields are plain digit strings and take the fast integer cast; only the rest
    (negatives, mAh decimals, Java's ``1.2E-4``, names) go through the number regex.
    """
    # Up to 18 digits fit an int64; longer ones (a corrupted field) take the float path.
    digits = pc.fill_null(
        pc.and_(pc.utf8_is_digit(text), pc.less_equal(pc.utf8_length(text), 18)), False
    )
    ints = pc.cast(pc.if_else(digits, text, pa.scalar(None, pa.string())), pa.int64())
    out = ints.to_numpy(zero_copy_only=False).astype(np.float64)
    rest_rows = np.flatnonzero(~digits.to_numpy(zero_copy_only=False))
    if len(rest_rows):
        rest = pc.take(text, pa.array(rest_rows))
        is_num = pc.fill_null(pc.match_substring_regex(rest, _NUMBER_RE), False)
        values = pc.cast(pc.if_else(is_num, rest, pa.scalar(None, pa.string())), pa.float64())
        out[rest_rows] = values.to_numpy(zero_copy_only=False)
    return out


def read_fields(lines: pa.Array, line_numbers: np.ndarray) -> Fields:
    """Tokenise aggregate lines (history and string-pool lines already removed).

    ``line_numbers`` are the 0-based line numbers of ``lines`` in the dump. A row is one line;
    lines that do not start with ``<digits>,<uid>,<cat>,<key>`` are counted as junk, rows of
    categories other than ``l`` and ``i`` as skipped.
    """
    flat4, starts4, lengths4 = list_parts(pc.split_pattern(lines, ",", max_splits=4))
    prefix, uid_text, cat, key, rest = (_nth(flat4, starts4, lengths4, i) for i in range(5))
    uid_ok = pc.and_(
        pc.less_equal(pc.utf8_length(uid_text), 18),
        pc.or_(
            pc.utf8_is_digit(uid_text),
            pc.and_(
                pc.starts_with(uid_text, "-"),
                pc.utf8_is_digit(pc.utf8_slice_codeunits(uid_text, 1)),
            ),
        ),
    )
    ok = pc.fill_null(pc.and_(pc.utf8_is_digit(prefix), uid_ok), False).to_numpy(
        zero_copy_only=False
    ) & (lengths4 >= 4)
    nonblank = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0).to_numpy(
        zero_copy_only=False
    )
    junk = int((~ok & nonblank).sum())
    cat_np = pc.fill_null(cat, "").to_numpy(zero_copy_only=False)
    keep = ok & np.isin(cat_np, CATEGORIES)
    skipped: dict[str, int] = {}
    dropped = ok & ~keep
    if dropped.any():
        other, counts = np.unique(cat_np[dropped], return_counts=True)
        skipped = {str(k): int(c) for k, c in zip(other, counts, strict=True)}
    keep_mask = pa.array(keep)
    uid_text, key, rest = (a.filter(keep_mask) for a in (uid_text, key, rest))
    line_numbers = line_numbers[keep]

    key_dict = pc.dictionary_encode(key)
    codes = key_dict.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = key_dict.dictionary.to_pylist()
    # Group rows by the key's first appearance (stable), so print order is kept in a section.
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    take = pa.array(order)
    uid = pc.cast(uid_text.take(take), pa.int64()).to_numpy(zero_copy_only=False)
    rest = rest.take(take)
    line_numbers = line_numbers[order]

    # Quoted names are rare (kwl, wr, jb, sy, pr...): only those rows are split at their last
    # quote. The name ends there: AOSP does not escape quotes inside it, and the numbers after
    # it never contain one.
    quoted_rows = np.flatnonzero(
        pc.fill_null(pc.starts_with(rest, '"'), False).to_numpy(zero_copy_only=False)
    )
    quoted_name = pa.nulls(len(rest), pa.string())
    if len(quoted_rows):
        flat_q, starts_q, lengths_q = list_parts(
            pc.split_pattern(pc.take(rest, pa.array(quoted_rows)), '"', max_splits=1, reverse=True)
        )
        heads = pc.take(flat_q, pa.array(starts_q))
        # An opening quote without a closing one is not a quoted name.
        closed = (lengths_q == 2) & (pc.utf8_length(heads).to_numpy(zero_copy_only=False) > 0)
        rows = quoted_rows[closed]
        head = heads.filter(pa.array(closed))
        tail = pc.take(flat_q, pa.array(starts_q[closed] + 1))
        scatter = np.full(len(rest), -1, dtype=np.int64)
        scatter[rows] = np.arange(len(rows))
        index = pa.array(np.maximum(scatter, 0), mask=scatter < 0)
        quoted_name = pc.take(pc.utf8_slice_codeunits(head, 1), index)
        after = pc.take(pc.binary_join_element_wise(NAME_SLOT, tail, ""), index)
        rest = pc.coalesce(after, rest)
    empty_row = pc.is_null(rest).to_numpy(zero_copy_only=False)
    parts = pc.split_pattern(pc.fill_null(rest, ""), ",")
    row_count = pc.list_value_length(parts).to_numpy(zero_copy_only=False).astype(np.int64)
    text = pc.list_flatten(parts)
    if empty_row.any():
        # A line that ends right after its key has no fields at all.
        drop = np.repeat(empty_row, row_count)
        text = text.filter(pa.array(~drop))
        row_count = np.where(empty_row, 0, row_count)
    row_start = np.zeros(len(row_count), dtype=np.int64)
    if len(row_count) > 1:
        np.cumsum(row_count[:-1], out=row_start[1:])
    num_np = _numbers(text)

    runs: dict[str, tuple[int, int]] = {}
    keys: list[str] = []
    if len(codes):
        bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
        for a, b in itertools.pairwise(bounds):
            k = names[codes[a]]
            runs[k] = (int(a), int(b))
            keys.append(k)
    return Fields(
        keys=keys,
        runs=runs,
        uid=uid.astype(np.int64),
        line=line_numbers.astype(np.int64),
        quoted_name=quoted_name,
        row_start=row_start,
        row_count=row_count,
        text=text,
        num=num_np,
        skipped_categories=skipped,
        junk_lines=junk,
    )
