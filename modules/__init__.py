"""Shiny modules: one per view, wiring inputs to ``llmtrends.views`` calls (no pandas here).

The views' registry, ``llmtrends.views.VIEWS``, is the only list of tabs: the module of a
view is ``modules/<view ID>.py``, and ``MODULES`` maps each view's ID to it, in tab order
(``view_ui(id)`` / ``view_server(id, snap)``).
"""

from importlib import import_module

from llmtrends.views import VIEWS

MODULES = {view.ID: import_module(f"{__name__}.{view.ID}") for view in VIEWS}
