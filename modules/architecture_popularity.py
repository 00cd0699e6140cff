"""Models Architecture Popularity tab: date range, architecture families, aggregation."""

from __future__ import annotations

from shiny import ui

from llmtrends.views import architecture_popularity as view

from . import sidebar


def controls(d, s):
    return [
        sidebar.dates_control(d, s),
        ui.input_checkbox_group("families", "Architecture families", choices=list(view.family_choices(s)),
                                selected=list(d.families)),
        sidebar.aggregation_control(d),
    ]


view_ui, view_server = sidebar.controls_tab(view, controls)
