"""Models Architecture Popularity tab: date range, architecture families, aggregation."""

from __future__ import annotations

from shiny import module, ui

from llmtrends.views import architecture_popularity as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.dates_control(d),
        ui.input_checkbox_group("families", "Architecture families", choices=list(d.families),
                                selected=list(d.families)),
        common.aggregation_control(d),
    ], ("dates", "families", "aggregation"))
