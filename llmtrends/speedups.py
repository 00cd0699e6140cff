"""A same-result shortcut for a pandas hot spot found by profiling the app (issue 8).

pandas 3's ``str`` columns (Arrow-backed) answer ``isin(values)`` by building one Arrow
scalar per value in Python: 0.3 s for a few thousand repository ids, several times per
control change in views that match repositories (author activity). The replacement
converts the values in one ``pa.array`` call and asks Arrow the same question; values
that are not all strings (or missing) go to pandas' own code. ``tests/test_render_cache.py``
compares it with pandas' own on mixed inputs.

(Stacked figures no longer need plotnine's ``position_stack`` at render time: the views
stack their tables themselves, see ``views.common.stacked``.)
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pandas.core.arrays.string_arrow import ArrowStringArray

_ORIGINAL_ISIN = ArrowStringArray.isin


def string_isin(self: ArrowStringArray, values) -> np.ndarray:
    """``ArrowStringArray.isin`` with the value set built in one Arrow call."""
    try:
        value_set = pa.array(np.asarray(values, dtype=object), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return _ORIGINAL_ISIN(self, values)
    if value_set.type not in (pa.string(), pa.large_string()):
        return _ORIGINAL_ISIN(self, values)  # all missing, or not strings: pandas decides
    result = pc.is_in(self._pa_array, value_set=value_set.cast(self._pa_array.type))
    return np.array(result, dtype=np.bool_)


def original_string_isin():
    """pandas' own ``ArrowStringArray.isin``."""
    return _ORIGINAL_ISIN


def install() -> None:
    """Use the shortcut (idempotent)."""
    ArrowStringArray.isin = string_isin


def uninstall() -> None:
    """Back to pandas' own code (tests compare both)."""
    ArrowStringArray.isin = _ORIGINAL_ISIN
