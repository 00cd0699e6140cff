"""Configuration from environment variables (one table in the README documents them).

| variable | meaning | default |
|---|---|---|
| ``LLMTRENDS_DATA`` | folder with the processed snapshots (``<board>/models.parquet``) | ``./data`` |
| ``LLMTRENDS_BOARD`` | board shown first (``v1``, ``v2`` or ``hub``) | ``v2`` if present, else ``v1``, else ``hub`` |
| ``LLMTRENDS_LOG_LEVEL`` | Python logging level | ``INFO`` |
| ``LLMTRENDS_HOST`` / ``LLMTRENDS_PORT`` | where ``scripts/serve.py`` listens | ``127.0.0.1`` / ``8000`` |
| ``LLMTRENDS_RENDER_WORKERS`` | processes rendering figures (``0``: in the app process) | CPUs, at most 4 |
| ``LLMTRENDS_WS_QUEUE`` | each browser's messages go through its own queue, so a client that stops reading never holds up the others (``0``: off, py-shiny sends directly) | ``1`` |
| ``LLMTRENDS_WS_STALL_S`` | seconds a browser may take no message before it is disconnected (with the queue) | ``30`` |
| ``LLMTRENDS_WATCH_S`` | how often (seconds) the app looks for a new snapshot of a board, to serve it to new sessions without a restart (``0``: never; the snapshots of the start are served until a restart) | ``30`` |
| ``LLMTRENDS_SPEEDUPS`` | same-result shortcuts into pandas, matplotlib, py-shiny and the page's figure reuse (``0``: none, the libraries' own code only) | ``1`` |
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path


def data_dir(app_dir: Path) -> Path:
    """The snapshot folder: ``LLMTRENDS_DATA`` or ``<app>/data``."""
    value = os.environ.get("LLMTRENDS_DATA")
    return Path(value).expanduser() if value else app_dir / "data"


def default_board(boards: list[str]) -> str | None:
    """``LLMTRENDS_BOARD`` when it has a snapshot, else v2, else v1, else hub (the leaderboards
    first, as before the hub board existed: it is shown first when asked for or alone)."""
    wanted = os.environ.get("LLMTRENDS_BOARD")
    if wanted in boards:
        return wanted
    for board in ("v2", "v1", "hub"):
        if board in boards:
            return board
    return None


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # the app's and its figure workers'


def log_level() -> int:
    """``LLMTRENDS_LOG_LEVEL`` as a logging level (INFO when unset or unknown)."""
    level = logging.getLevelName(os.environ.get("LLMTRENDS_LOG_LEVEL", "INFO").upper())
    return level if isinstance(level, int) else logging.INFO


def host() -> str:
    return os.environ.get("LLMTRENDS_HOST", "127.0.0.1")


def port() -> int:
    try:
        return int(os.environ.get("LLMTRENDS_PORT", "8000"))
    except ValueError:
        return 8000


def _switch(name: str) -> bool:
    """An on/off variable, on unless ``0`` / ``false`` / ``no`` / ``off``."""
    return os.environ.get(name, "1").strip().lower() not in ("0", "false", "no", "off")


def ws_queue() -> bool:
    """``LLMTRENDS_WS_QUEUE``: per-browser send queues (llmtrends/serving/sendqueue.py; on unless ``0``)."""
    return _switch("LLMTRENDS_WS_QUEUE")


def ws_stall_s() -> float:
    """``LLMTRENDS_WS_STALL_S``: how long a browser may take no message before it is dropped."""
    from llmtrends.serving.sendqueue import DEFAULT_STALL_S

    value = os.environ.get("LLMTRENDS_WS_STALL_S", "").strip()
    if value:
        try:
            seconds = float(value)
            if math.isfinite(seconds) and seconds > 0:
                return seconds
        except ValueError:
            pass
        logging.getLogger("llmtrends.config").warning("LLMTRENDS_WS_STALL_S=%r is not a positive number; using %g",
                                                      value[:20], DEFAULT_STALL_S)
    return DEFAULT_STALL_S


WATCH_S_DEFAULT = 30.0


def watch_s() -> float:
    """``LLMTRENDS_WATCH_S``: seconds between two looks for new snapshots (0: never)."""
    value = os.environ.get("LLMTRENDS_WATCH_S", "").strip()
    if not value:
        return WATCH_S_DEFAULT
    try:
        seconds = float(value)
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    except ValueError:
        pass
    logging.getLogger("llmtrends.config").warning("LLMTRENDS_WATCH_S=%r is not a number of seconds; using %g",
                                                  value[:20], WATCH_S_DEFAULT)
    return WATCH_S_DEFAULT


def speedups() -> bool:
    """``LLMTRENDS_SPEEDUPS``: use the same-result shortcuts into libraries' internals
    (``llmtrends.serving.speedups``, ``modules.shiny_speedups``, the explorer's pre-serialized grid);
    on unless ``0``."""
    return _switch("LLMTRENDS_SPEEDUPS")


def render_workers() -> int:
    """``LLMTRENDS_RENDER_WORKERS``: figure-rendering processes (default: the CPUs, at most 4)."""
    value = os.environ.get("LLMTRENDS_RENDER_WORKERS", "").strip()
    if value:
        try:
            return max(0, min(int(value), 32))
        except ValueError:
            logging.getLogger("llmtrends.config").warning("LLMTRENDS_RENDER_WORKERS=%r is not a number; using the default", value[:20])
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1), 4))
