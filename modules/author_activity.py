"""Author Activity tab: date range, aggregation, and which of the range's top 10 authors to show.

The author checkboxes are re-rendered whenever the board or the date range changes, with
the range's top 10 (from ``author_activity.author_choices``) all ticked.
"""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import author_activity as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"), ui.output_ui("author_picker"))


@module.server
def view_server(input, output, session, snap):
    @render.ui
    def author_picker():
        choices = view.author_choices(snap(), input.dates())
        return ui.input_checkbox_group("authors", f"Top {view.TOP_N} authors in the range",
                                       choices=choices, selected=choices)

    @render.ui
    def note():
        return ui.p(view.author_note(snap()), class_="small text-muted mb-2 llmtrends-note")

    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.dates_control(d), common.aggregation_control(d),
    ], ("dates", "aggregation"), extra=("authors",))
