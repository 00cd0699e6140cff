"""CO₂ Cost tab: types, log scale (leaderboard v2 only; v1 shows why there is nothing)."""

from __future__ import annotations

from shiny import ui

from llmtrends.views import co2 as view

from . import sidebar


def controls(d, s):
    return [
        sidebar.score_control(d, s), sidebar.types_control(d),
        ui.input_checkbox("log_scale", "Log scale for CO₂ and score per kg", value=d.log_scale),
    ]


view_ui, view_server = sidebar.controls_tab(view, controls)
