"""Figures as URLs (llmtrends/serving/figure_urls.py, llmtrends/cache.FigureCache): content keys,
the bound, the route.

The "figures" here are made-up byte strings (a PNG signature and filler), not renders:
the cache and the route look no further than the signature.
"""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from llmtrends.serving import cache, figure_urls


def fake_png(tag: str, size: int = 1000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + tag.encode() * (size // len(tag))


async def app_behind(scope, receive, send):
    """What the route passes on to: answers every request with 418 and its path."""
    await send({"type": "http.response.start", "status": 418, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": scope["path"].encode()})


def test_a_figure_is_addressed_by_the_hash_of_its_bytes():
    figs = cache.FigureCache(max_bytes=10_000)
    png = fake_png("a")
    key = figs.put(("view", "a"), png)
    assert key == hashlib.sha256(png).hexdigest()[:32]
    assert figs.address(("view", "a"), png) == key and figs.by_content(key) == png
    assert figs.put(("view", "b"), fake_png("b")) != key
    # two selections drawn alike share the address; either one kept serves it
    assert figs.put(("view", "a again"), png) == key
    figs.discard(("view", "a"))
    assert figs.by_content(key) == png
    figs.discard(("view", "a again"))
    assert figs.by_content(key) is None
    # a download (not a PNG) is kept for its key but has no address
    assert figs.put(("view", "a", "pdf"), b"%PDF-1.7 made up") is None
    assert figs.get(("view", "a", "pdf")) == b"%PDF-1.7 made up"
    # the address of a figure the bound pushed out keeps it again
    assert figs.address(("view", "a"), png) == key and figs.by_content(key) == png


def test_the_cache_keeps_the_most_recently_used_figures_within_its_bound():
    figs = cache.FigureCache(max_bytes=2_500)  # room for two of the 1,000-byte figures
    a, b, c = fake_png("a"), fake_png("b"), fake_png("c")
    ka, kb = figs.put("a", a), figs.put("b", b)
    assert figs.get("a") == a  # a used again: b is now the least recently used
    kc = figs.put("c", c)
    assert figs.by_content(ka) == a and figs.by_content(kc) == c and figs.by_content(kb) is None
    assert figs.get("b") is None and figs.size_bytes == len(a) + len(c)


def test_the_route_serves_held_figures_and_passes_everything_else_on():
    store = cache.FigureCache()
    png = fake_png("x")
    key = store.put("x", png)
    url = f"figures/{key}.png"
    client = TestClient(figure_urls.FigureRoute(app_behind, store))
    resp = client.get("/" + url)
    assert resp.status_code == 200 and resp.content == png
    assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert resp.headers["etag"] == f'"{key}"' and resp.headers["content-type"] == "image/png"
    assert int(resp.headers["content-length"]) == len(png)
    not_modified = client.get("/" + url, headers={"If-None-Match": f'"other", "{key}"'})
    assert not_modified.status_code == 304 and "content-length" not in not_modified.headers
    assert client.get("/" + url, headers={"If-None-Match": f'W/"{key}"'}).status_code == 304
    assert client.get("/" + url, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/" + url, headers={"If-None-Match": '"other"'}).status_code == 200
    # a browser revalidating a figure no longer held still has the right bytes: 304
    gone_key = "0" * 32
    assert client.get(f"/figures/{gone_key}.png", headers={"If-None-Match": f'"{gone_key}"'}).status_code == 304
    head = client.head("/" + url)
    assert head.status_code == 200 and head.content == b""
    assert client.post("/" + url).status_code == 405
    gone = client.get(f"/figures/{'0' * 32}.png")
    assert gone.status_code == 404 and gone.headers["cache-control"] == "no-store"
    assert gone.text == figure_urls.GONE_TEXT.decode()
    for other in ("/", "/figures/", f"/figures/{key.upper()}.png", f"/figures/{key}.png/x", f"/x/figures/{key}.png",
                  f"/figures/{key[:-1]}.png", f"/figures/{key}.svg"):
        resp = client.get(other)
        assert resp.status_code == 418 and resp.text == other, other


def test_the_route_under_a_path_prefix():
    """Behind a proxy that mounts the app under a prefix and says so (ASGI root_path)."""
    store = cache.FigureCache()
    url = f"figures/{store.put('y', fake_png('y'))}.png"
    client = TestClient(figure_urls.FigureRoute(app_behind, store), root_path="/llmtrends")
    assert client.get("/llmtrends/" + url).content == fake_png("y")
    # a prefix is a whole segment: a root path "/fig" is not the start of "/figures/..." (a
    # server that leaves the root path out of the path, as ASGI servers once did)
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/" + url, "root_path": "/fig", "headers": []}
    # in a thread of its own: another test of this worker may have left a loop running here
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, figure_urls.FigureRoute(app_behind, store)(scope, receive, send)).result()
    assert sent[0]["status"] == 200 and sent[1]["body"] == fake_png("y")
