"""Render plotnine figures to bytes (matplotlib's Agg backend) with a bounded cache.

The app and ``scripts/figures.py`` both render through :func:`figure_bytes`, so a
downloaded figure and a reproduced one come out of the same code path.
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot imports
import matplotlib.pyplot as plt  # noqa: E402
from plotnine import ggplot  # noqa: E402

from . import speedups  # noqa: E402

speedups.install()  # same results, less overhead in pandas' string isin (see module)

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SCREEN_DPI = 96
_LOCK = threading.Lock()  # matplotlib's pyplot state is not thread-safe
log = logging.getLogger("llmtrends.render")


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


def _init_worker() -> None:
    # Everything imported so far (plotnine, matplotlib, pandas) lives as long as the worker:
    # keep it out of the garbage collector's full collections, which otherwise walk it on
    # every render (about 15 % of a render's time).
    from . import views  # noqa: F401 -- import the views once, not on the first render

    gc.freeze()


class RenderPool:
    """Render figures in worker processes, several at once (matplotlib is not thread-safe).

    ``workers`` processes are started from a fork server that has imported plotnine and
    the views once, so a worker starts in milliseconds and shares those pages. With
    ``workers=0`` (or when processes cannot be started) figures render in this process,
    one at a time. A worker that dies (killed, out of memory) breaks the pool: the pool is
    started again and the figure rendered again once, then in this process.
    """

    PRELOAD = ["llmtrends.render", "llmtrends.views"]

    def __init__(self, workers: int):
        self.workers = max(0, int(workers))
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self.restarts = 0
        self._failures = 0  # broken pools since the last figure a worker rendered

    def _pool(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._executor is None and self.workers > 0:
                try:
                    ctx = multiprocessing.get_context("forkserver")
                    ctx.set_forkserver_preload(self.PRELOAD)
                    self._executor = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker)
                except (OSError, ValueError) as exc:  # no processes here: render in this one
                    log.warning("figure workers unavailable (%s); rendering in the app process", exc)
                    self.workers = 0
            return self._executor

    def start(self) -> None:
        """Start the workers now (they start on first use otherwise)."""
        pool = self._pool()
        if pool is not None:
            for f in [pool.submit(gc.collect) for _ in range(self.workers)]:
                f.result()

    def _reset(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
                self.restarts += 1
        broken.shutdown(wait=False, cancel_futures=True)

    def render(self, view_id: str, which: str, params, tbl, fmt: str = "png", dpi: int = SCREEN_DPI) -> bytes:
        """The figure's bytes, exactly as :func:`view_figure_bytes` in this process makes them."""
        for _attempt in range(2):
            pool = self._pool()
            if pool is None:
                break
            try:
                data = pool.submit(view_figure_bytes, view_id, which, params, tbl, fmt, dpi).result()
                self._failures = 0
                return data
            except BrokenProcessPool:
                self._failures += 1
                if self._failures >= 3:  # workers die as soon as they start: stop trying
                    log.error("figure workers keep dying; rendering in the app process from now on")
                    self.workers = 0
                else:
                    log.warning("a figure worker died; restarting the workers")
                self._reset(pool)
        return view_figure_bytes(view_id, which, params, tbl, fmt, dpi)  # one at a time (figure_bytes' lock)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._executor = self._executor, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


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
