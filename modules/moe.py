"""Mixture of Experts tab: date range, size classes."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends import schema
from llmtrends.views import common as vc
from llmtrends.views import moe as view

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
            common.dates_control(d),
            ui.input_checkbox_group("sizes", "Size classes",
                                    choices={k: vc.SIZE_LABELS[k] for k in schema.SIZE_CLASSES},
                                    selected=list(d.sizes)),
        )

    common.serve_view(view, snap, lambda: {"dates": input.dates(), "sizes": input.sizes()}, input)
