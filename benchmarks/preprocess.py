#!/usr/bin/env python
"""Benchmark the preprocessing pipeline: both boards built from local files, N times.

Each build runs in a fresh subprocess (``python scripts/preprocess.py ...``), so the
numbers include interpreter start and imports, as a user sees them; peak memory is the
child's maximum resident set size (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` read
around each run). Prints the median wall time and peak memory per board and for both.

    python benchmarks/preprocess.py [--runs 5] [--data ../shared/data]

Target: both boards in under 10 s together. This is a benchmark, not a test: it never fails
on time, it reports.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 10.0


def board_args(board: str, data: Path) -> list[str]:
    if board == "v2":
        return ["--board", "v2", "--source", str(data / "open-llm-leaderboard-contents.parquet")]
    v1 = data / "open-llm-leaderboard-v1"
    return ["--board", "v1", "--source", str(v1 / "leaderboard.csv"), "--enrich", "files",
            "--hub-records", str(v1)]


def run_once(board: str, data: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one build in a child process."""
    cmd = [sys.executable, "-c",
           "import resource, runpy, sys; sys.argv = sys.argv[1:]; "
           "code = 0\n"
           "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
           "except SystemExit as e:\n    code = e.code or 0\n"
           "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
           "sys.exit(code)",
           str(ROOT / "scripts" / "preprocess.py"), *board_args(board, data), "--out", str(out), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{board} build failed ({proc.returncode}): {proc.stderr.strip()}")
    kib = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("MAXRSS ")]
    return wall, (kib[-1] / 1024 if kib else float("nan"))  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="builds per board (default 5)")
    p.add_argument("--data", type=Path,
                   default=Path(os.environ.get("LLMTRENDS_SHARED_DATA") or ROOT.parent / "shared" / "data"),
                   help="the shared data folder (default $LLMTRENDS_SHARED_DATA or ../shared/data)")
    args = p.parse_args(argv)
    if not (args.data / "open-llm-leaderboard-contents.parquet").is_file():
        print(f"error: no leaderboard data in {args.data}", file=sys.stderr)
        return 1
    times: dict[str, list[float]] = {"v1": [], "v2": []}
    peaks: dict[str, list[float]] = {"v1": [], "v2": []}
    totals: list[float] = []
    with tempfile.TemporaryDirectory(prefix="llmtrends-bench-") as tmp:
        for i in range(args.runs):
            total = 0.0
            for board in ("v2", "v1"):
                wall, peak = run_once(board, args.data, Path(tmp) / f"run{i}")
                times[board].append(wall)
                peaks[board].append(peak)
                total += wall
            totals.append(total)
    print(f"preprocess benchmark: {args.runs} runs per board, python {sys.version.split()[0]}, data {args.data}")
    for board in ("v2", "v1"):
        print(f"  {board}: median {statistics.median(times[board]):.2f} s "
              f"(min {min(times[board]):.2f}, max {max(times[board]):.2f}), "
              f"peak memory {max(peaks[board]):.0f} MiB")
    med = statistics.median(totals)
    print(f"  both: median {med:.2f} s, peak memory {max(max(peaks['v1']), max(peaks['v2'])):.0f} MiB "
          f"-- target < {TARGET_S:.0f} s: {'met' if med < TARGET_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
