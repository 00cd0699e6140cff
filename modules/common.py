"""The wiring every view module shares: layout, plots, messages, downloads, provenance.

Nothing here computes on data: tables come from the view's ``table``, figures from its
``figure``; ``modules.serving`` caches and renders them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Callable, Mapping, Sequence

from shiny import module, reactive, render, ui
from shiny.bookmark import restore_input
from shiny.module import ResolvedId
from shiny.types import SilentCancelOutputException, SilentException

from llmtrends.serving import render as lrender
from llmtrends.views import inputs, selection
from llmtrends.views import provenance as prov  # `provenance` is also an output's name here
from modules import serving

log = logging.getLogger("llmtrends.app")

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


def in_page(output_id: str, *children) -> ui.Tag:
    """``ui.output_ui(output_id)`` already holding ``children``: the server's first value of
    that output drawn into the page itself. A new session then sends its controls' values
    with its first message, and its plots need no round trip to draw the controls first.
    The output's server side keeps that copy with :func:`drawn_in_page`."""
    tag = ui.output_ui(output_id)
    tag.append(*children)
    return tag


def drawn_in_page(snap: Callable, page_board: str | None) -> Callable[[], bool]:
    """For an output whose first value is already in the page (:func:`in_page`, drawn for
    ``page_board``): a check that is true on the output's first run in a session if the
    session shows that board. The output then raises ``SilentCancelOutputException``, which
    leaves the page's copy in place; any later run (another board, or back) renders."""
    first = [True]

    def check() -> bool:
        was, first[0] = first[0], False
        return was and page_board is not None and snap().board == page_board

    return check


def board_marker_tag(board: str) -> ui.Tag:
    """The hidden input naming the board the controls were drawn for (see serve_view)."""
    return ui.div(ui.input_text("controls_board", None, value=board), style="display:none")


def controls_ui(view, build: Callable, initial=None) -> ui.Tag:
    """The ``controls`` output: empty (the server draws it), or drawn in the page for the
    snapshot ``initial`` (the page's board) by ``build(defaults, snap)``."""
    if initial is None:
        return ui.output_ui("controls")
    return in_page("controls", *build(view.Params.defaults(initial), initial))


def view_layout(view, controls, *extra_sidebar, aside=None, main=(), initial=None,
                side_by_side: bool = False) -> ui.Tag:
    """A view's page: controls and downloads in a sidebar, its plots and provenance.

    ``aside`` (optional) is shown beside the plots (plots 7/12 of the width, it 5/12);
    ``side_by_side``: the plots beside each other, in equal columns, rather than one under
    the other; ``main`` is more content under them. A view without figures (``FIGURES`` empty) gets
    no figure downloads and no format select, and a message slot instead of plots.
    ``initial``: the snapshot of the board the page opens on, whose board marker is then
    drawn into the page (with controls from :func:`controls_ui` for the same snapshot).
    """
    downloads = []
    if view.FIGURES:
        downloads.append(ui.input_select("figure_format", "Figure format", choices=list(lrender.FORMATS),
                                         selected="png"))
        downloads.append(ui.input_select("figure_size", "Figure size", choices=lrender.SIZE_LABELS,
                                         selected="screen"))
        # the figure downloads are an output: disabled while the view has no figure to give
        downloads.append(in_page("figure_downloads", *figure_download_buttons(view)))
    downloads.append(ui.download_button("dl_csv", "Download table (CSV)", class_="btn-sm w-100"))
    # board_marker: a hidden input re-rendered with the controls, naming the board the
    # controls were drawn for (see serve_view)
    marker = ui.output_ui("board_marker") if initial is None else in_page("board_marker", board_marker_tag(initial.board))
    sidebar = ui.sidebar(marker, controls, *extra_sidebar, ui.hr(), *downloads, width=300, open="always")
    plots = [ui.output_ui(f"plot_{which}", class_="llmtrends-plot-box") for which in view.FIGURES]
    if not view.FIGURES:
        plots = [ui.output_ui("message")]
    if side_by_side and len(plots) > 1:
        plots = [ui.layout_columns(*plots, col_widths=[12 // len(plots)] * len(plots))]
    if aside is not None:
        plots = [ui.layout_columns(ui.div(*plots), aside, col_widths=(7, 5))]
    return ui.layout_sidebar(
        sidebar,
        ui.p(view.DESCRIPTION, class_="text-muted small mb-2"),
        ui.output_ui("note"),
        *plots,
        *main,
        ui.output_text("provenance", inline=False).add_class("llmtrends-provenance small text-muted"),
    )


def figure_download_buttons(view, why: Mapping[str, str | None] | None = None) -> list[ui.Tag]:
    """One download button per figure; a disabled one (its tooltip saying ``why[which]``)
    for a figure the view cannot draw for the current selection (Shiny's way: a download is
    an output and cannot be disabled, so a placeholder stands in for it)."""
    tags = []
    for which in view.FIGURES:
        label = f"Download {which} figure" if len(view.FIGURES) > 1 else "Download figure"
        reason = (why or {}).get(which)
        if reason is None:
            tags.append(ui.download_button(f"dl_{which}", label, class_="btn-sm w-100 mb-1"))
        else:
            tags.append(ui.tags.button(label, type="button", disabled=True, title=reason,
                                       class_="btn btn-default btn-sm w-100 mb-1 llmtrends-no-download"))
    return tags


def dates_control(d, s, label: str = "Repository created between") -> ui.Tag:
    """The date-range picker ``dates``: the range of ``d`` (the view's defaults, or the range
    carried over from the board shown before: :func:`board_switch_range`), limited to the
    first and last dates of the board ``s``."""
    first, last = selection.date_bounds(s.models)
    return ui.input_date_range("dates", label, start=d.start, end=d.end, min=first, max=last)


def board_switch_range(view, input, before, s, d):
    """``d`` (the view's defaults on the snapshot ``s``) with the date range picked on the
    board shown before (``before``, a snapshot; None: none) where it is valid on this one
    (:func:`llmtrends.views.inputs.carried_range`). Read when the controls are drawn again
    for another board, while the ``dates`` control still holds the range of the one before."""
    if before is None or before.board == s.board or not hasattr(d, "start"):
        return d
    with reactive.isolate():
        try:
            picked = inputs.parse_date_range(input.dates())
        except (inputs.ViewError, SilentException):
            return d
    old = view.Params.defaults(before)
    start, end = inputs.carried_range(picked, (old.start, old.end), selection.date_bounds(s.models), (d.start, d.end))
    return dataclasses.replace(d, start=start, end=end)


def types_control(d) -> ui.Tag:
    """The ``types`` checkboxes: the board's types, all ticked by default."""
    return ui.input_checkbox_group("types", "Model types", choices=list(d.types), selected=list(d.types))


def score_control(d, s, label: str = "Score") -> ui.Tag:
    """The ``score`` select: the scores of the board ``s`` (its average first, then each
    benchmark, with the number of models scored), the view's default ``d.score`` selected.
    On a board without any score it is there but hidden, so that the view reads a value all
    the same: the view says in one line why it has nothing to score."""
    choices = selection.score_choices(s)
    if not choices:
        return ui.div(ui.input_select("score", label, choices={"": "none"}, selected=""), style="display:none")
    return ui.input_select("score", label, choices=choices, selected=d.score)


def shown_with_scores(d, *controls: ui.Tag) -> ui.Tag:
    """``controls`` in one block, hidden (still sending their values) when the view's
    defaults ``d`` have no score: on a board without scores they would change nothing."""
    block = ui.div(*controls)
    if d.score is None:
        block.attrs["style"] = "display:none"
    return block


def aggregation_control(d, label: str = "Aggregation") -> ui.Tag:
    """The ``aggregation`` radio buttons (day / week / month)."""
    return ui.input_radio_buttons("aggregation", label, choices=list(inputs.AGGREGATIONS),
                                  selected=d.aggregation, inline=True)


def control_ids(tags) -> tuple[str, ...]:
    """The ids of the inputs among ``tags`` (in page order, without the module's namespace):
    what a tab reads back. Taken from the tags a tab builds, so that a control's id is
    written once, where the control is made. An input is an ``input``, ``select`` or
    ``textarea`` element, or the container Shiny gives a grouped input (date range,
    checkbox group, radio buttons), with an id."""
    prefix = module.resolve_id("x")[:-1]  # "<namespace>-" inside a module, "" outside
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, ui.Tag):
            tag_id = node.attrs.get("id")
            is_input = node.name in ("input", "select", "textarea") or \
                "shiny-input-container" in str(node.attrs.get("class", "")).split()
            if tag_id and is_input:
                found.append(tag_id[len(prefix):] if tag_id.startswith(prefix) else tag_id)
            walk(node.children)
        elif isinstance(node, (ui.TagList, list, tuple)):
            for child in node:
                walk(child)

    walk(tags)
    return tuple(dict.fromkeys(found))


# Each tab's control ids on a snapshot, by (view ID, board, snapshot version).
_CONTROL_IDS: dict[tuple, tuple[str, ...]] = {}


def serve_with_controls(view, snap: Callable, input, build: Callable, extra: Sequence[str] = (),
                        page_board: str | None = None, csv_table: Callable | None = None) -> Callable:
    """Render a view's controls for the current board and serve the view with their values.

    ``build(defaults, snap)`` returns the control tags, drawn from the view's defaults on
    the current board (output ``controls``); the values read back are those of the inputs
    among them (:func:`control_ids`) and ``extra``, ids of controls rendered elsewhere in
    the module (e.g. a picker that follows the date range). ``page_board``: the board whose
    controls the page already holds (:func:`controls_ui`); ``csv_table`` as in
    :func:`serve_view`. Returns serve_view's ``result`` reactive.
    """
    shown_in_page = drawn_in_page(snap, page_board)
    drawn_for = [None]  # the snapshot the controls were last drawn for

    def names(s) -> tuple[str, ...]:
        key = (view.ID, s.board, s.version)
        if key not in _CONTROL_IDS:  # the same for every session: built once per snapshot
            _CONTROL_IDS[key] = control_ids(build(view.Params.defaults(s), s))
        return _CONTROL_IDS[key]

    @render.ui
    def controls():
        s = snap()
        before, drawn_for[0] = drawn_for[0], s
        if shown_in_page():
            raise SilentCancelOutputException()
        d = view.Params.defaults(s)
        if "dates" in names(s):
            d = board_switch_range(view, input, before, s, d)
        return ui.TagList(*build(d, s))

    def raw_inputs() -> dict[str, object]:
        return {name: input[name]() for name in names(snap()) + tuple(extra)}

    return serve_view(view, snap, raw_inputs, input, page_board, csv_table=csv_table)


def controls_tab(view, build: Callable) -> tuple[Callable, Callable]:
    """``(view_ui, view_server)`` of a tab that is only the view's controls and outputs.

    ``build`` as in :func:`serve_with_controls`. Most tabs are just this; the others (an
    extra picker, a note, a grid) write their own pair around the same calls.
    """

    @module.ui
    def view_ui(initial=None):
        return view_layout(view, controls_ui(view, build, initial), initial=initial)

    @module.server
    def view_server(input, output, session, snap, page_board=None):
        serve_with_controls(view, snap, input, build, page_board=page_board)

    return view_ui, view_server


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> ui.Tag:
    """A small table of text cells (a header row, then the rows), Bootstrap-styled, scrolling
    sideways when it is wider than its column."""
    return ui.div(ui.tags.table(
        ui.tags.thead(ui.tags.tr(*[ui.tags.th(h, scope="col") for h in header])),
        ui.tags.tbody(*[ui.tags.tr(*[ui.tags.td(v) for v in row]) for row in rows]),
        class_="table table-sm table-striped llmtrends-numbers"), class_="table-responsive")


def _filename(view, board: str, which: str, ext: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"llmtrends_{board}_{view.ID}_{which}.{ext}")


# How a message about a forged input starts (what the page shows, and a download's file).
REJECTED = "Invalid input rejected — "


def serve_view(view, snap: Callable, raw_inputs: Callable[[], Mapping[str, object]], input,
               page_board: str | None = None, csv_table: Callable[[], object] | None = None) -> Callable:
    """Register a view's plot, message, provenance and download outputs.

    ``snap`` is a reactive returning the current board's Snapshot; ``raw_inputs`` a
    function returning the raw control values (read reactively); ``page_board`` the board
    whose marker the page already holds (:func:`view_layout`'s ``initial``); ``csv_table``
    (optional) what the CSV download exports instead of the view's table (the explorer:
    the rows its grid shows), read when the download is asked for. Returns the reactive
    ``result`` -> (params, table, message) for modules that need more outputs.
    """
    marker_in_page = drawn_in_page(snap, page_board)
    downloads_in_page = drawn_in_page(snap, page_board)
    # why each figure is not drawn (a message stands in its place), None while it is: the
    # figure downloads follow it
    blocked = {which: reactive.value(None) for which in view.FIGURES}

    @render.ui
    def board_marker():
        board = snap().board
        if marker_in_page():
            raise SilentCancelOutputException()
        return board_marker_tag(board)

    def guarded(compute: Callable[[], object]) -> tuple[object, str | None]:
        """``(value, None)``, or ``(None, message)`` for the user when ``compute`` fails."""
        try:
            return compute(), None
        except inputs.InvalidInput as exc:
            log.warning("rejected input in %s: %s", view.ID, exc)
            return None, f"{REJECTED}{exc}"
        except inputs.ViewError as exc:
            return None, str(exc)
        except SilentException:
            raise
        except Exception:  # noqa: BLE001 -- never show a traceback to a user
            log.exception("view %s failed", view.ID)
            return None, "This view could not be drawn for this selection (the error was logged)."

    @reactive.calc
    def chosen():
        """``(params, message)``: the controls' values checked, without computing the table."""
        s = snap()
        # Right after a board switch the controls still hold the old board's values
        # (types, authors, dates) until their new versions reach the browser: wait for
        # them quietly instead of flashing an "invalid input" message.
        if input.controls_board() != s.board:
            raise SilentException()
        return guarded(lambda: view.Params.from_inputs(raw_inputs(), s))

    @reactive.calc
    def result():
        params, message = chosen()
        if message is not None:
            return None, None, message
        tbl, message = guarded(lambda: serving.table(view, snap(), params))
        return (None, None, message) if message is not None else (params, tbl, None)

    def csv_refused() -> bool:
        """Whether the selection was rejected as forged (not merely empty)."""
        message = result()[2]
        return message is not None and message.startswith(REJECTED)

    def figure_message(which: str, params, tbl) -> str | None:
        """Why the view cannot draw figure ``which`` of this table (its ``empty_figure``)."""
        check = getattr(view, "empty_figure", None)
        return None if check is None else check(tbl, params, which)

    def message_box(text: str) -> ui.Tag:
        return ui.div(text, class_="alert alert-info llmtrends-message", role="status")

    def make_plot(which: str):
        async def fn():
            params, message = chosen()
            if message is None:  # rendered before: no table needed
                png = serving.cached_figure(view, which, params, snap())
                if png is not None:
                    blocked[which].set(None)
                    return serving.plot_img(view, which, serving.figure_key(view, which, params, snap()), png)
            params, tbl, message = result()
            if message is None:
                message = figure_message(which, params, tbl)
                if message is not None:  # this figure alone has nothing to draw: said in its place
                    blocked[which].set(message)
                    return message_box(message)
            if message is not None:
                blocked[which].set(message)
                # one message, under the first plot's slot
                return None if which != view.FIGURES[0] else message_box(message)
            s = snap()
            try:
                # A session's outputs are rendered one after another: start all of the view's
                # missing figures now, so that they render side by side in the workers, and
                # wait for this one (shielded: it may be shared).
                futures = {w: serving.figure_future(view, w, params, tbl, s) for w in view.FIGURES
                           if w == which or (serving.cached_figure(view, w, params, s) is None
                                             and figure_message(w, params, tbl) is None)}
                png = await asyncio.shield(futures[which])
            except Exception:  # noqa: BLE001
                log.exception("figure %s/%s failed", view.ID, which)
                blocked[which].set("This figure could not be drawn.")
                return ui.div("This figure could not be drawn (the error was logged).",
                              class_="alert alert-warning llmtrends-message", role="status")
            blocked[which].set(None)
            return serving.plot_img(view, which, serving.figure_key(view, which, params, s), png)
        fn.__name__ = f"plot_{which}"
        return render.ui(fn)

    def download_choice(name: str, allowed, label: str, unset: str | None = None) -> str:
        """A download option's value (``figure_format`` or ``figure_size``), checked; ``unset``
        when the page never sent it."""
        try:
            value = input[name]()
        except SilentException:
            value = unset
        return inputs.parse_choice(value, tuple(allowed), label)

    def figure_download(which: str) -> tuple[object, object, str | None, str | None, str | None]:
        """``(params, table, format, size, None)`` for a figure that can be downloaded, else
        its last item says why not (nothing to draw, or a forged format or size)."""
        params, tbl, message = result()
        if message is None:
            message = figure_message(which, params, tbl)
        fmt = size = None
        try:
            fmt = download_choice("figure_format", lrender.FORMATS, "figure format")
            size = download_choice("figure_size", lrender.SIZES, "figure size", unset="screen")
        except inputs.InvalidInput as exc:
            log.warning("rejected input in %s: %s", view.ID, exc)
            message = message or f"{REJECTED}{exc}"
        return params, tbl, fmt, size, message

    def make_download(which: str):
        async def fn():
            params, tbl, fmt, size, message = figure_download(which)
            if message is not None:
                # the button is disabled while this holds; a click that raced it, or a forged
                # format, gets the reason as the file (named .txt), not a broken download
                yield message + "\n"
                return
            # rendered by a worker, like the plots: the event loop keeps serving meanwhile
            yield await asyncio.shield(serving.figure_future(view, which, params, tbl, snap(), fmt,
                                                             serving.DOWNLOAD_DPI, size))

        def filename() -> str:
            _, _, fmt, size, message = figure_download(which)
            if message is not None:
                return _filename(view, snap().board, which, "txt")
            return _filename(view, snap().board, which if size == "screen" else f"{which}_{size}", fmt)
        fn.__name__ = f"dl_{which}"
        return render.download_button(filename=filename)(fn)

    plots = [make_plot(w) for w in view.FIGURES]
    downloads = [make_download(w) for w in view.FIGURES]
    if view.FIGURES:
        @render.ui
        def figure_downloads():
            why = {w: v() for w, v in blocked.items()}
            if downloads_in_page() and not any(why.values()):
                raise SilentCancelOutputException()  # the page holds these buttons
            return ui.TagList(*figure_download_buttons(view, why))
    else:
        @render.ui
        def message():
            _, _, text = result()
            if text is None:
                return None
            return message_box(text)

    @render.download_button(filename=lambda: _filename(view, snap().board, "table", "txt" if csv_refused() else "csv"))
    def dl_csv():
        params, tbl, message = result()
        if csv_refused():  # a forged input: the file is the message (named .txt)
            yield message + "\n"
            return
        if message is not None:  # an empty selection: the documented header and no rows
            yield prov.csv_header(view, snap().board)
            return
        chosen = csv_table() if csv_table is not None else None
        yield prov.table_csv(tbl if chosen is None else chosen)

    @render.text
    def provenance():
        s = snap()
        params, message = chosen()
        n = None if message is not None else serving.shown(view, s, params)
        if n is None and message is None:  # not computed yet (or shown in no table): compute it
            _, tbl, _ = result()
            n = None if tbl is None else tbl.attrs.get("models_shown")
        return prov.provenance(s.manifest, s.board, len(s.models), n)

    return result
