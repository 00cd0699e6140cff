"""Effects of Important Models Release tab: date range and aggregation."""

from __future__ import annotations

from llmtrends.views import releases as view

from . import sidebar


def controls(d, s):
    return [sidebar.dates_control(d, s), sidebar.aggregation_control(d)]


view_ui, view_server = sidebar.controls_tab(view, controls)
