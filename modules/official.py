"""Official vs Community tab: model types."""

from __future__ import annotations

from llmtrends.views import official as view

from . import sidebar


def controls(d, s):
    return [sidebar.types_control(d)]


view_ui, view_server = sidebar.controls_tab(view, controls)
