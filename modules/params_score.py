"""Parameters and Score tab: date range, types, leave out models under 1B."""

from __future__ import annotations

from shiny import ui

from llmtrends.views import params_score as view

from . import common


def controls(d, s):
    return [
        common.score_control(d, s), common.dates_control(d, s), common.types_control(d),
        ui.input_checkbox("exclude_small", "Leave out models under 1B parameters", value=d.exclude_small),
    ]


view_ui, view_server = common.controls_tab(view, controls)
