"""CO₂ Cost tab: types, log scale (leaderboard v2 only; v1 shows why there is nothing)."""

from __future__ import annotations

from shiny import module, ui

from llmtrends.views import co2 as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.types_control(d),
        ui.input_checkbox("log_scale", "Log scale for CO₂ and score per kg", value=d.log_scale),
    ], ("types", "log_scale"))
