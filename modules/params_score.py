"""Parameters and Score tab: date range, types, leave out models under 1B."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import params_score as view

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
            ui.input_checkbox("exclude_small", "Leave out models under 1B parameters", value=d.exclude_small),
        )

    common.serve_view(view, snap, lambda: {
        "dates": input.dates(), "types": input.types(), "exclude_small": input.exclude_small(),
    }, input)
