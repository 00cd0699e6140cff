"""Total Models and Average Score tab: date range, types, aggregation (of the running totals)."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import score_trends as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    @render.ui
    def controls():
        s = snap()
        d = view.Params.defaults(s)
        return ui.TagList(
            common.dates_control(d),
            common.types_control(d),
            common.aggregation_control(d, "Aggregation (running totals)"),
        )

    common.serve_view(view, snap, lambda: {
        "dates": input.dates(), "types": input.types(), "aggregation": input.aggregation(),
    }, input)
