"""Mixture of Experts tab: date range, size classes, which models count as MoE."""

from __future__ import annotations

from shiny import ui

from llmtrends import schema
from llmtrends.views import look
from llmtrends.views import moe as view

from . import sidebar


def controls(d, s):
    return [
        sidebar.score_control(d, s), sidebar.dates_control(d, s),
        ui.input_checkbox_group("sizes", "Size classes",
                                choices={k: look.SIZE_LABELS[k] for k in schema.SIZE_CLASSES},
                                selected=list(d.sizes)),
        ui.input_radio_buttons("rule", "Which models are MoE", choices=view.MOE_RULES, selected=d.rule),
    ]


view_ui, view_server = sidebar.controls_tab(view, controls)
