"""Total Models and Average Score tab: date range, types, aggregation (of the running totals)."""

from __future__ import annotations

from shiny import module, ui

from llmtrends.views import score_trends as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.dates_control(d), common.types_control(d),
        common.aggregation_control(d, "Aggregation (running totals)"),
    ], ("dates", "types", "aggregation"))
