"""Forged input values sent over the real websocket are rejected without breaking the session.

A client speaking Shiny's protocol (``tests/shinyproto.py``) connects to the app served on
127.0.0.1 (the ``app_server`` fixture), draws Model Type Popularity on v1 with valid
inputs, then sends values no control can produce. Each must be answered with the
"Invalid input rejected" message (the board with the default board), never an output
error or a traceback, and a valid value afterwards must draw the plot again.
"""

from __future__ import annotations

import pandas as pd
import pytest
from websockets.sync.client import connect

from llmtrends.pipeline import store
from tests.appserver import app_server  # noqa: F401 -- the shared server fixture
from tests.shinyproto import ShinyWire, is_message, is_plot

NS = "type_popularity"
PLOT = f"{NS}-plot_counts"
PROVENANCE = f"{NS}-provenance"
REJECTED = "Invalid input rejected"


def valid_inputs(snapshot_dir) -> dict[str, object]:
    """Valid v1 values worked out from the snapshot file itself (not via the library)."""
    models = pd.read_parquet(store.snapshot_path(snapshot_dir, "v1") / "models.parquet", columns=["type"])
    types = sorted(models["type"].dropna().unique())
    return {
        "board": "v1",
        "tab": NS,  # the open tab, which the browser always sends (its module starts with it)
        f"{NS}-dates:shiny.date": ["2023-06-01", "2023-12-31"],
        f"{NS}-types": types,
        f"{NS}-aggregation": "month",
        f"{NS}-figure_format": "png",
    }


@pytest.fixture
def wire(app_server, snapshot_dir):  # noqa: F811
    with connect(app_server.ws_url, open_timeout=30, max_size=None) as ws:
        w = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
        w.init(valid_inputs(snapshot_dir),
               [PLOT, f"{NS}-plot_shares", PROVENANCE, f"{NS}-controls", f"{NS}-board_marker"])
        w.wait_for(PLOT, is_plot)
        w.valid = valid_inputs(snapshot_dir)
        yield w


FORGED = {
    "unknown type": {f"{NS}-types": ["no such type"]},
    "unknown type among valid": {f"{NS}-types": ["pretrained", "<script>alert(1)</script>"]},
    "impossible date (typed)": {f"{NS}-dates:shiny.date": ["2024-13-45", "2024-12-31"]},
    "impossible date (raw)": {f"{NS}-dates": ["2024-13-45", "2024-12-31"]},
    "date range not a pair": {f"{NS}-dates": "2024-01-01"},
    "aggregation year": {f"{NS}-aggregation": "year"},
    "list for a string": {f"{NS}-aggregation": ["week"]},
    "number for a list": {f"{NS}-types": 7},
    "object for a string": {f"{NS}-aggregation": {"x": 1}},
}


@pytest.mark.parametrize("name", list(FORGED))
def test_forged_value_is_rejected_and_session_survives(wire, name):
    wire.forget(PLOT)
    wire.update(FORGED[name])
    shown = wire.wait_for(PLOT, is_message)
    assert REJECTED in shown, f"{name}: {shown[:200]}"
    wire.assert_no_errors()
    # the session is alive: the valid value draws the plot again
    key = next(iter(FORGED[name])).split(":")[0]
    wire.forget(PLOT)
    wire.update({k: v for k, v in wire.valid.items() if k.split(":")[0] == key})
    wire.wait_for(PLOT, is_plot)
    wire.assert_no_errors()


@pytest.mark.parametrize("forged", ["v9", {"x": 1}, ["v1"], 7, None, "v1" * 5000],
                         ids=["unknown", "object", "list", "number", "null", "huge"])
def test_a_forged_board_keeps_the_default_board(wire, forged):
    assert "Leaderboard v1" in wire.wait_for(PROVENANCE, lambda t: "Leaderboard v1" in t)
    wire.forget(PROVENANCE)
    wire.update({"board": forged})
    # the app falls back to its default board (v2 when both exist, LLMTRENDS_BOARD unset)
    wire.wait_for(PROVENANCE, lambda t: "Leaderboard v2" in t)
    wire.assert_no_errors()
    wire.forget(PROVENANCE)
    wire.forget(PLOT)
    wire.update({"board": "v1"})
    wire.wait_for(PROVENANCE, lambda t: "Leaderboard v1" in t)
    wire.wait_for(PLOT, is_plot)
    wire.assert_no_errors()


def test_a_forged_tab_starts_nothing_and_the_session_survives(wire):
    # "tab" picks which module server starts: a value naming no tab must start none, and
    # break nothing
    wire.update({"tab": "<script>alert(1)</script>"})
    wire.update({"tab": NS})
    wire.forget(PLOT)
    wire.update({f"{NS}-aggregation": "week"})
    wire.wait_for(PLOT, is_plot)
    wire.assert_no_errors()


# --------------------------------------------------------------------------- wrong types and sizes


@pytest.mark.parametrize("forged", [{"x": 1}, [NS], 3.5], ids=["object", "list", "number"])
def test_a_tab_of_the_wrong_type_starts_nothing_and_the_session_survives(wire, forged):
    wire.update({"tab": forged})
    wire.forget(PLOT)
    wire.update({f"{NS}-aggregation": "week"})
    wire.wait_for(PLOT, is_plot)
    wire.assert_no_errors()


def test_a_list_longer_than_its_choices_is_rejected(wire):
    wire.forget(PLOT)
    wire.update({f"{NS}-types": wire.valid[f"{NS}-types"] * 20_000})  # each type 20,000 times
    shown = wire.wait_for(PLOT, is_message)
    assert REJECTED in shown and "values for" in shown, shown[:200]
    wire.assert_no_errors()


def download(app_server, wire, output: str) -> tuple[str, bytes]:
    """(the file name the server gives, the bytes) of one of the session's downloads."""
    import re
    import urllib.parse
    import urllib.request

    url = f"{app_server.url}session/{wire.session_id}/download/{NS}-{output}?w="
    with urllib.request.urlopen(url, timeout=120) as resp:
        assert resp.status == 200
        disposition = resp.headers["Content-Disposition"]
        body = resp.read()
    name = re.search(r"filename\*?=(?:utf-8'')?\"?([^\";]+)", disposition).group(1)
    return urllib.parse.unquote(name), body


def settle(wire) -> None:
    """Wait until the server has handled every input sent so far (it answers in order)."""
    wire.forget(PLOT)
    agg = "week" if wire.sent.get(f"{NS}-aggregation") == "month" else "month"
    wire.update({f"{NS}-aggregation": agg})
    wire.wait_for(PLOT, is_plot)


@pytest.mark.parametrize("forged", [{"x": 1}, "gif", ["png"], "png" * 4000], ids=["object", "unknown", "list", "huge"])
def test_a_forged_figure_format_downloads_the_message(app_server, wire, forged):  # noqa: F811
    wire.update({f"{NS}-figure_format": forged})
    settle(wire)
    name, body = download(app_server, wire, "dl_counts")
    assert name == "llmtrends_v1_type_popularity_counts.txt"
    text = body.decode("utf-8")
    assert text.startswith(f"{REJECTED} — figure format: ") and "is not one of png, svg, pdf" in text, text
    assert "Traceback" not in text
    wire.update({f"{NS}-figure_format": "png"})  # a real format downloads the figure again
    settle(wire)
    name, body = download(app_server, wire, "dl_counts")
    assert name == "llmtrends_v1_type_popularity_counts.png" and body.startswith(b"\x89PNG\r\n\x1a\n")
    wire.assert_no_errors()


def test_the_table_of_a_rejected_selection_downloads_the_message(app_server, wire):  # noqa: F811
    wire.forget(PLOT)
    wire.update({f"{NS}-types": ["no such type"]})
    wire.wait_for(PLOT, is_message)
    name, body = download(app_server, wire, "dl_csv")
    assert name == "llmtrends_v1_type_popularity_table.txt"
    assert body.decode("utf-8") == f"{REJECTED} — types: unknown value 'no such type'\n"
