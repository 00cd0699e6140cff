"""What Changed tab: two snapshots of the board's history (either order); what changed, in
sentences beside the plots and in tables under them."""

from __future__ import annotations

from shiny import module, render, ui

from llmtrends.views import changes as view

from . import common, sidebar


def controls(d, s):
    choices = view.date_choices(s)
    return [ui.input_select("first", "Compare the board on", choices=choices, selected=d.start.isoformat()),
            ui.input_select("second", "with the board on", choices=choices, selected=d.end.isoformat()),
            sidebar.score_control(d, s, "Score (leaders, movers, best)")]


@module.ui
def view_ui(initial=None):
    return common.view_layout(view, common.controls_ui(view, controls, initial), aside=ui.output_ui("summary"),
                              main=(ui.output_ui("sections"),), initial=initial)


@module.server
def view_server(input, output, session, snap, page_board=None):
    result = sidebar.serve_with_controls(view, snap, input, controls,
                                         page_board=page_board)

    @render.ui
    def summary():
        _, tbl, message = result()
        if message is not None:
            return None
        return ui.tags.ul(*[ui.tags.li(line) for line in view.summary_lines(tbl)], class_="llmtrends-changes small")

    @render.ui
    def sections():
        _, tbl, message = result()
        if message is not None:
            return None
        parts = []
        for name, title in view.SECTION_TITLES.items():
            header, rows, note = view.section_cells(tbl, name)
            parts.append(ui.h6(title, class_="mt-3"))
            if rows:
                parts.append(common.text_table(header, rows))
            if note:
                parts.append(ui.p(note, class_="small text-muted"))
        return ui.TagList(*parts)
