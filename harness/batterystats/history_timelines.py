"""Timelines derived from the history event table: battery, state intervals, per-UID intervals.

All pairing is vectorised: rows are sorted by (key, record) and a start is closed by the row
right after it when that row is a stop of the same key in the same segment. Intervals never cross
a segment (a reboot or a stats reset); one left open ends at the last record of its segment and
is flagged ``end_observed=False``, a stop without a start begins at the first record of its
segment with ``start_observed=False`` (what Perfetto's stdlib does too).

The functions work on plain arrays pulled out of the event table once (:class:`EventArrays`):
filtering the whole DataFrame per state would copy every column each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness.batterystats.frames import categorical, frame
from harness.batterystats.history_codes import (
    BATTERY,
    BY_CODE,
    EVENT,
    INTERVAL_KIND_NAMES,
    STATE,
)


@dataclass(frozen=True)
class RecordClock:
    """Per-record time arrays that intervals are expressed in."""

    elapsed_ms: np.ndarray  # int64
    time_ms: np.ndarray  # int64, valid where ~time_missing
    time_missing: np.ndarray  # bool
    segment: np.ndarray  # int64, non-decreasing

    # Cached (a frozen dataclass still has an instance __dict__): every timeline asks for them.
    @cached_property
    def segment_first(self) -> np.ndarray:
        seg = self.segment
        if len(seg) == 0:
            return np.zeros(0, dtype=np.int64)
        change = np.empty(len(seg), dtype=bool)
        change[0] = True
        np.not_equal(seg[1:], seg[:-1], out=change[1:])
        return np.flatnonzero(change)

    @cached_property
    def segment_last(self) -> np.ndarray:
        first = self.segment_first
        if not len(first):
            return first
        last = np.empty(len(first), dtype=np.int64)
        last[:-1] = first[1:] - 1
        last[-1] = len(self.segment) - 1
        return last

    def times(self, recs: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(
            self.time_ms[recs].astype(np.int64), self.time_missing[recs].copy()
        )


@dataclass(frozen=True)
class EventArrays:
    """The columns of the event table the timelines need, as numpy / Arrow arrays."""

    code: np.ndarray  # int64 index into codes
    codes: list[str]
    names: list[str]  # long name per code
    kinds: list[str]  # kind per code
    sign: np.ndarray  # int8: +1 start, -1 stop, 0 neither
    record: np.ndarray  # int64
    uid: pd.arrays.IntegerArray
    value: pa.Array

    @classmethod
    def of(cls, events: pd.DataFrame) -> EventArrays:
        code = events["code"].array
        name = events["name"].array
        kind = events["kind"].array
        codes = list(code.categories)
        # name and kind are functions of the code; read them off the first row of each code.
        first = np.full(len(codes), -1, dtype=np.int64)
        cc = code.codes.astype(np.int64)
        first[cc[::-1]] = np.arange(len(cc) - 1, -1, -1)
        seen = first >= 0
        name_of = np.asarray(name.categories, dtype=object)[name.codes[np.maximum(first, 0)]]
        kind_of = np.asarray(kind.categories, dtype=object)[kind.codes[np.maximum(first, 0)]]
        names = [str(n) if ok else c for c, n, ok in zip(codes, name_of, seen, strict=True)]
        kinds = [str(k) if ok else "" for k, ok in zip(kind_of, seen, strict=True)]
        tcodes = events["transition"].array.codes
        sign = np.where(tcodes == 0, 1, np.where(tcodes == 1, -1, 0)).astype(np.int8)
        return cls(
            code=cc,
            codes=codes,
            names=names,
            kinds=kinds,
            sign=sign,
            record=events["record"].to_numpy(np.int64),
            uid=events["uid"].array,
            value=pa.array(events["value"]),
        )

    def rows_of_kind(self, kind: str) -> np.ndarray:
        wanted = np.array([k == kind for k in self.kinds], dtype=bool)
        return np.flatnonzero(wanted[self.code]) if len(wanted) else np.zeros(0, np.int64)

    def rows_of_codes(self, codes: set[str] | frozenset[str]) -> np.ndarray:
        wanted = np.array([c in codes for c in self.codes], dtype=bool)
        return np.flatnonzero(wanted[self.code]) if len(wanted) else np.zeros(0, np.int64)

    def values(self, rows: np.ndarray) -> pa.Array:
        return pc.take(self.value, pa.array(rows, pa.int64()))

    def category(self, rows: np.ndarray, labels: list[str]) -> pd.Categorical:
        cats = list(dict.fromkeys(labels))
        pos = {c: i for i, c in enumerate(cats)}
        mapping = np.array([pos[x] for x in labels], dtype=np.int64)
        return categorical(mapping[self.code[rows]], cats, drop_unused=True)


def _interval_frame(
    clock: RecordClock,
    start_rec: np.ndarray,
    end_rec: np.ndarray,
    start_obs: np.ndarray,
    end_obs: np.ndarray,
    leading: dict[str, object],
) -> pd.DataFrame:
    start_rec = start_rec.astype(np.int64)
    end_rec = end_rec.astype(np.int64)
    start_el = clock.elapsed_ms[start_rec]
    end_el = clock.elapsed_ms[end_rec]
    data: dict[str, object] = dict(leading)
    data.update(
        start_ms=clock.times(start_rec),
        end_ms=clock.times(end_rec),
        start_elapsed_ms=start_el,
        end_elapsed_ms=end_el,
        duration_ms=end_el - start_el,
        segment=clock.segment[start_rec],
        start_observed=start_obs.astype(bool),
        end_observed=end_obs.astype(bool),
    )
    return frame(data)


def _pair(
    group: np.ndarray, rec: np.ndarray, sign: np.ndarray, clock: RecordClock
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pair starts (+1) and stops (-1) of rows already sorted by (group, record).

    Returns (source row, start record, end record, start observed, end observed), ordered by
    start record.
    """
    n = len(group)
    seg = clock.segment[rec] if n else np.zeros(0, dtype=np.int64)
    same_next = np.zeros(n, dtype=bool)
    if n > 1:
        same_next[:-1] = (group[1:] == group[:-1]) & (seg[1:] == seg[:-1])
    start = sign == 1
    stop = sign == -1
    next_stop = np.zeros(n, dtype=bool)
    next_stop[:-1] = stop[1:]
    closed = start & same_next & next_stop
    prev_closes = np.zeros(n, dtype=bool)
    prev_closes[1:] = closed[:-1]
    orphan = stop & ~prev_closes

    s_rows = np.flatnonzero(start)
    o_rows = np.flatnonzero(orphan)
    nxt = np.minimum(s_rows + 1, max(n - 1, 0))
    s_end = np.where(closed[s_rows], rec[nxt], clock.segment_last[seg[s_rows]])
    rows = np.concatenate([s_rows, o_rows])
    start_rec = np.concatenate([rec[s_rows], clock.segment_first[seg[o_rows]]])
    end_rec = np.concatenate([s_end, rec[o_rows]])
    start_obs = np.concatenate([np.ones(len(s_rows), bool), np.zeros(len(o_rows), bool)])
    end_obs = np.concatenate([closed[s_rows], np.ones(len(o_rows), bool)])
    order = np.lexsort((rows, start_rec))
    return rows[order], start_rec[order], end_rec[order], start_obs[order], end_obs[order]


def _sort_rows(rows: np.ndarray, group: np.ndarray, ev: EventArrays) -> np.ndarray:
    """Order of ``rows`` by (group, record, event order)."""
    return np.lexsort((rows, ev.record[rows], group))


def state_intervals(ev: EventArrays, clock: RecordClock) -> pd.DataFrame:
    """One row per period a device state held: on/off flags and multi-valued states."""
    st = ev.rows_of_kind(STATE)
    flags = st[ev.sign[st] != 0]
    enum_candidates = st[ev.sign[st] == 0]
    enums = enum_candidates[pc.is_valid(ev.values(enum_candidates)).to_numpy(zero_copy_only=False)]
    parts: list[dict[str, object]] = []

    if len(flags):
        group = ev.code[flags]
        order = _sort_rows(flags, group, ev)
        flags, group = flags[order], group[order]
        rows, s, e, so, eo = _pair(group, ev.record[flags], ev.sign[flags], clock)
        src = flags[rows]
        parts.append(
            {
                "src": src,
                "value": pa.array(np.full(len(src), "on", dtype=object), ev.value.type),
                "s": s,
                "e": e,
                "so": so,
                "eo": eo,
            }
        )
    if len(enums):
        group = ev.code[enums]
        order = _sort_rows(enums, group, ev)
        enums, group = enums[order], group[order]
        rec = ev.record[enums]
        seg = clock.segment[rec]
        n = len(enums)
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = (group[1:] == group[:-1]) & (seg[1:] == seg[:-1])
        nxt = np.minimum(np.arange(n) + 1, n - 1)
        end = np.where(same_next, rec[nxt], clock.segment_last[seg])
        parts.append(
            {
                "src": enums,
                "value": ev.values(enums),
                "s": rec,
                "e": end,
                "so": np.ones(n, bool),
                "eo": same_next,
            }
        )
    if not parts:
        return _empty_intervals({"name": "category", "code": "category", "value": "str"})
    src = np.concatenate([p["src"] for p in parts])  # type: ignore[misc]
    s = np.concatenate([p["s"] for p in parts])  # type: ignore[misc]
    e = np.concatenate([p["e"] for p in parts])  # type: ignore[misc]
    so = np.concatenate([p["so"] for p in parts])  # type: ignore[misc]
    eo = np.concatenate([p["eo"] for p in parts])  # type: ignore[misc]
    value = pa.concat_arrays([p["value"] for p in parts])  # type: ignore[misc]
    order = np.lexsort((ev.code[src], s))
    src, s, e, so, eo = src[order], s[order], e[order], so[order], eo[order]
    return _interval_frame(
        clock,
        s,
        e,
        so,
        eo,
        {
            "name": ev.category(src, ev.names),
            "code": ev.category(src, ev.codes),
            "value": pc.take(value, pa.array(order)).to_pandas(),
        },
    )


_PAIRED_CODES = frozenset(c.code for c in BY_CODE.values() if c.paired)


def _first_seen_groups(keys: list[np.ndarray]) -> np.ndarray:
    """Group number of each row by equal key tuples, numbered in order of first appearance
    (what ``dictionary_encode`` of a joined string key gives, without building the strings).

    Every key is a non-negative int64 code; they are packed into one int64 where that cannot
    overflow (then Arrow's hash-based dictionary_encode numbers them by first appearance), else
    compared as rows.
    """
    n = len(keys[0])
    combined = np.zeros(n, dtype=np.int64)
    room = 1
    for k in keys:
        size = int(k.max()) + 1 if n else 1
        if room * size >= 2**62:
            return _first_seen_rows(keys)
        combined = combined * size + k
        room *= size
    return _dense_codes(combined)


def _first_seen_rows(keys: list[np.ndarray]) -> np.ndarray:
    _, first, inverse = np.unique(
        np.stack(keys, axis=1), axis=0, return_index=True, return_inverse=True
    )
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


def _dense_codes(values: np.ndarray) -> np.ndarray:
    """Codes 0, 1, 2... of int64 values in order of first appearance (equal values, equal
    codes)."""
    enc = pc.dictionary_encode(pa.array(values, pa.int64()))
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def app_intervals(ev: EventArrays, clock: RecordClock) -> pd.DataFrame:
    """Per-UID intervals of paired events (jobs, syncs, alarms, wakelocks, top app...).

    Also the CPU wakelock state ``w`` as kind ``wakelock_held``: the history names the wakelock
    that *first* woke the CPU for each held period, so that is the UID it is attributed to.
    """
    # Paired event codes, decided per code rather than per row.
    wanted = np.array(
        [c in _PAIRED_CODES and k == EVENT for c, k in zip(ev.codes, ev.kinds, strict=True)],
        dtype=bool,
    )
    paired = np.flatnonzero(wanted[ev.code]) if len(wanted) else np.zeros(0, np.int64)
    sign = ev.sign[paired].copy()
    rec = ev.record[paired]
    # Unsigned paired events right at a segment start list what was already active at a reset
    # or boot (HistoryEventTracker), so they open an interval.
    seg_start = clock.elapsed_ms[clock.segment_first[clock.segment[rec]]] if len(rec) else rec
    at_start = clock.elapsed_ms[rec] == seg_start
    already = (sign == 0) & at_start
    sign = np.where(already, 1, sign).astype(np.int8)
    keep = sign != 0
    paired, sign, already = paired[keep], sign[keep], already[keep]
    held = ev.rows_of_codes({"w"})
    held = held[ev.sign[held] != 0]

    # Interval kind labels: one per code, then "wakelock_held"; a category per used label.
    labels = [INTERVAL_KIND_NAMES.get(c, n) for c, n in zip(ev.codes, ev.names, strict=True)]
    labels.append("wakelock_held")
    srcs: list[np.ndarray] = []
    fields: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    kinds: list[np.ndarray] = []
    if len(paired):
        # One group per (event code, uid, tag); a missing tag counts as an empty one.
        uid = ev.uid[paired]
        uid_key = _dense_codes(uid.to_numpy(dtype=np.int64, na_value=-(2**62)))
        tag = pc.dictionary_encode(pc.fill_null(ev.values(paired), ""))
        tag_key = tag.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        group = _first_seen_groups([ev.code[paired], uid_key, tag_key])
        order = _sort_rows(paired, group, ev)
        rows, s, e, so, eo = _pair(group[order], ev.record[paired[order]], sign[order], clock)
        src = paired[order][rows]
        if already.any():
            # Active before the reset: the real start was not observed.
            was_active = np.zeros(len(ev.code), dtype=bool)
            was_active[paired[already]] = True
            so = so & ~was_active[src]
        srcs.append(src)
        fields.append((s, e, so, eo))
        kinds.append(ev.code[src])
    if len(held):
        order = np.argsort(ev.record[held], kind="stable")
        held = held[order]
        rows, s, e, so, eo = _pair(
            np.zeros(len(held), np.int64), ev.record[held], ev.sign[held], clock
        )
        src = held[rows]
        srcs.append(src)
        fields.append((s, e, so, eo))
        kinds.append(np.full(len(src), len(labels) - 1, dtype=np.int64))
    if not srcs:
        return _empty_intervals(
            {"kind": "category", "code": "category", "uid": "Int64", "name": "str"}
        )
    src = np.concatenate(srcs)
    s, e, so, eo = (np.concatenate([f[i] for f in fields]) for i in range(4))
    # Label index -> code among the sorted labels in use (what pd.Categorical infers).
    label_idx = np.concatenate(kinds)
    used = sorted({labels[i] for i in np.unique(label_idx).tolist()})
    position = {c: i for i, c in enumerate(used)}
    to_code = np.array([position.get(x, -1) for x in labels], dtype=np.int64)
    kind = to_code[label_idx]
    # Sorted by start record, then kind (by name: the codes follow the sorted names).
    order = np.lexsort((kind, s))
    src, s, e, so, eo, kind = src[order], s[order], e[order], so[order], eo[order], kind[order]
    return _interval_frame(
        clock,
        s,
        e,
        so,
        eo,
        {
            "kind": categorical(kind, used),
            "code": ev.category(src, ev.codes),
            "uid": ev.uid[src],
            "name": ev.values(src),
        },
    )


def _empty_intervals(leading: dict[str, str]) -> pd.DataFrame:
    cols = {name: pd.Series(dtype=dtype) for name, dtype in leading.items()}
    cols.update(
        start_ms=pd.Series(dtype="Int64"),
        end_ms=pd.Series(dtype="Int64"),
        start_elapsed_ms=pd.Series(dtype="int64"),
        end_elapsed_ms=pd.Series(dtype="int64"),
        duration_ms=pd.Series(dtype="int64"),
        segment=pd.Series(dtype="int64"),
        start_observed=pd.Series(dtype="bool"),
        end_observed=pd.Series(dtype="bool"),
    )
    return pd.DataFrame(cols)


# Battery fields: code -> (column, kind). Values are forward-filled between changes.
_BATTERY_COLUMNS: dict[str, tuple[str, str]] = {
    "Bl": ("level_pct", "int"),
    "Bs": ("status", "str"),
    "Bh": ("health", "str"),
    "Bp": ("plug", "str"),
    "Bt": ("temperature_c", "deci"),
    "Bv": ("voltage_mv", "int"),
    "Bcc": ("charge_mah", "int"),
    "Mrc": ("modem_rail_charge_mah", "float"),
    "Wrc": ("wifi_rail_charge_mah", "float"),
}


def _ffill(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Forward fill by index: each slot takes the last present slot at or before it."""
    idx = np.where(present, np.arange(len(values)), 0)
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    if len(values) and not present[0]:
        leading = ~np.maximum.accumulate(present)
        out = out.copy()
        out[leading] = np.nan if out.dtype.kind == "f" else None
    return out


def _ffill_codes(codes: np.ndarray, present: np.ndarray) -> np.ndarray:
    """:func:`_ffill` for int64 codes: -1 before the first present slot."""
    idx = np.where(present, np.arange(len(codes)), 0)
    np.maximum.accumulate(idx, out=idx)
    out = codes[idx]
    if len(codes) and not present[0]:
        out[~np.maximum.accumulate(present)] = -1
    return out


def battery_timeline(ev: EventArrays, clock: RecordClock) -> pd.DataFrame:
    """One row per record where a battery field changed, every field forward-filled."""
    rows = ev.rows_of_kind(BATTERY)
    rec = ev.record[rows]
    recs = np.unique(rec)
    at = np.searchsorted(recs, rec)
    columns = list(_BATTERY_COLUMNS)
    column_of_code = np.array(
        [columns.index(c) if c in _BATTERY_COLUMNS else -1 for c in ev.codes] or [-1],
        dtype=np.int64,
    )
    col = column_of_code[ev.code[rows]] if len(rows) else np.zeros(0, np.int64)
    text = ev.values(rows)
    # All numeric fields in one pass; the few status/health/plug changes are read as text.
    numeric = pc.fill_null(pc.match_substring_regex(text, r"^-?\d+(\.\d+)?$"), False)
    values = pc.cast(pc.if_else(numeric, text, pa.scalar(None, text.type)), pa.float64())
    values = values.to_numpy(zero_copy_only=False).astype(np.float64)
    data: dict[str, object] = {
        "record": recs,
        "time_ms": clock.times(recs),
        "elapsed_ms": clock.elapsed_ms[recs],
    }
    for j, (column, kind) in enumerate(_BATTERY_COLUMNS.values()):
        sel = np.flatnonzero(col == j)
        present = np.zeros(len(recs), dtype=bool)
        if kind == "str":
            # Forward-filled as codes into the distinct words (-1: none yet, or no value);
            # the categories are the words left in the column, sorted.
            # (Status, health and plug change rarely: a few Python strings.)
            word = np.full(len(recs), -1, dtype=np.int64)
            index: dict[str, int] = {}
            if len(sel):
                ids = [
                    -1 if v is None else index.setdefault(v, len(index))
                    for v in text.take(pa.array(sel)).to_pylist()
                ]
                word[at[sel]] = ids
                present[at[sel]] = True
            words = list(index)
            filled = _ffill_codes(word, present)
            left = filled[filled >= 0]
            used = np.flatnonzero(np.bincount(left, minlength=len(words))).tolist()
            cats = sorted(words[i] for i in used)
            position = {c: i for i, c in enumerate(cats)}
            remap = np.full(len(words) + 1, -1, dtype=np.int64)  # last slot: -1 stays -1
            for i in used:
                remap[i] = position[words[i]]
            data[column] = categorical(remap[filled], cats)
            continue
        num = np.full(len(recs), np.nan)
        num[at[sel]] = values[sel]
        present[at[sel]] = ~np.isnan(values[sel])
        filled = _ffill(num, present)
        mask = np.isnan(filled)
        if kind == "int":
            data[column] = pd.arrays.IntegerArray(np.where(mask, 0, filled).astype(np.int64), mask)
        else:
            scaled = filled / 10.0 if kind == "deci" else filled
            data[column] = pd.arrays.FloatingArray(np.where(mask, 0.0, scaled), mask)
    return frame(data)


def doze_intervals(states: pd.DataFrame) -> pd.DataFrame:
    """Periods in Doze with their depth: ``light`` or ``deep``.

    ``device_idle=full`` is deep Doze; Android 6 only had deep Doze and printed it as the flag
    ``+device_idle``.
    """
    di = states[(states["code"] == "di").to_numpy()]
    mode = di["value"].astype(object).map({"light": "light", "full": "deep", "on": "deep"})
    out = di[mode.notna().to_numpy()].copy()
    out.insert(0, "mode", pd.Categorical(mode[mode.notna()], categories=["light", "deep"]))
    return out.drop(columns=["name", "code", "value"]).reset_index(drop=True)
