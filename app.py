"""llmtrends: the Shiny app. One tab per view, every board's current snapshot served.

Run with ``shiny run app.py`` (see README). The data folder is ``LLMTRENDS_DATA`` or
``./data``; without a snapshot the app explains how to build one.

The page's address holds what it shows (Shiny's bookmarking, ``bookmark_store="url"``):
the tab, the board and the tab's controls, so that a link reproduces a view; each change
a person makes adds a history entry (``www/history.js``), so the browser's back button
goes back to the view before, and a reload keeps the view.

The app follows the data folder (``llmtrends.serving.live``): a snapshot built while it runs is
served to new sessions without a restart, and an open session is told that newer data is
there (it keeps its own until the page is reloaded).
"""

from __future__ import annotations

import contextvars
import gc
import logging
from pathlib import Path

from llmtrends import config
from llmtrends.serving import speedups, workers

DATA_DIR = config.data_dir(Path(__file__).parent)
# Start the figure workers first: their fork server imports and warms up on the other core
# while this process imports the views and loads the boards.
workers.shared().start_background()

from shiny import App, reactive, ui  # noqa: E402
from shiny.bookmark import restore_input  # noqa: E402
from shiny.module import ResolvedId  # noqa: E402

from llmtrends import schema  # noqa: E402
from llmtrends.serving import figure_urls, live, sendqueue  # noqa: E402
from llmtrends.views import VIEWS  # noqa: E402
from llmtrends.views import inputs  # noqa: E402
from modules import MODULES  # noqa: E402
from modules import links as modules_links  # noqa: E402
from modules import serving, shiny_speedups  # noqa: E402

logging.basicConfig(level=config.log_level(), format=config.LOG_FORMAT)
# Same-result shortcuts into pandas and py-shiny, each checked against the installed library
# first (one log line and the library's own code when it is not as expected; off with
# LLMTRENDS_SPEEDUPS=0; see the modules).
speedups.install()  # pandas' string isin
shiny_speedups.install()  # py-shiny's per-session introspection, once per place

LIVE = live.LiveBoards(DATA_DIR)  # every board's current snapshot, following new builds (below)
TABS = tuple(MODULES)  # the tabs a session can open (each starts its module)
CSS = Path(__file__).parent / "www" / "app.css"
HISTORY_JS = Path(__file__).parent / "www" / "history.js"  # the view in the address, back and forth
DATES_JS = Path(__file__).parent / "www" / "dates.js"  # typed dates: complete, inside the board, or said why
# The modules and the boards loaded at start live as long as the process (or as their
# sessions): keep them out of the garbage collector's full collections, which would
# otherwise walk them again and again.
gc.freeze()


def default_board(boards: live.Boards) -> str | None:
    return config.default_board(boards.names)


def _missing_page(boards: live.Boards) -> ui.Tag:
    return ui.page_fillable(
        ui.h2("llmtrends: no processed snapshot found"),
        ui.p(f"The app looked in {DATA_DIR} (set LLMTRENDS_DATA to use another folder); a snapshot "
             "built there while the app runs is served without a restart."),
        *[ui.p(e, class_="text-danger") for e in boards.errors],
        ui.p("Build one with, for example:"),
        ui.pre("python scripts/preprocess.py --board v2 --out data\n"
               "python scripts/preprocess.py --board v1 --source leaderboard.csv "
               "--enrich files --hub-records DIR --out data"),
        title="llmtrends",
    )


def _panel(view_id: str, snap):
    """A tab's content drawn for the snapshot ``snap``, as Shiny's page would tag it."""
    return MODULES[view_id].view_ui(view_id, snap)


# a tab's default content per (tab, board, snapshot version); older versions are dropped
_DEFAULT_PANELS: dict[tuple[str, str, str], object] = {}


def _default_panel(view_id: str, snap):
    """A tab's content for ``snap`` at its defaults, drawn once: built in a context of its
    own, so that no request's bookmarked state (a link's values) gets into it."""
    key = (view_id, snap.board, snap.version)
    if key not in _DEFAULT_PANELS:
        for old in [k for k in _DEFAULT_PANELS if k[:2] == key[:2]]:
            del _DEFAULT_PANELS[old]
        _DEFAULT_PANELS[key] = contextvars.Context().run(lambda: ui.TagList(_panel(view_id, snap)).tagify())
    return _DEFAULT_PANELS[key]


def _page(boards: live.Boards, board: str, restored_tab: str | None = None) -> ui.Tag:
    # each tab's controls are drawn into the page for the board it opens on, so that a new
    # session's first message carries their values and its plots need no extra round trip;
    # the tab a link names is drawn with the link's values (Shiny restores them into the
    # controls), the others are drawn once per board
    snap = boards.snapshots[board]
    panels = [ui.nav_panel(view.TITLE, _panel(view.ID, snap) if view.ID == restored_tab
                           else _default_panel(view.ID, snap), value=view.ID) for view in VIEWS]
    switch = ui.input_radio_buttons("board", None, choices={b: schema.BOARD_LABELS.get(b, b) for b in boards.names},
                                    selected=board, inline=True)
    return ui.page_navbar(
        *panels,
        ui.nav_spacer(),
        ui.nav_control(switch),
        title="llmtrends",
        id="tab",
        header=ui.TagList(ui.include_css(CSS), ui.include_js(HISTORY_JS, method="inline"), ui.include_js(DATES_JS, method="inline")),
        fillable=False,
        window_title="llmtrends — open LLM leaderboard trends",
    )


def _restored(name: str, allowed, default):
    """The value a link gives input ``name`` (Shiny's bookmarked state of this request or
    session), when it is one of ``allowed``; else ``default``."""
    value = restore_input(ResolvedId(name), default)
    return value if isinstance(value, str) and value in allowed else default


# the page of a plain address, drawn once per generation of the boards
_DEFAULT_PAGE: dict[int, object] = {}


def _default_page(boards: live.Boards):
    if boards.generation not in _DEFAULT_PAGE:
        _DEFAULT_PAGE.clear()
        _DEFAULT_PAGE[boards.generation] = contextvars.Context().run(
            lambda: _page(boards, default_board(boards)).tagify())
    return _DEFAULT_PAGE[boards.generation]


def app_ui(request):
    """The page for a request, drawn from the boards of the moment: the view its address
    names (a bookmarked state: tab, board, the tab's controls), else the default page."""
    boards = LIVE.boards
    if not boards.snapshots:
        return _missing_page(boards)
    if "_inputs_" not in request.url.query:
        return _default_page(boards)
    return _page(boards, _restored("board", boards.snapshots, default_board(boards)), _restored("tab", MODULES, None))


# how the page tells an open session that newer data is there
NEW_DATA_NOTICE = "New data is available: reload the page to see it."


def server(input, output, session):
    boards = LIVE.boards  # this session's boards, for its whole life
    if not boards.snapshots:
        return  # the page explains how to build a snapshot
    default = default_board(boards)
    # the board the page was drawn for: a link's, else the default one
    page_board = _restored("board", boards.snapshots, default)

    @reactive.calc
    def snap():
        try:  # typed: a forged value (unknown, or not even text) keeps the default board
            return boards.snapshots[inputs.parse_choice(input.board(), boards.names, "board")]
        except inputs.InvalidInput as exc:
            logging.getLogger("llmtrends.app").warning("rejected input: %s", exc)
            return boards.snapshots[default]

    told = [False]

    @reactive.effect
    def _newer_data():
        # a small notice, once, instead of switching the data under the user's feet
        if told[0] or not WATCH_S:
            return
        reactive.invalidate_later(WATCH_S)
        if LIVE.boards.generation != boards.generation:
            told[0] = True
            ui.notification_show(ui.span(NEW_DATA_NOTICE, " ", ui.a("Reload", href="javascript:location.reload()")),
                                 duration=None, id="llmtrends-new-data", type="message")

    # A tab's module server starts when the tab is first opened: a session sets up only what
    # it shows (its first tab at once), not the twelve tabs' outputs and grids. A module may
    # take another module's server result as an argument: ``TAKES`` maps the keyword to the
    # giving view's ID (compare takes the explorer's selected rows); the giver starts first.
    served = {}

    def serve(view_id: str):
        if view_id not in served:
            takes = getattr(MODULES[view_id], "TAKES", {})
            extra = {kw: serve(giver) for kw, giver in takes.items() if giver in MODULES}
            served[view_id] = MODULES[view_id].view_server(view_id, snap, page_board=page_board, **extra)
        return served[view_id]

    @reactive.effect
    def _open_tab():
        try:  # typed: a forged value (unknown, or not even text) starts nothing
            tab = inputs.parse_choice(input.tab(), TABS, "tab")
        except inputs.InvalidInput as exc:
            logging.getLogger("llmtrends.app").warning("rejected input: %s", exc)
            return
        with reactive.isolate():
            serve(tab)

    modules_links.remember_views(session, input, snap, MODULES, default)


app = App(app_ui, server, bookmark_store="url")
# a page's figures are URLs of the app (figures/<content key>.png), cached by the browser
figure_urls.install(app, serving.FIGURES)
if config.ws_queue():  # a browser that stops reading must not hold up every session (issue 26)
    sendqueue.install(app, stall_s=config.ws_stall_s())
WATCH_S = config.watch_s()
LIVE.start(WATCH_S)
