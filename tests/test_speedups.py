"""The same-result shortcuts into libraries change no result and fail safe.

The shortcuts: pandas' string ``isin``, matplotlib's font tables and object string columns
(``llmtrends/serving/speedups.py``), py-shiny's introspection (``modules/shiny_speedups.py``), the
explorer's pre-serialized grid (``modules/explorer.data_grid``).

* every view's default figures (PNG) and table (CSV), and the explorer's grid, on both
  boards, are byte-identical with every shortcut in use and with none;
* each shortcut is used only where what it replaces is there and answers as expected: with
  the library internal taken away or given another signature (monkeypatched, as a future
  release might), it is left out with one log line and the results stay the same;
* the real app, with every one of those internals broken at once (a ``sitecustomize``
  made up here, loaded by the app, its fork server and its workers), serves the same
  figures and its grid; with ``LLMTRENDS_SPEEDUPS=0`` it serves the same figures.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import textwrap

import matplotlib.text as mtext
import pytest
from shiny import App, reactive
from shiny import render as shiny_render
from shiny import ui
from shiny.reactive import _reactives
from starlette.testclient import TestClient
from websockets.sync.client import connect

from llmtrends.pipeline import store
from llmtrends.serving import figure_urls, render, speedups
from llmtrends.views import VIEWS, by_id
from llmtrends.views import inputs, provenance, selection
from llmtrends.views import explorer as explorer_view
from modules import explorer as explorer_module
from modules import serving
from modules import shiny_speedups
from modules import type_popularity as tp_module
from tests.appserver import app_server, start_server, stop_server  # noqa: F401 -- the shared server fixture
from tests.shinyproto import ShinyWire, explorer_inputs, fetch_figure, figure_url, is_plot

BOARDS = ("v1", "v2")
GRID_KW = dict(filters=True, selection_mode="rows", width="100%", height="640px")  # as the explorer tab
LOGGER = "llmtrends.serving.speedups"


def _all_off() -> None:
    speedups.uninstall()
    speedups.uninstall_figures()
    speedups.use_object_strings(False)
    shiny_speedups.uninstall()
    speedups.forget_checks()


@pytest.fixture
def libraries_own():
    """Every shortcut out before and after the test, and checked again when installed."""
    _all_off()
    yield
    _all_off()


@pytest.fixture(scope="module")
def snapshots(snapshot_dir):
    return {b: store.read_snapshot(snapshot_dir, b) for b in BOARDS}


def _grid_payload(snap) -> bytes:
    params = explorer_view.Params.defaults(snap)
    g = explorer_view.grid_view(snap, params, link=explorer_module._html_cell)
    grid = explorer_module.data_grid(g.frame, g.rows, **GRID_KW)
    return json.dumps(grid.to_payload(), sort_keys=True, default=str).encode()


def _outputs(snap, view_ids=None, object_strings: bool = False) -> dict[tuple[str, str], bytes]:
    """Each view's table at its defaults as CSV (or its message) and its figures as PNG,
    and the explorer's grid payload. Tables are computed as in the app process (pandas' own
    string type), figures drawn as in a figure worker (object strings when asked)."""
    out, tables = {}, {}
    for view in VIEWS:
        if view_ids is not None and view.ID not in view_ids:
            continue
        params = view.Params.defaults(snap)
        try:
            tbl = view.table(snap, params)
        except inputs.ViewError as exc:
            out[(view.ID, "csv")] = str(exc).encode()
            continue
        out[(view.ID, "csv")] = provenance.table_csv(tbl).encode()
        tables[view.ID] = (view, params, tbl)
    if view_ids is None or "explorer" in view_ids:
        out[("explorer", "grid")] = _grid_payload(snap)
    if object_strings:
        assert speedups.use_object_strings(True)
    try:
        for view, params, tbl in tables.values():
            for which in view.FIGURES:
                out[(view.ID, which)] = render.view_figure_bytes(view.ID, which, params, tbl)
    finally:
        speedups.use_object_strings(False)
    return out


@pytest.fixture(scope="module")
def plain(snapshots):
    """What the libraries' own code gives: no shortcut in use."""
    _all_off()
    return {b: _outputs(snapshots[b]) for b in BOARDS}


def _assert_same(got: dict, want: dict, what: str) -> None:
    assert got.keys() <= want.keys()
    differ = sorted(k for k in got if got[k] != want[k])
    assert not differ, f"{what}: {differ} differ"


def _refusals(caplog, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == LOGGER and r.getMessage().startswith(f"speedup {name} not used")]


# ----------------------------------------------------------------------- with and without


@pytest.mark.parametrize("board", BOARDS)
def test_figures_and_tables_are_byte_identical_with_and_without_the_speedups(snapshots, plain, board,
                                                                             libraries_own):
    cls = speedups._string_array_class()
    assert speedups.install() and cls.isin is speedups.string_isin
    fonts = speedups.install_figures()
    assert fonts == hasattr(mtext, "get_font")  # matplotlib 3.11 on measures text through it
    assert (mtext.get_font is speedups.text_get_font) if fonts else True
    ours = _outputs(snapshots[board], object_strings=True)
    assert ours.keys() == plain[board].keys()
    assert sum(k[1] not in ("csv", "grid") for k in ours) >= 16  # the figures, besides tables
    _assert_same(ours, plain[board], f"{board} with the speedups")


# ----------------------------------------------------------------- internals taken away


def test_pandas_isin_with_another_signature_is_left_alone(snapshots, plain, libraries_own, monkeypatch, caplog):
    cls = speedups._string_array_class()
    own = cls.isin

    def isin(self, values, *, how="any"):  # as a later pandas might have it
        return own(self, values)

    monkeypatch.setattr(cls, "isin", isin)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert speedups.install() is False
    assert cls.isin is isin
    assert len(_refusals(caplog, "pandas ArrowStringArray.isin")) == 1
    assert "takes (self, values, how)" in _refusals(caplog, "pandas ArrowStringArray.isin")[0]
    # author activity matches thousands of repository ids with isin
    _assert_same(_outputs(snapshots["v1"], {"author_activity", "type_popularity"}), plain["v1"], "isin left alone")


def test_matplotlib_text_without_get_font_gets_none(libraries_own, monkeypatch, caplog):
    # as matplotlib before 3.11 (and the declared floor), which measures text otherwise; on
    # 3.11 matplotlib itself cannot draw text without it, so nothing is drawn here
    monkeypatch.delattr(mtext, "get_font", raising=False)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert speedups.install_figures() is False
    assert not hasattr(mtext, "get_font")
    assert len(_refusals(caplog, "matplotlib.text.get_font")) == 1


def test_matplotlib_text_get_font_with_another_signature_is_left_alone(snapshots, plain, libraries_own,
                                                                       monkeypatch, caplog):
    from matplotlib import font_manager

    def get_font(font_filepaths, hinting_factor=None, *, _kerning_factor=0):  # as a later matplotlib might
        return font_manager.get_font(font_filepaths)

    monkeypatch.setattr(mtext, "get_font", get_font, raising=False)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert speedups.install_figures() is False
        render.pyplot()  # what every render calls: it does not install it either
    assert mtext.get_font is get_font
    assert len(_refusals(caplog, "matplotlib.text.get_font")) == 1
    _assert_same(_outputs(snapshots["v2"], {"type_popularity", "compare"}, object_strings=True), plain["v2"],
                 "get_font left alone")


def test_py_shiny_without_its_introspection_as_expected_is_left_alone(snapshots, plain, libraries_own,
                                                                       monkeypatch, caplog):
    try:
        from shiny.otel import _attributes
        monkeypatch.delattr(_attributes, "extract_source_ref")
    except ImportError:  # py-shiny before 1.6 has none to take away
        pass
    own_infer = getattr(_reactives.Value, "_try_infer_name", None)
    if own_infer is not None:
        monkeypatch.setattr(_reactives.Value, "_try_infer_name", lambda self, depth=2: own_infer(self))
    changed = _reactives.Value.__dict__.get("_try_infer_name")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert shiny_speedups.install() == {"extract_source_ref": False, "_try_infer_name": False}
    assert _reactives.Value.__dict__.get("_try_infer_name") is changed
    assert len(_refusals(caplog, "shiny extract_source_ref")) == 1
    assert len(_refusals(caplog, "shiny Value._try_infer_name")) == 1
    # a view module still serves its plots, the same figures
    snap = snapshots["v1"]
    params = selection.RangeTypesParams.defaults(snap)

    def server(input, output, session):
        tp_module.view_server("tp", reactive.calc(lambda: snap))

    inputs = {"tp-dates:shiny.date": [params.start.isoformat(), params.end.isoformat()],
              "tp-types": list(params.types), "tp-aggregation": params.aggregation, "tp-figure_format": "png"}
    app = App(ui.page_fluid(tp_module.view_ui("tp")), server)
    figure_urls.install(app, serving.FIGURES)
    with TestClient(app) as client:
        with client.websocket_connect("/websocket/") as ws:
            wire = ShinyWire(ws.send_text, ws.receive_text)
            wire.init(inputs, ["tp-plot_counts", "tp-plot_shares", "tp-controls", "tp-board_marker"])
            for which in ("counts", "shares"):
                html = wire.wait_for(f"tp-plot_{which}", is_plot)
                assert client.get("/" + figure_url(html)).content == plain["v1"][("type_popularity", which)]
            wire.assert_no_errors()


def test_a_data_grid_payload_of_another_form_gets_py_shinys_own_grid(snapshots, plain, libraries_own,
                                                                      monkeypatch, caplog):
    own = shiny_render.DataGrid.to_payload

    def to_payload(self):  # a later py-shiny whose payload depends on every row
        payload = own(self)
        payload["rowCount"] = len(self.data)
        return payload

    monkeypatch.setattr(shiny_render.DataGrid, "to_payload", to_payload)
    snap = snapshots["v2"]
    g = explorer_view.grid_view(snap, explorer_view.Params.defaults(snap), link=explorer_module._html_cell)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        grid = explorer_module.data_grid(g.frame, g.rows, **GRID_KW)
    assert type(grid) is shiny_render.DataGrid
    assert len(_refusals(caplog, "shiny DataGrid.to_payload")) == 1
    payload = grid.to_payload()
    assert payload["rowCount"] == len(g.rows) == len(g.frame) > 1000
    assert payload["data"] == g.rows  # the rows as the library serialized them: the same cells
    monkeypatch.undo()  # py-shiny as it is: its payload without the new field is the one the app sends
    assert json.dumps(shiny_render.DataGrid(g.frame, **GRID_KW).to_payload(), sort_keys=True,
                      default=str).encode() == plain["v2"][("explorer", "grid")]


def test_speedups_off_leaves_every_library_alone(snapshots, libraries_own, monkeypatch, caplog):
    monkeypatch.setenv("LLMTRENDS_SPEEDUPS", "0")
    cls = speedups._string_array_class()
    isin, get_font = cls.isin, getattr(mtext, "get_font", None)
    infer, infer_string = _reactives.Value.__dict__.get("_try_infer_name"), speedups._infer_string_default()
    snap = snapshots["v2"]
    g = explorer_view.grid_view(snap, explorer_view.Params.defaults(snap), link=explorer_module._html_cell)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert speedups.install() is False
        assert speedups.install_figures() is False
        assert speedups.use_object_strings() is False
        assert shiny_speedups.install() == {"extract_source_ref": False, "_try_infer_name": False}
        assert type(explorer_module.data_grid(g.frame, g.rows, **GRID_KW)) is shiny_render.DataGrid
    assert cls.isin is isin and getattr(mtext, "get_font", None) is get_font
    assert _reactives.Value.__dict__.get("_try_infer_name") is infer
    assert speedups._infer_string_default() == infer_string
    assert not [r for r in caplog.records if r.name == LOGGER]  # off by choice: nothing to report


# ------------------------------------------------------------------------------ the app

# Made up for this test: every library internal the app's shortcuts replace, taken away or
# changed as a later release might. Python loads this at the start of the app, its fork
# server and (inherited) its figure workers.
BROKEN_INTERNALS = textwrap.dedent('''
    import matplotlib.text
    from matplotlib import font_manager
    def _other_get_font(font_filepaths, hinting_factor=None, *, _kerning_factor=0):
        return font_manager.get_font(font_filepaths)
    matplotlib.text.get_font = _other_get_font
    from pandas.core.arrays.string_arrow import ArrowStringArray
    _isin = ArrowStringArray.isin
    def _other_isin(self, values, *, how="any"):
        return _isin(self, values)
    ArrowStringArray.isin = _other_isin
    try:
        import shiny.otel._attributes as _attributes
        del _attributes.extract_source_ref
    except ImportError:
        pass
    from shiny.reactive import _reactives
    _infer = getattr(_reactives.Value, "_try_infer_name", None)
    if _infer is not None:
        _reactives.Value._try_infer_name = lambda self, depth=2: _infer(self)
    from shiny import render
    _payload = render.DataGrid.to_payload
    def _counted_payload(self):
        payload = _payload(self)
        payload["rowCount"] = len(self.data)
        return payload
    render.DataGrid.to_payload = _counted_payload
''')

QUIET = {"LLMTRENDS_RENDER_WORKERS": "1"}


@pytest.fixture(scope="module")
def bare_dir(snapshot_dir, tmp_path_factory):
    """The boards without their stored default figures: the app draws every figure itself,
    with the speed-ups as the test sets them."""
    from llmtrends.serving import default_figures

    out = tmp_path_factory.mktemp("bare") / "data"
    shutil.copytree(snapshot_dir, out, ignore=shutil.ignore_patterns(default_figures.FOLDER))
    return out


def _view_inputs(view, params) -> dict:
    fields = {"dates:shiny.date": [params.start.isoformat(), params.end.isoformat()],
              "types": list(getattr(params, "types", ())), "aggregation": getattr(params, "aggregation", None),
              "authors": list(getattr(params, "authors", ())), "figure_format": "png",
              "score": getattr(params, "score", None)}
    return {f"{view.ID}-{k}": v for k, v in fields.items() if v not in (None, [])}


def _outputs_of(view) -> list[str]:
    return [f"{view.ID}-{o}" for o in ("controls", "board_marker", *(f"plot_{w}" for w in view.FIGURES))]


def _receive_value(wire: ShinyWire, output_id: str, max_messages: int = 200) -> object:
    """The output's first value that is not empty (a grid is empty until its rows are known)."""
    for _ in range(max_messages):
        if wire.values.get(output_id):
            return wire.values[output_id]
        wire.receive()
    raise AssertionError(f"{output_id} never arrived")


def test_the_app_with_every_replaced_internal_broken_serves_the_same(bare_dir, snapshots, plain, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BROKEN_INTERNALS, encoding="utf-8")
    import os
    env = {**QUIET, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    server = start_server(bare_dir, tmp_path, env=env)
    try:
        snap = snapshots["v1"]
        tp, aa = by_id("type_popularity"), by_id("author_activity")
        ex = explorer_view.Params.defaults(snap)
        inputs = {"board": "v1", "tab": tp.ID,
                  **_view_inputs(tp, tp.Params.defaults(snap)), **_view_inputs(aa, aa.Params.defaults(snap)),
                  **explorer_inputs(snap)}
        visible = _outputs_of(tp) + _outputs_of(aa) + ["explorer-grid", "explorer-controls", "explorer-board_marker"]
        with connect(server.ws_url, open_timeout=30, max_size=None) as ws:
            wire = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
            wire.init(inputs, visible)
            for view in (tp, aa):
                if view is aa:
                    wire.update({"tab": aa.ID})
                for which in view.FIGURES:
                    html = wire.wait_for(f"{view.ID}-plot_{which}", is_plot)
                    assert fetch_figure(server.url, html) == plain["v1"][(view.ID, which)], which
            wire.update({"tab": "explorer"})
            grid = json.dumps(_receive_value(wire, "explorer-grid"))
            rows = explorer_view.grid_view(snap, ex).rows
            assert f'"rowCount": {len(rows)}' in grid  # py-shiny's own grid, from every row
            wire.assert_no_errors()
        log = server.log_text()
    finally:
        stop_server(server)
    for name in ("pandas ArrowStringArray.isin", "shiny extract_source_ref", "shiny Value._try_infer_name",
                 "shiny DataGrid.to_payload", "matplotlib.text.get_font"):
        assert f"speedup {name} not used" in log, name
    assert "Traceback" not in log


def test_the_app_with_speedups_off_serves_the_same_figures(bare_dir, snapshots, plain, tmp_path):
    server = start_server(bare_dir, tmp_path, env={**QUIET, "LLMTRENDS_SPEEDUPS": "0"})
    try:
        snap = snapshots["v1"]
        tp = by_id("type_popularity")
        params = tp.Params.defaults(snap)
        plot = f"{tp.ID}-plot_counts"
        with connect(server.ws_url, open_timeout=30, max_size=None) as ws:
            wire = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
            wire.init({"board": "v1", "tab": tp.ID, **_view_inputs(tp, params)}, _outputs_of(tp))
            first = wire.wait_for(plot, is_plot)
            assert fetch_figure(server.url, first) == plain["v1"][(tp.ID, "counts")]
            for aggregation in ("month", params.aggregation):
                wire.forget(plot)
                wire.update({f"{tp.ID}-aggregation": aggregation})
                wire.wait_for(plot, is_plot)
            assert wire.html_of(plot) == first
            wire.assert_no_errors()
    finally:
        stop_server(server)
