#!/usr/bin/env python
"""Build a processed leaderboard snapshot: load -> normalize -> enrich -> dedup -> write.

Examples::

    python scripts/preprocess.py --board v2 --out data                      # Hub dataset
    python scripts/preprocess.py --board v2 --source contents.parquet --out data
    python scripts/preprocess.py --board v1 --source leaderboard.csv \\
        --enrich files --hub-records open-llm-leaderboard-v1 --out data
    python scripts/preprocess.py --board v2 --history contents-history/ --out data   # dated files
    python scripts/preprocess.py --board v2 --history-hub --out data                 # dataset revisions
    python scripts/preprocess.py --board hub --out data    # the Hub today; again: only what is new
    python scripts/preprocess.py --board hub --source new-models.csv --out data   # a local listing
    python scripts/preprocess.py --board v2 --figures-only --out data   # redraw the default figures

Each build also draws every view's default figures beside the snapshot (what a new session
shows first; ``--no-figures`` skips that), so the app serves them at once.

Exit code 0 on success, 1 on bad input (one-line message on stderr), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmtrends import schema  # noqa: E402
from llmtrends.pipeline import history, runner, store  # noqa: E402
from llmtrends.serving import default_figures  # noqa: E402


def request_budget(text: str) -> int:
    """``--max-requests-per-5min``: 0 (no limit) or a positive whole number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or a positive number, not {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", required=True, choices=list(schema.BOARDS),
                   help="which board: the leaderboards v1, v2, or hub (the Hub as it is today)")
    p.add_argument("--source", type=Path, help="local leaderboard file (v1: semicolon CSV; v2: parquet or CSV; "
                   "hub: a listing CSV like ../shared/data/hub-new-models). Omitted: the Hub dataset "
                   "open-llm-leaderboard/contents (v2), the live Hub (hub)")
    p.add_argument("--enrich", choices=["none", "files", "hub"], default="none",
                   help="Hub enrichment: none, the study's record files (--hub-records), or the live Hub API")
    p.add_argument("--hub-records", type=Path, help="folder with hub_models.csv and repo_commits.csv (--enrich files)")
    p.add_argument("--out", type=Path, required=True, help="output folder; the snapshot goes to OUT/<board>/")
    hub = p.add_argument_group("live Hub enrichment (--enrich hub)")
    hub.add_argument("--cache", type=Path, help="cache folder (default: OUT/.cache)")
    hub.add_argument("--workers", type=int, default=8, help="concurrent requests (default 8)")
    hub.add_argument("--max-requests-per-5min", type=request_budget, default=None,
                     help="request budget per 5-minute window (default: the Hub's published limit for your "
                          "tier: 500 anonymous, 1,000 with a token; 0 = no limit)")
    hub.add_argument("--refresh", action="store_true", help="refetch every repository, ignoring the cache "
                     "(--board hub: list every model again instead of only the new ones)")
    hub.add_argument("--dry-run", action="store_true", help="print how many requests a run would make, then stop")
    hist = p.add_argument_group("history: dated snapshots beside the current one (no enrichment)")
    hist.add_argument("--history", type=Path, metavar="DIR",
                      help="store every file of DIR named YYYY-MM-DD.parquet (or .csv) as the board on that day")
    hist.add_argument("--history-hub", action="store_true",
                      help="v2: store the Hub dataset's revisions (HfApi.list_repo_commits), one per --every")
    hist.add_argument("--every", choices=history.EVERY, default="week",
                      help="with --history-hub: keep the last revision of each ISO week (default) or of each day")
    board = p.add_argument_group("the hub board (--board hub)")
    board.add_argument("--task", action="append", metavar="TASK", dest="tasks",
                       help="a Hub task (pipeline tag) to list; repeat for several (default: text-generation "
                            "and image-text-to-text, where many 2026 LLMs are listed)")
    board.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                       help="models created on or after this day (default 2023-01-01)")
    board.add_argument("--page-size", type=int, default=None, metavar="N",
                       help="models per listing request (default 1000, the most the Hub answers with)")
    p.add_argument("--keep", type=int, default=None, metavar="N",
                   help="keep at most N snapshots of the board (its history; default: all)")
    p.add_argument("--allow-shrink", action="store_true",
                   help="replace the board's snapshot even when this build keeps fewer than half of its models")
    figs = p.add_argument_group("default figures (what a new session shows first, served at once)")
    figs.add_argument("--no-figures", action="store_true",
                      help="do not draw the views' default figures beside the snapshot (the app draws them when "
                           "asked for)")
    figs.add_argument("--figures-only", action="store_true",
                      help="draw the default figures of the board's current snapshot again and stop (after "
                           "upgrading llmtrends: figures drawn by other code are not served)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.figures_only:
        return _figures_only(args)
    if args.history is not None or args.history_hub:
        return _history(args)
    if args.board == "hub":
        if args.enrich != "none" or args.hub_records is not None or args.dry_run:
            print("error: --board hub is enriched through the Hub API by itself; --enrich, --hub-records and "
                  "--dry-run are for v1 and v2", file=sys.stderr)
            return 2
        if args.page_size is not None and not 1 <= args.page_size <= 1000:
            print("error: --page-size must be 1..1000", file=sys.stderr)
            return 2
    elif args.tasks or args.since or args.page_size:
        print("error: --task, --since and --page-size are for --board hub", file=sys.stderr)
        return 2
    if args.enrich == "files" and args.hub_records is None:
        print("error: --enrich files needs --hub-records DIR", file=sys.stderr)
        return 2
    if args.source is None and args.board == "v1":
        print("error: the v1 board has no Hub dataset; give --source leaderboard.csv", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.keep is not None and args.keep < 1:
        print("error: --keep must be at least 1", file=sys.stderr)
        return 2
    progress = runner.TerminalProgress(enabled=not args.quiet)

    def build(started: float) -> str | None:
        result = runner.run(
            board=args.board, source=args.source, enrich=args.enrich, hub_records=args.hub_records,
            out=args.out, cache=args.cache, workers=args.workers,
            max_requests_per_5min=args.max_requests_per_5min, refresh=args.refresh,
            dry_run=args.dry_run, keep=args.keep, allow_shrink=args.allow_shrink, progress=progress,
            tasks=args.tasks, since=args.since, page_size=args.page_size, figures=not args.no_figures,
        )
        return None if result is None else runner.summary(result, time.perf_counter() - started)

    return _run(build, "interrupted: the previous snapshot (if any) is untouched")


def _run(build, interrupted: str) -> int:
    """Run ``build(started)``; print the summary it returns (None: a dry run, nothing to say),
    or the error in one line (exit 1), or ``interrupted`` (130)."""
    started = time.perf_counter()
    try:
        text = build(started)
    except runner.PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return 130
    if text is not None:
        print(text)
    return 0


def _history(args: argparse.Namespace) -> int:
    """``--history DIR`` / ``--history-hub``: the board's dated snapshots."""
    if args.history is not None and args.history_hub:
        print("error: give either --history DIR or --history-hub, not both", file=sys.stderr)
        return 2
    if args.history_hub and args.board != "v2":
        print("error: --history-hub reads the v2 dataset's revisions; use --board v2", file=sys.stderr)
        return 2
    conflicting = [name for name, given in (("--source", args.source is not None), ("--enrich", args.enrich != "none"),
                                            ("--dry-run", args.dry_run), ("--keep", args.keep is not None)) if given]
    if conflicting:
        print(f"error: {', '.join(conflicting)} do(es) not apply to a history build", file=sys.stderr)
        return 2
    progress = runner.TerminalProgress(enabled=not args.quiet)

    def build(started: float) -> str:
        if args.history_hub:
            built = history.build_from_hub(args.out, every=args.every, progress=progress)
        else:
            built = history.build_from_folder(args.history, args.board, args.out, progress=progress)
        if not args.no_figures and store.snapshot_path(args.out, args.board) is not None:
            _redraw(args.out, args.board, progress)  # the current snapshot's "what changed" defaults moved
        return history.summary(built, time.perf_counter() - started)

    return _run(build, "interrupted: the dated snapshots written so far are kept; a rerun skips them")


def _redraw(out: Path, board: str, progress: runner.TerminalProgress) -> int:
    progress.step(f"drawing the default figures of {board}")
    try:
        n = default_figures.draw_current(out, [board])[board]
    except store.SnapshotError as exc:
        raise runner.PipelineError(str(exc)) from None
    progress.done(f"({n} figures)")
    return n


def _figures_only(args: argparse.Namespace) -> int:
    """``--figures-only``: draw the default figures of the board's current snapshot again."""
    if store.snapshot_path(args.out, args.board) is None:
        print(f"error: no {args.board} snapshot in {args.out}; build one first", file=sys.stderr)
        return 1
    progress = runner.TerminalProgress(enabled=not args.quiet)

    def build(started: float) -> str:
        n = _redraw(args.out, args.board, progress)
        return (f"{args.board}: drew {n} default figures beside snapshot "
                f"{store.current_id(args.out, args.board)} in {time.perf_counter() - started:.1f} s.")

    return _run(build, "interrupted: figures drawn by other code are not served; run it again")


if __name__ == "__main__":
    sys.exit(main())
