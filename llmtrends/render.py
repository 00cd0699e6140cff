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

speedups.install()  # same results, less overhead in plotnine's stacking and pandas' isin (see module)

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

    @property
    def size_bytes(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)
