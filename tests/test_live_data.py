"""The app follows the data folder: a snapshot built while it runs reaches new sessions.

Unit tests of ``llmtrends.serving.live`` on made-up two- and three-model snapshots, then the real
app on 127.0.0.1 (``LLMTRENDS_WATCH_S=0.5``) serving a copy of the session's v2 snapshot:
a subset of it is written as a new snapshot while a session is open; a new session is
served the subset, the open one keeps its data and is told, once, that newer data is there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
import urllib.request

import pandas as pd
from websockets.sync.client import connect

from llmtrends.pipeline import store
from llmtrends.serving import live
from tests.appserver import start_server, stop_server
from tests.shinyproto import ShinyWire

NS = "type_popularity"
PROVENANCE = f"{NS}-provenance"


def made_up(n: int) -> pd.DataFrame:
    """A made-up board of ``n`` models (only the columns a snapshot must have)."""
    return pd.DataFrame({"repo_id": [f"org/m{i}" for i in range(n)], "type": ["pretrained"] * n,
                         "average": [float(i) for i in range(n)],
                         "created_at": pd.to_datetime(["2024-01-01"] * n)})


def build(out, board: str, n: int) -> str:
    return store.write_snapshot(out, board, made_up(n), None,
                                store.build_manifest(source="made up", revision=None, file_sha256=None,
                                                     counts={"written": n})).name


def test_live_boards_follow_new_snapshots(tmp_path):
    first = build(tmp_path, "v2", 2)
    boards = live.LiveBoards(tmp_path)
    start = boards.boards
    assert start.names == ["v2"] and start.ids == {"v2": first} and len(start.snapshots["v2"].models) == 2
    assert boards.check() is False and boards.boards is start  # nothing new: the same value

    second = build(tmp_path, "v2", 3)
    assert boards.check() is True
    now = boards.boards
    assert now.ids == {"v2": second} and now.generation == 1 and len(now.snapshots["v2"].models) == 3
    # the value a session took before is unchanged: it keeps its data
    assert len(start.snapshots["v2"].models) == 2 and start.generation == 0

    build(tmp_path, "v1", 4)  # a board's first build is offered too
    assert boards.check() is True and boards.boards.names == ["v1", "v2"]


def test_an_unreadable_new_snapshot_keeps_the_board(tmp_path, caplog):
    build(tmp_path, "v2", 2)
    boards = live.LiveBoards(tmp_path)
    broken = build(tmp_path, "v2", 3)
    (tmp_path / "v2" / "snapshots" / broken / "models.parquet").write_bytes(b"PAR1 not really")
    with caplog.at_level(logging.WARNING, logger="llmtrends.serving.live"):
        assert boards.check() is False
    assert len(boards.boards.snapshots["v2"].models) == 2 and boards.boards.generation == 0
    assert any(broken in r.getMessage() and "not served" in r.getMessage() for r in caplog.records)


def provenance_of(wire: ShinyWire) -> str:
    return wire.wait_for(PROVENANCE, lambda text: "models" in text)


@contextlib.contextmanager
def open_session(url: str, board_models: pd.DataFrame):
    """A session on Model Type Popularity, v2, with its provenance line shown."""
    with connect(url, open_timeout=30, max_size=None) as ws:
        wire = ShinyWire(ws.send, lambda: ws.recv(timeout=120))
        types = sorted(board_models["type"].dropna().unique())
        # v2 is the page's board: its controls (and their board marker) are in the page, as a
        # browser would send them
        wire.init({"board": "v2", "tab": NS, f"{NS}-controls_board": "v2", f"{NS}-types": types,
                   f"{NS}-dates:shiny.date": ["2024-07-01", "2024-12-31"], f"{NS}-aggregation": "month",
                   f"{NS}-figure_format": "png"}, [PROVENANCE, f"{NS}-board_marker"])
        yield wire


def test_a_new_snapshot_reaches_new_sessions_without_a_restart(snapshot_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(snapshot_dir / "v2", data / "v2")
    before = pd.read_parquet(store.snapshot_path(data, "v2") / "models.parquet")
    server = start_server(data, tmp_path, env={"LLMTRENDS_WATCH_S": "0.5"})
    try:
        with open_session(server.ws_url, before) as a:
            assert f"of {len(before):,} models shown" in provenance_of(a)
            # a new build: the first 300 models (made-up subset of the real board)
            subset = before.head(300)
            store.write_snapshot(data, "v2", subset, None,
                                 store.build_manifest(source="subset", revision=None, file_sha256=None,
                                                      counts={"written": 300}))
            # the open session is told, once, and keeps its own data
            deadline = time.monotonic() + 60
            notices = []
            while not notices and time.monotonic() < deadline:
                a.receive()
                notices = [m for m in a.raw if '"notification"' in m and "New data is available" in m]
            assert notices, "the open session was not told about the new data"
            a.forget(PROVENANCE)
            a.update({f"{NS}-aggregation": "week"})
            assert f"of {len(before):,} models shown" in provenance_of(a)
            # a new session is served the new snapshot
            with open_session(server.ws_url, subset) as b:
                assert "of 300 models shown" in provenance_of(b)
                b.assert_no_errors()
            a.assert_no_errors()
            assert sum("New data is available" in m for m in a.raw) == 1
        # and so is a new page: its board switch and controls are drawn for it
        with urllib.request.urlopen(server.url, timeout=30) as resp:
            page = resp.read().decode()
        assert "Leaderboard v2" in page
        assert "Traceback" not in server.log_text()
    finally:
        stop_server(server)


def test_an_app_started_without_data_serves_the_first_build(snapshot_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    server = start_server(data, tmp_path, env={"LLMTRENDS_WATCH_S": "0.5"})
    try:
        with urllib.request.urlopen(server.url, timeout=30) as resp:
            assert "no processed snapshot found" in resp.read().decode()
        shutil.copytree(snapshot_dir / "v1", data / "v1")  # a build arrives (its CURRENT with it)
        deadline, page = time.monotonic() + 60, ""
        while "Leaderboard v1" not in page and time.monotonic() < deadline:
            time.sleep(0.5)  # polling the app's page while it notices; not a timed assertion
            with urllib.request.urlopen(server.url, timeout=30) as resp:
                page = resp.read().decode()
        assert "Leaderboard v1" in page and "no processed snapshot found" not in page
        assert json.dumps("Traceback")[1:-1] not in server.log_text()
    finally:
        stop_server(server)
