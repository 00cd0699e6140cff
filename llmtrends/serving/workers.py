"""Figure workers: processes that render figures side by side (matplotlib is not thread-safe).

This module imports neither plotnine nor matplotlib, so that the app can start the
workers first thing (``shared().start_background()``), while it is still importing and
loading the boards: the fork server imports the views and warms up (``_forkserver``) on the
other core meanwhile.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from llmtrends import config

log = logging.getLogger("llmtrends.serving.workers")


def _init_worker(app_pid: int) -> None:
    # Everything imported so far (plotnine, matplotlib, pandas) lives as long as the worker:
    # keep it out of the garbage collector's full collections, which otherwise walk it on
    # every render.
    from llmtrends import views  # noqa: F401 -- import the views once, not on the first render
    from llmtrends.serving import speedups

    speedups.install()  # (checked once, in the fork server) same answers, faster
    speedups.use_object_strings()  # (inherited from the fork server too) same figures, faster
    gc.freeze()
    threading.Thread(target=_exit_with, args=(app_pid,), name="llmtrends-watch-app", daemon=True).start()


def _exit_with(app_pid: int, every_s: float = 1.0) -> None:
    """End this worker once the app process is gone, however it ended.

    A worker waits for work on a queue it also holds the writing end of, and holds the
    fork server's liveness pipe: if the app is killed (or exits without shutting the pool
    down), neither would ever notice. Once the workers are gone, the fork server exits too.
    """
    while True:
        time.sleep(every_s)
        if _gone(app_pid):
            os._exit(0)


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie, not yet reaped by its parent, has)."""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: the app's pid was reused
        return True
    return False


class RenderPool:
    """Render figures in worker processes, several at once (matplotlib is not thread-safe).

    ``workers`` processes are started from a fork server that has imported plotnine and
    the views once, so a worker starts in milliseconds and shares those pages. With
    ``workers=0`` (or when processes cannot be started) figures render in this process,
    one at a time. A worker that dies (killed, out of memory) breaks the pool: the pool is
    started again and the figure rendered again once, then in this process.
    """

    PRELOAD = ["llmtrends.serving._forkserver"]  # imports the views and warms up (see that module)
    INITIALIZER = staticmethod(_init_worker)  # run once in each worker

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
                    self._executor = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=self.INITIALIZER,
                                                         initargs=(os.getpid(),))
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

    def start_background(self) -> threading.Thread:
        """Start the workers in a background thread (the fork server's start takes a second);
        a figure asked for meanwhile waits for them (``render``)."""
        def run():
            try:
                self.start()
            except Exception:  # noqa: BLE001 -- figures then start the pool again, or render here
                log.exception("starting the figure workers failed")
        thread = threading.Thread(target=run, name="llmtrends-workers-start", daemon=True)
        thread.start()
        return thread

    def render(self, view_id: str, which: str, params, tbl, fmt: str = "png", dpi: int | None = None,
               size: str = "screen") -> bytes:
        """The figure's bytes, exactly as ``render.view_figure_bytes`` in this process makes them
        (``dpi`` defaults to ``render.SCREEN_DPI``; ``size`` as there). A figure asked for while the workers still
        start waits for them: rendering it here would load plotnine and matplotlib
        into this process for good, which otherwise never imports them."""
        from llmtrends.serving.render import SCREEN_DPI, view_figure_bytes  # imports plotnine only when it renders
        from llmtrends.views import by_id
        from llmtrends.views.provenance import figure_table

        dpi = SCREEN_DPI if dpi is None else dpi
        tbl = figure_table(by_id(view_id), which, tbl, params)  # less to pickle: only what the figure reads
        for _attempt in range(2):
            pool = self._pool()
            if pool is None:
                break
            try:
                data = pool.submit(view_figure_bytes, view_id, which, params, tbl, fmt, dpi, size).result()
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
        return view_figure_bytes(view_id, which, params, tbl, fmt, dpi, size)  # one at a time (figure_bytes' lock)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._executor = self._executor, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_SHARED: RenderPool | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> RenderPool:
    """The process's pool (``LLMTRENDS_RENDER_WORKERS`` workers), created on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = RenderPool(config.render_workers())
        return _SHARED
