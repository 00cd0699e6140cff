"""Author Activity tab: date range, aggregation, and which of the range's top 10 authors to show.

The author checkboxes are re-rendered whenever the board or the date range changes, with
the range's top 10 (from ``author_activity.author_choices``) all ticked.
"""

from __future__ import annotations

from shiny import module, render, ui
from shiny.types import SilentCancelOutputException

from llmtrends.views import author_activity as view

from . import common, sidebar


def controls(d, s):
    return [sidebar.dates_control(d, s), sidebar.aggregation_control(d), sidebar.score_control(d, s, "Score (bottom plot)")]


def _picker(choices):
    return ui.input_checkbox_group("authors", f"Top {view.TOP_N} authors in the range",
                                   choices=choices, selected=choices)


@module.ui
def view_ui(initial=None):
    picker = ui.output_ui("author_picker")
    if initial is not None:  # the page's board at its default range, as the server would draw it
        d = view.Params.defaults(initial)
        picker = common.in_page("author_picker", _picker(view.author_choices(initial, (d.start, d.end))))
    return common.view_layout(view, common.controls_ui(view, controls, initial), picker, initial=initial)


@module.server
def view_server(input, output, session, snap, page_board=None):
    picker_in_page = common.drawn_in_page(snap, page_board)

    @render.ui
    def author_picker():
        choices = view.author_choices(snap(), input.dates())  # read first: the picker follows them
        if picker_in_page():
            raise SilentCancelOutputException()
        return _picker(choices)

    @render.ui
    def note():
        return ui.p(view.author_note(snap()), class_="small text-muted mb-2 llmtrends-note")

    sidebar.serve_with_controls(view, snap, input, controls, extra=("authors",),
                                page_board=page_board)
