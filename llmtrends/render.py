"""Render plotnine figures to bytes (matplotlib's Agg backend) with a bounded cache.

The app and ``scripts/figures.py`` both render through :func:`figure_bytes`, so a
downloaded figure and a reproduced one come out of the same code path.

matplotlib and plotnine are imported on the first render, not with this module: the app
process holds the figure cache and hands figures to its workers, and rendering nothing
itself it need not load them (~120 MB and ~0.4 s of its start).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from . import speedups
from .cache import BoundedLRU

if TYPE_CHECKING:
    from plotnine import ggplot

# No display: whoever imports matplotlib first (plotnine, in a view's figure) gets Agg.
os.environ.setdefault("MPLBACKEND", "Agg")

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SCREEN_DPI = 96
_LOCK = threading.Lock()  # matplotlib's pyplot state is not thread-safe


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")  # must precede the first pyplot import
    import matplotlib.pyplot as plt

    speedups.install_figures()  # same figures, fonts' metrics tables read once (checked, see module)
    return plt


def figure_bytes(fig: ggplot, fmt: str = "png", dpi: int = SCREEN_DPI) -> bytes:
    """The figure as PNG, SVG or PDF bytes (size from the figure's theme)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; expected one of {', '.join(FORMATS)}")
    import matplotlib

    plt = pyplot()
    buf = io.BytesIO()
    with _LOCK:
        mfig = fig.draw()
        try:
            metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
            if fmt == "svg":
                matplotlib.rcParams["svg.hashsalt"] = "llmtrends"
            mfig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata or None)
        finally:
            plt.close(mfig)
    return buf.getvalue()


def view_figure_bytes(view_id: str, which: str, params, tbl, fmt: str = "png", dpi: int = SCREEN_DPI) -> bytes:
    """Render figure ``which`` of view ``view_id`` for ``params`` from its table."""
    from .views import by_id  # views import plotnine only; render must not import them at module level

    return figure_bytes(by_id(view_id).figure(tbl, params, which), fmt, dpi)


def warm_up() -> None:
    """Draw one small figure using what the views' figures use (text, legends, facets, dates,
    trend lines: least squares, loess), so the lazily imported modules and matplotlib's font
    caches are loaded. The fork server does this once; its workers inherit it all."""
    import numpy as np
    import pandas as pd
    from plotnine import aes, facet_wrap, geom_point, geom_rect, geom_text, ggplot, labs

    from .views import common as vc

    n = 40
    x = np.linspace(1.0, 40.0, n)
    data = pd.DataFrame({"x": x, "y": np.sin(x / 5.0) + x / 20.0, "g": ["a", "b"] * (n // 2),
                         "t": pd.date_range("2024-01-01", periods=n, freq="D")})
    fig = (ggplot(data, aes("x", "y", color="g"))
           + geom_point() + vc.smooth(method=vc.linear_trend, se=False) + vc.smooth(method="loess", se=False)
           + geom_text(aes(label="g"), data=data.head(2), size=8)
           + geom_rect(aes(xmin="x", xmax="x", ymin="y", ymax="y"), data=data.head(2), inherit_aes=False)
           + facet_wrap("g") + labs(title="warm-up") + vc.theme_study())
    figure_bytes(fig, "png")
    figure_bytes(ggplot(data, aes("t", "y")) + geom_point() + vc.month_axis(data["t"].min(), data["t"].max())
                 + vc.theme_study(), "png")


class FigureCache(BoundedLRU):
    """An LRU cache of rendered figures bounded by total bytes.

    Keys are hashable tuples such as ``(view, which, params, snapshot_version, fmt, dpi)``;
    parameters are frozen dataclasses, so equal selections share an entry. Concurrent
    requests for the same missing key render it once: the others wait for that render.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        super().__init__(max_bytes)
        self._pending: dict[Hashable, threading.Event] = {}

    def get(self, key: Hashable) -> bytes | None:
        """The cached bytes for ``key`` (counted as a hit), or None without rendering."""
        with self._lock:
            return self._lookup(key)

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The cached bytes for ``key``, rendering (outside the lock) on a miss."""
        while True:
            with self._lock:
                cached = self._lookup(key)
                if cached is not None:
                    return cached
                pending = self._pending.get(key)
                if pending is None:
                    self._pending[key] = threading.Event()
                    break
            pending.wait()  # another thread renders this key; then look again
        try:
            data = render()
            with self._lock:
                self._store(key, data, len(data))
            return data
        finally:
            with self._lock:
                self._pending.pop(key).set()
