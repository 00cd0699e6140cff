"""A board's history: its dated snapshots, built from dated sources and read back once.

**Building.** Each dated source goes through the very preparation of the current snapshot
(:func:`llmtrends.pipeline.runner.build_snapshot`: validation, normalization, flagged models out,
one row per repository) and is stored as a snapshot of the board with its day in the
manifest (``as_of``), beside the current one (``store.write_snapshot(make_current=False)``):

* :func:`build_from_folder` -- a folder of files named ``YYYY-MM-DD.parquet`` (or ``.csv``),
  each the board as it was on that day;
* :func:`build_from_hub` -- the revisions of the Hub dataset ``open-llm-leaderboard/contents``
  (``HfApi.list_repo_commits``), **one per ISO week** by default: the week's last revision,
  dated by its commit day (``every="day"``: the last revision of each day). A leaderboard's
  readers follow it week by week (the weekly reports), and the dataset was committed
  several times on some days: a snapshot per commit would only add near-copies.

A source may lack columns the board's source gained later (``schema.SourceSchema.added_later``,
e.g. ``Official Providers`` before January 2025): they are missing for that day, never made
up, and the manifest lists them (``missing_columns``). A history build never changes which
snapshot the app serves, except that a board with no snapshot at all gets its latest one.
A day already stored from the same source (same file hash or revision) is skipped, so a
rerun after an interruption only builds what is missing.

**Reading.** :func:`load` lists a board's snapshots (``store.list_snapshots``) and keeps one
per day (the last built); a snapshot without a day of its own (a build from an undated
source, dated by its build) is left out when its content equals a dated snapshot's: it is
the same state of the board, known since that earlier day. The tables are read when first
asked for (only the columns a history needs) and kept for the life of the process.
Nothing here depends on the board: the hub board's refreshes, each a dated snapshot, are
read the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from llmtrends import schema
from llmtrends.pipeline import runner, sources, store

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

EVERY = ("week", "day")
DATED_FILE = re.compile(r"(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})\.(?P<ext>parquet|pq|csv)", re.IGNORECASE)
# The columns of a snapshot a history reads (plus ``key``, the lower-cased id, and the board's
# benchmark scores, which tell a renamed model: the same evaluation listed under a new id).
COLUMNS = ("repo_id", "type", "size_class", "average")


# --------------------------------------------------------------------------- building


@dataclass
class Built:
    """What a history build did."""

    board: str
    written: list[runner.Result] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # days already stored from the same source
    ignored: list[str] = field(default_factory=list)  # files in the folder that are not dated
    current: str | None = None  # the snapshot made current (only for a board that had none)


@dataclass(frozen=True)
class _Dated:
    """One dated source to store: its day, what identifies it, and how to load it."""

    day: dt.date
    identity: str  # the file's sha256 or the revision's commit sha
    label: str
    load: Callable[[], tuple[sources.Loaded, list[str]]]  # (validated source, columns it lacks)


def dated_files(folder: str | Path) -> tuple[list[tuple[dt.date, Path]], list[str]]:
    """The dated files of a history folder, oldest first, and the names of the other files.

    A file is dated when its name is ``YYYY-MM-DD.parquet`` (``.pq``, ``.csv``); an
    impossible date in such a name, or two files of one day, is an error.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise runner.PipelineError(f"{folder}: not a folder (expected dated files YYYY-MM-DD.parquet or .csv)")
    found: dict[dt.date, Path] = {}
    ignored = []
    for path in sorted(folder.iterdir()):
        m = DATED_FILE.fullmatch(path.name)
        if not m or not path.is_file():
            ignored.append(path.name)
            continue
        try:
            day = dt.date.fromisoformat(m.group("day"))
        except ValueError:
            raise runner.PipelineError(f"{path}: {m.group('day')} is not a date") from None
        if day in found:
            raise runner.PipelineError(f"{folder}: two files for {day}: {found[day].name} and {path.name}")
        found[day] = path
    if not found:
        raise runner.PipelineError(f"{folder}: no dated file (expected names like 2025-01-31.parquet or .csv)")
    return sorted(found.items()), ignored


def build_from_folder(folder: str | Path, board: str, out: str | Path,
                      progress: runner.TerminalProgress | None = None) -> Built:
    """Store every dated file of ``folder`` as a dated snapshot of ``board`` in ``out``."""
    files, ignored = dated_files(folder)

    def loader(path: Path) -> Callable[[], tuple[sources.Loaded, list[str]]]:
        def load():
            loaded = sources.read_leaderboard_file(path, board, dated=True)
            return loaded, sources.missing_later(loaded.frame, board)
        return load

    items = [_Dated(day, sources.file_sha256(path), path.name, loader(path)) for day, path in files]
    built = _store_dated(items, board, Path(out), progress)
    built.ignored = ignored
    return built


def pick_revisions(commits: Sequence, every: str = "week") -> list[tuple[dt.date, object]]:
    """The revisions a history keeps: the last commit of each ISO week (or day), oldest first,
    each with its commit day (UTC). ``commits``: ``GitCommitInfo``-like objects with
    ``commit_id`` and ``created_at`` (any order)."""
    if every not in EVERY:
        raise ValueError(f"every: {every!r} is not one of {', '.join(EVERY)}")
    last: dict[tuple, tuple[dt.datetime, object]] = {}
    for commit in commits:
        when = commit.created_at
        when = when.astimezone(dt.timezone.utc) if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        period = tuple(when.isocalendar())[:2] if every == "week" else (when.date(),)
        if period not in last or (when, commit.commit_id) > (last[period][0], last[period][1].commit_id):
            last[period] = (when, commit)
    return [(when.date(), commit) for when, commit in sorted(last.values(), key=lambda x: x[0])]


def build_from_hub(out: str | Path, every: str = "week", cache_dir: str | Path | None = None,
                   progress: runner.TerminalProgress | None = None) -> Built:
    """Store the v2 dataset's revisions (one per ``every``) as dated snapshots of v2 in ``out``."""
    if every not in EVERY:
        raise runner.PipelineError(f"every: {every!r} is not one of {', '.join(EVERY)}")
    try:
        from huggingface_hub import HfApi

        commits = HfApi().list_repo_commits(sources.V2_DATASET, repo_type="dataset")
    except Exception as exc:  # noqa: BLE001 -- network, auth and format errors alike
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise runner.PipelineError(f"hub:{sources.V2_DATASET}: cannot list the dataset's revisions "
                                     f"({type(exc).__name__}: {first})") from None

    def loader(sha: str) -> Callable[[], tuple[sources.Loaded, list[str]]]:
        def load():
            raw = sources.load_v2_revision(sha, cache_dir)
            where = f"hub:{sources.V2_DATASET}@{sha[:12]}"
            frame = sources.validate_leaderboard(raw, "v2", where, dated=True)
            loaded = sources.Loaded(frame=frame, source=f"hub:{sources.V2_DATASET}", revision=sha, file_sha256=None)
            return loaded, sources.missing_later(raw, "v2")
        return load

    items = [_Dated(day, c.commit_id, f"revision {c.commit_id[:12]}", loader(c.commit_id))
             for day, c in pick_revisions(commits, every)]
    if not items:
        raise runner.PipelineError(f"hub:{sources.V2_DATASET}: the dataset has no revisions")
    return _store_dated(items, "v2", Path(out), progress)


def _stored(out: Path, board: str) -> set[tuple[str, str]]:
    """(day, source identity) of the dated snapshots a board already has."""
    keys = set()
    for info in store.list_snapshots(out, board):
        day = info.manifest.get("as_of")
        for ident in (info.manifest.get("source_sha256"), info.manifest.get("source_revision")):
            if day and ident:
                keys.add((str(day), str(ident)))
    return keys


def _store_dated(items: list[_Dated], board: str, out: Path, progress) -> Built:
    progress = progress or runner.TerminalProgress(enabled=False)
    built = Built(board=board)
    stored = _stored(out, board)
    # A board without any snapshot gets its latest dated one as current, so the app can serve
    # it; the first one written is current meanwhile (else every write would find the board
    # without a valid CURRENT and repair it).
    adopt = store.snapshot_path(out, board) is None
    for n, item in enumerate(items, start=1):
        day = item.day.isoformat()
        if (day, item.identity) in stored:
            built.skipped.append(day)
            continue
        try:
            progress.step(f"[{n}/{len(items)}] {day}: loading {item.label}")
            loaded, missing = item.load()
            progress.done(f"({len(loaded.frame):,} rows)")
            last = n == len(items)
            result = runner.build_snapshot(loaded, board, out, as_of=day,
                                             make_current=adopt and (last or not built.written),
                                             extra_manifest={"missing_columns": missing}, progress=progress)
        except (sources.SourceError, store.SnapshotError, OSError) as exc:
            progress.done("(failed)")
            text = str(exc) if not isinstance(exc, OSError) else f"{exc.filename or out}: {exc.strerror or exc}"
            kept = (f"; the {len(built.written)} dated snapshots written before it are kept (a rerun skips them)"
                    if built.written else "")
            raise runner.PipelineError(f"{board} history, {day}: {text}{kept}") from None
        built.written.append(result)
        if adopt and last:
            built.current = result.path.name
    return built


def summary(built: Built, seconds: float) -> str:
    """The one-paragraph end-of-run summary of a history build."""
    days = [r.manifest.get("as_of") for r in built.written]
    text = f"{built.board} history: wrote {len(built.written)} dated snapshot(s)"
    if days:
        text += f" ({days[0]} to {days[-1]})"
    if built.skipped:
        text += f"; {len(built.skipped)} day(s) already stored were skipped"
    if built.ignored:
        text += f"; ignored {len(built.ignored)} file(s) without a date in their name ({', '.join(built.ignored[:3])})"
    lacking = sorted({c for r in built.written for c in r.manifest.get("missing_columns") or ()})
    if lacking:
        first = [r.manifest.get("as_of") for r in built.written if not r.manifest.get("missing_columns")]
        text += (f"; {', '.join(lacking)} missing before {first[0]}" if first else f"; {', '.join(lacking)} missing")
    text += (f"; {built.current} is now the current snapshot" if built.current
             else "; the current snapshot is unchanged")
    return text + f" ({seconds:.1f} s)."


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Entry:
    """One day of a board's history: the snapshot that describes it."""

    day: dt.date
    snapshot_id: str
    path: Path | None  # None: a snapshot held in memory only
    manifest: dict

    @property
    def flagged(self) -> frozenset[str] | None:
        """Lower-cased ids of the models flagged on that day; None when the build did not
        record them (snapshots built before names were kept)."""
        ids = self.manifest.get("flagged_ids")
        return None if ids is None else frozenset(str(i).lower() for i in ids)

    @property
    def missing_columns(self) -> tuple[str, ...]:
        """Source columns the board did not have yet on that day (their values are unknown)."""
        return tuple(self.manifest.get("missing_columns") or ())

    @property
    def models_count(self) -> int | None:
        """Models on the board that day, from the manifest (no table read)."""
        n = (self.manifest.get("counts") or {}).get("written")
        return int(n) if isinstance(n, int) else None


class History:
    """A board's dated snapshots, oldest first, one per day; tables read once, on demand."""

    def __init__(self, board: str, entries: Sequence[Entry], frames: dict | None = None):
        self.board = board
        self.entries: tuple[Entry, ...] = tuple(entries)
        self._frames: dict[dt.date, pd.DataFrame] = dict(frames or {})
        self._lock = threading.Lock()
        ident = "|".join(f"{e.day}:{e.manifest.get('models_sha256', e.snapshot_id)}" for e in self.entries)
        # what identifies this history (its days and their contents) in cache keys and params
        self.key = hashlib.sha256(ident.encode()).hexdigest()[:12]

    @property
    def days(self) -> tuple[dt.date, ...]:
        return tuple(e.day for e in self.entries)

    def entry(self, day: dt.date) -> Entry:
        for e in self.entries:
            if e.day == day:
                return e
        raise KeyError(day)

    def models(self, day: dt.date) -> pd.DataFrame:
        """The board on ``day``: ``key`` (lower-cased id), ``repo_id``, ``type``,
        ``size_class``, ``average`` and the board's benchmark scores (:func:`compact`); one
        row per repository. Shared: do not change it."""
        with self._lock:
            frame = self._frames.get(day)
            if frame is None:
                frame = self._frames[day] = _read(self.entry(day), self.board)
            return frame


def score_columns(board: str) -> list[str]:
    """The scores a history keeps: the average and the board's benchmarks (the hub board's
    Community Evals columns included: its What Changed tab compares one of them)."""
    return ["average", *schema.benchmark_columns(board)]


def compact(models: pd.DataFrame, board: str) -> pd.DataFrame:
    """A processed models table reduced to what a history reads: :data:`COLUMNS` (one the
    table lacks is missing: None) and the :func:`score_columns` it has."""
    import pandas as pd

    out = pd.DataFrame({c: models[c] if c in models.columns else None for c in COLUMNS}, index=models.index)
    for col in score_columns(board)[1:]:
        if col in models.columns:
            out[col] = models[col]
    # plain object strings: a comparison of two days looks ids up in each other (isin,
    # merge), which pandas' arrow-backed strings do row by row in Python
    out.insert(0, "key", out["repo_id"].astype(str).str.lower().astype(object))
    for col in ("repo_id", "type", "size_class"):
        out[col] = out[col].astype(object)
    for col in score_columns(board):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out.reset_index(drop=True)


def _read(entry: Entry, board: str) -> pd.DataFrame:
    import pandas as pd
    import pyarrow.parquet as pq

    path = entry.path / store.MODELS_FILE
    try:
        present = set(pq.read_schema(path).names)
        wanted = dict.fromkeys([*COLUMNS, *score_columns(board)])
        frame = pd.read_parquet(path, columns=[c for c in wanted if c in present])
    except Exception as exc:  # noqa: BLE001 -- pyarrow raises many types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise store.SnapshotError(f"{path}: snapshot of {entry.day} unreadable: {first}") from None
    if "repo_id" not in frame.columns:
        raise store.SnapshotError(f"{path}: snapshot of {entry.day} has no repo_id column")
    return compact(frame, board)


def _day(text: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def entries(data_dir: str | Path, board: str) -> list[Entry]:
    """A board's history from its stored snapshots (manifests only): one entry per day, oldest first."""
    infos = store.list_snapshots(data_dir, board)
    dated = {str(i.manifest.get("models_sha256")) for i in infos if i.manifest.get("as_of")}
    by_day: dict[dt.date, Entry] = {}
    for info in infos:  # ordered by day, then build: the last build of a day wins
        if not info.manifest.get("as_of") and str(info.manifest.get("models_sha256")) in dated:
            continue  # an undated build of a state a dated snapshot already holds
        day = _day(info.as_of)
        if day is None:
            log.warning("%s: snapshot %s has no readable date; left out of the history", board, info.id)
            continue
        by_day[day] = Entry(day, info.id, info.path, info.manifest)
    return [by_day[d] for d in sorted(by_day)]


_CACHE: OrderedDict[tuple, History] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def load(data_dir: str | Path, board: str) -> History:
    """A board's history (:func:`entries`), the same object for as long as its snapshots
    stay the same: the tables each day needs are read once per process."""
    found = entries(data_dir, board)
    key = (str(Path(data_dir).resolve()), board, tuple((e.snapshot_id, e.day) for e in found))
    with _CACHE_LOCK:
        hist = _CACHE.get(key)
        if hist is None:
            hist = _CACHE[key] = History(board, found)
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        _CACHE.move_to_end(key)
        return hist


def of_snapshot(snap: store.Snapshot) -> History:
    """The history of the board ``snap`` belongs to, found from the folder it was read from;
    a snapshot that was never stored (``path`` None) is a history of one day."""
    if snap.path is not None:
        folder = Path(snap.path)
        board_dir = folder.parent.parent if folder.parent.name == store.SNAPSHOTS_DIR else folder
        hist = load(board_dir.parent, snap.board)
        if hist.entries:
            return hist
    day = _day(snap.manifest.get("as_of") or snap.manifest.get("built_at")) or dt.date.today()
    entry = Entry(day, "memory", None, dict(snap.manifest))
    return History(snap.board, [entry], {day: compact(snap.models, snap.board)})

