#!/usr/bin/env python
"""Benchmark a board's history: building it, reading it, the What Changed table, a report.

* **build**: ``scripts/preprocess.py --board v2 --history <14 weekly files>`` in a fresh
  subprocess (interpreter start and imports included), into an empty folder;
* **first table**: the first What Changed table in a fresh process (the history's tables
  read: 14 snapshots, the columns a history needs), against reading the 14 snapshots whole
  with ``store.read_snapshot`` -- what the tab would pay per change without the cache;
* **change**: the table for a pair of dates not computed before (history in memory), over
  every pair of consecutive weeks, and each figure drawn (PNG, screen resolution);
* **report**: ``scripts/report.py`` for one week, and ``--every-week``, in subprocesses.

Prints medians; never fails on time (a benchmark, not a test)::

    python benchmarks/history.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_TABLE = """
import time, sys
t0 = time.perf_counter()
from llmtrends.pipeline import store
from llmtrends.views import changes as view
snap = store.read_snapshot(sys.argv[1], "v2")
t1 = time.perf_counter()
params = view.Params.defaults(snap)
view.table(snap, params)
t2 = time.perf_counter()
for info in store.list_snapshots(sys.argv[1], "v2"):
    store.read_snapshot(sys.argv[1], "v2", info.id)
t3 = time.perf_counter()
print(f"{t2 - t1:.3f} {t3 - t2:.3f}")
"""


def run(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - start, done.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=3, help="history builds (default 3)")
    args = ap.parse_args(argv)
    folder = args.data / "open-llm-leaderboard-contents-history"
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        builds = []
        for i in range(args.runs):
            out = Path(tmp) / f"b{i}"
            wall, _ = run([py, "scripts/preprocess.py", "--board", "v2", "--history", str(folder),
                           "--out", str(out), "--quiet"])
            builds.append(wall)
        out = Path(tmp) / "b0"
        print(f"history build, 14 weekly files (subprocess): median {statistics.median(builds):.1f} s "
              f"({', '.join(f'{b:.1f}' for b in builds)})")
        wall, _ = run([py, "scripts/preprocess.py", "--board", "v2", "--history", str(folder),
                       "--out", str(out), "--quiet"])
        print(f"history rerun, every day already stored: {wall:.1f} s")

        firsts = [run([py, "-c", FIRST_TABLE, str(out)])[1].split() for _ in range(3)]
        first = statistics.median(float(f[0]) for f in firsts)
        whole = statistics.median(float(f[1]) for f in firsts)
        print(f"first What Changed table in a fresh process (history read): median {first * 1000:.0f} ms; "
              f"reading the 14 snapshots whole instead: {whole * 1000:.0f} ms")

        from llmtrends.pipeline import store
        from llmtrends.serving import render
        from llmtrends.views import changes as view

        snap = store.read_snapshot(out, "v2")
        view.table(snap, view.Params.defaults(snap))  # the history in memory
        days = [d.isoformat() for d in view.history_of(snap).days]
        tables, figures = [], {w: [] for w in view.FIGURES}
        render.figure_bytes(view.figure(view.table(snap, view.Params.defaults(snap)), view.Params.defaults(snap),
                                        "board_size"))  # imports and fonts, once
        for a, b in zip(days, days[1:]):
            params = view.Params.from_inputs({"first": a, "second": b}, snap)
            t = time.perf_counter()
            tbl = view.table(snap, params)
            tables.append(time.perf_counter() - t)
            for which in view.FIGURES:
                t = time.perf_counter()
                render.figure_bytes(view.figure(tbl, params, which))
                figures[which].append(time.perf_counter() - t)
        print(f"table for a new pair of dates (13 pairs): median {statistics.median(tables) * 1000:.0f} ms, "
              f"max {max(tables) * 1000:.0f} ms")
        for which, times in figures.items():
            print(f"figure {which}: median {statistics.median(times) * 1000:.0f} ms")

        wall, _ = run([py, "scripts/report.py", "--board", "v2", "--data", str(out), "--from", "2025-03-09",
                       "--to", "2025-03-16", "--out", str(Path(tmp) / "report")])
        print(f"report of one week (subprocess): {wall:.1f} s")
        wall, _ = run([py, "scripts/report.py", "--board", "v2", "--data", str(out), "--every-week",
                       "--out", str(Path(tmp) / "weeks")])
        print(f"--every-week, 13 reports (subprocess): {wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
