"""Mixture of Experts tab: date range, size classes."""

from __future__ import annotations

from shiny import module, ui

from llmtrends import schema
from llmtrends.views import common as vc
from llmtrends.views import moe as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.dates_control(d),
        ui.input_checkbox_group("sizes", "Size classes",
                                choices={k: vc.SIZE_LABELS[k] for k in schema.SIZE_CLASSES},
                                selected=list(d.sizes)),
    ], ("dates", "sizes"))
