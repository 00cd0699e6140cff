"""Serving a view's tables and figures to every session: the caches, the figure workers and
the figures' URLs (issue 25: the serving half of what every tab shares; the layout and the
wiring of outputs are ``modules.common``).

A table is computed once per (view, snapshot, parameters) in the app process; a figure is
rendered in a worker process once per (view, figure, parameters, snapshot, format, dpi) and
served as ``figures/<content key>.png``. The default figures the build stored beside each
snapshot are read when first asked for (:func:`cached_figure`), with nothing rendered.
"""

from __future__ import annotations

import asyncio
import logging
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
    # one definition, shared by the plots, downloads and stored figures, so that all hit the same entries
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


def _or_stored(cache, key, read):
    """``cache``'s value for ``key``, else what ``read()`` finds stored beside the snapshot
    by its build (then kept in ``cache``), else None."""
    value = cache.get(key)
    if value is None:
        value = read()
        if value is not None:
            cache.put(key, value)
    return value


def cached_figure(view, which: str, params, s) -> bytes | None:
    """The screen PNG of a figure if it was rendered before, or stored beside the snapshot by
    its build (``llmtrends.serving.default_figures``: a view's defaults), else None. A stored
    one is read once and then cached like a rendered one."""
    return _or_stored(FIGURES, figure_key(view, which, params, s),
                      lambda: default_figures.figure(s, view, which, params))


def models_shown(view, s, params) -> int | None:
    """How many models the table at ``params`` shows (its provenance line), if known without
    computing it: from a table computed before, or from the stored defaults' index."""
    return _or_stored(SHOWN, table_key(view, s, params), lambda: default_figures.models_shown(s, view, params))


def plot_img(view, which: str, params, s, png: bytes) -> ui.Tag:
    """The figure (``png``, cached under its :func:`figure_key`) as an image the page loads from its URL
    (``llmtrends.serving.figure_urls``): the browser's cache holds every figure it was shown, so a
    selection seen before costs no image transfer. ``data-key`` is the figure's content key."""
    key = FIGURES.address(figure_key(view, which, params, s), png)
    return ui.img(src=f"{figure_urls.PREFIX}{key}.png", alt=f"{view.TITLE}: {which}", class_="llmtrends-plot",
                  style="max-width:100%;height:auto;", **{"data-key": key})
