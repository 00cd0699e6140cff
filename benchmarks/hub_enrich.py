"""Benchmark: live Hub enrichment of all v1 repositories against the stand-in Hub.

Not a test: it prints a table and writes JSON to ``benchmarks/results/hub_enrich.json``.
The stand-in answers every request after 100 ms (``--latency``), standing in for the
round trip to huggingface.co. Runs, in one process:

1. ``concurrent``: all 5,609 repositories, 16 workers, no rate limit, namespace listings on;
2. ``concurrent, no listings``: the same with one ``model_info`` per repository, to measure
   what namespace batching saves;
3. ``one at a time``: the study's way (1 worker, no listings) on a subset, extrapolated to all
   repositories by time per repository (stated in the output);
4. ``rate limited``: a subset under a limit over a *shortened* window (the real window is
   5 minutes; a scaled window keeps the run short, the limiter is the same code), compared
   with the limit's lower bound ``floor((requests - 1) / limit) * window``;
5. ``warm cache``: run 1 again with its cache: no request, only cache reads.

Usage: ``python benchmarks/hub_enrich.py [--latency 0.1] [--baseline-subset 300]``
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from llmtrends.pipeline import hub  # noqa: E402
from tests.standin_hub import Faults, HubData, StandinHub  # noqa: E402


def timed_run(standin: StandinHub, names: list[str], cache: Path, *, workers: int,
              limit: int | None, batch: bool) -> dict:
    """One enrichment run: wall time, requests counted by client and stand-in, outcomes."""
    hub.BATCH_NAMESPACES = batch
    standin.clear_requests()
    t0 = time.perf_counter()
    result = hub.enrich_from_hub(names, cache_path=cache, workers=workers, max_requests_per_5min=limit,
                                 endpoint=standin.endpoint, token=False, progress=False)
    wall = time.perf_counter() - t0
    seen = [r for r in standin.requests if r.kind in ("model_info", "commits", "list_models")]
    return {
        "repos": len(names), "workers": workers, "limit": limit, "batch": batch,
        "wall_s": round(wall, 3), "requests_client": result.requests_made, "requests_seen": len(seen),
        "list_models": sum(r.kind == "list_models" for r in seen),
        "model_info": sum(r.kind == "model_info" for r in seen),
        "commits": sum(r.kind == "commits" for r in seen),
        "outcomes": result.outcomes, "repos_per_s": round(len(names) / wall, 1) if wall else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency", type=float, default=0.1, help="seconds per request at the stand-in")
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--baseline-subset", type=int, default=300)
    p.add_argument("--limited-subset", type=int, default=1500)
    p.add_argument("--limit", type=int, default=250, help="requests per (scaled) window")
    p.add_argument("--window", type=float, default=5.0, help="scaled rate-limit window, seconds")
    args = p.parse_args()

    data = HubData.load()
    names = sorted(data.models)
    out: dict = {"machine": platform.platform(), "python": platform.python_version(),
                 "latency_s": args.latency, "repos": len(names)}
    with StandinHub(data=data, faults=Faults(latency=args.latency)) as standin, \
            tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = {}
        runs["concurrent"] = timed_run(standin, names, tmp / "c1", workers=args.workers, limit=None, batch=True)
        runs["concurrent_no_listings"] = timed_run(standin, names, tmp / "c2", workers=args.workers,
                                                   limit=None, batch=False)
        subset = names[:: max(1, len(names) // args.baseline_subset)][: args.baseline_subset]
        base = timed_run(standin, subset, tmp / "c3", workers=1, limit=None, batch=False)
        base["extrapolated_wall_s"] = round(base["wall_s"] / len(subset) * len(names), 1)
        base["note"] = f"measured on {len(subset)} repositories, extrapolated to {len(names)}"
        runs["one_at_a_time"] = base

        hub.SETTINGS = hub.Settings(window_seconds=args.window)
        limited_names = names[: args.limited_subset]
        lim = timed_run(standin, limited_names, tmp / "c4", workers=args.workers, limit=args.limit, batch=True)
        r = lim["requests_seen"]
        lim["window_s"] = args.window
        lim["lower_bound_s"] = (r - 1) // args.limit * args.window
        lim["over_bound_pct"] = round(100 * (lim["wall_s"] / lim["lower_bound_s"] - 1), 1)
        lim["max_in_window_seen"] = standin.max_in_window(args.window, ("model_info", "commits", "list_models"))
        runs["rate_limited"] = lim
        hub.SETTINGS = hub.Settings()

        runs["warm_cache"] = timed_run(standin, names, tmp / "c1", workers=args.workers, limit=None, batch=True)
        out["runs"] = runs
        out["speedup_vs_one_at_a_time"] = round(base["extrapolated_wall_s"] / runs["concurrent"]["wall_s"], 1)
        out["listing_saves_requests"] = (runs["concurrent_no_listings"]["requests_seen"]
                                         - runs["concurrent"]["requests_seen"])

    print(f"Hub enrichment benchmark: {len(names):,} repositories, stand-in latency {args.latency * 1000:.0f} ms\n")
    print(f"{'run':<24} {'repos':>6} {'workers':>7} {'limit':>10} {'requests':>9} {'wall s':>9}  notes")
    for key, run in runs.items():
        limit = f"{run['limit']}/{run.get('window_s', 300):g}s" if run["limit"] else "none"
        wall = run.get("extrapolated_wall_s", run["wall_s"])
        note = run.get("note", "")
        if key == "rate_limited":
            note = (f"lower bound {run['lower_bound_s']:.0f} s (+{run['over_bound_pct']}%), "
                    f"max {run['max_in_window_seen']} in any window")
        if key.startswith("concurrent"):
            note = (f"list_models {run['list_models']}, model_info {run['model_info']}, "
                    f"commits {run['commits']}")
        print(f"{key:<24} {run['repos']:>6} {run['workers']:>7} {limit:>10} {run['requests_seen']:>9} "
              f"{wall:>9.1f}  {note}")
    print(f"\nspeed-up, {args.workers} workers vs one at a time: {out['speedup_vs_one_at_a_time']}x; "
          f"namespace listings save {out['listing_saves_requests']:,} requests")
    results = REPO_ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "hub_enrich.json").write_text(json.dumps(out, indent=2))
    print(f"written {results / 'hub_enrich.json'}")


if __name__ == "__main__":
    main()
