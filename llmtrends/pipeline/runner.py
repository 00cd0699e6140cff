"""The preprocessing pipeline behind ``scripts/preprocess.py`` (importable, testable)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

from llmtrends import schema
from llmtrends.pipeline import prepare, sources, store


class PipelineError(RuntimeError):
    """A build failed; the message is one line meant for the user."""


# A build that keeps fewer models than this share of the board's previous snapshot fails
# (and keeps the previous one) unless ``allow_shrink``: a source whose rows are nearly all
# flagged, or a truncated download, must not silently replace a good snapshot.
MIN_SHARE_OF_PREVIOUS = 0.5


class TerminalProgress:
    """Step-by-step progress on stderr: 'loading... 0.4 s' lines, only on a terminal
    unless ``force`` is set."""

    def __init__(self, enabled: bool = True, force: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled and (force or self.stream.isatty())
        self._t = None

    def step(self, text: str) -> None:
        self.done()
        if self.enabled:
            self.stream.write(f"  {text}...")
            self.stream.flush()
        self._t = time.perf_counter()

    def done(self, note: str = "") -> None:
        if self._t is not None and self.enabled:
            extra = f" {note}" if note else ""
            self.stream.write(f" done in {time.perf_counter() - self._t:.1f} s{extra}\n")
            self.stream.flush()
        self._t = None

    @property
    def hub_progress(self) -> bool:
        return self.enabled


def figures_step(board: str, progress: TerminalProgress) -> Callable[[Path], None]:
    """What a build calls before its snapshot becomes current: draw the default figures
    beside it (``default_figures``), with a progress line."""
    def draw(folder: Path) -> None:
        from llmtrends.serving import default_figures

        progress.step(f"drawing the default figures of {board}")
        n = default_figures.draw_folder(folder, board)
        progress.done(f"({n} figures)")
    return draw


@dataclass
class Result:
    """What a build produced."""

    board: str
    path: Path
    counts: dict
    manifest: dict
    hub: object | None = None  # the hub board's build (hubboard.HubBuild)


def _load(board: str, source: Path | None) -> sources.Loaded:
    if source is None:
        if board != "v2":
            raise PipelineError("the v1 board has no Hub dataset; give --source leaderboard.csv")
        return sources.read_leaderboard_hub()
    return sources.read_leaderboard_file(source, board)


def _enrich_hub(repo_ids: list[str], *, cache: Path, workers: int, max_requests_per_5min: int | None,
                refresh: bool, dry_run: bool, progress: bool):
    try:
        from llmtrends.pipeline import hub
    except ImportError:
        raise PipelineError("--enrich hub is not available in this build (llmtrends.pipeline.hub missing)") from None
    kwargs = dict(cache_path=cache, workers=workers, refresh=refresh, progress=progress, dry_run=dry_run)
    if max_requests_per_5min is not None:  # None: the Hub's limit for the caller's tier
        kwargs["max_requests_per_5min"] = max_requests_per_5min or None  # 0: no limit
    try:
        return hub.enrich_from_hub(repo_ids, **kwargs)
    except (hub.HubSetupError, hub.HubCacheError) as exc:
        raise PipelineError(str(exc)) from None


def _check_kept(models, counts: prepare.Counts, board: str, out: Path, source: str, allow_shrink: bool) -> None:
    """Refuse a build that keeps no model, or (unless ``allow_shrink``) fewer than
    ``MIN_SHARE_OF_PREVIOUS`` of the models of the board's previous snapshot in ``out``."""
    if len(models) == 0:
        raise PipelineError(f"{source}: no model left ({counts.loaded:,} rows loaded, {counts.flagged_removed:,} "
                            f"flagged, {counts.duplicates_removed:,} duplicates); nothing written")
    check_not_gutted(len(models), board, out, source, allow_shrink)


def check_not_gutted(kept: int, board: str, out: Path, source: str, allow_shrink: bool) -> None:
    """Refuse (PipelineError) a build of ``kept`` models that loses most of the board: no
    model, or (unless ``allow_shrink``) fewer than ``MIN_SHARE_OF_PREVIOUS`` of the models
    of the board's current snapshot in ``out``. Every board's build goes through it."""
    if kept == 0:
        raise PipelineError(f"{source}: no model left; nothing written")
    if allow_shrink:
        return
    written = ((store.current_manifest(out, board) or {}).get("counts") or {}).get("written")
    if isinstance(written, int):  # the manifest says; no need to read the previous tables
        previous = written
    else:
        try:
            previous = len(store.read_snapshot(out, board).models)
        except store.SnapshotError:  # no previous snapshot (or none readable): nothing to protect
            return
    if kept < MIN_SHARE_OF_PREVIOUS * previous:
        raise PipelineError(f"{source}: this build keeps {kept:,} models, fewer than "
                            f"{MIN_SHARE_OF_PREVIOUS:.0%} of the {previous:,} of the previous {board} snapshot "
                            "(kept); rerun with --allow-shrink to replace it anyway")


def run(*, board: str, source: Path | None, enrich: str, out: Path, hub_records: Path | None = None,
        cache: Path | None = None, workers: int = 8, max_requests_per_5min: int | None = None,
        refresh: bool = False, dry_run: bool = False, keep: int | None = None, allow_shrink: bool = False,
        progress: TerminalProgress | None = None, tasks: list[str] | None = None,
        since: str | None = None, page_size: int | None = None, figures: bool = False) -> Result | None:
    """Build one board's snapshot into ``out/<board>``; None for a dry run.

    Every expected failure is raised as :class:`PipelineError` with a one-line message;
    nothing is written unless the whole build succeeded. A build that keeps no model, or
    fewer than ``MIN_SHARE_OF_PREVIOUS`` of the previous snapshot's (unless
    ``allow_shrink``), fails and leaves the previous snapshot as it was.
    The board's earlier snapshots are kept as its history (``keep``: at most this many,
    the oldest removed first). The hub board (``tasks``, ``since``, ``page_size``) is built
    by :mod:`llmtrends.pipeline.hubboard`. ``figures``: draw each view's default figures beside the
    snapshot before it becomes current (``default_figures``; the command line does).
    """
    progress = progress or TerminalProgress(enabled=False)
    if max_requests_per_5min is not None and max_requests_per_5min < 0:
        raise PipelineError(f"--max-requests-per-5min must be 0 (no limit) or more, not {max_requests_per_5min}")
    if board == schema.HUB_BOARD:
        return _run_hub(source=source, out=out, cache=cache, workers=workers,
                        max_requests_per_5min=max_requests_per_5min, refresh=refresh, keep=keep,
                        allow_shrink=allow_shrink, progress=progress, tasks=tasks, since=since,
                        page_size=page_size, figures=figures)
    try:
        progress.step(f"loading the {board} leaderboard from {source or 'the Hub dataset'}")
        loaded = _load(board, source)
        progress.done(f"({len(loaded.frame):,} rows)")
        hub_frame = commit_frame = None
        enrichment: dict = {"method": enrich}
        if enrich == "files":
            if hub_records is None:
                raise PipelineError("--enrich files needs --hub-records DIR")
            progress.step(f"reading the study's Hub records from {hub_records}")
            hub_frame, commit_frame, rec_counts = sources.read_study_records(hub_records)
            enrichment.update({"records": str(hub_records), "record_counts": rec_counts,
                               "record_sha256": sources.study_records_hash(hub_records)})
            progress.done()
        elif enrich == "hub":
            ids = sorted(set(loaded.frame["fullname"].astype(str).str.strip()))
            result = _enrich_hub(ids, cache=cache or (Path(out) / ".cache"), workers=workers,
                                 max_requests_per_5min=max_requests_per_5min, refresh=refresh,
                                 dry_run=dry_run, progress=progress.hub_progress)
            if dry_run:
                return None
            hub_frame, commit_frame = result.hub_records, result.commit_records
            enrichment.update({"outcomes": dict(result.outcomes), "requests_made": int(result.requests_made)})
        elif dry_run:
            print(f"dry run: --enrich {enrich} makes no Hub API requests", file=sys.stderr)
            return None
        built = build_snapshot(loaded, board, out, hub_frame=hub_frame, commit_frame=commit_frame,
                               enrichment=enrichment, keep=keep, allow_shrink=allow_shrink,
                               progress=progress, figures=figures)
    except (sources.SourceError, store.SnapshotError) as exc:
        progress.done("(failed)")
        raise PipelineError(str(exc)) from None
    except OSError as exc:
        progress.done("(failed)")
        raise PipelineError(f"{getattr(exc, 'filename', '') or out}: {exc.strerror or exc}") from None
    return built


def build_snapshot(loaded: sources.Loaded, board: str, out: Path, *, hub_frame=None, commit_frame=None,
                   enrichment: dict | None = None, keep: int | None = None, as_of: str | None = None,
                   make_current: bool = True, extra_manifest: dict | None = None, allow_shrink: bool = False,
                   progress: TerminalProgress | None = None, figures: bool = False) -> Result:
    """Prepare a loaded (validated) leaderboard and write it as a snapshot of ``board``.

    The one preparation every build goes through, the current snapshot's and each dated
    snapshot of a history (``as_of``, ``make_current=False``) alike. The manifest records
    the flagged repositories by name (``flagged_ids``), so that a history can tell a
    model that was flagged from one that left the board, and ``extra_manifest``.
    A snapshot made current must keep enough models (:func:`_check_kept`, unless
    ``allow_shrink``); a dated one of a history may be smaller than the current one.
    Errors are raised as they come (``run`` and ``history`` turn them into one line).
    """
    progress = progress or TerminalProgress(enabled=False)
    progress.step("normalizing, removing flagged models, keeping the best entry per repository")
    models, pairs, counts = prepare.build(loaded.frame, board, hub_frame, commit_frame)
    progress.done(f"({counts.written:,} models)")
    _check_kept(models, counts, board, Path(out), loaded.source, allow_shrink or not make_current)
    count_dict = {
        "loaded": counts.loaded,
        "flagged_removed": counts.flagged_removed,
        "duplicates_removed": counts.duplicates_removed,
        "written": counts.written,
        "enriched": counts.enriched,
        "commit_author_pairs": 0 if pairs is None else int(len(pairs)),
        **counts.extra,
    }
    manifest = store.build_manifest(source=loaded.source, revision=loaded.revision,
                                    file_sha256=loaded.file_sha256, counts=count_dict,
                                    enrichment=enrichment or {"method": "none"}, as_of=as_of)
    manifest["flagged_ids"] = counts.flagged_ids
    manifest.update(extra_manifest or {})
    progress.step(f"writing {Path(out) / board}")
    path = store.write_snapshot(out, board, models, pairs, manifest, keep=keep, make_current=make_current,
                                before_current=figures_step(board, progress) if figures else None)
    progress.done()
    with open(path / store.MANIFEST_FILE, encoding="utf-8") as fh:
        manifest = json.load(fh)
    return Result(board=board, path=path, counts=count_dict, manifest=manifest)


def _run_hub(*, source, out, cache, workers, max_requests_per_5min, refresh, keep, allow_shrink, progress, tasks,
             since, page_size, figures) -> Result:
    from llmtrends.pipeline import hubboard

    try:
        build = hubboard.run(out=out, source=source, cache=cache, workers=workers,
                             max_requests_per_5min=max_requests_per_5min, refresh=refresh, keep=keep,
                             allow_shrink=allow_shrink, progress=progress, tasks=tasks or hubboard.DEFAULT_TASKS,
                             since=since or hubboard.DEFAULT_SINCE, page_size=page_size, figures=figures)
    except hubboard.HubBoardError as exc:
        progress.done("(failed)")
        raise PipelineError(str(exc)) from None
    return Result(board=schema.HUB_BOARD, path=build.path, counts=build.counts, manifest=build.manifest,
                  hub=build)


def summary(result: Result, seconds: float) -> str:
    """The one-paragraph end-of-run summary."""
    if result.hub is not None:
        from llmtrends.pipeline import hubboard

        return hubboard.summary(result.hub, seconds)
    c = result.counts
    text = (f"{result.board}: loaded {c['loaded']:,} rows from {result.manifest['source']}; "
            f"removed {c['flagged_removed']:,} flagged and {c['duplicates_removed']:,} duplicate entries "
            f"(best average kept per repository); wrote {c['written']:,} models")
    if c.get("enriched"):
        text += f", {c['enriched']:,} with Hub records"
    if c.get("commit_author_pairs"):
        text += f" and {c['commit_author_pairs']:,} commit-author pairs"
    text += f" to {result.path.parent.parent} (snapshot {result.path.name}) in {seconds:.1f} s."
    return text
