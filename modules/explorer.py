"""Model Explorer tab: sidebar filters, the data grid (its own column filters and sorting),
CSV of the filtered table; returns the selected rows' repo ids for Compare Models.
"""

from __future__ import annotations

from shiny import module, reactive, render, ui

from llmtrends.views import compare
from llmtrends.views import explorer as view

from . import common


@module.ui
def view_ui():
    grid = ui.div(ui.output_data_frame("grid"), class_="llmtrends-explorer-grid")
    nowrap = ui.tags.style(".llmtrends-explorer-grid td { white-space: nowrap; }")
    return common.view_layout(view, ui.output_ui("controls"), main=[nowrap, ui.output_ui("selection"), grid])


def _html_cell(text: str) -> dict:
    # The data grid's own cell format for HTML (shiny's CellHtml: rendered as HTML whatever
    # the column type). Built directly rather than from ui.HTML objects, which the grid
    # would have to render one by one on every update (~0.4 s for the 6k rows of v1).
    return {"isShinyHtml": True, "obj": {"html": text, "deps": []}}


@module.server
def view_server(input, output, session, snap):
    @render.ui
    def controls():
        s = snap()
        d = view.Params.defaults(s)
        return ui.TagList(
            ui.input_slider("min_score", "Minimum average score", min=0, max=100, value=d.min_score, step=1),
            ui.input_checkbox_group("types", "Model types", choices=list(d.types), selected=list(d.types)),
            ui.input_checkbox_group("sizes", "Size classes", choices=list(d.sizes), selected=list(d.sizes),
                                    inline=True),
            ui.input_checkbox_group("licenses", "Licenses",
                                    choices={k: (view.LICENSE_REST_LABEL if k == view.LICENSE_REST else k)
                                             for k in d.licenses},
                                    selected=list(d.licenses)),
            ui.input_radio_buttons("moe", "Mixture of experts", choices=view.MOE_CHOICES, selected=d.moe,
                                   inline=True),
            ui.input_radio_buttons("official", "Provider", choices=view.OFFICIAL_CHOICES, selected=d.official),
            ui.input_date_range("dates", "Repository created between", start=d.start, end=d.end,
                                min=d.start, max=d.end),
            ui.input_checkbox("undated", "Include models without a known creation date", value=d.undated),
        )

    result = common.serve_view(view, snap, lambda: {
        "min_score": input.min_score(), "types": input.types(), "sizes": input.sizes(),
        "licenses": input.licenses(), "moe": input.moe(), "official": input.official(),
        "dates": input.dates(), "undated": input.undated(),
    }, input)

    @render.data_frame
    def grid():
        _, tbl, message = result()
        if message is not None:
            return None
        return render.DataGrid(view.grid_frame(tbl, snap().board, link=_html_cell), filters=True,
                               selection_mode="rows", width="100%", height="640px")

    @reactive.calc
    def picked() -> tuple[str, ...]:
        _, tbl, message = result()
        if message is not None:
            return ()
        return view.selected_repo_ids(tbl, grid.cell_selection()["rows"])

    @render.ui
    def selection():
        ids = picked()
        if not ids:
            return ui.p("Select rows to compare them on the Compare Models tab.", class_="small text-muted mb-1")
        more = f" (the first {compare.MAX_MODELS} are compared)" if len(ids) > compare.MAX_MODELS else ""
        return ui.p(f"{len(ids)} selected{more}: {', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} "
                    "— see the Compare Models tab.", class_="small mb-1 llmtrends-selection")

    return picked

