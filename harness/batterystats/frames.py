"""Building typed DataFrames from ready column arrays, cheaply.

A checkin dump becomes some thirty small tables; with ``pd.DataFrame(dict)`` the per-column
validation costs more than parsing the text. Columns here are already typed arrays of equal
length, so the frame is assembled directly: one block per extension column and one stacked
(copied) block per numpy dtype, on a cached column index. That is what ``DataFrame._from_arrays``
ends with too, but without its per-column checks and without building the column index of
string labels every time, which alone costs more than a small table's data. Every internal used
is probed once at import; when one is missing or behaves differently (another pandas version)
the public constructors are used instead, with the same result.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "bool_array",
    "categorical",
    "category_dtype",
    "column_array",
    "empty",
    "float_array",
    "frame",
    "frame_of",
    "int_array",
    "pooled",
    "text_array",
]


def column_array(value: Any) -> Any:
    """Something pandas accepts as a column without conversion."""
    if isinstance(value, pd.Series):
        return value.array
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return text_array(value) if _is_text(value.type) else value.to_pandas().array
    if isinstance(value, (np.ndarray, pd.api.extensions.ExtensionArray)):
        return value
    return pd.array(value)


def frame(data: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame from equal-length typed columns."""
    return frame_of(tuple(data), [column_array(v) for v in data.values()])


@functools.lru_cache(maxsize=1024)
def _columns(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(names))


def frame_of(
    names: tuple[str, ...] | pd.Index, arrays: Sequence[Any], *, same_length: bool = False
) -> pd.DataFrame:
    """A DataFrame from column names (or a column index) and equal-length pandas arrays
    (extension arrays or 1-D numpy arrays). Numpy columns are copied; extension arrays are
    used as they are. ``same_length=True``: the caller guarantees the lengths are equal."""
    columns = names if isinstance(names, pd.Index) else _columns(names)
    n = len(arrays[0]) if len(arrays) else 0
    if _FAST_FRAME and (same_length or all(len(a) == n for a in arrays)):
        try:
            return _fast_frame(columns, arrays, n)
        except (TypeError, ValueError, AttributeError, AssertionError):
            pass
    return _slow_frame(tuple(columns), arrays, n)


def _slow_frame(names: tuple[str, ...], arrays: Sequence[Any], n: int) -> pd.DataFrame:
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is not None and all(len(a) == n for a in arrays):
        try:
            return build(
                list(arrays), columns=list(names), index=pd.RangeIndex(n), verify_integrity=False
            )
        except (TypeError, ValueError):
            pass
    return pd.DataFrame(dict(zip(names, arrays, strict=True)))


try:  # pandas internals: present from pandas 2.1 on, probed below before use
    from pandas._libs.internals import BlockPlacement
    from pandas.core.internals.blocks import get_block_type
    from pandas.core.internals.managers import BlockManager

    _FAST_FRAME = True
except ImportError:  # pragma: no cover - another pandas layout
    _FAST_FRAME = False

_NUMPY_KINDS = frozenset("iufb")
# Block class per extension array class: what pandas' get_block_type picks from the dtype's
# class, which goes with the array's class (asking an array for its dtype is not free).
_BLOCK_TYPES: dict[type, type] = {}


def _block(values: Any, placement: slice | np.ndarray) -> Any:
    if isinstance(values, np.ndarray):
        klass = get_block_type(values.dtype)
    else:
        klass = _BLOCK_TYPES.get(type(values))
        if klass is None:
            klass = _BLOCK_TYPES[type(values)] = get_block_type(values.dtype)
    return klass(values, ndim=2, placement=BlockPlacement(placement), refs=None)


def _fast_frame(columns: pd.Index, arrays: Sequence[Any], n: int) -> pd.DataFrame:
    blocks = []
    by_dtype: dict[np.dtype, list[int]] = {}
    for i, arr in enumerate(arrays):
        if isinstance(arr, np.ndarray):
            if arr.ndim != 1 or arr.dtype.kind not in _NUMPY_KINDS:
                raise TypeError("not a plain numeric column")
            by_dtype.setdefault(arr.dtype, []).append(i)
        else:
            blocks.append(_block(arr, slice(i, i + 1)))
    for dtype, cols in by_dtype.items():
        # Stacked into one block, as pandas consolidates them: a copy, so that no table shares
        # memory with the parser's arrays or with another table.
        values = empty((len(cols), n), dtype)
        for row, i in enumerate(cols):
            values[row] = arrays[i]
        place = slice(cols[0], cols[0] + 1) if len(cols) == 1 else np.array(cols, dtype=np.intp)
        blocks.append(_block(values, place))
    mgr = BlockManager(tuple(blocks), [columns._view(), _range_index(n)], verify_integrity=False)
    return pd.DataFrame._from_mgr(mgr, mgr.axes)


def _range_index(n: int) -> pd.RangeIndex:
    if _SIMPLE_RANGE:
        return pd.RangeIndex._simple_new(range(n))
    return pd.RangeIndex(n)


# -- memory ----------------------------------------------------------------------------------------


def pooled(n: int, dtype: Any) -> np.ndarray:
    """An uninitialised 1-D numpy array on Arrow's memory pool.

    Arrow's pool keeps freed memory for the next allocation, where a fresh large numpy array is
    paged in by the kernel every time: for the megabyte-sized arrays of a parse, those page
    faults cost as much as the arithmetic (several times more on a VM). The array keeps its
    buffer alive and is an ordinary writable numpy array otherwise.
    """
    dtype = np.dtype(dtype)
    return np.frombuffer(pa.allocate_buffer(max(n, 1) * dtype.itemsize), dtype)[:n]


# Below this many bytes numpy's own allocation is cheaper (and reuses its small blocks).
_POOL_FROM = 64 * 1024


def empty(shape: int | tuple[int, ...], dtype: Any) -> np.ndarray:
    """``np.empty``, on Arrow's pool (see :func:`pooled`) when the array is large."""
    dims = (shape,) if isinstance(shape, int) else shape
    dtype = np.dtype(dtype)
    size = math.prod(dims)  # (np.prod costs more than a small table's data here)
    if size * dtype.itemsize < _POOL_FROM:
        return np.empty(dims, dtype=dtype)
    return pooled(size, dtype).reshape(dims)


# -- typed arrays ----------------------------------------------------------------------------------


def int_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """Int64 from int64 values and an NA mask (both 1-D and owned by the caller)."""
    return _INT(values, mask)


def float_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.FloatingArray:
    return _FLOAT(values, mask)


def bool_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.BooleanArray:
    return _BOOL(values, mask)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def text_array(values: pa.Array | pa.ChunkedArray) -> Any:
    """The ``str`` column pandas makes of an Arrow string array (``to_pandas().array``)."""
    if _TEXT is not None:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if not pa.types.is_large_string(values.type):
            values = values.cast(pa.large_string())
        return _TEXT(pa.chunked_array([values]))
    if len(values) == 0:
        return pd.array([], dtype="str")
    return values.to_pandas().array


@functools.lru_cache(maxsize=512)
def category_dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    """Cached: building a CategoricalDtype validates and hashes its categories every time, which
    costs more than the codes themselves for the small tables built here."""
    return pd.CategoricalDtype(pd.Index(list(categories), dtype="str"))


def categorical(
    codes: np.ndarray, categories: list[str] | tuple[str, ...], *, drop_unused: bool = False
) -> pd.Categorical:
    """A Categorical from integer codes (-1 = NA), optionally keeping only the used categories."""
    codes = np.asarray(codes, dtype=np.int64)
    categories = tuple(categories)
    if drop_unused and categories:
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(categories), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        categories = tuple(categories[i] for i in used)
    return pd.Categorical.from_codes(codes, dtype=category_dtype(categories), validate=False)


# -- probes: use a shortcut only where it gives exactly what the public API gives ----------------


def _masked_maker(cls: Any, dtype: type) -> Any:
    simple = getattr(cls, "_simple_new", None)
    if simple is None:
        return cls
    try:
        data, mask = np.array([1, 0], dtype=dtype), np.array([False, True])
        fast, slow = simple(data, mask), cls(data.copy(), mask.copy())
        if type(fast) is type(slow) and fast.dtype == slow.dtype and fast.equals(slow):
            return simple
    except Exception:
        pass
    return cls


def _text_maker() -> Any:
    try:
        from pandas.arrays import ArrowStringArray

        sample = pa.array(["a", None], pa.string())
        want = sample.to_pandas().array
        if not isinstance(want, ArrowStringArray):
            return None
        dtype = want.dtype

        def make(values: pa.ChunkedArray) -> Any:
            return ArrowStringArray(values, dtype=dtype)

        got = make(pa.chunked_array([sample.cast(pa.large_string())]))
        if got.dtype == want.dtype and got._pa_array.equals(want._pa_array):
            return make
    except Exception:
        pass
    return None


def _probe_frame() -> bool:
    if not _FAST_FRAME:
        return False
    try:
        arrays = [
            np.array([1, 2], dtype=np.int64),
            pd.array([1, None], dtype="Int64"),
            np.array([3, 4], dtype=np.int64),
            pd.Categorical.from_codes([0, -1], dtype=category_dtype(("x",))),
        ]
        names = ("a", "b", "c", "d")
        fast, slow = _fast_frame(_columns(names), arrays, 2), _slow_frame(names, arrays, 2)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        return not np.shares_memory(fast["a"].to_numpy(), arrays[0])
    except Exception:
        return False


_SIMPLE_RANGE = hasattr(pd.RangeIndex, "_simple_new") and pd.RangeIndex._simple_new(
    range(3)
).equals(pd.RangeIndex(3))
_INT = _masked_maker(pd.arrays.IntegerArray, np.int64)
_FLOAT = _masked_maker(pd.arrays.FloatingArray, np.float64)
_BOOL = _masked_maker(pd.arrays.BooleanArray, np.bool_)
_TEXT = _text_maker()
_FAST_FRAME = _probe_frame()
