"""Parameters and Score tab: date range, types, leave out models under 1B."""

from __future__ import annotations

from shiny import ui

from llmtrends.views import params_score as view

from . import sidebar


def controls(d, s):
    return [
        sidebar.score_control(d, s), sidebar.dates_control(d, s), sidebar.types_control(d),
        ui.input_checkbox("exclude_small", "Leave out models under 1B parameters", value=d.exclude_small),
    ]


view_ui, view_server = sidebar.controls_tab(view, controls)
