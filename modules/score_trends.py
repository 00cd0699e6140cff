"""Total Models and Average Score tab: date range, types, aggregation (of the running totals)."""

from __future__ import annotations

from llmtrends.views import score_trends as view

from . import sidebar


def controls(d, s):
    return [
        sidebar.score_control(d, s), sidebar.dates_control(d, s), sidebar.types_control(d),
        sidebar.aggregation_control(d, "Aggregation (running totals)"),
    ]


view_ui, view_server = sidebar.controls_tab(view, controls)
