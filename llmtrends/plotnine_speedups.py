"""Pixel-identical shortcuts for plotnine hot spots found by profiling the app (issue 8).

``position_stack.strategy`` stacks each x position's bars/areas. Under pandas 3 its
``y[np.isnan(y)] = 0`` on a Series goes through a failing index lookup whose error
message formats the whole mask (``Series.__repr__``) for every x position, which made
stacking a large share of a stacked figure's render time. The replacement does the same
arithmetic on a NumPy copy of ``y``; ``tests/test_render_cache.py`` checks that it returns
the same frame as plotnine's original and that figures render to the same bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from plotnine.positions import position_stack

_ORIGINAL_STRATEGY = position_stack.strategy


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


def original_stack_strategy():
    """plotnine's own ``position_stack.strategy`` (for tests and comparisons)."""
    return _ORIGINAL_STRATEGY


def install() -> None:
    """Use the shortcuts (idempotent)."""
    position_stack.strategy = staticmethod(stack_strategy)


def uninstall() -> None:
    """Back to plotnine's own code (tests compare both)."""
    position_stack.strategy = staticmethod(_ORIGINAL_STRATEGY)
