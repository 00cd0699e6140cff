"""Official vs Community tab: model types."""

from __future__ import annotations

from shiny import module, ui

from llmtrends.views import official as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [common.types_control(d)], ("types",))
