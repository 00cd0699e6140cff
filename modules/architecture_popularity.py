"""Models Architecture Popularity tab: date range, architecture families, aggregation."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import architecture_popularity as view

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
            ui.input_checkbox_group("families", "Architecture families", choices=list(d.families),
                                    selected=list(d.families)),
            common.aggregation_control(d),
        )

    common.serve_view(view, snap, lambda: {
        "dates": input.dates(), "families": input.families(), "aggregation": input.aggregation(),
    }, input)
