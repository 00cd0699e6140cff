"""Compare Models tab: up to five models (server-side search over the board's models).

``view_server(id, snap, picked=None)``: ``picked`` is an optional reactive of models chosen
elsewhere (the Model Explorer's selected rows: a ``Selection`` of repo ids and the board
they were picked on); when it changes to a non-empty selection on the board shown, the
first five of them replace the picked models. A selection made on another board is
ignored: its rows are other models here.
"""

from __future__ import annotations

from shiny import module, reactive, render, ui
from shiny.bookmark import restore_input
from shiny.module import resolve_id

from llmtrends.views import compare as view

from . import common

# app.py passes the explorer's server result (a reactive of selected repo ids) as ``picked``
TAKES = {"picked": "explorer"}


@module.ui
def view_ui(initial=None):
    # ``initial`` (the page's board) is not drawn into the page here: this tab's effects
    # (the picker's server-side search / the grid's filters) wait for the server-drawn
    # board marker, so that they run only once the tab is first shown.
    # the radar and the differences side by side, the numbers under them (scrolling sideways
    # inside their box when wider than the page)
    return common.view_layout(view, ui.output_ui("controls"), side_by_side=True, main=[ui.output_ui("numbers")])


@module.server
def view_server(input, output, session, snap, picked=None, page_board=None):
    # the models last sent from elsewhere; they survive until the tab is first drawn. This
    # server starts when the tab is first opened: rows picked in the explorer before then
    # are the first of them.
    wanted = reactive.value(())
    # a link's models (Shiny's bookmarked state; only in the session's first round), else
    # those picked in the explorer
    linked = restore_input(resolve_id("models"), None)
    with reactive.isolate():
        if linked:
            wanted.set(view.known_models(snap().models, linked if isinstance(linked, (list, tuple)) else [linked]))
        elif picked is not None:
            wanted.set(view.known_models(snap().models, picked().on(snap().board)))

    def selection() -> tuple[str, ...]:
        """What the picker shows when (re)drawn: the models sent from elsewhere, else the defaults."""
        return view.known_models(snap().models, wanted()) or view.Params.defaults(snap()).models

    @render.ui
    def controls():
        snap()
        with reactive.isolate():
            chosen = selection()
        # choices: only the chosen ones here; the board's full list is served on search (below)
        return ui.input_selectize("models", f"Models (up to {view.MAX_MODELS}; type to search)",
                                  choices=list(chosen), selected=list(chosen), multiple=True,
                                  options={"maxItems": view.MAX_MODELS, "plugins": ["remove_button"]})

    def serve_choices(selected) -> None:
        ui.update_selectize("models", choices=list(snap().models["repo_id"]), selected=list(selected),
                            server=True)

    @reactive.effect
    def _choices_for_board():
        # once the controls of the current board are in the page (their marker says so)
        if input.controls_board() != snap().board:
            return
        with reactive.isolate():
            serve_choices(selection())

    if picked is not None:
        @reactive.effect
        @reactive.event(picked, ignore_init=True)
        def _picked_elsewhere():
            ids = view.known_models(snap().models, picked().on(snap().board))
            if ids:
                wanted.set(ids)
                serve_choices(ids)  # reaches the picker if it is already drawn

    result = common.serve_view(view, snap, lambda: {"models": input.models()}, input)

    @render.ui
    def numbers():
        _, tbl, message = result()
        if message is not None:
            return None
        return common.text_table(*view.numbers_cells(view.numbers(tbl)))
