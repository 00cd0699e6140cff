"""Render plotnine figures to bytes (matplotlib's Agg backend) with a bounded cache.

The app and ``scripts/figures.py`` both render through :func:`figure_bytes`, so a
downloaded figure and a reproduced one come out of the same code path.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot imports
import matplotlib.pyplot as plt  # noqa: E402
from plotnine import ggplot  # noqa: E402

from . import speedups  # noqa: E402

speedups.install()  # same results, less overhead in pandas' string isin (see module)

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SCREEN_DPI = 96
_LOCK = threading.Lock()  # matplotlib's pyplot state is not thread-safe


def figure_bytes(fig: ggplot, fmt: str = "png", dpi: int = SCREEN_DPI) -> bytes:
    """The figure as PNG, SVG or PDF bytes (size from the figure's theme)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; expected one of {', '.join(FORMATS)}")
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
    trend lines: statsmodels, loess), so the lazily imported modules and matplotlib's font
    caches are loaded. The fork server does this once; its workers inherit it all."""
    import numpy as np
    import pandas as pd
    from plotnine import aes, facet_wrap, geom_point, geom_rect, geom_smooth, geom_text, ggplot, labs

    from .views import common as vc

    n = 40
    x = np.linspace(1.0, 40.0, n)
    data = pd.DataFrame({"x": x, "y": np.sin(x / 5.0) + x / 20.0, "g": ["a", "b"] * (n // 2),
                         "t": pd.date_range("2024-01-01", periods=n, freq="D")})
    fig = (ggplot(data, aes("x", "y", color="g"))
           + geom_point() + geom_smooth(method="lm", se=False) + geom_smooth(method="loess", se=False)
           + geom_text(aes(label="g"), data=data.head(2), size=8)
           + geom_rect(aes(xmin="x", xmax="x", ymin="y", ymax="y"), data=data.head(2), inherit_aes=False)
           + facet_wrap("g") + labs(title="warm-up") + vc.theme_study())
    figure_bytes(fig, "png")
    figure_bytes(ggplot(data, aes("t", "y")) + geom_point() + vc.month_axis(data["t"].min(), data["t"].max())
                 + vc.theme_study(), "png")


class FigureCache:
    """An LRU cache of rendered figures bounded by total bytes.

    Keys are hashable tuples such as ``(view, which, params, snapshot_version, fmt, dpi)``;
    parameters are frozen dataclasses, so equal selections share an entry. Concurrent
    requests for the same missing key render it once: the others wait for that render.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The cached bytes for ``key`` (counted as a hit), or None without rendering."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        return None

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The cached bytes for ``key``, rendering (outside the lock) on a miss."""
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
                pending = self._pending.get(key)
                if pending is None:
                    self._pending[key] = threading.Event()
                    break
            pending.wait()  # another thread renders this key; then look again
        try:
            data = render()
            with self._lock:
                self.misses += 1
                if key not in self._items and len(data) <= self.max_bytes:
                    self._items[key] = data
                    self._size += len(data)
                    while self._size > self.max_bytes:
                        _, old = self._items.popitem(last=False)
                        self._size -= len(old)
            return data
        finally:
            with self._lock:
                self._pending.pop(key).set()

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` is cached (not counted as a hit, order unchanged)."""
        with self._lock:
            return key in self._items

    @property
    def size_bytes(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)
