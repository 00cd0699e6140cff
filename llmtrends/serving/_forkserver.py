"""Imported once by the figure workers' fork server (``render.RenderPool.PRELOAD``).

Loads the views and everything a figure needs (``render.warm_up``), with the settings of
a process that only draws figures (``speedups.use_object_strings``), then freezes the
garbage collector's view of it: the workers forked from here share those pages with the
fork server and with each other (copy-on-write; a collection would otherwise write to
every object's header and unshare them).
"""

from __future__ import annotations

import gc
import logging

from llmtrends import config, views  # noqa: F401
from llmtrends.serving import render, speedups  # noqa: F401

logging.basicConfig(level=config.log_level(), format=config.LOG_FORMAT)  # to the app's stderr
speedups.install()  # checked here once: the workers inherit the result (see speedups)
speedups.use_object_strings()  # a figure process only: same figures, faster (see speedups)
render.warm_up()
gc.freeze()
