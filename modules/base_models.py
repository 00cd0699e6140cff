"""Evolution of Popular Base Models tab: base models (multi-select), labels toggle."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import base_models as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    result = common.serve_with_controls(view, snap, input, lambda d, s: [
        ui.input_selectize("bases", "Base models (derivatives)", choices=view.base_choices(s),
                           selected=list(d.bases), multiple=True, options={"plugins": ["remove_button"]}),
        ui.input_checkbox("labels", "Show model names", value=d.labels),
    ], ("bases", "labels"))

    @render.ui
    def note():
        _, tbl, _ = result()
        text = view.note(tbl)
        return None if text is None else ui.div(text, class_="text-muted small mb-2")
