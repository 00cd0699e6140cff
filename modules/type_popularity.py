"""Model Type Popularity tab: date range, types, aggregation."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import common as vc
from llmtrends.views import type_popularity as view

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
            ui.input_date_range("dates", "Repository created between", start=d.start, end=d.end,
                                min=d.start, max=d.end),
            ui.input_checkbox_group("types", "Model types", choices=list(d.types), selected=list(d.types)),
            ui.input_radio_buttons("aggregation", "Aggregation", choices=list(vc.AGGREGATIONS),
                                   selected=d.aggregation, inline=True),
        )

    common.serve_view(view, snap, lambda: {
        "dates": input.dates(), "types": input.types(), "aggregation": input.aggregation(),
    }, input)
