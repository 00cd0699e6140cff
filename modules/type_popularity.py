"""Model Type Popularity tab: date range, types, aggregation."""

from __future__ import annotations

from llmtrends.views import type_popularity as view

from . import sidebar


def controls(d, s):
    return [sidebar.dates_control(d, s), sidebar.types_control(d), sidebar.aggregation_control(d)]


view_ui, view_server = sidebar.controls_tab(view, controls)
