"""The preprocessing pipeline behind ``scripts/preprocess.py`` (importable, testable)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import prepare, sources, store


class PipelineError(RuntimeError):
    """A build failed; the message is one line meant for the user."""


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


@dataclass
class Result:
    """What a build produced."""

    board: str
    path: Path
    counts: dict
    manifest: dict


def _load(board: str, source: Path | None) -> sources.Loaded:
    if source is None:
        if board != "v2":
            raise PipelineError("the v1 board has no Hub dataset; give --source leaderboard.csv")
        return sources.read_leaderboard_hub()
    return sources.read_leaderboard_file(source, board)


def _enrich_hub(repo_ids: list[str], *, cache: Path, workers: int, max_requests_per_5min: int | None,
                refresh: bool, dry_run: bool, progress: bool):
    try:
        from . import hub
    except ImportError:
        raise PipelineError("--enrich hub is not available in this build (llmtrends.hub missing)") from None
    kwargs = dict(cache_path=cache, workers=workers, refresh=refresh, progress=progress, dry_run=dry_run)
    if max_requests_per_5min is not None:  # None: the Hub's limit for the caller's tier
        kwargs["max_requests_per_5min"] = max_requests_per_5min or None  # 0: no limit
    try:
        return hub.enrich_from_hub(repo_ids, **kwargs)
    except hub.HubSetupError as exc:
        raise PipelineError(str(exc)) from None


def run(*, board: str, source: Path | None, enrich: str, out: Path, hub_records: Path | None = None,
        cache: Path | None = None, workers: int = 8, max_requests_per_5min: int | None = None,
        refresh: bool = False, dry_run: bool = False,
        progress: TerminalProgress | None = None) -> Result | None:
    """Build one board's snapshot into ``out/<board>``; None for a dry run.

    Every expected failure is raised as :class:`PipelineError` with a one-line message;
    nothing is written unless the whole build succeeded.
    """
    progress = progress or TerminalProgress(enabled=False)
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
        progress.step("normalizing, removing flagged models, keeping the best entry per repository")
        models, pairs, counts = prepare.build(loaded.frame, board, hub_frame, commit_frame)
        progress.done(f"({counts.written:,} models)")
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
                                        enrichment=enrichment)
        progress.step(f"writing {Path(out) / board}")
        path = store.write_snapshot(out, board, models, pairs, manifest)
        progress.done()
        with open(path / store.MANIFEST_FILE, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (sources.SourceError, store.SnapshotError) as exc:
        progress.done("(failed)")
        raise PipelineError(str(exc)) from None
    except OSError as exc:
        progress.done("(failed)")
        raise PipelineError(f"{getattr(exc, 'filename', '') or out}: {exc.strerror or exc}") from None
    return Result(board=board, path=path, counts=count_dict, manifest=manifest)


def summary(result: Result, seconds: float) -> str:
    """The one-paragraph end-of-run summary."""
    c = result.counts
    text = (f"{result.board}: loaded {c['loaded']:,} rows from {result.manifest['source']}; "
            f"removed {c['flagged_removed']:,} flagged and {c['duplicates_removed']:,} duplicate entries "
            f"(best average kept per repository); wrote {c['written']:,} models")
    if c.get("enriched"):
        text += f", {c['enriched']:,} with Hub records"
    if c.get("commit_author_pairs"):
        text += f" and {c['commit_author_pairs']:,} commit-author pairs"
    text += f" to {result.path} in {seconds:.1f} s."
    return text
