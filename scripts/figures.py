#!/usr/bin/env python
"""Reproduce every view's figures (and their tables) from a processed snapshot.

Examples::

    python scripts/figures.py --board v1 --data data --out figures/v1
    python scripts/figures.py --board v2 --data data --out figures/v2 --format png --dpi 150 \\
        --views type_popularity
    python scripts/figures.py --board v1 --data data --out figures/v1-study --study-way
    python scripts/figures.py --board hub --data data --out figures/hub
    python scripts/figures.py --board v1 --data data --out figures/paper --format pdf --size single

Writes ``<view>_<which>.<fmt>``, ``<view>.csv``, ``figures.json`` (the reproducible record)
and ``run.json`` (run time) into OUT; see docs/figures.md.
Exit code 0 on success, 1 on an error (one-line message on stderr), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmtrends import figures, schema  # noqa: E402
from llmtrends.pipeline import store  # noqa: E402
from llmtrends.serving import speedups  # noqa: E402


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", required=True, choices=list(schema.BOARDS),
                   help="which board: leaderboard v1 or v2, or the Hub today (hub)")
    p.add_argument("--data", type=Path, default=Path("data"),
                   help="snapshot folder holding <board>/models.parquet (default: data)")
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--format", type=_csv_list, default=list(figures.DEFAULT_FORMATS),
                   help="comma-separated figure formats out of png,svg,pdf (default: all three)")
    p.add_argument("--dpi", type=int, default=figures.DEFAULT_DPI, help="raster resolution (default 300)")
    p.add_argument("--size", default="screen",
                   help="screen (each figure's own size, default), single (3.5 in column) or double (7 in)")
    p.add_argument("--views", type=_csv_list, default=None,
                   help="comma-separated view ids (default: every view)")
    p.add_argument("--jobs", type=int, default=figures.default_jobs(),
                   help=f"worker processes (default: CPUs, at most 4; here {figures.default_jobs()}); 1 = no workers")
    p.add_argument("--study-way", action="store_true",
                   help="the study's own rules where they differ from llmtrends' only by a rule: weeks from "
                        "Sunday, its smoothers (GAM from 1,000 points, else loess), its author ranking, the base "
                        "models' score gained over the base (see docs/figures.md)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    show = not args.quiet and sys.stderr.isatty()
    progress = (lambda msg: print(msg, file=sys.stderr, flush=True)) if show else None
    started = time.perf_counter()
    speedups.install()  # same tables, faster (checked; LLMTRENDS_SPEEDUPS=0: off)
    try:
        snap = store.read_snapshot(args.data, args.board)
        record = figures.reproduce(snap, args.out, formats=args.format, dpi=args.dpi,
                                   views=args.views, progress=progress, jobs=args.jobs, study_way=args.study_way,
                                   size=args.size)
    except (store.SnapshotError, figures.FiguresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: files already written are complete; figures.json was not updated", file=sys.stderr)
        return 130
    ok = sum(1 for e in record["figures"] if e["status"] == "ok" and e["which"] is not None)
    skipped = sum(1 for e in record["figures"] if e["status"] == "skipped")
    print(f"{ok} figure(s) of {len(record['views'])} view(s) written to {args.out}"
          + (f", {skipped} skipped (see figures.json)" if skipped else "")
          + f" in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
