#!/usr/bin/env python
"""Write what changed on a board between two dates as a Markdown report with figures and CSVs.

Examples::

    python scripts/report.py --board v2 --data data --from 2025-03-09 --to 2025-03-16 --out reports/2025-03-16
    python scripts/report.py --board v2 --data data --every-week --out reports

The dates are days of the board's history (its dated snapshots, see docs/pipeline.md);
omitted, the latest snapshot and the one a week before. ``--every-week`` writes one report
per snapshot into OUT/<date>/ and OUT/index.md. See docs/report.md.
Exit code 0 on success, 1 on an error (one-line message on stderr), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmtrends import report, schema  # noqa: E402
from llmtrends.pipeline import store  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", required=True, choices=list(schema.BOARDS), help="which leaderboard")
    p.add_argument("--data", type=Path, default=Path("data"),
                   help="snapshot folder holding <board>/snapshots/ (default: data)")
    p.add_argument("--from", dest="start", metavar="DATE", help="the earlier snapshot's day (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", metavar="DATE", help="the later snapshot's day (YYYY-MM-DD)")
    p.add_argument("--every-week", action="store_true",
                   help="one report per snapshot of the history, each against the one a week before")
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--dpi", type=int, default=report.DEFAULT_DPI,
                   help=f"resolution of the PNG figures (default {report.DEFAULT_DPI})")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.every_week and (args.start or args.end):
        print("error: --every-week writes every week's report; it takes no --from/--to", file=sys.stderr)
        return 2
    if not 10 <= args.dpi <= 1200:
        print("error: --dpi must be between 10 and 1200", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        snap = store.read_snapshot(args.data, args.board)
        if args.every_week:
            progress = (lambda msg: print(msg, file=sys.stderr, flush=True)) if sys.stderr.isatty() else None
            runs = report.write_every_week(snap, args.out, dpi=args.dpi, progress=progress)
            print(f"{len(runs)} weekly report(s) of leaderboard {args.board} written to {args.out} "
                  f"(index: {args.out / report.INDEX_FILE}) in {time.perf_counter() - started:.1f}s")
        else:
            run = report.write(snap, args.out, args.start, args.end, dpi=args.dpi)
            print(f"report of leaderboard {args.board}, {run['from']} to {run['to']}, written to "
                  f"{args.out / report.REPORT_FILE} in {time.perf_counter() - started:.1f}s")
    except (store.SnapshotError, report.ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the files already written are complete", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
