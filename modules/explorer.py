"""Model Explorer tab: sidebar filters, the data grid (its own column filters and sorting),
CSV of the filtered table; returns the selected rows' repo ids for Compare Models.

The grid holds the rows passing the type, size, license and date filters (re-sent when
they change, pre-serialized by the library); the MoE, provider and minimum-score filters
are the grid's own column filters, set with ``update_filter`` (see
:func:`llmtrends.views.explorer.grid_filters`), so changing them sends no rows.
"""

from __future__ import annotations

from shiny import module, reactive, render, req, ui

from llmtrends import speedups
from llmtrends.views import common as vc
from llmtrends.views import compare
from llmtrends.views import explorer as view

from . import common


@module.ui
def view_ui(initial=None):
    # ``initial`` (the page's board) is not drawn into the page here: this tab's effects
    # (the picker's server-side search / the grid's filters) wait for the server-drawn
    # board marker, so that they run only once the tab is first shown.
    grid = ui.div(ui.output_data_frame("grid"), class_="llmtrends-explorer-grid")
    nowrap = ui.tags.style(".llmtrends-explorer-grid td { white-space: nowrap; }")
    return common.view_layout(view, ui.output_ui("controls"), main=[nowrap, ui.output_ui("selection"), grid])


def _html_cell(text: str) -> dict:
    # The data grid's own cell format for HTML (shiny's CellHtml: rendered as HTML whatever
    # the column type). Built directly rather than from ui.HTML objects, which the grid
    # would have to render one by one on every update (~0.4 s for the 6k rows of v1).
    return {"isShinyHtml": True, "obj": {"html": text, "deps": []}}


class SerializedGrid(render.DataGrid):
    """A DataGrid whose rows arrive already serialized (``rows``: the cells of ``data`` as
    JSON-ready lists, which the library cuts from the board's rows serialized once).

    The stock DataGrid serializes its frame on every render (narwhals rows, an orjson round
    trip, a scan of object columns: 100-300 ms for the 6k rows of v1). Here the stock
    payload is built from the frame's first row only (columns, type hints, options) and
    the rows are put in; ``data`` stays the whole frame, so cell selection and
    ``data_view`` work as usual. tests/test_view_explorer.py checks the payload equals the
    stock one; :func:`data_grid` uses it only where it does (see there).
    """

    def __init__(self, data, rows: list[list], **kwargs):
        super().__init__(data, **kwargs)
        self._rows = rows

    def to_payload(self):
        data = self.data
        self.data = data.iloc[:1]
        try:
            payload = super().to_payload()
        finally:
            self.data = data
        payload["data"] = self._rows
        return payload


PROBE_ROWS = 3


def data_grid(frame, rows: list[list], **kwargs) -> render.DataGrid:
    """The grid for ``frame``: a :class:`SerializedGrid` when speedups are on and, checked once
    per process on the first rows of the first grid drawn, py-shiny's own payload of those
    rows equals the pre-serialized one; otherwise py-shiny's own grid (one log line)."""
    def check():
        head, head_rows = frame.iloc[:PROBE_ROWS], rows[:PROBE_ROWS]
        if SerializedGrid(head, head_rows, **kwargs).to_payload() != render.DataGrid(head, **kwargs).to_payload():
            raise speedups.Unsupported("py-shiny's DataGrid payload differs from the pre-serialized one")

    if speedups.checked("shiny DataGrid.to_payload", check):
        return SerializedGrid(frame, rows, **kwargs)
    return render.DataGrid(frame, **kwargs)


@module.server
def view_server(input, output, session, snap, page_board=None):
    @render.ui
    def controls():
        s = snap()
        d = view.Params.defaults(s)
        minimum = ui.div(ui.input_slider("min_score", "Minimum score", min=0, max=100, value=d.min_score, step=1),
                         common.score_control(d, s, "Minimum score on"))
        if d.score is None:  # a board without scores: a minimum would only empty the grid
            minimum.attrs["style"] = "display:none"
        return ui.TagList(
            minimum,
            common.types_control(d),
            ui.input_checkbox_group("sizes", "Size classes", choices=list(d.sizes), selected=list(d.sizes),
                                    inline=True),
            ui.input_checkbox_group("licenses", "Licenses",
                                    choices={k: (view.LICENSE_REST_LABEL if k == view.LICENSE_REST else k)
                                             for k in d.licenses},
                                    selected=list(d.licenses)),
            ui.input_radio_buttons("moe", "Mixture of experts", choices=view.MOE_CHOICES, selected=d.moe,
                                   inline=True),
            ui.input_radio_buttons("official", "Provider", choices=view.OFFICIAL_CHOICES, selected=d.official),
            common.dates_control(d),
            ui.input_checkbox("undated", "Include models without a known creation date", value=d.undated),
        )

    result = common.serve_view(view, snap, lambda: {
        "min_score": input.min_score(), "score": input.score(), "types": input.types(), "sizes": input.sizes(),
        "licenses": input.licenses(), "moe": input.moe(), "official": input.official(),
        "dates": input.dates(), "undated": input.undated(),
    }, input)

    def sidebar_params(names: tuple[str, ...]):
        """Params from the named controls only (the others at their defaults); None if invalid
        (the message comes from ``result``)."""
        s = snap()
        req(input.controls_board() == s.board)
        raw = {name: input[name]() for name in names}
        try:
            return view.Params.from_inputs(raw, s)
        except vc.ViewError:
            return None

    @reactive.calc
    def shown():
        """The grid's rows: reads only the controls that pick them (not MoE, provider, score)."""
        params = sidebar_params(("types", "sizes", "licenses", "dates", "undated"))
        return None if params is None else view.grid_view(snap(), params, link=_html_cell)

    @render.data_frame
    def grid():
        g = shown()
        if g is None or not g.rows:
            return None
        return data_grid(g.frame, g.rows, filters=True, selection_mode="rows", width="100%", height="640px")

    last_sent: list = [None]

    @reactive.effect(priority=10)  # before the table (CSV, provenance) is recomputed
    async def _grid_filters():
        # Runs when MoE / provider / minimum score change and whenever the browser reports the
        # grid's column filters (also after each redraw, which clears them): sends the
        # sidebar's part when the grid's filters differ from it.
        params = sidebar_params(("moe", "official", "min_score", "score"))
        if params is None or shown() is None:
            return
        current = grid.filter()
        wanted = view.grid_filters(params, snap().board, current)
        if view.same_filters(current, wanted):
            last_sent[0] = None
            return
        if last_sent[0] is not None and view.same_filters(last_sent[0], wanted):
            return  # sent already and the browser reads it differently: do not loop
        last_sent[0] = wanted
        await grid.update_filter(wanted)

    @reactive.calc
    def picked() -> tuple[str, ...]:
        g = shown()
        if g is None:
            return ()
        return g.repo_ids(grid.cell_selection()["rows"])

    @render.ui
    def selection():
        ids = picked()
        if not ids:
            return ui.p("Select rows to compare them on the Compare Models tab.", class_="small text-muted mb-1")
        more = f" (the first {compare.MAX_MODELS} are compared)" if len(ids) > compare.MAX_MODELS else ""
        return ui.p(f"{len(ids)} selected{more}: {', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} "
                    "— see the Compare Models tab.", class_="small mb-1 llmtrends-selection")

    return picked

