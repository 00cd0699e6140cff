"""Module/server tests: one view module in an in-process Shiny app, driven over a websocket.

py-shiny has no public ``testServer``; instead the module (``modules/type_popularity.py``)
is mounted alone in a ``shiny.App`` with a fixed v1 snapshot and driven through
Starlette's ``TestClient`` websocket with the same protocol client as the forged-input
tests (``tests/shinyproto.py``): no subprocess, no browser.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from shiny import App, reactive, ui
from starlette.testclient import TestClient

from llmtrends.pipeline import store
from modules import type_popularity as module
from tests.shinyproto import ShinyWire, is_message, is_plot

NS = "tp"
OUTPUTS = [f"{NS}-plot_counts", f"{NS}-plot_shares", f"{NS}-provenance", f"{NS}-controls", f"{NS}-board_marker"]


@pytest.fixture(scope="module")
def v1(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v1")


@pytest.fixture(scope="module")
def client(v1):
    def server(input, output, session):
        module.view_server(NS, reactive.calc(lambda: v1))

    app = App(ui.page_fluid(module.view_ui(NS)), server)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def wire(client):
    with client.websocket_connect("/websocket/") as ws:
        yield ShinyWire(ws.send_text, ws.receive_text)


def expected_v1(snapshot_dir):
    """Types and date bounds of v1 worked out from the parquet file directly."""
    m = pd.read_parquet(store.snapshot_path(snapshot_dir, "v1") / "models.parquet")
    dated = m[m["created_at"].notna()]
    if "created_at_placeholder" in m.columns:
        dated = dated[~dated["created_at_placeholder"].fillna(False).astype(bool)]
    dated = dated[dated["created_at"].dt.strftime("%Y-%m-%d") != "2022-03-02"]
    return (set(m["type"].dropna()), dated["created_at"].min().date(), dated["created_at"].max().date())


def test_controls_offer_the_boards_types_and_dates(wire, snapshot_dir):
    types, first, last = expected_v1(snapshot_dir)
    wire.init({}, OUTPUTS)
    html = wire.wait_for(f"{NS}-controls", lambda h: "checkbox" in h)
    offered = set(re.findall(rf'name="{NS}-types" value="([^"]+)"', html))
    assert {t.replace("&amp;", "&") for t in offered} == types
    assert f'data-initial-date="{first.isoformat()}"' in html
    assert f'data-initial-date="{last.isoformat()}"' in html
    assert f'name="{NS}-aggregation" value="week" checked' in html  # the study's default


def valid(snapshot_dir) -> dict:
    types, first, last = expected_v1(snapshot_dir)
    return {f"{NS}-dates:shiny.date": [first.isoformat(), last.isoformat()],
            f"{NS}-types": sorted(types), f"{NS}-aggregation": "week", f"{NS}-figure_format": "png"}


def test_valid_inputs_draw_both_plots(wire, snapshot_dir, v1):
    wire.init(valid(snapshot_dir), OUTPUTS)
    for which in ("counts", "shares"):
        html = wire.wait_for(f"{NS}-plot_{which}", is_plot)
        assert 'class="llmtrends-plot"' in html
    prov = wire.wait_for(f"{NS}-provenance", lambda t: "models shown" in t)
    n = len(v1.models)
    assert f"of {n:,} models shown" in prov and "Leaderboard v1" in prov
    wire.assert_no_errors()


def test_no_types_shows_the_friendly_message(wire, snapshot_dir):
    inputs = valid(snapshot_dir)
    inputs[f"{NS}-types"] = []
    wire.init(inputs, OUTPUTS)
    html = wire.wait_for(f"{NS}-plot_counts", is_message)
    assert "Tick at least one model type." in html
    assert "Invalid input" not in html
    wire.assert_no_errors()


def test_range_without_models_shows_a_message(wire, snapshot_dir):
    # a week inside the board's dates in which no repository was created (plain pandas)
    _, first, last = expected_v1(snapshot_dir)
    m = pd.read_parquet(store.snapshot_path(snapshot_dir, "v1") / "models.parquet")
    days = set(m["created_at"].dropna().dt.date)
    gap = next(first + dt.timedelta(days=i) for i in range((last - first).days)
               if not any(first + dt.timedelta(days=i + k) in days for k in range(7)))
    inputs = valid(snapshot_dir)
    inputs[f"{NS}-dates:shiny.date"] = [gap.isoformat(), (gap + dt.timedelta(days=6)).isoformat()]
    wire.init(inputs, OUTPUTS)
    html = wire.wait_for(f"{NS}-plot_counts", is_message)
    assert "No models" in html
    wire.assert_no_errors()


def test_forged_aggregation_then_recovery(wire, snapshot_dir):
    wire.init(valid(snapshot_dir), OUTPUTS)
    wire.wait_for(f"{NS}-plot_counts", is_plot)
    wire.forget(f"{NS}-plot_counts")
    wire.update({f"{NS}-aggregation": "year"})
    assert "Invalid input rejected" in wire.wait_for(f"{NS}-plot_counts", is_message)
    wire.forget(f"{NS}-plot_counts")
    wire.update({f"{NS}-aggregation": "month"})
    wire.wait_for(f"{NS}-plot_counts", is_plot)
    wire.assert_no_errors()


def test_a_selection_seen_before_is_answered_without_its_table(client, snapshot_dir, v1, monkeypatch):
    from llmtrends.serving import cache
    from llmtrends.views import type_popularity as tp_view
    from modules import serving

    inputs = valid(snapshot_dir)
    inputs[f"{NS}-aggregation"] = "month"
    with client.websocket_connect("/websocket/") as ws:
        first = ShinyWire(ws.send_text, ws.receive_text)
        first.init(inputs, OUTPUTS)
        plots = {w: first.wait_for(f"{NS}-plot_{w}", is_plot) for w in ("counts", "shares")}
        prov = first.wait_for(f"{NS}-provenance", lambda t: "models shown" in t)
    # the tables are gone from their cache and computing one now fails: a session asking for
    # the same selection gets the same plots and provenance from the figure cache and SHOWN
    calls = []

    def table_not_allowed(*args):
        calls.append(args)
        raise AssertionError("the table was computed")

    monkeypatch.setattr(serving, "TABLES", cache.TableCache(max_bytes=1024 * 1024))
    monkeypatch.setattr(tp_view, "table", table_not_allowed)
    with client.websocket_connect("/websocket/") as ws:
        again = ShinyWire(ws.send_text, ws.receive_text)
        again.init(inputs, OUTPUTS)
        for w in ("counts", "shares"):  # a plot or a message, whichever comes: it must be the plot
            assert again.wait_for(f"{NS}-plot_{w}", lambda h: is_plot(h) or is_message(h)) == plots[w]
        assert again.wait_for(f"{NS}-provenance", lambda t: "models shown" in t) == prov
        again.assert_no_errors()
    assert calls == []
    assert f"of {len(v1.models):,} models shown" in prov


# --------------------------------------------------------------------------- controls in the page


@pytest.fixture(scope="module")
def v2(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v2")


@pytest.fixture(scope="module")
def page_client(v1, v2):
    # the app's arrangement: a board switch, the module's controls drawn into the page for v1
    boards = {"v1": v1, "v2": v2}

    def server(input, output, session):
        module.view_server(NS, reactive.calc(lambda: boards[input.board()]), page_board="v1")

    page = ui.page_fluid(ui.input_radio_buttons("board", None, choices=["v1", "v2"], selected="v1"),
                         module.view_ui(NS, v1))
    with TestClient(App(page, server)) as c:
        yield c


def _types_offered(html: str) -> set[str]:
    return {t.replace("&amp;", "&") for t in re.findall(rf'name="{NS}-types" value="([^"]+)"', html)}


def test_the_page_holds_the_first_boards_controls(page_client, snapshot_dir):
    types, first, last = expected_v1(snapshot_dir)
    html = page_client.get("/").text
    controls = html[html.index(f'id="{NS}-controls"'):html.index(f'id="{NS}-figure_format"')]
    assert _types_offered(controls) == types
    assert f'data-initial-date="{first.isoformat()}"' in controls and f'data-initial-date="{last.isoformat()}"' in controls
    assert re.search(rf'id="{NS}-controls_board"[^>]*value="v1"', html)


def test_a_session_on_the_pages_board_draws_its_plots_without_another_round_trip(page_client, snapshot_dir, v2):
    with page_client.websocket_connect("/websocket/") as ws:
        sent = []
        wire = ShinyWire(lambda text: (sent.append(text), ws.send_text(text)), ws.receive_text)
        # what the browser sends first: every input of the page, the board marker included
        wire.init({**valid(snapshot_dir), "board": "v1", f"{NS}-controls_board": "v1"}, OUTPUTS)
        for which in ("counts", "shares"):
            wire.wait_for(f"{NS}-plot_{which}", is_plot)
        assert len(sent) == 1  # the init message only: no input had to be bound first
        assert f"{NS}-controls" not in wire.values and f"{NS}-board_marker" not in wire.values
        wire.assert_no_errors()
        # another board: its controls come from the server, and back again
        v2_types = set(pd.read_parquet(store.snapshot_path(snapshot_dir, "v2") / "models.parquet", columns=["type"])["type"].dropna())
        wire.update({"board": "v2"})
        assert _types_offered(wire.wait_for(f"{NS}-controls", lambda h: "checkbox" in h)) == v2_types
        assert 'value="v2"' in wire.wait_for(f"{NS}-board_marker", lambda h: "controls_board" in h)
        wire.forget(f"{NS}-controls")
        wire.update({"board": "v1"})
        types, _, _ = expected_v1(snapshot_dir)
        assert _types_offered(wire.wait_for(f"{NS}-controls", lambda h: "checkbox" in h)) == types
        wire.assert_no_errors()


def test_every_view_has_its_module_and_every_module_its_view():
    """One registry (``llmtrends.views.VIEWS``): a view's module is ``modules/<ID>.py``; the
    folder holds no tab module that is not a view (listed here from the files)."""
    from pathlib import Path

    from llmtrends.views import VIEWS
    from modules import MODULES

    folder = Path(module.__file__).parent
    tabs = {p.stem for p in folder.glob("*.py")} - {"__init__", "common", "sidebar", "links", "serving", "shiny_speedups"}
    assert tabs == {view.ID for view in VIEWS}
    assert list(MODULES) == [view.ID for view in VIEWS]
    for view in VIEWS:
        assert callable(MODULES[view.ID].view_ui) and callable(MODULES[view.ID].view_server), view.ID


# The ids each tab's sidebar sends, written here by hand from the tabs as a person sees
# them (they were typed beside each tab's controls before being derived from them).
SIDEBAR_IDS = {
    "type_popularity": ("dates", "types", "aggregation"),
    "author_activity": ("dates", "aggregation", "score"),
    "score_trends": ("score", "dates", "types", "aggregation"),
    "architecture_popularity": ("dates", "families", "aggregation"),
    "base_models": ("bases", "score", "labels", "y_axis"),
    "releases": ("dates", "aggregation"),
    "params_score": ("score", "dates", "types", "exclude_small"),
    "moe": ("score", "dates", "sizes", "rule"),
    "co2": ("score", "types", "log_scale"),
    "official": ("types",),
    "explorer": ("min_score", "score", "params_b", "types", "sizes", "hide_merges", "licenses", "moe", "official",
                 "dates", "undated"),
    "changes": ("first", "second", "score"),
}


def test_control_ids_are_the_inputs_among_the_tags():
    from shiny.module import namespace_context

    from modules import sidebar

    # made-up tags: two inputs, an output, a label and a plain element with ids
    tags = [ui.output_ui("picker"), ui.input_checkbox_group("kinds", "Kinds", ["a", "b"]),
            ui.div(ui.input_checkbox("flag", "Flag"), id="box"), ui.p("note", id="note"),
            ui.input_date_range("when", "When", start="2024-01-01", end="2024-02-01")]
    assert sidebar.control_ids(tags) == ("kinds", "flag", "when")
    with namespace_context("tab"):  # inside a module the ids are namespaced; the names are not
        assert sidebar.control_ids([ui.input_select("pick", "Pick", ["x"]), ui.input_slider("n", "N", 0, 9, 3)]) \
            == ("pick", "n")


def test_every_tab_declares_its_controls_once(v1):
    """Every tab with a sidebar builds it in one ``controls(d, s)``; the ids it reads back are
    derived from it, and are the ones a person sees (hand-written above)."""
    from shiny.module import namespace_context

    from llmtrends.views import VIEWS
    from modules import MODULES, sidebar

    with_sidebar = {view.ID for view in VIEWS if hasattr(MODULES[view.ID], "controls")}
    assert with_sidebar == set(SIDEBAR_IDS)  # all but compare, whose one picker follows the explorer
    for view in VIEWS:
        if view.ID not in SIDEBAR_IDS:
            continue
        with namespace_context(view.ID):
            tags = MODULES[view.ID].controls(view.Params.defaults(v1), v1)
            assert sidebar.control_ids(tags) == SIDEBAR_IDS[view.ID], view.ID


def test_the_explorers_rows_follow_the_controls_its_grid_does_not_filter(v1):
    """The explorer sends the grid the rows picked by every control but the four whose
    filters are the grid's own column filters (``GRID_SIDE``): the ids come from its one
    ``controls`` (kept once per snapshot), not from a second list."""
    from shiny.module import namespace_context

    from llmtrends.views import explorer as view
    from modules import explorer, sidebar

    with namespace_context(view.ID):
        ids = sidebar.tab_control_ids(view, explorer.controls, v1)
        assert sidebar.tab_control_ids(view, explorer.controls, v1) is ids  # derived once
    assert set(view.GRID_SIDE) == {"moe", "official", "min_score", "score"}
    assert set(ids) - set(view.GRID_SIDE) == {"params_b", "types", "sizes", "hide_merges", "licenses", "dates",
                                              "undated"}
