"""Same-result shortcuts for plotnine and pandas hot spots found by profiling the app (issue 8).

``position_stack.strategy`` stacks each x position's bars/areas. Under pandas 3 its
``y[np.isnan(y)] = 0`` on a Series goes through a failing index lookup whose error
message formats the whole mask (``Series.__repr__``) for every x position, which made
stacking a large share of a stacked figure's render time. The replacement does the same
arithmetic on a NumPy copy of ``y``; ``tests/test_render_cache.py`` checks that it returns
the same frame as plotnine's original and that figures render to the same bytes.

pandas 3's ``str`` columns (Arrow-backed) answer ``isin(values)`` by building one Arrow
scalar per value in Python: 0.3 s for a few thousand repository ids, several times per
control change in views that match repositories (author activity). The replacement
converts the values in one ``pa.array`` call and asks Arrow the same question; values
that are not all strings (or missing) go to pandas' own code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.core.arrays.string_arrow import ArrowStringArray
from plotnine.positions import position_stack

_ORIGINAL_STRATEGY = position_stack.strategy
_ORIGINAL_ISIN = ArrowStringArray.isin


def stack_strategy(data: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Stack overlapping intervals at one x position (plotnine's algorithm, NumPy inside)."""
    vjust = params["vjust"]
    y = np.array(data["y"], copy=True)
    missing = np.isnan(y)
    if missing.any():
        y[missing] = 0
    heights = np.append(0, y.cumsum())
    if params["fill"]:
        heights = heights / np.abs(heights[-1])
    data["ymin"] = np.min([heights[:-1], heights[1:]], axis=0)
    data["ymax"] = np.max([heights[:-1], heights[1:]], axis=0)
    # same expression as plotnine's (not ymin + vjust * (ymax - ymin)), for the same floats
    data["y"] = (1 - vjust) * data["ymin"] + vjust * data["ymax"]
    return data


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


def original_stack_strategy():
    """plotnine's own ``position_stack.strategy`` (for tests and comparisons)."""
    return _ORIGINAL_STRATEGY


def install() -> None:
    """Use the shortcuts (idempotent)."""
    position_stack.strategy = staticmethod(stack_strategy)
    ArrowStringArray.isin = string_isin


def uninstall() -> None:
    """Back to plotnine's own code (tests compare both)."""
    position_stack.strategy = staticmethod(_ORIGINAL_STRATEGY)
    ArrowStringArray.isin = _ORIGINAL_ISIN
