"""Official vs Community tab: model types."""

from __future__ import annotations

from llmtrends.views import official as view

from . import common


def controls(d, s):
    return [common.types_control(d)]


view_ui, view_server = common.controls_tab(view, controls)
