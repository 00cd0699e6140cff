"""Cold start: from starting the app's process to the first view's plots in a page (issue 25).

Starts the app ``--runs`` times per case and opens a page in headless Chromium as soon as
the server answers (``views.cold_start``). A case is a checkout and a data folder:
``--before WORKTREE DATA`` adds another revision (a ``git worktree``) run in turn with this
one, so both see the same minutes of this noisy machine. Each case starts once first, not
counted: a revision that keeps figures on disk between runs fills them then. Prints the
medians, the CPU probe of each run and the ratio after / before.

    .venv/bin/python benchmarks/cold_start.py --data DIR --runs 5
    .venv/bin/python benchmarks/cold_start.py --data DIR --before /work/wt/old DIR2 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _appdriver as d  # noqa: E402
from views import cold_start  # noqa: E402


def one(browser, repo: Path, data: Path, log_dir: Path, first_view: str) -> dict:
    app = d.start_app(data, log_dir, repo=repo)
    try:
        return cold_start(browser, app, first_view)
    finally:
        d.stop_app(app)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="snapshot folder for this checkout")
    ap.add_argument("--before", nargs=2, metavar=("REPO", "DATA"), type=Path,
                    help="another checkout and its snapshot folder, run in turn with this one")
    ap.add_argument("--runs", type=int, default=5, help="counted starts per case")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from llmtrends.views import VIEWS

    first_view = VIEWS[0].ID
    cases = [("after", d.REPO, args.data)] + ([("before", *args.before)] if args.before else [])
    got: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
    log_dir = Path(tempfile.mkdtemp(prefix="llmtrends-cold-"))
    with sync_playwright() as pw:
        browser = d.launch_chromium(pw)
        try:
            for name, repo, data in cases:  # not counted: fills what a revision keeps on disk
                one(browser, repo, data, log_dir, first_view)
            for i in range(args.runs):
                for name, repo, data in cases:
                    probe = d.cpu_probe_ms()
                    r = one(browser, repo, data, log_dir, first_view)
                    got[name].append({**r, "probe_ms": probe})
                    print(f"run {i + 1} {name}: server {r['server_ready_s']} s, first plot {r['first_plot_s']} s "
                          f"(probe {probe} ms); in the page: scripts run {r['dcl_ms']} ms, plot {r['plot_ms']} ms",
                          flush=True)
        finally:
            browser.close()
    print("\n| case | first plot median (s) | server answers median (s) | probe median (ms) |")
    print("|---|---|---|---|")
    med = {}
    for name, runs in got.items():
        med[name] = {k: statistics.median(r[k] for r in runs) for k in ("first_plot_s", "server_ready_s", "probe_ms")}
        print(f"| {name} | {med[name]['first_plot_s']:.2f} | {med[name]['server_ready_s']:.2f} | "
              f"{med[name]['probe_ms']:.0f} |")
    if "before" in med:
        scaled = [(a["first_plot_s"] / a["probe_ms"]) / (b["first_plot_s"] / b["probe_ms"])
                  for a, b in zip(got["after"], got["before"])]
        print(f"\nafter / before, first plot, each pair divided by its probes: median {statistics.median(scaled):.2f} "
              f"({min(scaled):.2f}–{max(scaled):.2f})")
    d.write_json("cold-start", {"runs": got, "medians": med, "machine": d.machine(), "rev": d.git_rev()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
