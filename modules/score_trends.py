"""Total Models and Average Score tab: date range, types, aggregation (of the running totals)."""

from __future__ import annotations

from llmtrends.views import score_trends as view

from . import common


def controls(d, s):
    return [
        common.score_control(d, s), common.dates_control(d, s), common.types_control(d),
        common.aggregation_control(d, "Aggregation (running totals)"),
    ]


view_ui, view_server = common.controls_tab(view, controls)
