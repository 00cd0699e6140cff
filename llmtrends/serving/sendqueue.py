"""Messages to a browser never wait for that browser: one outbox per websocket (issue 26).

py-shiny handles every session's messages under one process-wide reactive lock, and each
reactive flush sends to *every* session while holding it. A send waits when the client's
socket buffers are full, so one client that stops reading (a hostile one, or a laptop
whose network vanished) froze every session until its connection died, and uvicorn's
keepalive does not end it: its close waits for the same full buffer (benchmarks/README.md,
"One stalled client").

:class:`QueuedWebsocketSend` is an ASGI middleware (installed on the Shiny app's Starlette
app by :func:`install`) that gives every websocket its own outbox: the app's ``send``
queues the message and returns at once, and a writer task per connection sends the queue
in order. A client that takes no message for ``stall_s`` seconds, or lets more than
``max_backlog_bytes`` pile up behind the message being written, is given up: its queue is
dropped, the app's next ``receive`` reports a disconnect (the Shiny session ends) and one
warning is logged. A slow but live client still gets every message, in order.

Pure ASGI (no Shiny import), so it also holds under any server that runs the app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("llmtrends.serving.sendqueue")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_STALL_S = 30.0
# Messages waiting behind the one being written: far above what a session has in flight
# (a figure's HTML, the Explorer's grid of a whole board).
DEFAULT_MAX_BACKLOG_BYTES = 64 * 1024 * 1024
GONE = {"type": "websocket.disconnect", "code": 1011}  # what the app hears from a client given up


class QueuedWebsocketSend:
    """ASGI middleware: websocket sends go through a per-connection outbox (see module)."""

    def __init__(self, app, stall_s: float = DEFAULT_STALL_S,
                 max_backlog_bytes: int = DEFAULT_MAX_BACKLOG_BYTES) -> None:
        if stall_s <= 0:
            raise ValueError(f"stall_s must be positive, got {stall_s}")
        self.app = app
        self.stall_s = stall_s
        self.max_backlog_bytes = max_backlog_bytes

    async def __call__(self, scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        outbox = Outbox(receive, send, self.stall_s, self.max_backlog_bytes, scope.get("client"))
        try:
            await self.app(scope, outbox.receive, outbox.send)
        finally:
            await outbox.finish()


class Outbox:
    """One websocket's queue of messages to send, its writer, and whether it was given up."""

    def __init__(self, receive: Receive, send: Send, stall_s: float, max_backlog_bytes: int,
                 client: object = None) -> None:
        self._receive, self._send = receive, send
        self.stall_s, self.max_backlog_bytes = stall_s, max_backlog_bytes
        self.client = client
        self._queue: asyncio.Queue = asyncio.Queue()
        self._waiting_bytes = 0  # queued, not yet handed to the server
        self._writer: asyncio.Task | None = None
        self.given_up = asyncio.Event()

    async def send(self, message: Message) -> None:
        """Queue a message (the handshake and anything but frames go out directly)."""
        if message["type"] not in ("websocket.send", "websocket.close"):
            await self._send(message)
            return
        if self.given_up.is_set():
            return  # sending to a closed connection is not an error for the app (nor for Shiny)
        size = len(message.get("text") or message.get("bytes") or "")
        if self._waiting_bytes + size > self.max_backlog_bytes:
            self._give_up(f"more than {self.max_backlog_bytes:,} bytes waiting")
            return
        self._waiting_bytes += size
        self._queue.put_nowait((message, size))
        if self._writer is None:
            self._writer = asyncio.ensure_future(self._write())

    async def _write(self) -> None:
        while True:
            message, size = await self._queue.get()
            if message is None:
                return
            self._waiting_bytes -= size
            try:
                await asyncio.wait_for(self._send(message), self.stall_s)
            except asyncio.TimeoutError:
                self._give_up(f"took no message for {self.stall_s:g} s")
                return
            except Exception as exc:  # noqa: BLE001 -- the client went away; the server says so to receive()
                log.debug("websocket send to %s failed: %s", self._who(), type(exc).__name__)
                self._give_up(None)
                return
            if message["type"] == "websocket.close":
                return

    def _give_up(self, why: str | None) -> None:
        if self.given_up.is_set():
            return
        self.given_up.set()
        dropped = self._queue.qsize()
        while not self._queue.empty():
            self._queue.get_nowait()
        self._waiting_bytes = 0
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()  # its send waits on a client given up
        if why:
            log.warning("websocket client %s %s: disconnected (%d messages dropped)", self._who(), why, dropped)

    def _who(self) -> str:
        if isinstance(self.client, (tuple, list)) and len(self.client) == 2:
            return f"{self.client[0]}:{self.client[1]}"
        return "?"

    async def receive(self) -> Message:
        """The client's next message, or a disconnect as soon as the client is given up."""
        if self.given_up.is_set():
            return dict(GONE)
        incoming = asyncio.ensure_future(self._receive())
        gone = asyncio.ensure_future(self.given_up.wait())
        try:
            await asyncio.wait({incoming, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not incoming.done():
                incoming.cancel()
        if incoming.done() and not incoming.cancelled():
            return incoming.result()
        return dict(GONE)

    async def finish(self) -> None:
        """After the app returned: let the queue (its close frame) go out, within ``stall_s``."""
        writer = self._writer
        if writer is None or writer.done() or self.given_up.is_set():
            return
        self._queue.put_nowait((None, 0))
        try:
            await asyncio.wait({writer}, timeout=self.stall_s)
        finally:
            if not writer.done():
                writer.cancel()


def install(app, stall_s: float = DEFAULT_STALL_S, max_backlog_bytes: int = DEFAULT_MAX_BACKLOG_BYTES) -> bool:
    """Put :class:`QueuedWebsocketSend` in front of a Shiny ``App``'s routes; True if installed.

    Uses the app's Starlette application (``App.starlette_app``) and Starlette's public
    ``add_middleware``. Where either is missing (another py-shiny), or the application
    already started, it logs one line and leaves the app as it is.
    """
    starlette_app = getattr(app, "starlette_app", None)
    add = getattr(starlette_app, "add_middleware", None)
    if add is None:
        log.warning("per-client send queues not installed: this Shiny app has no starlette_app.add_middleware")
        return False
    try:
        add(QueuedWebsocketSend, stall_s=stall_s, max_backlog_bytes=max_backlog_bytes)
    except RuntimeError as exc:  # Starlette refuses middleware once the app has started
        log.warning("per-client send queues not installed: %s", exc)
        return False
    return True
