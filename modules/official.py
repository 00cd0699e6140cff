"""Official vs Community tab: model types."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import official as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    @render.ui
    def controls():
        d = view.Params.defaults(snap())
        return ui.TagList(
            common.types_control(d),
        )

    common.serve_view(view, snap, lambda: {"types": input.types()}, input)
