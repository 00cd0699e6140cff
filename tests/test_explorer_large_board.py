"""The Model Explorer on a board larger than its grid holds (the hub board's case).

The explorer module runs alone in an in-process Shiny app on the real v1 snapshot with the
grid's bound lowered to 40 rows (v1's 6,000+ models then stand for the hub board's
hundreds of thousands): the grid is sent the first 40 matches of every filter, a line
says how many match, and the CSV download has every match.
"""

from __future__ import annotations

import csv
import io

import pytest
from shiny import App, reactive, ui
from starlette.testclient import TestClient

from llmtrends.pipeline import store
from llmtrends.views import explorer as view
from modules import explorer as module
from tests.shinyproto import ShinyWire, explorer_inputs

NS = "explorer"
BOUND = 40
OUTPUTS = [f"{NS}-{o}" for o in ("grid", "grid_note", "controls", "board_marker", "provenance", "selection")]


@pytest.fixture
def v1(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v1")


def value_of(wire: ShinyWire, output_id: str, ok, max_messages: int = 300):
    for _ in range(max_messages):
        value = wire.values.get(output_id)
        if value and ok(value):
            return value
        wire.receive()
    raise AssertionError(f"{output_id}: no such value arrived ({str(wire.values.get(output_id))[:200]})")


def test_the_grid_holds_the_first_matches_and_says_how_many(v1, monkeypatch):
    monkeypatch.setattr(view, "GRID_MAX_ROWS", BOUND)
    m = v1.models
    moe = int(m["moe"].fillna(False).astype(bool).sum())  # MoE models, counted here
    dense = len(m) - moe
    assert dense > BOUND  # the MoE filter below still leaves more than the grid holds

    def server(input, output, session):
        module.view_server(NS, reactive.calc(lambda: v1))

    app = App(ui.page_fluid(module.view_ui(NS)), server)
    with TestClient(app) as client, client.websocket_connect("/websocket/") as ws:
        wire = ShinyWire(ws.send_text, ws.receive_text)
        wire.init(explorer_inputs(v1), OUTPUTS)
        note = value_of(wire, f"{NS}-grid_note", lambda v: "html" in v)["html"]
        assert f"first {BOUND} of the {len(m):,} models that match" in note  # the defaults keep every model
        grid = value_of(wire, f"{NS}-grid", lambda v: True)
        assert len(grid["payload"]["data"]) == BOUND

        # MoE is the grid's own column filter on a board that fits; here the server's
        wire.forget(f"{NS}-grid_note")
        wire.update({f"{NS}-moe": "dense"})
        note = value_of(wire, f"{NS}-grid_note", lambda v: "html" in v and f"{dense:,} models" in v["html"])["html"]
        assert f"first {BOUND} of the {dense:,} models that match" in note

        # the CSV has every match, not the grid's first rows
        url = f"/session/{wire.session_id}/download/{NS}-dl_csv?w="
        resp = client.get(url)
        assert resp.status_code == 200
        rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
        assert len(rows) == dense
        wire.assert_no_errors()
