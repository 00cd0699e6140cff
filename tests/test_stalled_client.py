"""One client that stops reading its websocket must not hold up the other sessions (issue 26).

py-shiny sends to every session while holding one process-wide lock; without the
per-client outboxes of llmtrends/serving/sendqueue.py a client that stopped reading froze every
other session for as long as it stayed connected. Here, on the app served on 127.0.0.1:

* a :class:`tests.stalled_client.StalledClient` opens the Explorer, makes the server send
  it grids (megabytes) and reads nothing, until the server's socket to it holds a
  megabyte it cannot send (read from /proc/net/tcp);
* meanwhile another session changes its aggregation six times: each change must be
  answered within 3 s (the issue's acceptance bound).

The outbox itself is tested in-process against a fake ASGI server whose sends never
complete: the app's sends return at once and in order, and a client that takes nothing
for ``stall_s`` is given up (the app hears a disconnect, one warning is logged).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.sync.client import connect

from llmtrends import config
from llmtrends.pipeline import store
from llmtrends.serving import sendqueue
from tests.appserver import app_server  # noqa: F401 -- the shared server fixture
from tests.shinyproto import ShinyWire, is_plot
from tests.stalled_client import StalledClient

NS = "type_popularity"
PLOT = f"{NS}-plot_counts"
ANSWER_WITHIN_S = 3.0  # the bound for another session's change
BACKED_UP_BYTES = 1_000_000  # the server's socket to the stalled client must hold this much unsent
FILL_WITHIN_S = 60.0


def test_a_client_that_stops_reading_does_not_hold_up_another_session(app_server, snapshot_dir):  # noqa: F811
    snap = store.read_snapshot(snapshot_dir, "v1")
    types = sorted(snap.models["type"].dropna().unique())
    inputs = {"board": "v1", "tab": NS, f"{NS}-dates:shiny.date": ["2023-06-01", "2023-12-31"],
              f"{NS}-types": types, f"{NS}-aggregation": "month", f"{NS}-figure_format": "png"}
    deadline = [time.monotonic() + 120]  # generous while the victim's figures are first drawn

    with connect(app_server.ws_url, open_timeout=30, max_size=None) as ws:
        victim = ShinyWire(ws.send, lambda: ws.recv(timeout=max(0.01, deadline[0] - time.monotonic())))
        victim.init(inputs, [PLOT, f"{NS}-plot_shares", f"{NS}-controls", f"{NS}-board_marker"])
        victim.wait_for(PLOT, is_plot)
        for agg in ("week", "month"):  # both drawn once: the changes below need no rendering
            victim.forget(PLOT)
            victim.update({f"{NS}-aggregation": agg})
            victim.wait_for(PLOT, is_plot)

        staller = StalledClient(app_server.ws_url)
        try:
            staller.stall_on_explorer(snap)
            waited = time.monotonic() + FILL_WITHIN_S
            while staller.server_backlog() < BACKED_UP_BYTES and time.monotonic() < waited:
                time.sleep(0.1)  # polling the kernel's queue; not a timed assertion
            backlog = staller.server_backlog()
            assert backlog >= BACKED_UP_BYTES, f"the server's socket to the stalled client holds only {backlog} bytes"

            for i in range(6):
                deadline[0] = time.monotonic() + ANSWER_WITHIN_S
                victim.forget(PLOT)
                victim.update({f"{NS}-aggregation": ("week", "month")[i % 2]})
                try:
                    victim.wait_for(PLOT, is_plot)
                except TimeoutError:
                    pytest.fail(f"change {i + 1}: no answer within {ANSWER_WITHIN_S} s while another client "
                                f"is stalled ({staller.server_backlog():,} bytes unsent to it)")
                time.sleep(0.3)
            victim.assert_no_errors()
            assert staller.server_backlog() >= BACKED_UP_BYTES  # still stalled throughout
        finally:
            staller.close()


# --------------------------------------------------------------------------- the outbox


class FakeServer:
    """The server side of one websocket for an ASGI app: ``receive`` hands out ``incoming``
    (then waits forever); ``send`` records messages and, when ``stuck``, never returns
    after the handshake (a client that reads nothing)."""

    def __init__(self, incoming=(), stuck: bool = False):
        self.incoming = asyncio.Queue()
        for message in incoming:
            self.incoming.put_nowait(message)
        self.stuck = stuck
        self.sent: list[dict] = []

    async def receive(self):
        return await self.incoming.get()

    async def send(self, message):
        if self.stuck and message["type"] != "websocket.accept":
            await asyncio.Event().wait()
        self.sent.append(message)


def run(coro, limit_s: float = 10.0):
    # in a thread of its own: a browser test of the same worker leaves Playwright's event loop
    # running in this one, where asyncio.run refuses to start
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, limit_s)).result()


def test_sends_return_at_once_and_a_client_taking_nothing_is_given_up(caplog):
    server = FakeServer(stuck=True)
    heard: list = []

    async def app(scope, receive, send):
        await send({"type": "websocket.accept"})
        for i in range(3):  # each returns at once, or the app never gets to receive() below
            await send({"type": "websocket.send", "text": f"m{i}"})
        heard.append(await receive())  # nothing comes in: only the give-up ends this wait
        await send({"type": "websocket.send", "text": "after"})  # to a dropped client: no error

    middleware = sendqueue.QueuedWebsocketSend(app, stall_s=0.2)
    with caplog.at_level(logging.WARNING, logger="llmtrends.serving.sendqueue"):
        run(middleware({"type": "websocket", "client": ("127.0.0.1", 5555)}, server.receive, server.send))
    assert server.sent == [{"type": "websocket.accept"}]  # the stuck client took nothing else
    assert heard == [{"type": "websocket.disconnect", "code": 1011}]
    warnings = [r.getMessage() for r in caplog.records if r.name == "llmtrends.serving.sendqueue"]
    assert warnings == ["websocket client 127.0.0.1:5555 took no message for 0.2 s: disconnected "
                        "(2 messages dropped)"]


def test_a_reading_client_gets_every_message_in_order_then_the_close():
    server = FakeServer(incoming=[{"type": "websocket.receive", "text": "hello"}])

    async def app(scope, receive, send):
        await send({"type": "websocket.accept"})
        got = await receive()
        for i in range(5):
            await send({"type": "websocket.send", "text": f"{got['text']}-{i}"})
        await send({"type": "websocket.close", "code": 1000})

    run(sendqueue.QueuedWebsocketSend(app, stall_s=5)({"type": "websocket"}, server.receive, server.send))
    assert server.sent == ([{"type": "websocket.accept"}]
                           + [{"type": "websocket.send", "text": f"hello-{i}"} for i in range(5)]
                           + [{"type": "websocket.close", "code": 1000}])


def test_a_backlog_over_the_bound_gives_the_client_up_at_once(caplog):
    server = FakeServer(stuck=True)
    heard: list = []

    async def app(scope, receive, send):
        await send({"type": "websocket.accept"})
        for _ in range(4):  # 100 bytes each; the first is being written, 300 wait: over 250
            await send({"type": "websocket.send", "text": "x" * 100})
            await asyncio.sleep(0)
        heard.append(await receive())

    with caplog.at_level(logging.WARNING, logger="llmtrends.serving.sendqueue"):
        run(sendqueue.QueuedWebsocketSend(app, stall_s=60, max_backlog_bytes=250)(
            {"type": "websocket"}, server.receive, server.send))
    assert heard == [{"type": "websocket.disconnect", "code": 1011}]
    assert [r.getMessage() for r in caplog.records] == [
        "websocket client ? more than 250 bytes waiting: disconnected (2 messages dropped)"]


def test_http_requests_pass_through_untouched():
    calls = []

    async def app(scope, receive, send):
        calls.append((scope["type"], receive, send))

    async def receive():
        return {}

    async def send(message):
        pass

    run(sendqueue.QueuedWebsocketSend(app)({"type": "http"}, receive, send))
    assert calls == [("http", receive, send)]


def test_install_on_an_app_without_starlette_logs_one_line_and_changes_nothing(caplog):
    class NotShiny:
        pass

    with caplog.at_level(logging.WARNING, logger="llmtrends.serving.sendqueue"):
        assert sendqueue.install(NotShiny()) is False
    assert len(caplog.records) == 1 and "not installed" in caplog.records[0].getMessage()


def test_install_puts_the_middleware_on_a_shiny_app():
    from shiny import App, ui

    app = App(ui.page_fluid(), None)
    assert sendqueue.install(app, stall_s=7) is True
    mine = [m for m in app.starlette_app.user_middleware if m.cls is sendqueue.QueuedWebsocketSend]
    assert len(mine) == 1 and mine[0].kwargs["stall_s"] == 7


@pytest.mark.parametrize(("env", "on", "stall"), [
    ({}, True, 30.0),
    ({"LLMTRENDS_WS_QUEUE": "0"}, False, 30.0),
    ({"LLMTRENDS_WS_QUEUE": "off", "LLMTRENDS_WS_STALL_S": "5"}, False, 5.0),
    ({"LLMTRENDS_WS_STALL_S": "-3"}, True, 30.0),
    ({"LLMTRENDS_WS_STALL_S": "soon"}, True, 30.0),
    ({"LLMTRENDS_WS_STALL_S": "inf"}, True, 30.0),
])
def test_the_switch_and_the_stall_setting(monkeypatch, env, on, stall):
    for name in ("LLMTRENDS_WS_QUEUE", "LLMTRENDS_WS_STALL_S"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config.ws_queue() is on
    assert config.ws_stall_s() == stall
