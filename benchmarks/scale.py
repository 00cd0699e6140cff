"""100× data (issue 8): a synthetic v2 board, its preprocessing, the app on it, per-view latency.

1. **Generate** a board ``--factor`` (default 100) times the real v2 file
   (``open-llm-leaderboard-contents.parquet`` in ``$LLMTRENDS_SHARED_DATA`` or
   ``../shared/data``): the same 36 columns and dtypes, rows resampled from the real ones
   (so types, families, architectures, precisions, flags and licences keep their joint
   distribution), every ``fullname`` unique (half keep their namespace, half get one of
   ~60 sibling namespaces, as a larger community would), dates jittered by up to ±30 days
   within the real range (submission never before upload), scores jittered (normalized
   ±1 point, raw ±0.01, clipped to the real range; the average recomputed from the six
   benchmarks when the real file does so), parameters/CO₂/likes scaled by small
   log-normal noise. Written as parquet to a temporary folder (never into the repo).
2. **Preprocess** it with ``scripts/preprocess.py --board v2 --enrich none`` in a
   subprocess: wall time and peak memory (the child's max RSS).
3. **Serve** the snapshot and time every view with ``benchmarks/views.py``'s driver
   (cold start, open, control change fresh / seen, server RSS).

Prints the numbers and writes ``benchmarks/results/scale-<time>.json``.

    .venv/bin/python benchmarks/scale.py                    # 100×, 10 reps
    .venv/bin/python benchmarks/scale.py --factor 10 --reps 10 --open-reps 3

``--board hub`` (issue 20) builds the hub board instead, of ``--models`` (default 500,000)
synthetic models with the listing sample's distributions (``tests/standin_hub.py``:
``SyntheticListing``, generated seeded in the stand-in Hub's own process, never stored):

1. **Full build** through the stand-in Hub, listing everything up to a day before the end of
   the synthetic listing, with made-up leaderboards (3,000 results per benchmark and 30 scored
   models the listing lacks): wall time, peak memory, requests by kind (the stand-in's count).
2. **A day later**: the refresh lists only the day's new models; wall time and requests.
3. ``--views``: every view's latency on the hub board (``benchmarks/views.py``).

    .venv/bin/python benchmarks/scale.py --board hub                 # 500,000 models
    .venv/bin/python benchmarks/scale.py --board hub --models 50000 --views
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _appdriver as d  # noqa: E402
import views  # noqa: E402
from llmtrends.pipeline import store  # noqa: E402

BENCHES = ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]
AVERAGE = "Average ⬆️"


def shared_v2() -> Path:
    folder = Path(os.environ.get("LLMTRENDS_SHARED_DATA") or (d.REPO.parent / "shared" / "data"))
    path = folder / "open-llm-leaderboard-contents.parquet"
    if not path.is_file():
        raise SystemExit(f"the real v2 file is missing: {path} (set LLMTRENDS_SHARED_DATA)")
    return path


def _jitter_dates(col: pd.Series, days: np.ndarray, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
    parsed = pd.to_datetime(col, errors="coerce")
    moved = (parsed + pd.to_timedelta(days, unit="D")).clip(lo, hi)
    # keep each value's own text form (date only, or a full timestamp), and missing as missing
    full = col.str.len().fillna(0).to_numpy() > 10
    out = np.where(full, moved.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), moved.dt.strftime("%Y-%m-%d"))
    return pd.Series(out, index=col.index, dtype=col.dtype).where(parsed.notna(), col)


def synthesize(real: pd.DataFrame, factor: int, seed: int = 8) -> pd.DataFrame:
    """A board ``factor`` times ``real``: same columns and dtypes, realistic distributions."""
    rng = np.random.default_rng(seed)
    n = len(real) * factor
    idx = rng.integers(0, len(real), n)
    df = real.iloc[idx].reset_index(drop=True)
    i = np.arange(n)

    # unique repositories: half keep the namespace, half move to a sibling namespace
    ns = df["fullname"].str.split("/", n=1).str[0]
    name = df["fullname"].str.split("/", n=1).str[1].fillna("model")
    sibling = rng.integers(1, 60, n)
    new_ns = np.where(rng.random(n) < 0.5, ns, ns + "-" + pd.Series(sibling).astype(str))
    fullname = pd.Series(new_ns, dtype="str") + "/" + name + "-s" + pd.Series(i).astype(str)
    df["Model"] = [m.replace(old, new) for m, old, new in zip(df["Model"], real["fullname"].to_numpy()[idx], fullname)]
    df["fullname"] = fullname.astype(real["fullname"].dtype)
    df["eval_name"] = (fullname.str.replace("/", "_") + "_" + df["Precision"].fillna("")).astype(real["eval_name"].dtype)
    df["Model sha"] = pd.Series([f"{x:040x}" for x in rng.integers(0, 2**62, n)], dtype=real["Model sha"].dtype)

    # dates: ±30 days within the real range; submission never before upload
    shift = rng.integers(-30, 31, n)
    up = pd.to_datetime(real["Upload To Hub Date"], errors="coerce")
    sub = pd.to_datetime(real["Submission Date"], errors="coerce")
    df["Upload To Hub Date"] = _jitter_dates(df["Upload To Hub Date"], shift, up.min(), up.max())
    df["Submission Date"] = _jitter_dates(df["Submission Date"], np.maximum(shift, 0), sub.min(), sub.max())

    # scores: jitter within the real range; the average follows the benchmarks if it did
    recomputed = real[BENCHES].mean(axis=1)
    avg_is_mean = bool(np.allclose(recomputed, real[AVERAGE], atol=0.02, equal_nan=True))
    for b in BENCHES:
        for col, sd in ((b, 1.0), (f"{b} Raw", 0.01)):
            if col in df.columns:
                lo, hi = real[col].min(), real[col].max()
                df[col] = (df[col] + rng.normal(0, sd, n)).clip(lo, hi)
    if avg_is_mean:
        df[AVERAGE] = df[BENCHES].mean(axis=1)
    else:
        df[AVERAGE] = (df[AVERAGE] + rng.normal(0, 0.5, n)).clip(real[AVERAGE].min(), real[AVERAGE].max())
    for col in ("#Params (B)", "CO₂ cost (kg)"):
        df[col] = df[col] * np.exp(rng.normal(0, 0.05, n))
    likes = df["Hub ❤️"].to_numpy(dtype=float) * np.exp(rng.normal(0, 0.2, n))
    df["Hub ❤️"] = np.rint(likes).astype(real["Hub ❤️"].dtype)
    for col in real.columns:  # same dtypes as the real file
        if str(df[col].dtype) != str(real[col].dtype):
            df[col] = df[col].astype(real[col].dtype)
    return df


def preprocess(source: Path, out: Path) -> dict:
    """Run the pipeline's CLI on the file; wall time and the child's peak RSS."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "scripts/preprocess.py", "--board", "v2", "--source", str(source),
                           "--enrich", "none", "--out", str(out), "--quiet"], cwd=d.REPO,
                          capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode != 0:
        raise SystemExit(f"preprocess failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak, 1), "stdout_tail": proc.stdout[-500:]}


class _Standin:
    """The stand-in Hub with a synthetic listing, in its own process (so that serving does not
    share this process's interpreter lock with the build)."""

    def __init__(self, models: int, cutoff: str | None) -> None:
        code = ("import sys; sys.path.insert(0, %r); from tests.standin_hub import serve_hub_board; "
                "serve_hub_board(%d, cutoff=%r)" % (str(d.REPO), models, cutoff))
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=d.REPO, stdout=subprocess.PIPE, text=True)
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("http://"):
            raise SystemExit(f"the stand-in Hub did not start: {self.endpoint!r}")

    def stop(self) -> dict:
        """Stop it; the requests it answered, by kind."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=60)
        return json.loads(out.strip().splitlines()[-1])


def _hub_build(endpoint: str, out: Path, cache: Path, tmp: Path) -> dict:
    """``preprocess.py --board hub`` against the stand-in: wall time, peak RSS, manifest counts."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_HUB_OFFLINE")}
    env.update({"HF_ENDPOINT": endpoint, "HF_HOME": str(tmp / "hf_home")})
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "scripts/preprocess.py", "--board", "hub", "--out", str(out), "--cache",
                           str(cache), "--max-requests-per-5min", "0", "--quiet"], cwd=d.REPO, env=env,
                          capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"hub build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    counts = store.current_manifest(out, "hub")["counts"]
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak, 1), "summary": proc.stdout.strip()[-600:],
            "counts": {k: counts[k] for k in ("written", "listed", "enriched", "requests", "new_text-generation",
                                               "new_image-text-to-text") if k in counts}}


def hub_board(args) -> int:
    """The hub board at scale (module docstring, ``--board hub``)."""
    tmp = Path(tempfile.mkdtemp(prefix="llmtrends-scale-hub-"))
    result: dict = {"board": "hub", "models": args.models, "machine": d.machine(), "tmp": str(tmp),
                    "probe_ms_before": d.cpu_probe_ms()}
    end = pd.Timestamp("2026-09-28T04:22:08Z")  # the synthetic listing's newest creation
    out, cache = tmp / "data", tmp / "cache"
    try:
        # the first build sees the listing as it was a day before its end; the refresh, a day later
        for phase, cutoff in (("full", (end - pd.Timedelta(days=1)).isoformat()), ("day", None)):
            standin = _Standin(args.models, cutoff)
            try:
                result[phase] = _hub_build(standin.endpoint, out, cache, tmp)
            finally:
                result.setdefault(phase, {})["standin_requests"] = standin.stop()
            r, c = result[phase], result[phase]["counts"]
            print(f"hub board, {'full build' if phase == 'full' else 'a day later'}: "
                  f"{c.get('new_text-generation', 0):,} + {c.get('new_image-text-to-text', 0):,} new models, "
                  f"{c['written']:,} in all, in {r['wall_s']} s (target <= 60 s), peak {r['peak_rss_mb']:.0f} MB; "
                  f"requests {r['standin_requests']}", flush=True)
        result["probe_ms_after"] = d.cpu_probe_ms()
        print(f"cpu probe {result['probe_ms_before']} ms before, {result['probe_ms_after']} ms after "
              "(see benchmarks/README.md: ~100 ms on an idle machine)", flush=True)
        if args.views:
            res = views.run(out, args.reps, args.open_reps, args.only, label="scale-hub", boards=["hub"])
            result["views"] = res
            views.print_table(res)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {d.write_json('scale-hub', result)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", choices=["v2", "hub"], default="v2",
                    help="v2: the 100x leaderboard (default); hub: a synthetic hub board (--models)")
    ap.add_argument("--models", type=int, default=500_000, help="--board hub: synthetic models (default 500,000)")
    ap.add_argument("--views", action="store_true", help="--board hub: also time every view on it")
    ap.add_argument("--factor", type=int, default=100)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--open-reps", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    ap.add_argument("--skip-views", action="store_true", help="generate and preprocess only")
    ap.add_argument("--only", nargs="+", metavar="VIEW", help="--board hub --views: time only these views")
    args = ap.parse_args(argv)
    if args.board == "hub":
        if not 1_000 <= args.models <= 999_999:
            ap.error("--models must be 1,000..999,999")
        return hub_board(args)
    if not 1 <= args.factor <= 200:
        ap.error("--factor must be 1..200")
    tmp = Path(tempfile.mkdtemp(prefix="llmtrends-scale-"))
    result: dict = {"factor": args.factor, "machine": d.machine(), "tmp": str(tmp)}
    try:
        real = pd.read_parquet(shared_v2())
        t0 = time.monotonic()
        synth = synthesize(real, args.factor)
        source = tmp / "synthetic-v2.parquet"
        synth.to_parquet(source, index=False)
        result["generate"] = {"rows": len(synth), "columns": len(synth.columns),
                              "same_columns": list(synth.columns) == list(real.columns),
                              "same_dtypes": [str(t) for t in synth.dtypes] == [str(t) for t in real.dtypes],
                              "unique_fullnames": bool(synth["fullname"].is_unique),
                              "file_mb": round(source.stat().st_size / 2**20, 1),
                              "seconds": round(time.monotonic() - t0, 1)}
        print(f"generated {len(synth):,} rows × {len(synth.columns)} columns "
              f"({result['generate']['file_mb']} MB parquet) in {result['generate']['seconds']} s; "
              f"same columns/dtypes: {result['generate']['same_columns']}/{result['generate']['same_dtypes']}",
              flush=True)
        del synth, real
        out = tmp / "data"
        result["preprocess"] = pp = preprocess(source, out)
        models = pd.read_parquet(store.snapshot_path(out, "v2") / "models.parquet", columns=["repo_id"])
        result["preprocess"]["rows_out"] = len(models)
        print(f"preprocess: {pp['wall_s']} s wall, peak {pp['peak_rss_mb']:.0f} MB, {len(models):,} models "
              "(target ≤ 60 s)", flush=True)
        del models
        if not args.skip_views:
            res = views.run(out, args.reps, args.open_reps, None, label="scale")
            result["views"] = res
            views.print_table(res)
            worst = max((e.get("fresh") or {}).get("p95") or 0 for e in res["views"].values())
            print(f"\nworst view p95 (change, fresh): {worst:.0f} ms (target ≤ 1000 ms); app first plot "
                  f"{res['cold_start']['first_plot_s']} s, server answers after {res['cold_start']['server_ready_s']} s; "
                  f"server peak RSS {res.get('peak_rss_mb', 0):.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {d.write_json('scale', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
