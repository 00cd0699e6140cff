"""Effects of Important Models Release tab: date range and aggregation."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import common as vc
from llmtrends.views import releases as view

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
        first, last = vc.date_bounds(s.models)
        return ui.TagList(
            common.dates_control(d, (first, last)),
            common.aggregation_control(d),
        )

    common.serve_view(view, snap, lambda: {
        "dates": input.dates(), "aggregation": input.aggregation(),
    }, input)
