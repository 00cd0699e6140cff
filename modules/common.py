"""The wiring every view module shares: layout, plots, messages, downloads, provenance
(:func:`serve_view`). A tab's sidebar is :mod:`modules.sidebar`'s, its place in the page's
address :mod:`modules.links`'.

Nothing here computes on data: tables come from the view's ``table``, figures from its
``figure``; ``modules.serving`` caches and renders them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence

from shiny import reactive, render, ui
from shiny.types import SilentCancelOutputException, SilentException

from llmtrends.serving import render as lrender
from llmtrends.views import inputs
from llmtrends.views import provenance as prov  # `provenance` is also an output's name here
from modules import serving

log = logging.getLogger("llmtrends.app")

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
                    return serving.plot_img(view, which, params, snap(), png)
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
            return serving.plot_img(view, which, params, s, png)
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
        n = None if message is not None else serving.models_shown(view, s, params)
        if n is None and message is None:  # not computed yet (or shown in no table): compute it
            _, tbl, _ = result()
            n = None if tbl is None else tbl.attrs.get("models_shown")
        return prov.provenance(s.manifest, s.board, len(s.models), n)

    return result
