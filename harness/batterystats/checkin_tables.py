"""Builders of the checkin tables, one function per table, all vectorised.

Each builder reads section rows from :class:`~harness.batterystats.checkin_fields.Fields` and
returns a DataFrame. A missing section gives an empty table with the same columns and dtypes,
because every builder runs on zero rows just as on many.

Column conventions: ``uid`` is the raw kernel UID, ``app_id`` and ``user`` are derived from it;
integers are ``Int64`` (NA where a field is absent in this Android version or means "not
tracked"), decimals ``Float64``, names ``str``, small vocabularies ``category``.

A dump's tables are mostly small, so what they cost is per table and per column rather than
per row: the layouts of each version are compiled once (:func:`_plan`), a table's numbers stay
float64 with NaN until its integer and decimal columns are converted together
(:class:`Columns`), and the frame is assembled from ready arrays (:mod:`frames`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats import checkin_schema as schema
from harness.batterystats.checkin_fields import SectionRows
from harness.batterystats.frames import (
    bool_array,
    categorical,
    empty,
    float_array,
    frame_of,
    int_array,
    text_array,
)
from harness.batterystats.redact import MAY_REDACT, redact_name, redact_sync_name
from harness.batterystats.text import PER_USER_RANGE

if TYPE_CHECKING:
    from harness.batterystats.checkin import CheckinStats

TableBuilder = Callable[["CheckinStats"], pd.DataFrame]
TABLES: dict[str, TableBuilder] = {}


def _table(name: str) -> Callable[[TableBuilder], TableBuilder]:
    def register(fn: TableBuilder) -> TableBuilder:
        TABLES[name] = fn
        return fn

    return register


# -- typed columns ---------------------------------------------------------------------------------

INT, FLOAT, BOOL, TEXT = "int", "float", "bool", "text"
_INT_RANGE = 2.0**63
_EMPTY_TEXT = pa.array([], pa.large_string())


class Columns:
    """The columns of one table, in order.

    Numbers are given as float64 with NaN for missing values; the integer, decimal and boolean
    columns are converted together when the frame is built (one numpy pass per kind for the
    whole table instead of one per column).
    """

    __slots__ = ("arrays", "names", "pending")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.arrays: list[Any] = []
        # kind -> (column slots, float64 rows): single columns or a whole matrix at once
        self.pending: dict[str, list[tuple[list[int], np.ndarray]]] = {INT: [], FLOAT: [], BOOL: []}

    def __len__(self) -> int:
        return len(self.names)

    def _slot(self, name: str) -> int:
        self.names.append(name)
        self.arrays.append(None)
        return len(self.arrays) - 1

    def number(self, name: str, values: np.ndarray, kind: str = INT) -> None:
        self.pending[kind].append(([self._slot(name)], values))

    def numbers(self, names: tuple[str, ...], rows: np.ndarray, kind: str = INT) -> None:
        """Several number columns at once: ``rows`` is (columns x rows), float64."""
        if names:
            self.pending[kind].append(([self._slot(n) for n in names], rows))

    def plain(self, name: str, values: np.ndarray) -> None:
        """An int64 column without NA (UIDs, positions)."""
        self.arrays[self._slot(name)] = np.asarray(values, dtype=np.int64)

    def add(self, name: str, array: Any) -> None:
        """A column that is already a pandas array."""
        self.arrays[self._slot(name)] = array

    def text(self, name: str, values: pa.Array | pa.ChunkedArray) -> None:
        self.arrays[self._slot(name)] = text_array(values)

    def codes(self, name: str, codes: np.ndarray, categories: tuple[str, ...] | list[str]) -> None:
        """A category column from integer codes (-1 = NA): no per-row strings at all."""
        self.arrays[self._slot(name)] = categorical(codes, categories)

    def uid(self, uid: np.ndarray) -> None:
        uid = np.asarray(uid, dtype=np.int64)
        user, app_id = np.divmod(uid, PER_USER_RANGE)
        negative = uid < 0
        if negative.any():  # pseudo-UIDs such as -1 stay as they are
            app_id[negative] = uid[negative]
            user[negative] = 0
        self.plain("uid", uid)
        self.plain("app_id", app_id)
        self.plain("user", user)

    def frame(self, columns: pd.Index | None = None) -> pd.DataFrame:
        """The DataFrame; ``columns`` is the column index when the caller has it cached."""
        for kind, pending in self.pending.items():
            if not pending:
                continue
            if len(pending) == 1 and pending[0][1].ndim == 2:
                slots, values = pending[0]
            else:
                slots = [slot for group, _ in pending for slot in group]
                parts = [v if v.ndim == 2 else v[None, :] for _, v in pending]
                values = np.concatenate(parts, out=empty((len(slots), parts[0].shape[1]), float))
            for slot, array in zip(slots, _convert(kind, values), strict=True):
                self.arrays[slot] = array
        names = tuple(self.names) if columns is None else columns
        # Every builder makes its columns from the same rows.
        return frame_of(names, self.arrays, same_length=True)


def _convert(kind: str, values: np.ndarray) -> list[Any]:
    """Rows of a (columns x rows) float64 matrix as Int64, Float64 or boolean arrays.

    Written in place into few arrays (on Arrow's pool when large, see :func:`frames.empty`):
    at a few hundred thousand values the allocations cost more than the arithmetic."""
    values = values.astype(np.float64, copy=False)
    k = len(values)
    if kind == INT:
        # Out-of-range numbers (a corrupted field) become NA rather than wrap around.
        work = empty(values.shape, np.float64)
        mask = empty(values.shape, bool)
        np.abs(values, out=work)
        np.less(work, _INT_RANGE, out=mask)
        np.logical_not(mask, out=mask)
        np.rint(values, out=work)
        np.copyto(work, 0.0, where=mask)
        ints = empty(values.shape, np.int64)
        np.copyto(ints, work, casting="unsafe")
        return [int_array(ints[j], mask[j]) for j in range(k)]
    mask = np.isnan(values)
    if kind == FLOAT:
        data = np.where(mask, 0.0, values)
        return [float_array(data[j], mask[j]) for j in range(k)]
    truth = values == 1
    return [bool_array(truth[j], mask[j]) for j in range(k)]


def _labels(values: list[str | None], categories: list[str] | tuple[str, ...]) -> pd.Categorical:
    """A category column of Python strings (None = NA) with these categories."""
    index = {c: i for i, c in enumerate(categories)}
    codes = np.fromiter((index.get(v, -1) for v in values), dtype=np.int64, count=len(values))
    return categorical(codes, categories)


# -- redaction -------------------------------------------------------------------------------------


def redact_text(values: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply a Python string function to each distinct value only (names repeat a lot)."""
    if len(values) == 0:
        return values
    uniq = pc.unique(values)
    if uniq.null_count:
        uniq = uniq.drop_null()
    src = uniq.to_pylist()
    may = MAY_REDACT.get(fn)
    if may is not None:
        src = [s for s in src if may(s)]
    changed = [(s, d) for s, d in zip(src, map(fn, src), strict=True) if d != s]
    if not changed:
        return values
    before = pa.array([s for s, _ in changed], values.type)
    after = pa.array([d for _, d in changed], values.type)
    idx = pc.index_in(values, value_set=before)
    return pc.if_else(pc.is_valid(idx), after.take(idx), values)


def _maybe_redact(stats: CheckinStats, values: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    return redact_text(values, fn) if stats.redacted else values


# -- compiled layouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One printed field of a layout: where it is, what column it becomes and how."""

    position: int
    name: str
    kind: str  # INT, FLOAT or TEXT
    unit: str = ""  # "us": microseconds to milliseconds; "na": -1 means NA


def _compile(columns: tuple[str, ...]) -> tuple[Spec, ...]:
    out = []
    for j, spec in enumerate(columns):
        if spec == "-":
            continue
        name, _, tag = spec.partition(":")
        kind = {"f": FLOAT, "s": TEXT}.get(tag, INT)
        out.append(Spec(j, name, kind, tag if tag in ("us", "na") else ""))
    return tuple(out)


def _apply_unit(spec: Spec, values: np.ndarray) -> np.ndarray:
    if spec.unit == "us":
        return values / 1000.0
    if spec.unit == "na":
        return np.where(values == -1, np.nan, values)
    return values


@dataclass(frozen=True)
class Plan:
    """How the sections of one FIELDS table are read in one checkin version."""

    sections: tuple[schema.Section, ...]
    specs: tuple[Spec, ...]
    width: int
    names_first: bool  # the first field is a name (possibly split by commas in old builds)
    constant: tuple[str, tuple[str, ...]] | None  # (column, every value the table can hold)
    controllers: bool
    # The number columns by kind: (index in specs, layout position) of each, and which of them
    # (row in the group) are microseconds or "-1 means NA".
    groups: tuple[
        tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
    ]
    columns: pd.Index = field(compare=False)  # without the controllers' TX levels


def _groups(specs: tuple[Spec, ...]) -> tuple[Any, ...]:
    out = []
    for kind in (INT, FLOAT):
        members = [(i, s) for i, s in enumerate(specs) if s.kind == kind]
        if members:
            out.append(
                (
                    kind,
                    tuple(i for i, _ in members),
                    tuple(s.position for _, s in members),
                    tuple(r for r, (_, s) in enumerate(members) if s.unit == "us"),
                    tuple(r for r, (_, s) in enumerate(members) if s.unit == "na"),
                )
            )
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _plan(table: str, version: int | None) -> Plan:
    sections = tuple(s for s in schema.FIELD_SECTIONS if s.table == table)
    lay = sections[0].layout_for(version)
    columns = lay.columns if lay else ()
    for s in sections[1:]:
        other = s.layout_for(version)
        if (other.columns if other else ()) != columns or s.constants.keys() != (
            sections[0].constants.keys()
        ):
            raise ValueError(f"sections of table {table!r} differ in layout")
    constant = None
    if sections[0].constants:
        (key,) = sections[0].constants
        # Every value the table can hold, so the categories do not depend on the dump.
        constant = (key, tuple(dict.fromkeys(s.constants[key] for s in sections)))
    specs = _compile(columns)
    names = ("uid", "app_id", "user", *(() if constant is None else (constant[0],)))
    return Plan(
        sections=sections,
        specs=specs,
        width=len(columns),
        names_first=bool(columns) and columns[0].endswith(":s"),
        constant=constant,
        controllers=sections[0].key in schema.CONTROLLER_KEYS,
        groups=_groups(specs),
        columns=pd.Index([*names, *(s.name for s in specs)]),
    )


# -- sections with fixed columns -------------------------------------------------------------------


def _realign_names(rows: SectionRows, width: int) -> tuple[np.ndarray | None, dict[int, str]]:
    """Field positions with unquoted names that contained commas merged back into the name.

    Old builds print job and process names without quotes; a comma in such a name splits it
    over several fields. When a row is longer than its layout and the fields after the name are
    not numbers, they belong to the name. Returns the new positions (None when no row changed)
    and the merged names by row.
    """
    counts = rows.count
    long_rows = np.flatnonzero(counts > width)
    if not len(long_rows):
        return None, {}
    _, pos, values = rows.flat_numbers()
    quoted = rows.is_quoted
    first = rows.local_start
    span = rows.field_span[0]
    names: dict[int, str] = {}
    pos = pos.copy()
    for r in long_rows.tolist():
        extra = int(counts[r] - width)
        a = int(first[r])
        if quoted[r] or not np.isnan(values[a + 1 : a + 1 + extra]).all():
            continue
        parts = rows.fields.text_of(np.arange(span + a, span + a + extra + 1)).to_pylist()
        names[r] = ",".join(p or "" for p in parts)
        pos[a + 1 : a + 1 + extra] = -1
        pos[a + 1 + extra : a + int(counts[r])] -= extra
    return (pos if names else None), names


@dataclass
class SectionValues:
    """A FIELDS section read with its layout: numbers as a matrix, names as text."""

    rows: SectionRows
    matrix: np.ndarray  # rows x layout width, float64
    text: dict[int, pa.Array]  # layout position -> text, for the text columns


def section_values(stats: CheckinStats, section: schema.Section, plan: Plan) -> SectionValues:
    rows = stats.rows(section.key)
    width = plan.width
    pos, renamed = (None, {})
    if plan.names_first and rows.n:
        pos, renamed = _realign_names(rows, width)
    if pos is None:
        mat = rows.matrix(width, copy=False)
    else:
        row, _, values = rows.flat_numbers()
        mat = np.full((rows.n, width), np.nan)
        inside = (pos >= 0) & (pos < width)
        mat[row[inside], pos[inside]] = values[inside]
    text: dict[int, pa.Array] = {}
    for spec in plan.specs:
        if spec.kind != TEXT:
            continue
        col = rows.text_at(spec.position)
        if spec.position == 0 and renamed:
            fixed = col.to_pylist()
            for r, name in renamed.items():
                fixed[r] = name
            col = pa.array(fixed, pa.large_string())
        text[spec.position] = col
    return SectionValues(rows, mat, text)


def _concat_text(parts: list[pa.Array]) -> pa.Array:
    if len(parts) == 1:
        return parts[0]
    return pa.concat_arrays([p.cast(pa.large_string()) for p in parts])


def fields_table(
    stats: CheckinStats, table: str, redact: Callable[[str], str] | None = None
) -> pd.DataFrame:
    plan = _plan(table, stats.version)
    present = [s for s in plan.sections if stats.rows(s.key).n] or [plan.sections[0]]
    parts = [section_values(stats, s, plan) for s in present]
    cols = Columns()
    cols.uid(np.concatenate([p.rows.uid for p in parts]) if len(parts) > 1 else parts[0].rows.uid)
    if plan.constant is not None:
        key, known = plan.constant
        codes = [known.index(s.constants[key]) for s in present]
        cols.codes(key, np.repeat(codes, [p.rows.n for p in parts]), known)
    mat = np.concatenate([p.matrix for p in parts]) if len(parts) > 1 else parts[0].matrix
    base = len(cols)
    for spec in plan.specs:
        cols._slot(spec.name)
        if spec.kind == TEXT:
            values = _concat_text([p.text[spec.position] for p in parts])
            if redact is not None and spec.name == "name":
                values = _maybe_redact(stats, values, redact)
            cols.arrays[-1] = text_array(values)
    numbers = mat.T
    for kind, members, positions, micro, na in plan.groups:
        rows = numbers[list(positions)]  # a (columns x rows) copy
        for r in micro:
            rows[r] /= 1000.0
        for r in na:
            rows[r][rows[r] == -1] = np.nan
        cols.pending[kind].append(([base + i for i in members], rows))
    if plan.controllers:
        _transmit_columns(cols, parts, plan.width)
        return cols.frame()
    return cols.frame(plan.columns)


def _transmit_columns(cols: Columns, parts: list[SectionValues], width: int) -> None:
    """Controllers print one TX time per transmit power level after the fixed fields."""
    txs = []
    for p in parts:
        full = p.rows.matrix(copy=False)
        txs.append(full[:, width:] if full.shape[1] > width else np.full((p.rows.n, 0), np.nan))
    levels = max(t.shape[1] for t in txs)
    # NaN-padded to the widest section (np.pad costs more than these small matrices).
    tx = np.full((sum(len(t) for t in txs), levels), np.nan)
    at = 0
    for t in txs:
        tx[at : at + len(t), : t.shape[1]] = t
        at += len(t)
    if levels:
        total = np.where(np.isnan(tx).all(axis=1), np.nan, np.nansum(tx, axis=1))
    else:
        total = np.full(len(tx), np.nan)
    cols.number("tx_ms", total)
    for i in range(levels):
        cols.number(f"tx_level{i}_ms", tx[:, i])


for _name in (
    "aggregated_wakelocks",
    "wakeup_reasons",
    "rpm_states",
    "jobs_deferred",
    "cpu",
    "processes",
    "network",
    "wifi",
    "bluetooth",
    "sensors",
    "timers",
    "controllers",
    "services",
):
    TABLES[_name] = (lambda t: lambda stats: fields_table(stats, t))(_name)
TABLES["kernel_wakelocks"] = lambda stats: fields_table(stats, "kernel_wakelocks", redact_name)
TABLES["jobs"] = lambda stats: fields_table(stats, "jobs", redact_name)
TABLES["syncs"] = lambda stats: fields_table(stats, "syncs", redact_sync_name)


@functools.lru_cache(maxsize=64)
def _summary_plan(version: int | None) -> tuple[tuple[str, int, tuple[Spec, ...]], ...]:
    out = []
    for section in schema.SUMMARY_SECTIONS:
        lay = section.layout_for(version)
        columns = lay.columns if lay else ()
        out.append((section.key, len(columns), _compile(columns)))
    return tuple(out)


@_table("summary")
def _summary(stats: CheckinStats) -> pd.DataFrame:
    """One row: version, battery (bt), discharge (dc), misc (m), global network (gn), wifi
    (gwfl), power summary (pws), time remaining (dtr/ctr) and the derived screen-off time."""
    cols = Columns()
    nan = float("nan")
    cols.number("checkin_version", np.array([nan if stats.version is None else stats.version]))
    cols.number(
        "parcel_version", np.array([nan if stats.parcel_version is None else stats.parcel_version])
    )
    cols.text("start_platform", pa.array([stats.start_platform], pa.large_string()))
    cols.text("end_platform", pa.array([stats.end_platform], pa.large_string()))
    # name -> (kind, value): a later section's value replaces an earlier one where it has one,
    # at the column's first place.
    values: dict[str, tuple[str, float]] = {}
    for key, width, specs in _summary_plan(stats.version):
        rows = stats.rows(key)
        if rows.n > 1:
            stats.note(f"section {key!r} printed {rows.n} times; the first row is used")
        row = rows.first_row(width).tolist()
        for spec in specs:
            raw = row[spec.position]
            if raw != raw and spec.name in values:
                continue  # an older layout's column that a newer section now carries
            if spec.unit == "us":
                raw = raw / 1000.0
            elif spec.unit == "na" and raw == -1:
                raw = float("nan")
            values[spec.name] = (spec.kind, raw)
    # Screen-off time is not printed; Battery Historian derives it the same way.
    values["screen_off_ms"] = (
        INT,
        values["battery_realtime_ms"][1] - values["screen_on_ms"][1],
    )
    base = len(cols)
    by_kind: dict[str, tuple[list[int], list[float]]] = {}
    for i, (name, (kind, value)) in enumerate(values.items()):
        cols._slot(name)
        slots, numbers = by_kind.setdefault(kind, ([], []))
        slots.append(base + i)
        numbers.append(value)
    for kind, (slots, numbers) in by_kind.items():
        cols.pending[kind].append((slots, np.array(numbers).reshape(-1, 1)))
    return cols.frame()


@_table("apps")
def _apps(stats: CheckinStats) -> pd.DataFrame:
    """``uid`` rows: the packages of each UID (only UIDs that have stats are listed)."""
    rows = stats.rows("uid")
    raw = rows.matrix(1, copy=False)[:, 0]
    cols = Columns()
    cols.uid(np.where(np.isfinite(raw) & (np.abs(raw) < 2.0**62), raw, -1).astype(np.int64))
    cols.text("package", rows.text_at(1))
    return cols.frame()


_WAKELOCK_CODES = tuple(schema.WAKELOCK_KINDS)
_WAKELOCK_KINDS = tuple(schema.WAKELOCK_KINDS.values())


@_table("wakelocks")
def _wakelocks(stats: CheckinStats) -> pd.DataFrame:
    """``wl`` melted into one row per (uid, name, kind): full / partial / background_partial /
    window. Blocks are found by their marker letters, so the v19-v21 and v22+ layouts (and any
    block added later) are read by where the markers are, not by fixed offsets."""
    rows = stats.rows("wl")
    names = _maybe_redact(stats, rows.text_at(0), redact_name)
    fixed = _fixed_wakelock_blocks(rows)
    if fixed is not None:
        return _wakelocks_of_one_layout(rows, names, *fixed)
    row, pos, values = rows.flat_numbers()
    # Markers are letters: only fields that are not numbers are looked at as text.
    maybe = np.flatnonzero(np.isnan(values) & (pos > 0))
    kind_of = rows.fields.codes_of(maybe + rows.field_span[0], _WAKELOCK_CODES)
    markers = maybe[kind_of >= 0]
    kind_idx = kind_of[kind_of >= 0]
    m_row = row[markers]
    # A block runs from the field before its marker to the field before the next block's time.
    row_end = rows.local_start + rows.count
    next_marker = np.r_[markers[1:], len(row)]
    same_row = np.r_[m_row[1:] == m_row[:-1], np.zeros(min(len(markers), 1), bool)]
    block_end = np.where(same_row, next_marker - 1, row_end[m_row]) if len(markers) else markers
    last = max(len(values) - 1, 0)

    def at(offset: int) -> np.ndarray:
        i = markers + offset
        ok = (i >= 0) & (i < block_end)
        return np.where(ok, values[np.clip(i, 0, last)], np.nan) if len(values) else np.zeros(0)

    cols = Columns()
    cols.uid(rows.uid[m_row])
    # Each row's name was redacted once; it is repeated for the row's blocks.
    cols.text("name", names.take(pa.array(m_row, pa.int64())))
    cols.codes("kind", kind_idx, _WAKELOCK_KINDS)
    cols.number("time_ms", at(-1))
    cols.number("count", at(1))
    # Full and window blocks print -1 for the durations they do not track.
    for name, offset in (("current_ms", 2), ("max_ms", 3), ("total_ms", 4)):
        v = at(offset)
        cols.number(name, np.where(v == -1, np.nan, v))
    # m_row never decreases: its distinct values are where it changes.
    missing = rows.n - (int((m_row[1:] != m_row[:-1]).sum()) + 1 if len(m_row) else 0)
    if missing:
        stats.note(f"{missing} wl rows without wakelock type markers")
    return cols.frame()


def _fixed_wakelock_blocks(rows: SectionRows) -> tuple[np.ndarray, np.ndarray] | None:
    """(marker positions, kind per block) when every row has the same length and its markers
    at the same positions, and nothing else in the rows fails to be a number: what devices
    print. None sends the rows to the general reading."""
    width = rows.uniform_width()
    if width is None or width < 2:
        return None
    mat = rows.matrix(width, copy=False)
    not_number = np.isnan(mat[:, 1:]).any(axis=0)
    at = np.flatnonzero(not_number) + 1
    if not len(at):
        return None
    flat = (np.arange(rows.n) * width)[:, None] + at[None, :] + rows.field_span[0]
    kinds = rows.fields.codes_of(flat.reshape(-1), _WAKELOCK_CODES).reshape(rows.n, len(at))
    if (kinds < 0).any() or (kinds != kinds[0]).any():
        return None
    return at, kinds[0]


def _wakelocks_of_one_layout(
    rows: SectionRows, names: pa.Array, markers: np.ndarray, kinds: np.ndarray
) -> pd.DataFrame:
    """The wakelocks table of rows of one layout: each block's fields are matrix columns."""
    width = int(rows.count[0])
    mat = rows.matrix(width, copy=False)
    k = len(markers)
    ends = [*(markers[1:] - 1).tolist(), width]  # a block ends before the next block's time

    def at(offset: int) -> np.ndarray:
        out = np.full((rows.n, k), np.nan)
        for j, (m, end) in enumerate(zip(markers.tolist(), ends, strict=True)):
            if 0 <= m + offset < end:
                out[:, j] = mat[:, m + offset]
        return out.reshape(-1)

    cols = Columns()
    cols.uid(np.repeat(rows.uid, k))
    cols.text("name", names.take(pa.array(np.repeat(np.arange(rows.n), k), pa.int64())))
    cols.codes("kind", np.tile(kinds, rows.n), _WAKELOCK_KINDS)
    cols.number("time_ms", at(-1))
    cols.number("count", at(1))
    # Full and window blocks print -1 for the durations they do not track.
    for name, offset in (("current_ms", 2), ("max_ms", 3), ("total_ms", 4)):
        v = at(offset)
        v[v == -1] = np.nan
        cols.number(name, v)
    return cols.frame()


def _long(
    rows: SectionRows,
    first: int,
    labels: list[str],
    value: str,
    label_name: str,
    codes: list[int | None] | None = None,
    names: pa.Array | None = None,
) -> Columns:
    """A per-bin section melted: one row per (row, bin) with the bin's label (and the row's
    name after the UID columns when ``names`` is given)."""
    mat = rows.matrix(copy=False)[:, first:] if rows.n else np.zeros((0, len(labels)))
    n_bins = mat.shape[1]
    bins = [labels[i] if i < len(labels) else f"bin_{i}" for i in range(n_bins)]
    r = np.repeat(np.arange(rows.n), n_bins)
    cols = Columns()
    cols.uid(rows.uid[r])
    if names is not None:
        cols.text("name", names.take(pa.array(r, pa.int64())))
    cols.codes(label_name, np.tile(np.arange(n_bins), rows.n), bins or labels)
    if codes is not None:
        per_bin = np.array([np.nan if c is None else c for c in codes[:n_bins]], dtype=np.float64)
        cols.number("reason_code", np.tile(per_bin, rows.n))
    cols.number(value, mat.reshape(-1))
    return cols


@_table("job_completions")
def _job_completions(stats: CheckinStats) -> pd.DataFrame:
    """``jbc``: how many times each job stopped for each reason (long format)."""
    rows = stats.rows("jbc")
    n_reasons = max(int(rows.count.max()) - 1, 0) if rows.n else 0
    table = schema.JOB_STOP_REASONS_OLD if 0 < n_reasons <= 5 else schema.JOB_STOP_REASONS
    labels = [table[i][1] if i < len(table) else f"reason_index_{i}" for i in range(n_reasons)]
    codes: list[int | None] = [table[i][0] if i < len(table) else None for i in range(n_reasons)]
    names = _maybe_redact(stats, rows.text_at(0), redact_name)
    return _long(rows, 1, labels, "count", "reason", codes, names).frame()


@_table("alarms")
def _alarms(stats: CheckinStats) -> pd.DataFrame:
    """``wua`` wakeup alarms, with the package taken from the ``apk`` line that follows them.

    AOSP prints a package's ``wua`` lines and then its ``apk`` service lines, so a run of
    ``wua`` lines directly followed by an ``apk`` line of the same UID belongs to that package.
    A package without active services prints no ``apk`` line: package is then NA.
    """
    wua = stats.rows("wua")
    apk = stats.rows("apk")
    section = schema.ALL_SECTIONS["wua"]
    part = section_values(stats, section, _plan(section.table, stats.version))
    package_idx = np.full(wua.n, -1, dtype=np.int64)
    if wua.n and apk.n:
        line = wua.line
        # The first line after each run of consecutive wua lines.
        run_end = np.r_[line[1:] != line[:-1] + 1, True]
        after_run = np.where(run_end, line + 1, 0)
        after_run = np.minimum.accumulate(
            np.where(run_end, after_run, np.iinfo(np.int64).max)[::-1]
        )[::-1]
        hit = np.searchsorted(apk.line, after_run)
        ok = (hit < apk.n) & (apk.line[np.minimum(hit, apk.n - 1)] == after_run)
        ok &= apk.uid[np.minimum(hit, apk.n - 1)] == wua.uid
        package_idx = np.where(ok, hit, -1)
    cols = Columns()
    cols.uid(wua.uid)
    if apk.n:
        packages = apk.text_at(1).take(pa.array(np.maximum(package_idx, 0), mask=package_idx < 0))
    else:
        packages = pa.nulls(wua.n, pa.large_string())
    cols.text("package", packages)
    cols.text("name", _maybe_redact(stats, part.text[0], redact_name))
    cols.number("count", part.matrix[:, 1])
    return cols.frame()


_POWER_USE_KINDS = tuple(dict.fromkeys(schema.POWER_USE_LABELS.values()))


def _mapped_codes(
    raw: pa.Array, mapping: dict[str, str], known: tuple[str, ...]
) -> tuple[np.ndarray, list[str]]:
    """Codes of ``mapping.get(x, x)`` for every text (NA for null), over the known values and
    then, sorted, any others that occur."""
    if len(raw) == 0:
        return np.zeros(0, np.int64), list(known)
    enc = raw.dictionary_encode()
    uniq = [mapping.get(x, x) for x in enc.dictionary.to_pylist()]
    extra = sorted(set(uniq) - set(known))
    categories = list(known) + extra
    index = {c: i for i, c in enumerate(categories)}
    per_value = np.array([index[u] for u in uniq] + [-1], dtype=np.int64)
    idx = pc.fill_null(enc.indices, len(uniq)).to_numpy(zero_copy_only=False)
    return per_value[idx], categories


@_table("power_use")
def _power_use(stats: CheckinStats) -> pd.DataFrame:
    """``pwi`` estimated power use per drain type; ``uid`` rows carry the app's UID."""
    rows = stats.rows("pwi")
    mat = rows.matrix(len(schema.POWER_USE_LAYOUTS[-1].columns), copy=False)
    cols = Columns()
    cols.uid(rows.uid)
    raw = rows.text_at(0)
    cols.text("label", raw)
    codes, categories = _mapped_codes(raw, schema.POWER_USE_LABELS, _POWER_USE_KINDS)
    cols.codes("kind", codes, categories)
    cols.number("energy_mah", mat[:, 1], FLOAT)
    cols.number("hidden", mat[:, 2], BOOL)
    cols.number("screen_mah", mat[:, 3], FLOAT)
    cols.number("proportional_smear_mah", mat[:, 4], FLOAT)
    return cols.frame()


_STEP_SCREEN_LABELS = tuple(dict.fromkeys(schema.STEP_SCREEN.values()))


def _step_modes(fields: tuple[str | None, ...]) -> tuple[str, float, float]:
    s: str | None = None
    p = i = None
    for f in fields:
        f = f or ""
        if f[:1] == "p" and len(f) == 2:
            p = f[1] == "+"
        elif f[:1] == "i" and len(f) == 2:
            i = f[1] == "+"
        elif f in schema.STEP_SCREEN and s is None and f:
            s = schema.STEP_SCREEN[f]
    return s or "mixed", np.nan if p is None else float(p), np.nan if i is None else float(i)


@_table("steps")
def _steps(stats: CheckinStats) -> pd.DataFrame:
    """Discharge (``dsd``) and charge (``csd``) steps, one row per 1% step, oldest first.

    AOSP prints the most recent step first. Mode fields are matched by content, not position,
    because old builds printed them in the wrong slots.
    """
    present = [(k, stats.rows(k)) for k in ("dsd", "csd")]
    present = [(k, r) for k, r in present if r.n] or present[:1]
    kinds, steps, mats, screen, save, idle = [], [], [], [], [], []
    for key, rows in present:
        order = np.arange(rows.n)[::-1]
        kinds.append(np.full(rows.n, 0 if key == "dsd" else 1))
        steps.append(np.arange(rows.n))
        mats.append(rows.matrix(2, copy=False)[order] if rows.n else np.zeros((0, 2)))
        take = pa.array(order, pa.int64())
        modes = [rows.text_at(j).take(take).to_pylist() for j in (2, 3, 4)] if rows.n else []
        for s, p, i in (_step_modes(f) for f in zip(*modes, strict=True)):
            screen.append(s)
            save.append(p)
            idle.append(i)
    mat = np.concatenate(mats)
    cols = Columns()
    cols.codes("kind", np.concatenate(kinds), ("discharge", "charge"))
    cols.plain("step", np.concatenate(steps))
    cols.number("duration_ms", mat[:, 0])
    cols.number("level_pct", mat[:, 1])
    cols.add("screen", _labels(screen, _STEP_SCREEN_LABELS))
    cols.number("power_save", np.array(save, dtype=np.float64), BOOL)
    cols.number("device_idle", np.array(idle, dtype=np.float64), BOOL)
    return cols.frame()


@_table("process_state_time")
def _process_state_time(stats: CheckinStats) -> pd.DataFrame:
    """``st``: time per UID in each process state, labelled in the order of the dump's version
    (the order changed in checkin 29)."""
    lay = schema._pick(schema.PROCESS_STATE_LABELS, stats.version)
    labels = list(lay.columns) if lay else []
    return _long(stats.rows("st"), 0, labels, "time_ms", "state").frame()


@_table("user_activity")
def _user_activity(stats: CheckinStats) -> pd.DataFrame:
    labels = list(schema.USER_ACTIVITY_LABELS[-1].columns)
    return _long(stats.rows("ua"), 0, labels, "count", "type").frame()


def _data_connection_labels(n: int, version: int | None) -> list[str]:
    names = list(schema.DATA_CONNECTION_BINS)
    if version is not None and version >= 35:
        names[0] = "oos"  # checkin 35 turned bin 0 into "out of service"
    return ["other" if i == n - 1 else names[i] if i < len(names) else f"bin_{i}" for i in range(n)]


_METRICS = tuple(sorted({s.constants["metric"] for s in schema.VECTOR_SECTIONS}))


@_table("time_in_state")
def _time_in_state(stats: CheckinStats) -> pd.DataFrame:
    """System-wide time and count per bin: brightness, signal, RAT, wifi and bluetooth states."""
    by_metric: dict[str, dict[str, np.ndarray]] = {}
    labels_of: dict[str, list[str]] = {}
    for section in schema.VECTOR_SECTIONS:
        rows = stats.rows(section.key)
        if not rows.n:
            continue
        values = rows.first_row(int(rows.count.max()))
        metric = section.constants["metric"]
        if section.key in ("dct", "dcc"):
            labels = _data_connection_labels(len(values), stats.version)
        else:
            lay = section.labels_for(stats.version)
            labels = list(lay.columns) if lay else []
        by_metric.setdefault(metric, {})[section.unit] = values
        labels_of[metric] = labels
    metric_col, state_col = [], []
    bin_col, time_col, count_col = [], [], []
    for metric, units in by_metric.items():
        n = max(len(v) for v in units.values())
        labels = labels_of[metric]
        for unit, target in (("time_ms", time_col), ("count", count_col)):
            padded = np.full(n, np.nan)
            v = units.get(unit)
            if v is not None:
                padded[: len(v)] = v
            target.append(padded)
        metric_col.append(np.full(n, _METRICS.index(metric)))
        state_col += [labels[i] if i < len(labels) else f"bin_{i}" for i in range(n)]
        bin_col.append(np.arange(n))
    cols = Columns()
    cols.codes("metric", np.concatenate(metric_col) if metric_col else np.zeros(0), _METRICS)
    cols.text("state", pa.array(state_col, pa.large_string()))
    cols.plain("bin", np.concatenate(bin_col) if bin_col else np.zeros(0, np.int64))
    cols.number("time_ms", np.concatenate(time_col) if time_col else np.zeros(0))
    cols.number("count", np.concatenate(count_col) if count_col else np.zeros(0))
    return cols.frame()


_CPU_STATES = tuple(dict.fromkeys(schema.CPU_FREQ_STATES.values()))


@_table("cpu_freq")
def _cpu_freq(stats: CheckinStats) -> pd.DataFrame:
    """``ctf`` per UID and process state: time at each CPU frequency, in total and with the
    screen off (the second half of the row). Frequencies in kHz come from ``gcf``."""
    rows = stats.rows("ctf")
    gcf = stats.rows("gcf")
    freqs = gcf.first_row(int(gcf.count.max())) if gcf.n else np.zeros(0)
    head = rows.matrix(2, copy=False)
    n_freq = np.clip(np.nan_to_num(head[:, 1], nan=0), 0, 1 << 20).astype(np.int64)
    count = rows.count
    # Row r: state, N, then N totals and (when printed) N screen-off times. Worked out per row
    # and repeated, rather than per field: a device prints some ten thousand fields per UID.
    k = np.minimum(n_freq, np.maximum(count - 2, 0))
    width = rows.uniform_width()
    if width is not None and rows.n and (k == k[0]).all():
        # The usual dump: every row the same length and frequency count, a plain matrix.
        n = int(k[0])
        mat = rows.matrix(width, copy=False)
        t_idx = np.tile(np.arange(n), rows.n)
        time_ms = mat[:, 2 : 2 + n].reshape(-1)
        off = np.full((rows.n, n), np.nan)
        printed = min(max(width - 2 - n, 0), n)
        off[:, :printed] = mat[:, 2 + n : 2 + n + printed]
        screen_off = off.reshape(-1)
    else:
        t_row = np.repeat(np.arange(rows.n), k)
        first_out = np.cumsum(k) - k
        t_idx = np.arange(len(t_row)) - np.repeat(first_out, k)
        start = rows.local_start[t_row]
        _, _, values = rows.flat_numbers()
        time_ms = values[start + 2 + t_idx]
        # The screen-off value of frequency i sits N fields after its total.
        so_at = 2 + n_freq[t_row] + t_idx
        so_ok = so_at < count[t_row]
        last = max(len(values) - 1, 0)
        screen_off = (
            np.where(so_ok, values[np.minimum(start + so_at, last)], np.nan)
            if len(values)
            else np.zeros(0)
        )
    codes, categories = _mapped_codes(rows.text_at(0), schema.CPU_FREQ_STATES, _CPU_STATES)
    khz = np.full(int(k.max()) if rows.n else 0, np.nan)
    known = min(len(khz), len(freqs))
    khz[:known] = freqs[:known]
    cols = Columns()
    cols.uid(np.repeat(rows.uid, k))
    cols.codes("process_state", np.repeat(codes, k), categories)
    cols.plain("freq_index", t_idx)
    cols.number("freq_khz", khz[t_idx])
    cols.number("time_ms", time_ms)
    cols.number("screen_off_time_ms", screen_off)
    return cols.frame()


# -- what is not understood ------------------------------------------------------------------------

_READ_WIDTH = {"dsd": 5, "csd": 5, "pwi": 5, "vers": 4}


@functools.lru_cache(maxsize=1024)
def _layout_width(key: str, version: int | None) -> int | None:
    """Number of fields this parser reads in ``key``; None when it reads all of them."""
    if key not in schema.KNOWN_KEYS:
        return 0
    if key in _READ_WIDTH:
        return _READ_WIDTH[key]
    if key in schema.SPECIAL_KEYS or key in schema.CONTROLLER_KEYS:
        return None
    section = schema.ALL_SECTIONS.get(key)
    if section is None or section.shape != schema.FIELDS:
        return None
    lay = section.layout_for(version)
    return len(lay.columns) if lay else 0


@_table("unknown")
def _unknown(stats: CheckinStats) -> pd.DataFrame:
    """Everything not mapped to a column, in long form: whole unknown sections, and fields past
    the end of a known layout (what a newer Android appended)."""
    sections: list[str] = []
    codes, uids, lines, positions, values = [], [], [], [], []
    for key in stats.fields.keys:
        width = _layout_width(key, stats.version)
        if width is None:
            continue
        rows = stats.rows(key)
        if width and rows.count.max() <= width:
            continue  # no row is longer than its layout
        row, pos, _ = rows.flat_numbers()
        sel = np.flatnonzero(pos >= width)
        if not len(sel):
            continue
        text = rows.fields.text_of(sel + rows.field_span[0])
        if width == 0:
            names = rows.quoted_name.take(pa.array(row[sel], pa.int64())).cast(text.type)
            text = pc.if_else(pa.array(pos[sel] == 0), pc.coalesce(names, text), text)
        sections.append(key)
        codes.append(np.full(len(sel), len(sections) - 1))
        uids.append(rows.uid[row[sel]])
        lines.append(rows.line[row[sel]] + 1)
        positions.append(pos[sel])
        values.append(text)
    # Categories are the sections present, sorted.
    order = sorted(range(len(sections)), key=sections.__getitem__)
    remap = np.empty(len(sections), dtype=np.int64)
    remap[order] = np.arange(len(sections))
    cols = Columns()
    cols.codes(
        "section",
        remap[np.concatenate(codes)] if codes else np.zeros(0, np.int64),
        [sections[i] for i in order],
    )
    cols.plain("uid", np.concatenate(uids) if uids else np.zeros(0, np.int64))
    cols.plain("line", np.concatenate(lines) if lines else np.zeros(0, np.int64))
    cols.plain("field", np.concatenate(positions) if positions else np.zeros(0, np.int64))
    text = _concat_text(values) if values else _EMPTY_TEXT
    # Unknown sections may carry names with accounts in them as much as known ones.
    cols.text("value", _maybe_redact(stats, text, redact_name))
    return cols.frame()
