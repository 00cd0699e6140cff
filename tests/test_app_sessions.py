"""Sessions of the real app over its websocket: a tab's module starts when the tab is opened.

The app (``tests/appserver.py``) sets up a session's tabs lazily: the first tab's module
server at once, every other one when the browser first reports it open (input ``tab``).
A session that opens one tab gets no output of the others, even ones it reports visible.
A figure a session was sent before is sent again as its key alone (``www/app.js`` puts the
image back) once the page said it can, and in full when the page says it lost it.
"""

from __future__ import annotations

import re

import pandas as pd
from websockets.sync.client import connect

from llmtrends import store
from tests.appserver import app_server  # noqa: F401 -- the shared server fixture
from tests.shinyproto import ShinyWire, is_full_plot, is_plot


def test_a_session_starts_only_the_tabs_it_opens(app_server, snapshot_dir):  # noqa: F811
    types = sorted(pd.read_parquet(store.snapshot_path(snapshot_dir, "v1") / "models.parquet", columns=["type"])["type"].dropna().unique())
    inputs = {"board": "v1", "tab": "type_popularity",
              "type_popularity-dates:shiny.date": ["2023-06-01", "2023-12-31"],
              "type_popularity-types": types, "type_popularity-aggregation": "month",
              "type_popularity-figure_format": "png",
              "official-types": types, "official-figure_format": "png"}
    visible = ["type_popularity-plot_counts", "type_popularity-controls", "type_popularity-board_marker",
               "official-plot_counts", "official-controls", "official-board_marker"]
    with connect(app_server.ws_url, open_timeout=30, max_size=None) as ws:
        wire = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
        wire.init(inputs, visible)
        wire.wait_for("type_popularity-plot_counts", is_plot)
        # official's outputs are reported visible, but its tab was never opened: none is sent
        assert not [o for o in wire.values if o.startswith("official-")]
        wire.update({"tab": "official"})
        assert is_plot(wire.wait_for("official-plot_counts", is_plot))
        assert "official-controls" in wire.values
        wire.assert_no_errors()


DATA_KEY = re.compile(r'data-key="(\d+)"')
SRC = re.compile(r'src="(data:image/png;base64,[^"]+)"')


def test_a_figure_the_page_holds_is_sent_again_as_its_key_alone(app_server, snapshot_dir):  # noqa: F811
    """Back to a selection this session was sent: the plot's value names the figure (its
    key, ``data-reuse``) without its bytes, once the page said it puts kept figures back
    (``<output>_reuse``, as www/app.js does); a page that lost it asks for it again
    (``<output>_missing``) and is sent the same figure in full. A page that never said so
    is sent every figure in full."""
    types = sorted(pd.read_parquet(store.snapshot_path(snapshot_dir, "v1") / "models.parquet", columns=["type"])["type"].dropna().unique())
    plot = "type_popularity-plot_counts"
    inputs = {"board": "v1", "tab": "type_popularity",
              "type_popularity-dates:shiny.date": ["2023-06-01", "2023-12-31"],
              "type_popularity-types": types, "type_popularity-aggregation": "month",
              "type_popularity-figure_format": "png"}
    with connect(app_server.ws_url, open_timeout=30, max_size=None) as ws:
        wire = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
        wire.init(inputs, [plot, "type_popularity-controls", "type_popularity-board_marker"])
        first = wire.wait_for(plot, is_full_plot)
        by_month, month_png = DATA_KEY.search(first).group(1), SRC.search(first).group(1)

        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "week"})
        by_week = DATA_KEY.search(wire.wait_for(plot, is_full_plot)).group(1)
        assert by_week != by_month

        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "month"})  # seen, but the page never said it keeps figures
        assert SRC.search(wire.wait_for(plot, is_plot)).group(1) == month_png

        wire.update({f"{plot}_reuse": True})  # as app.js says once Shiny drew a kept figure
        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "week"})
        assert DATA_KEY.search(wire.wait_for(plot, is_plot)).group(1) == by_week

        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "month"})  # seen: sent as its key alone
        again = wire.wait_for(plot, is_plot)
        assert DATA_KEY.search(again).group(1) == by_month
        assert 'data-reuse="1"' in again and "data:image" not in again and len(again) < 1000

        wire.forget(plot)
        wire.update({f"{plot}_missing": by_month})  # the page lost it: sent in full, as before
        resent = wire.wait_for(plot, is_full_plot)
        assert SRC.search(resent).group(1) == month_png and 'data-reuse' not in resent

        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "week"})  # still held: its key alone
        assert not is_full_plot(wire.wait_for(plot, is_plot))
        wire.assert_no_errors()
