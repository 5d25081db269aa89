"""Builders of the checkin tables, one function per table, all vectorised.

Each builder reads section rows from :class:`~harness.batterystats.checkin_fields.Fields` and
returns a DataFrame. A missing section gives an empty table with the same columns and dtypes,
because every builder runs on zero rows just as on many.

Column conventions: ``uid`` is the raw kernel UID, ``app_id`` and ``user`` are derived from it;
integers are ``Int64`` (NA where a field is absent in this Android version or means "not
tracked"), decimals ``Float64``, names ``str``, small vocabularies ``category``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats import checkin_schema as schema
from harness.batterystats.checkin_fields import SectionRows
from harness.batterystats.frames import categorical, frame
from harness.batterystats.history_tokens import unique_map
from harness.batterystats.redact import redact_name, redact_sync_name
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

INT, FLOAT, BOOL, TEXT, LABEL, CODES, PLAIN = (
    "int",
    "float",
    "bool",
    "text",
    "label",
    "codes",
    "plain",
)


@dataclass
class Col:
    """A column before it becomes a pandas array: numbers stay float64 with NaN until the end,
    so that columns of several sections concatenate with plain numpy."""

    kind: str
    # float64 ndarray (INT/FLOAT/BOOL), pa.Array (TEXT), object ndarray (LABEL), int64 codes
    # (CODES), int64 ndarray (PLAIN)
    data: Any
    categories: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.data)


def _to_pandas(col: Col) -> Any:
    if col.kind == INT:
        # Out-of-range numbers (a corrupted field) become NA rather than wrap around.
        mask = ~np.isfinite(col.data) | (np.abs(col.data) >= 2.0**63)
        return pd.arrays.IntegerArray(np.where(mask, 0, np.rint(col.data)).astype(np.int64), mask)
    if col.kind == FLOAT:
        mask = np.isnan(col.data)
        return pd.arrays.FloatingArray(np.where(mask, 0.0, col.data), mask)
    if col.kind == BOOL:
        mask = np.isnan(col.data)
        return pd.arrays.BooleanArray(col.data == 1, mask)
    if col.kind == TEXT:
        arr = col.data
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if len(arr) == 0:
            return pd.array([], dtype="str")
        return arr.to_pandas().array
    if col.kind == CODES:
        return categorical(col.data, col.categories or ())
    if col.kind == LABEL:
        labels = col.data
        cats = (
            list(col.categories)
            if col.categories is not None
            else sorted({x for x in labels.tolist() if x is not None})
        )
        enc = pc.index_in(pa.array(labels, pa.string()), value_set=pa.array(cats, pa.string()))
        codes = pc.fill_null(enc, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        return categorical(codes, cats)
    return np.asarray(col.data, dtype=np.int64)


def _concat(cols: list[Col]) -> Col:
    first = cols[0]
    if len(cols) == 1:
        return first
    if first.kind == TEXT:
        data: Any = pa.concat_arrays(
            [
                c.data.combine_chunks() if isinstance(c.data, pa.ChunkedArray) else c.data
                for c in cols
            ]
        )
    else:
        data = np.concatenate([c.data for c in cols])
    return Col(first.kind, data, first.categories)


def finish(columns: dict[str, Col]) -> pd.DataFrame:
    return frame({name: _to_pandas(col) for name, col in columns.items()})


def num(values: np.ndarray, kind: str = INT) -> Col:
    return Col(kind, np.asarray(values, dtype=np.float64))


def text(values: pa.Array) -> Col:
    return Col(TEXT, values)


def label(values: np.ndarray, categories: tuple[str, ...] | list[str] | None = None) -> Col:
    return Col(
        LABEL, np.asarray(values, dtype=object), None if categories is None else tuple(categories)
    )


def coded(codes: np.ndarray, categories: tuple[str, ...] | list[str]) -> Col:
    """A category column from integer codes (-1 = NA): no per-row strings at all."""
    return Col(CODES, np.asarray(codes, dtype=np.int64), tuple(categories))


def uid_columns(uid: np.ndarray) -> dict[str, Col]:
    uid = np.asarray(uid, dtype=np.int64)
    positive = uid >= 0
    return {
        "uid": Col(PLAIN, uid),
        "app_id": Col(PLAIN, np.where(positive, uid % PER_USER_RANGE, uid)),
        "user": Col(PLAIN, np.where(positive, uid // PER_USER_RANGE, 0)),
    }


def spec_column(spec: str, values: np.ndarray) -> Col:
    _, _, kind = spec.partition(":")
    if kind == "f":
        return num(values, FLOAT)
    if kind == "us":
        return num(values / 1000.0)
    if kind == "na":
        return num(np.where(values == -1, np.nan, values))
    return num(values)


def spec_name(spec: str) -> str:
    return spec.partition(":")[0]


def redacted(col: Col, fn: Callable[[str], str], stats: CheckinStats) -> Col:
    if not stats.redacted or len(col) == 0:
        return col
    data = col.data.combine_chunks() if isinstance(col.data, pa.ChunkedArray) else col.data
    return Col(TEXT, unique_map(data, fn))


# -- sections with fixed columns -------------------------------------------------------------------


def _realign_names(rows: SectionRows, width: int) -> tuple[np.ndarray, dict[int, str]]:
    """Field positions with unquoted names that contained commas merged back into the name.

    Old builds print job and process names without quotes; a comma in such a name splits it
    over several fields. When a row is longer than its layout and the fields after the name are
    not numbers, they belong to the name.
    """
    _, pos, values, texts = rows.flat()
    names: dict[int, str] = {}
    long_rows = np.flatnonzero(rows.count > width)
    if not len(long_rows):
        return pos, names
    quoted = rows.quoted.to_numpy(zero_copy_only=False)
    pos = pos.copy()
    first = rows.local_start
    for r in long_rows:
        extra = int(rows.count[r] - width)
        a = int(first[r])
        if quoted[r] or not np.isnan(values[a + 1 : a + 1 + extra]).all():
            continue
        parts = texts.slice(a, extra + 1).to_pylist()
        names[int(r)] = ",".join(p or "" for p in parts)
        pos[a + 1 : a + 1 + extra] = -1
        pos[a + 1 + extra : a + int(rows.count[r])] -= extra
    return pos, names


def section_columns(stats: CheckinStats, section: schema.Section) -> dict[str, Col]:
    """Columns of one FIELDS section, laid out by the dump's checkin version."""
    rows = stats.rows(section.key)
    lay = section.layout_for(stats.version)
    specs = lay.columns if lay else ()
    width = len(specs)
    row, pos, values, _ = rows.flat()
    renamed: dict[int, str] = {}
    if specs and specs[0].endswith(":s") and rows.n:
        pos, renamed = _realign_names(rows, width)
    mat = np.full((rows.n, max(width, 1)), np.nan)
    inside = (pos >= 0) & (pos < width)
    mat[row[inside], pos[inside]] = values[inside]

    cols: dict[str, Col] = {}
    if section.table != "summary":
        cols.update(uid_columns(rows.uid))
    for k, v in section.constants.items():
        # Every value the table can hold, so the categories do not depend on the dump.
        known = list(
            dict.fromkeys(s.constants[k] for s in schema.FIELD_SECTIONS if s.table == section.table)
        )
        cols[k] = coded(np.full(rows.n, known.index(v)), known)
    for j, spec in enumerate(specs):
        if spec == "-":
            continue
        if spec.endswith(":s"):
            col = rows.text_at(j)
            if j == 0 and renamed:
                fixed = col.to_pylist()
                for r, name in renamed.items():
                    fixed[r] = name
                col = pa.array(fixed, pa.string())
            cols[spec_name(spec)] = text(col)
        else:
            cols[spec_name(spec)] = spec_column(spec, mat[:, j])
    if section.key in schema.CONTROLLER_KEYS:
        # One TX time per transmit power level follows the fixed fields.
        full = rows.matrix()
        tx = full[:, width:] if full.shape[1] > width else np.full((rows.n, 0), np.nan)
        total = (
            np.where(np.isnan(tx).all(axis=1), np.nan, np.nansum(tx, axis=1))
            if tx.shape[1]
            else np.full(rows.n, np.nan)
        )
        cols["tx_ms"] = num(total)
        for i in range(tx.shape[1]):
            cols[f"tx_level{i}_ms"] = num(tx[:, i])
    return cols


def fields_table(
    stats: CheckinStats, table: str, redact: Callable[[str], str] | None = None
) -> pd.DataFrame:
    sections = [s for s in schema.FIELD_SECTIONS if s.table == table]
    parts = [section_columns(stats, s) for s in sections if stats.rows(s.key).n]
    if not parts:
        parts = [section_columns(stats, sections[0])]
    names = list(dict.fromkeys(name for p in parts for name in p))
    columns: dict[str, Col] = {}
    for name in names:
        pieces = []
        for p in parts:
            if name in p:
                pieces.append(p[name])
            else:  # a TX level another controller does not have
                n = len(next(iter(p.values())))
                pieces.append(num(np.full(n, np.nan)))
        columns[name] = _concat(pieces)
    if redact is not None and "name" in columns:
        columns["name"] = redacted(columns["name"], redact, stats)
    return finish(columns)


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


@_table("summary")
def _summary(stats: CheckinStats) -> pd.DataFrame:
    """One row: version, battery (bt), discharge (dc), misc (m), global network (gn), wifi
    (gwfl), power summary (pws), time remaining (dtr/ctr) and the derived screen-off time."""
    cols: dict[str, Col] = {
        "checkin_version": num(np.array([np.nan if stats.version is None else stats.version])),
        "parcel_version": num(
            np.array([np.nan if stats.parcel_version is None else stats.parcel_version])
        ),
        "start_platform": text(pa.array([stats.start_platform], pa.string())),
        "end_platform": text(pa.array([stats.end_platform], pa.string())),
    }
    for section in schema.SUMMARY_SECTIONS:
        rows = stats.rows(section.key)
        lay = section.layout_for(stats.version)
        specs = lay.columns if lay else ()
        mat = rows.matrix(len(specs))[:1] if rows.n else np.full((1, len(specs)), np.nan)
        if rows.n > 1:
            stats.note(f"section {section.key!r} printed {rows.n} times; the first row is used")
        for j, spec in enumerate(specs):
            name = spec_name(spec)
            if spec == "-":
                continue
            if name in cols and np.isnan(mat[:, j]).all():
                continue  # an older layout's column that a newer section now carries
            cols[name] = spec_column(spec, mat[:, j])
    realtime = cols["battery_realtime_ms"].data
    screen_on = cols["screen_on_ms"].data
    # Screen-off time is not printed; Battery Historian derives it the same way.
    cols["screen_off_ms"] = num(realtime - screen_on)
    return finish(cols)


@_table("apps")
def _apps(stats: CheckinStats) -> pd.DataFrame:
    """``uid`` rows: the packages of each UID (only UIDs that have stats are listed)."""
    rows = stats.rows("uid")
    raw = rows.matrix(1)[:, 0]
    uid = np.where(np.isfinite(raw) & (np.abs(raw) < 2.0**62), raw, -1).astype(np.int64)
    cols = uid_columns(uid)
    cols["package"] = text(rows.text_at(1))
    return finish(cols)


_WAKELOCK_MARKERS = pa.array(list(schema.WAKELOCK_KINDS), pa.string())
_WAKELOCK_KINDS = tuple(schema.WAKELOCK_KINDS.values())


@_table("wakelocks")
def _wakelocks(stats: CheckinStats) -> pd.DataFrame:
    """``wl`` melted into one row per (uid, name, kind): full / partial / background_partial /
    window. Blocks are found by their marker letters, so the v19-v21 and v22+ layouts (and any
    block added later) are read by where the markers are, not by fixed offsets."""
    rows = stats.rows("wl")
    row, pos, values, texts = rows.flat()
    kind_idx = pc.fill_null(pc.index_in(texts, value_set=_WAKELOCK_MARKERS), -1).to_numpy(
        zero_copy_only=False
    )
    markers = np.flatnonzero((kind_idx >= 0) & (pos > 0))
    m_row = row[markers]
    # A block runs from the field before its marker to the field before the next block's time.
    row_end = rows.local_start + rows.count
    next_marker = np.r_[markers[1:], len(row)]
    same_row = np.r_[m_row[1:] == m_row[:-1], np.zeros(min(len(markers), 1), bool)]
    block_end = np.where(same_row, next_marker - 1, row_end[m_row]) if len(markers) else markers

    def at(offset: int) -> np.ndarray:
        i = markers + offset
        ok = (i >= 0) & (i < block_end)
        return (
            np.where(ok, values[np.clip(i, 0, max(len(values) - 1, 0))], np.nan)
            if len(values)
            else np.zeros(0)
        )

    cols = uid_columns(rows.uid[m_row])
    # Redact each row's name once, then repeat it for the row's blocks.
    names = redacted(text(rows.text_at(0)), redact_name, stats).data
    cols["name"] = text(names.take(pa.array(m_row, pa.int64())))
    cols["kind"] = coded(kind_idx[markers], _WAKELOCK_KINDS)
    cols["time_ms"] = num(at(-1))
    cols["count"] = num(at(1))
    # Full and window blocks print -1 for the durations they do not track.
    for name, offset in (("current_ms", 2), ("max_ms", 3), ("total_ms", 4)):
        v = at(offset)
        cols[name] = num(np.where(v == -1, np.nan, v))
    missing = rows.n - len(np.unique(m_row))
    if missing:
        stats.note(f"{missing} wl rows without wakelock type markers")
    return finish(cols)


def _long(
    rows: SectionRows,
    first: int,
    labels: list[str],
    value: str,
    label_name: str,
    codes: list[int | None] | None = None,
) -> dict[str, Col]:
    """A per-bin section melted: one row per (row, bin) with the bin's label."""
    mat = rows.matrix()[:, first:] if rows.n else np.zeros((0, len(labels)))
    n_bins = mat.shape[1]
    names = [labels[i] if i < len(labels) else f"bin_{i}" for i in range(n_bins)]
    r = np.repeat(np.arange(rows.n), n_bins)
    cols = uid_columns(rows.uid[r])
    cols[label_name] = coded(np.tile(np.arange(n_bins), rows.n), names or labels)
    if codes is not None:
        cols["reason_code"] = num(
            np.tile(
                np.array([np.nan if c is None else c for c in codes[:n_bins]], dtype=np.float64),
                rows.n,
            )
        )
    cols[value] = num(mat.reshape(-1))
    return cols


@_table("job_completions")
def _job_completions(stats: CheckinStats) -> pd.DataFrame:
    """``jbc``: how many times each job stopped for each reason (long format)."""
    rows = stats.rows("jbc")
    n_reasons = max(int(rows.count.max()) - 1, 0) if rows.n else 0
    table = schema.JOB_STOP_REASONS_OLD if 0 < n_reasons <= 5 else schema.JOB_STOP_REASONS
    labels = [table[i][1] if i < len(table) else f"reason_index_{i}" for i in range(n_reasons)]
    codes: list[int | None] = [table[i][0] if i < len(table) else None for i in range(n_reasons)]
    cols = _long(rows, 1, labels, "count", "reason", codes)
    names = redacted(text(rows.text_at(0)), redact_name, stats).data
    r = np.repeat(np.arange(rows.n), n_reasons)
    out: dict[str, Col] = {k: cols[k] for k in ("uid", "app_id", "user")}
    out["name"] = text(names.take(pa.array(r, pa.int64())))
    out["reason"] = cols["reason"]
    out["reason_code"] = cols["reason_code"]
    out["count"] = cols["count"]
    return finish(out)


@_table("alarms")
def _alarms(stats: CheckinStats) -> pd.DataFrame:
    """``wua`` wakeup alarms, with the package taken from the ``apk`` line that follows them.

    AOSP prints a package's ``wua`` lines and then its ``apk`` service lines, so a run of
    ``wua`` lines directly followed by an ``apk`` line of the same UID belongs to that package.
    A package without active services prints no ``apk`` line: package is then NA.
    """
    wua = stats.rows("wua")
    apk = stats.rows("apk")
    cols = section_columns(stats, schema.ALL_SECTIONS["wua"])
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
    packages = apk.text_at(1).take(pa.array(np.maximum(package_idx, 0), mask=package_idx < 0))
    out = {k: cols[k] for k in ("uid", "app_id", "user")}
    out["package"] = text(packages)
    out["name"] = redacted(cols["name"], redact_name, stats)
    out["count"] = cols["count"]
    return finish(out)


@_table("power_use")
def _power_use(stats: CheckinStats) -> pd.DataFrame:
    """``pwi`` estimated power use per drain type; ``uid`` rows carry the app's UID."""
    rows = stats.rows("pwi")
    specs = schema.POWER_USE_LAYOUTS[-1].columns
    mat = rows.matrix(len(specs))
    cols = uid_columns(rows.uid)
    raw = rows.text_at(0)
    cols["label"] = text(raw)
    kinds = [schema.POWER_USE_LABELS.get(x, x) for x in raw.to_pylist()] if rows.n else []
    known = list(dict.fromkeys(schema.POWER_USE_LABELS.values()))
    extra = sorted({k for k in kinds if k is not None} - set(known))
    cols["kind"] = label(np.array(kinds, dtype=object), known + extra)
    cols["energy_mah"] = num(mat[:, 1], FLOAT)
    cols["hidden"] = num(mat[:, 2], BOOL)
    cols["screen_mah"] = num(mat[:, 3], FLOAT)
    cols["proportional_smear_mah"] = num(mat[:, 4], FLOAT)
    return finish(cols)


_STEP_SCREEN_CODES = list(schema.STEP_SCREEN)
_STEP_SCREEN_LABELS = tuple(dict.fromkeys(schema.STEP_SCREEN.values()))


@_table("steps")
def _steps(stats: CheckinStats) -> pd.DataFrame:
    """Discharge (``dsd``) and charge (``csd``) steps, one row per 1% step, oldest first.

    AOSP prints the most recent step first. Mode fields are matched by content, not position,
    because old builds printed them in the wrong slots.
    """
    parts: list[dict[str, Col]] = []
    for key, kind in (("dsd", "discharge"), ("csd", "charge")):
        rows = stats.rows(key)
        if not rows.n and parts:
            continue
        order = np.arange(rows.n)[::-1]
        mat = rows.matrix(2)[order] if rows.n else np.zeros((0, 2))
        modes = [rows.text_at(j).take(pa.array(order, pa.int64())).to_pylist() for j in (2, 3, 4)]
        screen, save, idle = [], [], []
        for fields in zip(*modes, strict=True) if rows.n else []:
            s = p = i = None
            for f in fields:
                f = f or ""
                if f[:1] == "p" and len(f) == 2:
                    p = f[1] == "+"
                elif f[:1] == "i" and len(f) == 2:
                    i = f[1] == "+"
                elif f in schema.STEP_SCREEN and s is None and f:
                    s = schema.STEP_SCREEN[f]
            screen.append(s or "mixed")
            save.append(np.nan if p is None else float(p))
            idle.append(np.nan if i is None else float(i))
        parts.append(
            {
                "kind": coded(
                    np.full(rows.n, 0 if kind == "discharge" else 1), ("discharge", "charge")
                ),
                "step": Col(PLAIN, np.arange(rows.n)),
                "duration_ms": num(mat[:, 0]),
                "level_pct": num(mat[:, 1]),
                "screen": label(np.array(screen, dtype=object), _STEP_SCREEN_LABELS),
                "power_save": num(np.array(save), BOOL),
                "device_idle": num(np.array(idle), BOOL),
            }
        )
    if len(parts) > 1 and not len(parts[0]["step"]):
        parts = parts[1:]
    columns = {name: _concat([p[name] for p in parts]) for name in parts[0]}
    return finish(columns)


@_table("process_state_time")
def _process_state_time(stats: CheckinStats) -> pd.DataFrame:
    """``st``: time per UID in each process state, labelled in the order of the dump's version
    (the order changed in checkin 29)."""
    lay = schema._pick(schema.PROCESS_STATE_LABELS, stats.version)
    labels = list(lay.columns) if lay else []
    return finish(_long(stats.rows("st"), 0, labels, "time_ms", "state"))


@_table("user_activity")
def _user_activity(stats: CheckinStats) -> pd.DataFrame:
    labels = list(schema.USER_ACTIVITY_LABELS[-1].columns)
    return finish(_long(stats.rows("ua"), 0, labels, "count", "type"))


def _data_connection_labels(n: int, version: int | None) -> list[str]:
    names = list(schema.DATA_CONNECTION_BINS)
    if version is not None and version >= 35:
        names[0] = "oos"  # checkin 35 turned bin 0 into "out of service"
    return ["other" if i == n - 1 else names[i] if i < len(names) else f"bin_{i}" for i in range(n)]


@_table("time_in_state")
def _time_in_state(stats: CheckinStats) -> pd.DataFrame:
    """System-wide time and count per bin: brightness, signal, RAT, wifi and bluetooth states."""
    by_metric: dict[str, dict[str, np.ndarray]] = {}
    labels_of: dict[str, list[str]] = {}
    for section in schema.VECTOR_SECTIONS:
        rows = stats.rows(section.key)
        if not rows.n:
            continue
        values = rows.matrix()[0]
        metric = section.constants["metric"]
        if section.key in ("dct", "dcc"):
            labels = _data_connection_labels(len(values), stats.version)
        else:
            lay = section.labels_for(stats.version)
            labels = list(lay.columns) if lay else []
        by_metric.setdefault(metric, {})[section.unit] = values
        labels_of[metric] = labels
    metric_col, state_col, bin_col, time_col, count_col = [], [], [], [], []
    for metric, units in by_metric.items():
        n = max(len(v) for v in units.values())
        labels = labels_of[metric]
        for unit, target in (("time_ms", time_col), ("count", count_col)):
            padded = np.full(n, np.nan)
            v = units.get(unit)
            if v is not None:
                padded[: len(v)] = v
            target.append(padded)
        metric_col += [metric] * n
        state_col += [labels[i] if i < len(labels) else f"bin_{i}" for i in range(n)]
        bin_col.append(np.arange(n))
    metrics = sorted({s.constants["metric"] for s in schema.VECTOR_SECTIONS})
    return finish(
        {
            "metric": label(np.array(metric_col, dtype=object), metrics),
            "state": text(pa.array(state_col, pa.string())),
            "bin": Col(PLAIN, np.concatenate(bin_col) if bin_col else np.zeros(0, np.int64)),
            "time_ms": num(np.concatenate(time_col) if time_col else np.zeros(0)),
            "count": num(np.concatenate(count_col) if count_col else np.zeros(0)),
        }
    )


_CPU_STATES = tuple(dict.fromkeys(schema.CPU_FREQ_STATES.values()))


@_table("cpu_freq")
def _cpu_freq(stats: CheckinStats) -> pd.DataFrame:
    """``ctf`` per UID and process state: time at each CPU frequency, in total and with the
    screen off (the second half of the row). Frequencies in kHz come from ``gcf``."""
    rows = stats.rows("ctf")
    gcf = stats.rows("gcf")
    freqs = gcf.matrix()[0] if gcf.n else np.zeros(0)
    row, pos, values, _ = rows.flat()
    n_freq = (
        np.clip(np.nan_to_num(rows.matrix(2)[:, 1], nan=0), 0, 1 << 20).astype(np.int64)
        if rows.n
        else np.zeros(0, np.int64)
    )
    idx = pos - 2
    nf = n_freq[row] if rows.n else np.zeros(0, np.int64)
    total = (idx >= 0) & (idx < nf)
    t_row, t_idx = row[total], idx[total]
    # The screen-off value of frequency i sits N fields after its total.
    so_at = rows.local_start[t_row] + 2 + n_freq[t_row] + t_idx if rows.n else t_idx
    so_ok = so_at < rows.local_start[t_row] + rows.count[t_row] if rows.n else so_at.astype(bool)
    screen_off = (
        np.where(so_ok, values[np.minimum(so_at, max(len(values) - 1, 0))], np.nan)
        if len(values)
        else np.zeros(0)
    )
    states = rows.text_at(0).to_numpy(zero_copy_only=False) if rows.n else np.zeros(0, object)
    named = np.array([schema.CPU_FREQ_STATES.get(s, s) for s in states], dtype=object)
    cols = uid_columns(rows.uid[t_row])
    known = list(_CPU_STATES)
    extra = sorted({x for x in named if x is not None} - set(known))
    cols["process_state"] = label(named[t_row] if rows.n else named, known + extra)
    cols["freq_index"] = Col(PLAIN, t_idx)
    fk = np.full(len(t_idx), np.nan)
    known = t_idx < len(freqs)
    fk[known] = freqs[t_idx[known]]
    cols["freq_khz"] = num(fk)
    cols["time_ms"] = num(values[total])
    cols["screen_off_time_ms"] = num(screen_off)
    return finish(cols)


# -- what is not understood --------------------------------------------------------------------

_READ_WIDTH = {"dsd": 5, "csd": 5, "pwi": 5, "vers": 4}


def _layout_width(key: str, version: int | None) -> int | None:
    """Number of fields this parser reads in ``key``; None when it reads all of them."""
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
    parts: list[dict[str, Col]] = []
    for key in stats.fields.keys:
        rows = stats.rows(key)
        width = _layout_width(key, stats.version) if key in schema.KNOWN_KEYS else 0
        if width is None:
            continue
        row, pos, _, texts = rows.flat()
        sel = np.flatnonzero(pos >= width)
        if not len(sel):
            continue
        values = texts.take(pa.array(sel, pa.int64()))
        if width == 0:
            names = rows.quoted_name.take(pa.array(row[sel], pa.int64()))
            first = pa.array(pos[sel] == 0)
            values = pc.if_else(first, pc.coalesce(names, values), values)
        parts.append(
            {
                "section": label(np.full(len(sel), key, dtype=object)),
                "uid": Col(PLAIN, rows.uid[row[sel]]),
                "line": Col(PLAIN, rows.line[row[sel]] + 1),
                "field": Col(PLAIN, pos[sel]),
                "value": text(values),
            }
        )
    if not parts:
        parts = [
            {
                "section": label(np.zeros(0, dtype=object)),
                "uid": Col(PLAIN, np.zeros(0, np.int64)),
                "line": Col(PLAIN, np.zeros(0, np.int64)),
                "field": Col(PLAIN, np.zeros(0, np.int64)),
                "value": text(pa.array([], pa.string())),
            }
        ]
    columns = {name: _concat([p[name] for p in parts]) for name in parts[0]}
    # Unknown sections may carry names with accounts in them as much as known ones.
    columns["value"] = redacted(columns["value"], redact_name, stats)
    return finish(columns)
