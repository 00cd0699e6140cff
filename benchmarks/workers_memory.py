"""The figure workers' memory over many figures (issue 25: is anything needed to keep it flat?).

Renders ``--figures`` figures of the v2 board, each never drawn before (five views, their
date range's start a week later each round), one after another through the app's own
``workers.RenderPool`` with two workers, and prints the workers' proportional set size
(PSS, /proc/<pid>/smaps_rollup: shared pages divided among their sharers) after every
``--every`` figures and a 1.5 s pause, with the median and 90th-percentile time per figure.
``--repo`` imports llmtrends from another checkout, so two versions can be compared on
the same machine minute (run them one after the other, twice each, alternating).

    .venv/bin/python benchmarks/workers_memory.py --data data
    .venv/bin/python benchmarks/workers_memory.py --data data --repo /tmp/older-checkout
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _appdriver as d  # noqa: E402

VIEWS = ("type_popularity", "architecture_popularity", "score_trends", "author_activity", "releases")


def jobs(snap, n: int) -> list[tuple]:
    """``n`` (view, figure, params, table) never drawn before, in the order a user would ask."""
    from llmtrends.views import by_id

    defaults = [(by_id(vid), by_id(vid).Params.defaults(snap)) for vid in VIEWS]
    out: list[tuple] = []
    week = 0
    while len(out) < n:
        week += 1
        for view, base in defaults:
            params = dataclasses.replace(base, start=base.start + dt.timedelta(days=7 * week))
            tbl = view.table(snap, params)
            out += [(view.ID, which, params, tbl) for which in view.FIGURES]
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a data folder with a v2 snapshot")
    ap.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent),
                    help="the checkout whose llmtrends is measured (default: this one)")
    ap.add_argument("--figures", type=int, default=200)
    ap.add_argument("--every", type=int, default=40)
    args = ap.parse_args()
    sys.path.insert(0, args.repo)
    # the fork server is a new interpreter (``python -c``): it finds the checkout in its
    # working directory, first on its path
    data = Path(args.data).resolve()
    os.chdir(args.repo)
    from llmtrends.pipeline import store
    from llmtrends.serving import workers

    snap = store.read_snapshot(data, "v2")
    todo = jobs(snap, args.figures)
    pool = workers.RenderPool(2)
    pool.start()
    probe = d.cpu_probe_ms()
    times, pss = [], []
    try:
        for i, (vid, which, params, tbl) in enumerate(todo, 1):
            t0 = time.perf_counter()
            pool.render(vid, which, params, tbl)
            times.append(time.perf_counter() - t0)
            if i % args.every == 0:
                time.sleep(1.5)  # idle a moment, as between a user's changes
                pids = list(pool._pool()._processes)  # the workers alive now
                pss.append(round(sum(d._pss_mb(p) or 0 for p in pids)))
    finally:
        pool.shutdown()
    print(f"{Path(workers.__file__).parents[2]}: {len(times)} figures, median {statistics.median(times) * 1000:.0f} ms, p90 "
          f"{sorted(times)[int(0.9 * len(times))] * 1000:.0f} ms (probe {probe:.0f} ms); workers' PSS (MB) after every {args.every}: {pss}")


if __name__ == "__main__":
    main()
