"""Model Explorer tab: sidebar filters, the data grid (its own column filters and sorting,
best average first), a column chooser, the CSV of what the grid shows; returns the selected
rows (a ``Selection``: repo ids and the board they were picked on) for Compare Models.

The grid holds the rows passing the type, size, license, date, parameters and merges
filters (re-sent when they change, pre-serialized by the library); the MoE, provider and
minimum-score filters are the grid's own column filters, set with ``update_filter`` (see
:func:`llmtrends.views.explorer.grid_filters`), so changing them sends no rows; hidden
columns are hidden by the page's style, so showing one sends no rows either.
"""

from __future__ import annotations

import logging

from shiny import module, reactive, render, req, ui
from shiny.bookmark import restore_input
from shiny.module import resolve_id
from shiny.types import SilentException

from llmtrends.serving import speedups
from llmtrends.views import inputs
from llmtrends.views import compare
from llmtrends.views import explorer as view

from . import common, sidebar

log = logging.getLogger("llmtrends.app")


@module.ui
def view_ui(initial=None):
    # ``initial`` (the page's board) is not drawn into the page here: this tab's effects
    # (the picker's server-side search / the grid's filters) wait for the server-drawn
    # board marker, so that they run only once the tab is first shown.
    grid = ui.div(ui.output_data_frame("grid"), class_="llmtrends-explorer-grid")
    # one line per model; a long model name wraps within its column (names run to 70
    # characters), so that the benchmark columns fit beside it
    nowrap = ui.tags.style(".llmtrends-explorer-grid td { white-space: nowrap; }"
                           ".llmtrends-explorer-grid td:first-child { white-space: normal; overflow-wrap: anywhere;"
                           " min-width: 12rem; max-width: 17rem; }")
    # which columns the grid shows: the same names on every board (the benchmarks as one)
    columns = ui.input_checkbox_group("columns", "Columns", choices=list(view.COLUMN_GROUPS),
                                      selected=list(view.DEFAULT_COLUMNS), inline=True)
    return common.view_layout(view, common.controls_ui(view, controls),
                              main=[nowrap, columns, ui.output_ui("columns_css"), ui.output_ui("selection"),
                                    ui.output_ui("grid_note"), grid])


def _html_cell(text: str) -> dict:
    # The data grid's own cell format for HTML (shiny's CellHtml: rendered as HTML whatever
    # the column type). Built directly rather than from ui.HTML objects, which the grid
    # would have to render one by one on every update.
    return {"isShinyHtml": True, "obj": {"html": text, "deps": []}}


class SerializedGrid(render.DataGrid):
    """A DataGrid whose rows arrive already serialized (``rows``: the cells of ``data`` as
    JSON-ready lists, which the library cuts from the board's rows serialized once).

    The stock DataGrid serializes its frame on every render (narwhals rows, an orjson round
    trip, a scan of object columns; benchmarks/README.md). Here the stock
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


def controls(d, s):
    ceiling = view.params_ceiling(s.models)
    minimum = sidebar.shown_with_scores(  # without scores a minimum would only empty the grid
        d, ui.input_slider("min_score", "Minimum score", min=0, max=100, value=d.min_score, step=1),
        sidebar.score_control(d, s, "Minimum score on"))
    return [
        minimum,
        ui.input_slider("params_b", "Parameters (billions)", min=0, max=ceiling, value=(0, ceiling), step=1),
        sidebar.types_control(d),
        ui.input_checkbox_group("sizes", "Size classes", choices=list(d.sizes), selected=list(d.sizes), inline=True),
        ui.input_checkbox("hide_merges", "Hide merges", value=d.hide_merges),
        ui.p(view.flagged_note(s), class_="small text-muted llmtrends-flagged"),
        ui.input_checkbox_group("licenses", "Licenses",
                                choices={k: (view.LICENSE_REST_LABEL if k == view.LICENSE_REST else k)
                                         for k in d.licenses},
                                selected=list(d.licenses)),
        ui.input_radio_buttons("moe", "Mixture of experts", choices=view.MOE_CHOICES, selected=d.moe, inline=True),
        ui.input_radio_buttons("official", "Provider", choices=view.OFFICIAL_CHOICES, selected=d.official),
        sidebar.dates_control(d, s),
        ui.input_checkbox("undated", "Include models without a known creation date", value=d.undated),
    ]


@module.server
def view_server(input, output, session, snap, page_board=None):
    def shown_rows():
        """What the CSV exports: the rows the grid shows, after its own search, filters and
        sorting (None before the grid reported them: the sidebar's table then)."""
        g = shown()
        if g is not None and g.cut:  # the grid holds only the first matches: the CSV has them all
            return None
        try:
            models = grid.data_view()["Model"].tolist()
        except SilentException:
            return None
        except (IndexError, KeyError, ValueError):  # a view of rows the grid no longer holds
            log.warning("explorer: the grid's view does not match its rows; exporting the sidebar's table")
            return None
        return view.table_of(snap(), models)

    result = sidebar.serve_with_controls(view, snap, input, controls, csv_table=shown_rows)

    def sidebar_params(names: tuple[str, ...]):
        """Params from the named controls only (the others at their defaults); None if invalid
        (the message comes from ``result``)."""
        s = snap()
        req(input.controls_board() == s.board)
        raw = {name: input[name]() for name in names}
        try:
            return view.Params.from_inputs(raw, s)
        except inputs.ViewError:
            return None

    @reactive.calc
    def shown():
        """The grid's rows: reads only the controls that pick them (not MoE, provider, score,
        unless the board is larger than the grid holds: then every control picks them)."""
        params = sidebar_params(view.server_controls(snap(), sidebar.tab_control_ids(view, controls, snap())))
        return None if params is None else view.grid_view(snap(), params, link=_html_cell)

    @render.ui
    def grid_note():
        g = shown()
        note = None if g is None else view.cut_note(g)
        return None if note is None else ui.p(note, class_="small text-muted mb-1 llmtrends-grid-note", role="status")

    @render.data_frame
    def grid():
        g = shown()
        if g is None or not g.rows:
            return None
        return data_grid(g.frame, g.rows, filters=True, selection_mode="rows", width="100%", height="640px")

    @render.ui
    def columns_css():
        # hidden columns: hidden by the page's style, so that showing one sends no rows, and
        # the grid's column numbers (its filters, sorting and view) stay what they are
        hidden = view.hidden_columns(snap().board, input.columns() or ())
        if not hidden:
            return None
        grid_id = session.ns("grid")
        cells = ", ".join(f"#{grid_id} tr > :nth-child({i + 1})" for i in hidden)
        return ui.tags.style(f"{cells} {{ display: none; }}")

    last_sent: list = [None]
    # a link's column filters and sorting (Shiny's bookmarked state, read in the session's
    # first round), given to the grid once it is first drawn
    linked = {"filter": restore_input(resolve_id("grid_column_filter"), None),
              "sort": restore_input(resolve_id("grid_column_sort"), None)}

    @reactive.effect(priority=10)  # before the table (CSV, provenance) is recomputed
    async def _grid_filters():
        # Runs when MoE / provider / minimum score change and whenever the browser reports the
        # grid's column filters (also after each redraw, which clears them): sends the
        # sidebar's part when the grid's filters differ from it.
        params = sidebar_params(view.GRID_SIDE)
        if params is None or shown() is None:
            return
        current = grid.filter()
        users = current  # the person's own column filters, kept
        if linked["filter"] is not None:  # the grid's first filters: a link's (checked by grid_filters)
            users, linked["filter"] = (linked["filter"] if isinstance(linked["filter"], (list, tuple)) else ()), None
        wanted = view.grid_filters(params, snap().board, users)
        if view.same_filters(current, wanted):
            last_sent[0] = None
            return
        if last_sent[0] is not None and view.same_filters(last_sent[0], wanted):
            return  # sent already and the browser reads it differently: do not loop
        last_sent[0] = wanted
        await grid.update_filter(wanted)

    @reactive.effect
    async def _grid_sort():
        # once the grid reports its sorting (it is drawn), a link's sorting replaces it
        if linked["sort"] is None or shown() is None:
            return
        grid.sort()
        wanted, linked["sort"] = view.grid_sort(linked["sort"], snap().board), None
        if wanted:
            await grid.update_sort(wanted)

    # the models picked in the grid, with the board they were picked on
    picked = reactive.value(view.Selection())

    @reactive.effect(priority=20)
    @reactive.event(shown)
    def _rows_changed():
        # the grid holds other rows now: a selection the browser reports was of the old ones
        with reactive.isolate():
            picked.set(view.Selection(snap().board, ()))

    @reactive.effect
    @reactive.event(input.grid_cell_selection)
    def _selected():
        value = input.grid_cell_selection()
        rows = value.get("rows", ()) if isinstance(value, dict) else ()
        with reactive.isolate():
            g = shown()
            ids = () if g is None or not isinstance(rows, (list, tuple)) else g.repo_ids(rows)
            picked.set(view.Selection(snap().board, ids))

    @render.ui
    def selection():
        ids = picked().on(snap().board)
        if not ids:
            return ui.p("Select rows to compare them on the Compare Models tab.", class_="small text-muted mb-1")
        more = f" (the first {compare.MAX_MODELS} are compared)" if len(ids) > compare.MAX_MODELS else ""
        return ui.p(f"{len(ids)} selected{more}: {', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} "
                    "— see the Compare Models tab.", class_="small mb-1 llmtrends-selection")

    return picked
