#!/usr/bin/env python
"""What a page request costs now that the page is a function of the request (bookmarked
links: issue 23), against the page drawn once at start (the app before).

Serves, in this process through Starlette's TestClient (no network, no browser):

* baseline: ``App(<the page drawn once>, server)``, a static page (the app before);
* the default page: ``app.app_ui`` for a request without a state (drawn once, rendered
  per request);
* a link's page: a request naming a tab, a board and controls (that tab drawn afresh with
  the link's values, the others from the per-board cache), first and then again.

Prints the median milliseconds of each and its ratio to the baseline. Needs a snapshot:
``LLMTRENDS_DATA=data python benchmarks/page.py [--n 30]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LLMTRENDS_RENDER_WORKERS", "0")  # no figures are drawn here


def timed(client, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200 and "llmtrends" in resp.text
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=30, help="requests per case (default 30)")
    args = ap.parse_args()
    from shiny import App
    from starlette.testclient import TestClient

    import app as llm

    static = App(llm._page(), llm.server)
    state = {"tab": "type_popularity", "board": "v1", "type_popularity-aggregation": "month",
             "type_popularity-dates": ["2023-01-01", "2023-12-31"]}
    link = "/?_inputs_&" + urllib.parse.urlencode({k: json.dumps(v) for k, v in state.items()})
    with TestClient(static) as before, TestClient(llm.app) as now:
        base = timed(before, "/", args.n)
        first_link = timed(now, link, 1)[0]  # draws v1's default tabs into the cache
        cases = {"default page": timed(now, "/", args.n), "a link's page": timed(now, link, args.n)}
    b = statistics.median(base)
    print(f"baseline (page drawn once): {b:.1f} ms median of {args.n}")
    for name, ms in cases.items():
        m = statistics.median(ms)
        print(f"{name}: {m:.1f} ms median ({m / b:.1f}x the baseline)")
    print(f"a link's page, first request (fills the board's cache): {first_link:.1f} ms")


if __name__ == "__main__":
    main()
