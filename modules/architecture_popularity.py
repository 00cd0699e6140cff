"""Models Architecture Popularity tab: date range, architecture families, aggregation."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import architecture_popularity as view
from llmtrends.views import common as vc

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
            ui.input_checkbox_group("families", "Architecture families", choices=list(d.families),
                                    selected=list(d.families)),
            ui.input_radio_buttons("aggregation", "Aggregation", choices=list(vc.AGGREGATIONS),
                                   selected=d.aggregation, inline=True),
        )

    common.serve_view(view, snap, lambda: {
        "dates": input.dates(), "families": input.families(), "aggregation": input.aggregation(),
    }, input)
