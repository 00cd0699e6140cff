"""Sessions of the real app over its websocket: a tab's module starts when the tab is opened.

The app (``tests/appserver.py``) sets up a session's tabs lazily: the first tab's module
server at once, every other one when the browser first reports it open (input ``tab``).
A session that opens one tab gets no output of the others, even ones it reports visible.
"""

from __future__ import annotations

import pandas as pd
from websockets.sync.client import connect

from tests.appserver import app_server  # noqa: F401 -- the shared server fixture
from tests.shinyproto import ShinyWire, is_plot


def test_a_session_starts_only_the_tabs_it_opens(app_server, snapshot_dir):  # noqa: F811
    types = sorted(pd.read_parquet(snapshot_dir / "v1" / "models.parquet", columns=["type"])["type"].dropna().unique())
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
