"""Evolution of Popular Base Models tab: base models (multi-select), the staircase's score,
labels toggle and y axis (hidden on a board without scores, whose staircase says why it is blank)."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import base_models as view

from . import common, sidebar


def controls(d, s):
    staircase = sidebar.shown_with_scores(  # nothing to draw a staircase of without scores
        d, sidebar.score_control(d, s, "Score (staircase)"),
        ui.input_checkbox("labels", "Show model names", value=d.labels),
        ui.input_radio_buttons("y_axis", "Y axis (staircase)", choices=view.Y_AXES, selected=d.y_axis))
    return [
        ui.input_selectize("bases", "Base models (derivatives)", choices=view.base_choices(s),
                           selected=list(d.bases), multiple=True, options={"plugins": ["remove_button"]}),
        staircase,
    ]


@module.ui
def view_ui(initial=None):
    # ``initial`` (the page's board) is not drawn into the page here: this tab's default
    # bases come from the board's lineage analysis, which would delay every page; the
    # server draws the controls when the tab is first opened.
    return common.view_layout(view, common.controls_ui(view, controls, None))


@module.server
def view_server(input, output, session, snap, page_board=None):
    result = sidebar.serve_with_controls(view, snap, input, controls)

    @render.ui
    def note():
        _, tbl, _ = result()
        text = view.note(tbl)
        return None if text is None else ui.div(text, class_="text-muted small mb-2")
