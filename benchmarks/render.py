"""What each figure costs to render, measured so that runs on a noisy machine compare (issue 8).

A control change is mostly one figure being drawn (plotnine + matplotlib in a figure
worker); the browser benchmark's numbers move with this VM's speed, which varies about 2x
from one minute to the next. This script renders every view's figures at their defaults,
in this process, as a figure worker does (object string columns, ``gc.freeze()`` after the
first render), and
reports per figure:

* ``ms`` -- the median wall time of ``--reps`` renders (PNG, screen resolution);
* ``probe`` -- the median of the CPU probe (``_appdriver.cpu_probe_ms``, fixed Python work)
  run right before each render;
* ``ms@100`` -- the median of ``ms x 100 / probe``: the time on a machine whose probe reads
  100 ms. Two runs of this script compare on this column even when the machine's speed
  changed between them;
* ``Minstr`` (with ``--callgrind``) -- instructions per render counted by valgrind's
  callgrind: the same number every run for the same code and data, whatever the machine
  does. A render is counted as (3 renders - 1 render) / 2 in two subprocesses, so imports
  and the first render drop out. About a minute per figure.

    .venv/bin/python benchmarks/render.py                       # every figure, both boards
    .venv/bin/python benchmarks/render.py --only architecture_popularity --callgrind
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _appdriver as d  # noqa: E402


def figures(data_dir: Path, boards: list[str] | None, only: list[str] | None) -> list[tuple]:
    """``(board, view, which, params, table)`` for every figure a board draws at its defaults."""
    from llmtrends.pipeline import store
    from llmtrends.views import VIEWS
    from llmtrends.views import inputs

    snaps, errors = store.load_snapshots(data_dir)
    if not snaps:
        raise SystemExit(f"no snapshot in {data_dir}: {'; '.join(errors)}")
    out = []
    for board, snap in snaps.items():
        if boards and board not in boards:
            continue
        for view in VIEWS:
            if only and view.ID not in only:
                continue
            params = view.Params.defaults(snap)
            try:
                tbl = view.table(snap, params)
            except inputs.ViewError:
                continue  # a message on this board (CO2 on v1)
            out += [(board, view, which, params, tbl) for which in view.FIGURES]
    return out


def timed(items: list[tuple], reps: int) -> list[dict]:
    from llmtrends.serving import render, speedups

    speedups.install()  # as in a figure worker (installed there, no longer by importing render)
    speedups.use_object_strings()  # as in a figure worker (tables were made before, as in the app)
    for _, view, which, params, tbl in items:  # imports, font caches: as a worker's warm-up
        render.figure_bytes(view.figure(tbl, params, which))
    gc.freeze()
    rows = []
    for board, view, which, params, tbl in items:
        ms, probes, scaled = [], [], []
        for _ in range(reps):
            probe = d.cpu_probe_ms(runs=1)
            t0 = time.perf_counter()
            render.figure_bytes(view.figure(tbl, params, which))
            ms.append((time.perf_counter() - t0) * 1000)
            probes.append(probe)
            scaled.append(ms[-1] * 100 / probe)
        rows.append({"board": board, "view": view.ID, "which": which, "ms": round(statistics.median(ms), 1),
                     "probe_ms": round(statistics.median(probes), 1),
                     "ms_at_probe_100": round(statistics.median(scaled), 1)})
        print(f"{board}/{view.ID}/{which}: {rows[-1]['ms']:.0f} ms (probe {rows[-1]['probe_ms']:.0f} ms) "
              f"-> {rows[-1]['ms_at_probe_100']:.0f} ms at probe 100", flush=True)
    return rows


CHILD = """
import gc, sys
from pathlib import Path
from llmtrends.pipeline import store
from llmtrends.serving import render, speedups
from llmtrends.views import by_id
speedups.install()  # as in the app and its workers
snap = store.read_snapshot(Path(sys.argv[1]), sys.argv[2])
view = by_id(sys.argv[3])
params = view.Params.defaults(snap)
tbl = view.table(snap, params)
speedups.use_object_strings()  # as in a figure worker
render.figure_bytes(view.figure(tbl, params, sys.argv[4]))
gc.freeze()
for _ in range(int(sys.argv[5])):
    render.figure_bytes(view.figure(tbl, params, sys.argv[4]))
"""


def instructions(data_dir: Path, board: str, view_id: str, which: str, renders: int) -> int:
    """Instructions callgrind counts for a child that loads, renders once, then ``renders`` more."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", CHILD,
         str(data_dir), board, view_id, which, str(renders)],
        cwd=d.REPO, capture_output=True, text=True, check=True)
    m = re.search(r"Collected\s*:\s*([\d,]+)", out.stderr)
    if not m:
        raise RuntimeError(f"no instruction count from callgrind:\n{out.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=d.REPO / "data", help="snapshot folder (default: data/)")
    ap.add_argument("--reps", type=int, default=7, help="renders per figure (default 7)")
    ap.add_argument("--only", nargs="*", help="these view ids only")
    ap.add_argument("--boards", nargs="*", help="these boards only (default: all)")
    ap.add_argument("--callgrind", action="store_true", help="also count instructions per render (slow)")
    ap.add_argument("--label", default="render", help="name of the JSON file in benchmarks/results/")
    args = ap.parse_args(argv)
    if args.callgrind and shutil.which("valgrind") is None:
        ap.error("--callgrind needs valgrind (Debian: apt-get install valgrind)")
    data_dir = args.data.resolve()
    items = figures(data_dir, args.boards, args.only)
    rows = timed(items, args.reps)
    if args.callgrind:
        for row in rows:
            one = instructions(data_dir, row["board"], row["view"], row["which"], 0)
            three = instructions(data_dir, row["board"], row["view"], row["which"], 2)
            row["minstr"] = round((three - one) / 2 / 1e6)
            print(f"{row['board']}/{row['view']}/{row['which']}: {row['minstr']:,} M instructions per render",
                  flush=True)
    print()
    print("| figure | ms | probe ms | ms at probe 100 |" + (" M instructions |" if args.callgrind else ""))
    print("|---|---|---|---|" + ("---|" if args.callgrind else ""))
    for r in rows:
        print(f"| {r['board']}/{r['view']}/{r['which']} | {r['ms']:.0f} | {r['probe_ms']:.0f} | "
              f"{r['ms_at_probe_100']:.0f} |" + (f" {r['minstr']:,} |" if args.callgrind else ""))
    path = d.write_json(args.label, {"data_dir": str(data_dir), "reps": args.reps, "machine": d.machine(),
                                     "git": d.git_rev(), "figures": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
