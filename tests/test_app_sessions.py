"""Sessions of the real app over its websocket: a tab's module starts when the tab is opened.

The app (``tests/appserver.py``) sets up a session's tabs lazily: the first tab's module
server at once, every other one when the browser first reports it open (input ``tab``).
A session that opens one tab gets no output of the others, even ones it reports visible.
A figure is a URL of the app named by its content (``llmtrends/serving/figure_urls.py``).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pandas as pd
from websockets.sync.client import connect

from llmtrends.pipeline import store
from tests.appserver import app_server  # noqa: F401 -- the shared server fixture
from tests.shinyproto import ShinyWire, figure_url, is_plot


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


def _get(url: str, headers: dict | None = None, method: str = "GET"):
    """(status, headers, body) of a request to the app; HTTP errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_a_figure_is_an_immutable_url_named_by_its_content(app_server, snapshot_dir):  # noqa: F811
    """A plot is ``<img src="figures/<key>.png">``: the key is the SHA-256 of the image's bytes
    (computed here with hashlib), the same selection gives the same address and another
    selection another; the app serves the bytes with ``Cache-Control: immutable``, answers a
    browser revalidating with 304, a key it does not hold with a one-line 404, and leaves
    every other path (a traversal, a key of the wrong shape) to Shiny."""
    types = sorted(pd.read_parquet(store.snapshot_path(snapshot_dir, "v1") / "models.parquet", columns=["type"])["type"].dropna().unique())
    plot = "type_popularity-plot_counts"
    inputs = {"board": "v1", "tab": "type_popularity",
              "type_popularity-dates:shiny.date": ["2023-06-01", "2023-12-31"],
              "type_popularity-types": types, "type_popularity-aggregation": "month",
              "type_popularity-figure_format": "png"}
    with connect(app_server.ws_url, open_timeout=30, max_size=None) as ws:
        wire = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
        wire.init(inputs, [plot, "type_popularity-controls", "type_popularity-board_marker"])
        by_month = figure_url(wire.wait_for(plot, is_plot))
        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "week"})
        by_week = figure_url(wire.wait_for(plot, is_plot))
        wire.forget(plot)
        wire.update({"type_popularity-aggregation": "month"})  # seen before: the same address
        assert figure_url(wire.wait_for(plot, is_plot)) == by_month
        wire.assert_no_errors()
    assert by_week != by_month

    for src in (by_month, by_week):
        status, headers, body = _get(app_server.url + src)
        assert status == 200 and body.startswith(b"\x89PNG\r\n\x1a\n")
        key = src.removeprefix("figures/").removesuffix(".png")
        assert hashlib.sha256(body).hexdigest()[:32] == key
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["Content-Type"] == "image/png" and headers["ETag"] == f'"{key}"'
        assert _get(app_server.url + src, {"If-None-Match": f'"{key}"'})[:1] == (304,)
        status, headers, body = _get(app_server.url + src, method="HEAD")
        assert status == 200 and body == b"" and headers["Content-Type"] == "image/png"
    assert _get(app_server.url + by_month, method="POST")[0] == 405

    status, headers, body = _get(app_server.url + "figures/" + "ab" * 16 + ".png")  # never rendered
    assert status == 404 and b"reload the page" in body and headers["Cache-Control"] == "no-store"
    for other in ("figures/" + "AB" * 16 + ".png", "figures/abc.png", "figures/%2e%2e/app.py",
                  "figures/" + "ab" * 16 + ".png/x"):
        status, _, body = _get(app_server.url + other)
        assert status == 404 and b"reload the page" not in body and b"Traceback" not in body, other
