"""A view in the page's address: Shiny's URL bookmarking of the tab, the board and the open
tab's controls, and restoring them from a link (``app.py`` calls :func:`remember_views`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from shiny import reactive, ui
from shiny.bookmark import restore_input
from shiny.module import ResolvedId
from shiny.types import SilentException

# Inputs of a tab that its link leaves out: bookkeeping (the board the controls were drawn
# for, figures a page lacks) and what the explorer's data grid reports of itself besides
# its column filters and sorting (the numbers of the rows it shows and has selected, which
# mean something only for the rows of one snapshot, and the same filters and sorting
# again under other names). www/history.js knows the same list.
NOT_IN_LINKS = ("controls_board", "grid_cell_selection", "grid_data_view_indices", "grid_data_view_rows",
                "grid_filter", "grid_selected_rows", "grid_sort")


def link_inputs(names: Sequence[str], tab: str) -> list[str]:
    """Of the session's input ids ``names``, those a link to the tab ``tab`` holds: the tab,
    the board and the tab's own inputs (``<tab>-<name>``) but :data:`NOT_IN_LINKS`."""
    def own(name: str) -> bool:
        rest = name[len(tab) + 1:]
        return name.startswith(f"{tab}-") and rest not in NOT_IN_LINKS
    return [n for n in names if n in ("tab", "board") or own(n)]


def remember_views(session, input, snap: Callable, tabs: Mapping[str, object], default_board: str) -> None:
    """Keep the view in the page's address with Shiny's URL bookmarking, and restore it.

    The address holds the tab, the board and the open tab's controls
    (:func:`link_inputs`), so a link reproduces the view. ``www/history.js`` sends
    ``llmtrends_state`` (the page's address and whether a person acted) once the inputs of
    the address have settled; a person's change then adds a history entry (``push``), the
    page's own (controls drawn for another board, the grid's filters) corrects the current
    one (``replace``), and a page that was opened without a state keeps its plain address
    until someone changes something. The controls are saved only once they are the ones
    drawn for the board shown (their board marker says so).

    Restoring is Shiny's: the page is drawn with the link's values, and controls the server
    draws get them in the session's first round (``restore_input``). After that round the
    link's values are spent, so controls drawn again later (another board) start from
    their defaults and not from the link. A link naming a tab or board that does not exist
    shows the default ones.
    """
    step = {"search": "", "user": False}

    @reactive.effect
    @reactive.event(input.llmtrends_state)
    async def _save():
        state = input.llmtrends_state()
        tab = input.tab()
        if not isinstance(state, dict) or tab not in tabs:
            return
        step["user"] = step["user"] or state.get("user") is True  # kept until saved
        try:
            if input[ResolvedId(f"{tab}-controls_board")]() != snap().board:
                return  # the controls of the board before: their own change comes next
        except SilentException:  # the tab's controls are not drawn yet
            return
        step["search"] = str(state.get("search") or "")
        names = dir(input)
        keep = set(link_inputs(names, tab))
        session.bookmark.exclude[:] = [n for n in names if n not in keep]
        await session.bookmark()

    @session.bookmark.on_bookmarked
    async def _to_address(url: str):
        query = "?" + url.split("?", 1)[1] if "?" in url else ""
        user, step["user"] = step["user"], False
        if query == step["search"]:
            return
        if user:
            await session.bookmark.update_query_string(query, mode="push")
        elif step["search"] not in ("", "?"):
            await session.bookmark.update_query_string(query, mode="replace")

    @session.bookmark.on_restore
    def _restore(state):
        # spend the link's values in this first round (see above)
        for name in state.input:
            restore_input(ResolvedId(name), None)
        tab, board = state.input.get("tab"), state.input.get("board")
        if tab is not None and tab not in tabs:
            ui.update_navset("tab", selected=next(iter(tabs)))
        if board is not None and board != snap().board:
            ui.update_radio_buttons("board", selected=default_board)
