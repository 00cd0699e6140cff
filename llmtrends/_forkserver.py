"""Imported once by the figure workers' fork server (``render.RenderPool.PRELOAD``).

Loads the views and everything a figure needs (``render.warm_up``), then freezes the
garbage collector's view of it: the workers forked from here share those pages with the
fork server and with each other (copy-on-write; a collection would otherwise write to
every object's header and unshare them).
"""

from __future__ import annotations

import gc

from . import render, views  # noqa: F401

render.warm_up()
gc.freeze()
