"""CO₂ Cost tab: types, log scale (leaderboard v2 only; v1 shows why there is nothing)."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import co2 as view

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
            common.types_control(d),
            ui.input_checkbox("log_scale", "Log scale for CO₂ and score per kg", value=d.log_scale),
        )

    common.serve_view(view, snap, lambda: {"types": input.types(), "log_scale": input.log_scale()}, input)
