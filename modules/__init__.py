"""Shiny modules: one per view, wiring inputs to ``llmtrends.views`` calls (no pandas here).

``MODULES`` maps a view's ID to its module (``view_ui(id)`` / ``view_server(id, snap)``).
"""

from . import type_popularity

MODULES = {
    "type_popularity": type_popularity,
}
