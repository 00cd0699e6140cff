"""Serving a view's tables and figures to every session: the caches, the figure workers and
the figures' URLs (issue 25: the serving half of what every tab shares; the layout and the
wiring of outputs are ``modules.common``).

A table is computed once per (view, snapshot, parameters) in the app process; a figure is
rendered in a worker process once per (view, figure, parameters, snapshot, format, dpi) and
served as ``figures/<content key>.png``. The default figures the build stored beside each
snapshot are put in the caches at start (:func:`serve_stored`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from shiny import ui

from llmtrends.serving import cache as lcache
from llmtrends.serving import default_figures, figure_urls, workers
from llmtrends.serving import render as lrender

log = logging.getLogger("llmtrends.app")

# One process-wide cache of rendered figures, shared by every session; the app's figure
# route (app.py) serves its PNGs by content key.
FIGURES = lcache.FigureCache(max_bytes=64 * 1024 * 1024)
# Figures render in worker processes (``LLMTRENDS_RENDER_WORKERS``), so the two figures of
# a view, or two sessions' figures, render at the same time; the threads only wait for them.
RENDERER = workers.shared()
_WAIT_POOL = ThreadPoolExecutor(max_workers=max(2, 2 * RENDERER.workers), thread_name_prefix="llmtrends-render")
DOWNLOAD_DPI = 150  # figures downloaded as PNG/SVG/PDF
# A process-wide cache of view tables, so a selection any session made before is not recomputed.
TABLES = lcache.TableCache(max_bytes=24 * 1024 * 1024)
# The number of models each table computed shows (its provenance line), by table key: with
# the figure cache, a selection seen before is answered without its table, even when the
# table is too large for TABLES (a board far larger than the real ones).
SHOWN = lcache.ValueCache(max_items=4096)


def table_key(view, s, params) -> tuple:
    return (view.ID, s.board, s.version, params)


def table(view, s, params):
    key = table_key(view, s, params)
    tbl = TABLES.get_or_compute(key, lambda: view.table(s, params))
    SHOWN.put(key, tbl.attrs.get("models_shown"))
    return tbl


def figure_key(view, which: str, params, s, fmt: str = "png", dpi: int = lrender.SCREEN_DPI,
                size: str = "screen") -> tuple:
    # one definition, shared by the plots, downloads and serve_stored(), so that all hit the same entries
    return (view.ID, which, params, s.version, fmt, dpi) + (() if size == "screen" else (size,))


# Renders under way, by figure key: the outputs (of any session) asking for a figure that
# is being rendered wait for the same future. Only changed from the event loop.
_INFLIGHT: dict[tuple, asyncio.Future] = {}


def figure_future(view, which: str, params, tbl, s, fmt: str = "png", dpi: int = lrender.SCREEN_DPI,
                   size: str = "screen") -> asyncio.Future:
    """A future of the figure's bytes: cached, under way, or started now in a worker."""
    key = figure_key(view, which, params, s, fmt, dpi, size)
    fut = _INFLIGHT.get(key)
    if fut is None:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(_WAIT_POOL, FIGURES.get_or_render, key,
                                   lambda: RENDERER.render(view.ID, which, params, tbl, fmt, dpi, size))
        _INFLIGHT[key] = fut

        def done(f, key=key):
            if _INFLIGHT.get(key) is f:
                del _INFLIGHT[key]
            if not f.cancelled():
                f.exception()  # retrieved here too: a figure nobody waits for any more logs nothing
        fut.add_done_callback(done)
    return fut


def serve_stored(snapshots: Mapping, views, first_board: str | None = None) -> threading.Thread:
    """Put the default figures each snapshot's build stored beside it
    (``llmtrends.serving.default_figures``) into FIGURES, and the number of models each default
    table shows into SHOWN, in a background thread: a new session's first plots and
    provenance lines are then cache hits, with no table to compute. The default board
    goes first."""
    def work():
        for board in sorted(snapshots, key=lambda b: b != first_board):
            s, held = snapshots[board], 0
            try:
                for got in default_figures.stored(s, views):
                    if got.shown is not None:
                        SHOWN.put(table_key(got.view, s, got.params), got.shown)
                    for which, data in got.figures.items():
                        FIGURES.put(figure_key(got.view, which, got.params, s), data)
                        held += 1
            except Exception:  # noqa: BLE001 -- figures not read are drawn when asked for
                log.exception("%s: reading the stored default figures failed", board)
            log.info("%s: %d stored default figures served", board, held)

    thread = threading.Thread(target=work, name="llmtrends-stored-figures", daemon=True)
    thread.start()
    return thread


def plot_img(view, which: str, fkey: tuple, png: bytes) -> ui.Tag:
    """The figure (``png``, cached under ``fkey``) as an image the page loads from its URL
    (``llmtrends.serving.figure_urls``): the browser's cache holds every figure it was shown, so a
    selection seen before costs no image transfer. ``data-key`` is the figure's content key."""
    key = FIGURES.address(fkey, png)
    return ui.img(src=f"{figure_urls.PREFIX}{key}.png", alt=f"{view.TITLE}: {which}", class_="llmtrends-plot",
                  style="max-width:100%;height:auto;", **{"data-key": key})
