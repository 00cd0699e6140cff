"""Figures served as URLs (issue 25): a page shows ``<img src="figures/<key>.png">``.

A rendered figure is kept under its content key (a hash of its bytes) and served by a
route of the app with ``Cache-Control: immutable``. The address of a figure never names
other bytes, so the browser's cache (and nginx's, ``deploy/nginx``) keeps every figure a
page was shown, and going back to a selection seen before costs a few hundred bytes of
HTML and no image transfer, for every session alike.

The figures are the app's figure cache (``cache.FigureCache``, which finds a PNG by its
content key); :class:`FigureRoute` is a pure ASGI middleware (no Shiny import, so it holds
under any server) that answers ``GET /figures/<key>.png`` from it and passes every other
request on to the app.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

PREFIX = "figures/"  # relative to the page, so that the app works under any path prefix
KEY_CHARS = 32  # hex digits of SHA-256 in a key: collisions are out of reach at any size
IMMUTABLE = "public, max-age=31536000, immutable"
# What a figure no longer held says: a page asking for it after the server restarted or
# evicted it gets this, never a traceback, and its reload renders the figure again.
GONE_TEXT = b"This figure is no longer held by the server: reload the page to draw it again.\n"
_PATH = re.compile(r"/figures/([0-9a-f]{%d})\.png" % KEY_CHARS)


def content_key(data: bytes) -> str:
    """The key a figure is stored and addressed under: a hash of its bytes."""
    return hashlib.sha256(data).hexdigest()[:KEY_CHARS]


Message = MutableMapping[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class FigureRoute:
    """ASGI middleware: ``GET``/``HEAD /figures/<key>.png`` answered from ``figures`` (an
    object with ``by_content(key) -> bytes | None``, the app's ``cache.FigureCache``)
    (200 immutable; 304 for a matching ``If-None-Match``, held or not; 404 with a one-line
    text for a key not held); every other request goes to ``app``."""

    def __init__(self, app: ASGIApp, figures):
        self.app = app
        self.figures = figures

    async def __call__(self, scope: Message, receive, send) -> None:
        if scope.get("type") != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        root = scope.get("root_path", "").rstrip("/")
        if root and path.startswith(root + "/"):  # a whole leading segment, as Starlette strips it
            path = path[len(root):]
        match = _PATH.fullmatch(path)
        if match is None:
            return await self.app(scope, receive, send)
        if scope.get("method") not in ("GET", "HEAD"):
            return await _respond(send, 405, b"GET only\n", [(b"allow", b"GET, HEAD")], "text/plain")
        key = match.group(1)
        etag = f'"{key}"'.encode()
        headers = [(b"cache-control", IMMUTABLE.encode()), (b"etag", etag)]
        # A browser revalidating holds these very bytes (the key is their hash): they are
        # still right, held here or not.
        sent_tags = dict(scope.get("headers") or []).get(b"if-none-match", b"")
        if any(t.strip().removeprefix(b"W/") in (etag, b"*") for t in sent_tags.split(b",")):
            return await _respond(send, 304, None, headers, None)
        data = self.figures.by_content(key)
        if data is None:
            return await _respond(send, 404, GONE_TEXT, [(b"cache-control", b"no-store")], "text/plain; charset=utf-8")
        await _respond(send, 200, b"" if scope.get("method") == "HEAD" else data, headers, "image/png",
                       length=len(data))


async def _respond(send, status: int, body: bytes | None, headers: list, media: str | None,
                   length: int | None = None):
    """One response; ``body`` None: none at all, and no length (a 304)."""
    if media is not None:
        headers = [*headers, (b"content-type", media.encode())]
    if body is not None:
        headers = [*headers, (b"content-length", str(len(body) if length is None else length).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body or b""})


def install(app, figures) -> None:
    """Put :class:`FigureRoute` in front of a Shiny ``App``'s routes (Starlette's public
    ``add_middleware`` on ``App.starlette_app``). Raises RuntimeError where that is missing:
    without the route no page would show a figure, so this is not an optional speed-up."""
    add = getattr(getattr(app, "starlette_app", None), "add_middleware", None)
    if add is None:
        raise RuntimeError("this Shiny App has no starlette_app.add_middleware: figures cannot be served")
    add(FigureRoute, figures=figures)
