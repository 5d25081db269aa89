"""Building typed DataFrames from ready column arrays, cheaply.

A checkin dump becomes some thirty small tables; with ``pd.DataFrame(dict)`` the per-column
validation costs more than parsing the text. Columns here are already typed arrays of equal
length, so the frame is assembled directly (``DataFrame._from_arrays``, a long-standing pandas
internal, with the public constructor as fallback).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


def column_array(value: Any) -> Any:
    """Something pandas accepts as a column without conversion."""
    if isinstance(value, pd.Series):
        return value.array
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return value.to_pandas().array
    if isinstance(value, (np.ndarray, pd.api.extensions.ExtensionArray)):
        return value
    return pd.array(value)


def frame(data: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame from equal-length typed columns."""
    arrays = [column_array(v) for v in data.values()]
    n = len(arrays[0]) if arrays else 0
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is not None and all(len(a) == n for a in arrays):
        try:
            return build(arrays, columns=list(data), index=pd.RangeIndex(n), verify_integrity=False)
        except (TypeError, ValueError):
            pass
    return pd.DataFrame(dict(zip(data, arrays, strict=True)))


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
