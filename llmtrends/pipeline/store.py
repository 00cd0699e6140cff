"""Processed snapshots on disk, one folder per board, each build kept as a dated snapshot.

Layout of ``OUT/<board>/``::

    CURRENT                      one line: the id of the snapshot the app serves
    snapshots/<id>/              models.parquet, commit_authors.parquet (optional), manifest.json

A build is written into ``snapshots/.tmp-<pid>-XXXX``, renamed to ``snapshots/<id>`` once
complete, and then made current by replacing ``CURRENT`` with ``os.replace`` (atomic on
POSIX and Windows). At every instant the board has its old or its new snapshot; a kill
leaves at worst a temporary folder, which the next write (or :func:`recover`) removes.
The snapshots that are not current are the board's history (:func:`list_snapshots`).

Snapshots built before this layout (the tables directly in ``OUT/<board>/``) are still
read, and moved into ``snapshots/`` by the next build of the board.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from llmtrends import __version__, schema
from llmtrends.pipeline.sources import file_sha256

if TYPE_CHECKING:  # pandas is imported where tables are read or written (the manifests are read without it)
    import pandas as pd

log = logging.getLogger(__name__)

MODELS_FILE = "models.parquet"
COMMITS_FILE = "commit_authors.parquet"
MANIFEST_FILE = schema.MANIFEST_FILE
CURRENT_FILE = "CURRENT"
SNAPSHOTS_DIR = "snapshots"
_TMP_PREFIX = ".tmp-"
_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}(-[0-9]+)?")


class SnapshotError(RuntimeError):
    """A snapshot is missing or unreadable; the message says which file and why."""


@dataclass
class Snapshot:
    """One board's processed tables and manifest, as the app and figures read them."""

    board: str
    models: pd.DataFrame
    commit_authors: pd.DataFrame | None
    manifest: dict
    path: Path | None = None  # the folder it was read from

    @property
    def version(self) -> str:
        """A short id of the snapshot's content (for caches and provenance)."""
        return schema.snapshot_version(self.manifest)


@dataclass(frozen=True)
class SnapshotInfo:
    """One stored snapshot of a board: its id, folder, manifest and whether it is current."""

    board: str
    id: str
    path: Path
    manifest: dict
    current: bool

    @property
    def as_of(self) -> str:
        """The day the snapshot's data describes (``YYYY-MM-DD``): the manifest's ``as_of``
        when the build knew it (a dated source), else the day it was built."""
        day = str(self.manifest.get("as_of") or self.manifest.get("built_at") or "")[:10]
        if not day and _ID.fullmatch(self.id):  # a manifest without dates: the id has the build time
            day = f"{self.id[:4]}-{self.id[4:6]}-{self.id[6:8]}"
        return day


def code_version() -> str:
    """The package version plus the git commit when run from a checkout."""
    head = Path(__file__).resolve().parents[2] / ".git" / "HEAD"  # llmtrends/pipeline/ -> the checkout
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_path = head.parent / ref[5:]
            sha = ref_path.read_text().strip() if ref_path.exists() else ""
            if not sha:
                packed = head.parent / "packed-refs"
                if packed.exists():
                    for line in packed.read_text().splitlines():
                        if line.endswith(ref[5:]):
                            sha = line.split()[0]
        else:
            sha = ref
        return f"{__version__}+g{sha[:10]}" if sha else __version__
    except OSError:
        return __version__


# --------------------------------------------------------------------------- paths


def _is_snapshot(folder: Path) -> bool:
    return (folder / MODELS_FILE).is_file() and (folder / MANIFEST_FILE).is_file()


def _read_current(board_dir: Path) -> str | None:
    try:
        text = (board_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if _ID.fullmatch(text) else None


def _stored_ids(board_dir: Path) -> list[str]:
    """Ids of the complete snapshots in ``snapshots/``, oldest first (ids sort by build time)."""
    folder = board_dir / SNAPSHOTS_DIR
    try:
        names = sorted(p.name for p in folder.iterdir() if _ID.fullmatch(p.name) and _is_snapshot(p))
    except OSError:
        return []
    return names


def snapshot_path(data_dir: str | Path, board: str) -> Path | None:
    """The folder of a board's current snapshot, or None when it has none.

    ``CURRENT`` names it; without a valid ``CURRENT`` (a kill during the very first build
    of a board, a folder copied by hand) the newest complete snapshot is current; a board
    built before snapshots were kept has its tables in ``OUT/<board>/`` itself.
    """
    board_dir = Path(data_dir) / board
    current = _read_current(board_dir)
    if current is not None and _is_snapshot(board_dir / SNAPSHOTS_DIR / current):
        return board_dir / SNAPSHOTS_DIR / current
    if _is_snapshot(board_dir):
        return board_dir
    stored = _stored_ids(board_dir)
    return board_dir / SNAPSHOTS_DIR / stored[-1] if stored else None


def current_id(data_dir: str | Path, board: str) -> str | None:
    """What identifies a board's current snapshot on disk (its folder name), without reading
    its tables: cheap enough to poll, to notice a new build."""
    path = snapshot_path(data_dir, board)
    if path is None:
        return None
    if path.name == board:  # the layout before snapshots were kept: its manifest tells
        return f"legacy-{read_manifest(path).get('models_sha256', '')[:12]}"
    return path.name


def read_manifest(folder: Path) -> dict:
    """A snapshot folder's manifest ({} when unreadable)."""
    try:
        with open(Path(folder) / MANIFEST_FILE, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def current_manifest(data_dir: str | Path, board: str) -> dict | None:
    """The manifest of a board's current snapshot, None when the board has no snapshot."""
    path = snapshot_path(data_dir, board)
    return None if path is None else read_manifest(path)


def list_snapshots(data_dir: str | Path, board: str) -> list[SnapshotInfo]:
    """Every stored snapshot of a board, in the order of the days their data describe
    (then of their builds): the board's history, its current snapshot included."""
    board_dir = Path(data_dir) / board
    current = snapshot_path(data_dir, board)
    infos = [SnapshotInfo(board, i, board_dir / SNAPSHOTS_DIR / i, read_manifest(board_dir / SNAPSHOTS_DIR / i),
                          board_dir / SNAPSHOTS_DIR / i == current) for i in _stored_ids(board_dir)]
    if current is not None and current == board_dir:
        infos.append(SnapshotInfo(board, "legacy", board_dir, read_manifest(board_dir), True))
    return sorted(infos, key=lambda s: (s.as_of, s.id))


# --------------------------------------------------------------------------- writing


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _leftover(name: str, prefix: str) -> bool:
    """A temporary folder named ``<prefix><pid>-...`` whose process is gone."""
    if not name.startswith(prefix):
        return False
    pid = name[len(prefix):].split("-", 1)[0]
    return not pid.isdigit() or not _pid_alive(int(pid))


def recover(data_dir: str | Path, board: str) -> list[str]:
    """Clean up after an interrupted build of a board; returns what was done (also logged).

    * Temporary folders and ``CURRENT`` files of builds whose process is gone are removed.
    * Before snapshots were kept, a build swapped folders with two renames, and a kill
      between them left the previous snapshot as ``.<board>.old-<pid>`` and no
      ``<board>``: that snapshot is put back; the layout's temporary folders are removed.
    * A ``CURRENT`` that is missing or names no complete snapshot is pointed at the newest
      complete one.

    Safe at any time, also while another process builds (its folders carry a live pid).
    A read-only data folder is left as it is: reading falls back by itself.
    """
    out_dir = Path(data_dir)
    board_dir = out_dir / board
    done: list[str] = []
    try:
        for old in sorted(out_dir.glob(f".{board}.old-*")):
            if not _leftover(old.name, f".{board}.old-"):
                continue
            if not board_dir.exists() and _is_snapshot(old):
                os.rename(old, board_dir)
                done.append(f"put back the previous {board} snapshot from {old.name}")
            else:
                shutil.rmtree(old, ignore_errors=True)
                done.append(f"removed the leftover {old.name}")
        for tmp in out_dir.glob(f".{board}.tmp-*"):  # no pid in these names; nothing writes them now
            shutil.rmtree(tmp, ignore_errors=True)
            done.append(f"removed the leftover {tmp.name}")
        snaps = board_dir / SNAPSHOTS_DIR
        if snaps.is_dir():
            for tmp in snaps.iterdir():
                if _leftover(tmp.name, _TMP_PREFIX):
                    shutil.rmtree(tmp, ignore_errors=True)
                    done.append(f"removed the unfinished build {tmp.name}")
            for tmp in board_dir.glob(f"{CURRENT_FILE}.tmp-*"):
                if _leftover(tmp.name, f"{CURRENT_FILE}.tmp-"):
                    tmp.unlink(missing_ok=True)
            stored = _stored_ids(board_dir)
            if stored and _read_current(board_dir) not in stored and not _is_snapshot(board_dir):
                _point_current(board_dir, stored[-1])
                done.append(f"pointed {board}/{CURRENT_FILE} at {stored[-1]}")
    except OSError as exc:
        log.warning("could not clean up %s: %s", board_dir, exc.strerror or exc)
    for line in done:
        log.warning("%s: %s", out_dir, line)
    return done


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _point_current(board_dir: Path, snapshot_id: str) -> None:
    """Make ``snapshot_id`` current: write ``CURRENT`` beside it, then replace it atomically."""
    tmp = board_dir / f"{CURRENT_FILE}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(snapshot_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, board_dir / CURRENT_FILE)
    _fsync_dir(board_dir)


def _new_id(snapshots: Path, manifest: dict) -> str:
    stamp = str(manifest.get("built_at", ""))
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        when = datetime.now(timezone.utc)
    base = f"{when:%Y%m%dT%H%M%S}Z-{str(manifest['models_sha256'])[:12]}"
    name, n = base, 1
    while (snapshots / name).exists():  # two builds of the same data in one second
        n += 1
        name = f"{base}-{n}"
    return name


def _adopt_legacy(board_dir: Path) -> None:
    """Move a snapshot of the layout before snapshots were kept into ``snapshots/``, as
    history. Called once a new snapshot is current, so reading never misses a snapshot."""
    if not _is_snapshot(board_dir):
        return
    manifest = read_manifest(board_dir)
    manifest.setdefault("models_sha256", file_sha256(board_dir / MODELS_FILE))
    target = board_dir / SNAPSHOTS_DIR / _new_id(board_dir / SNAPSHOTS_DIR, manifest)
    target.mkdir()
    for name in (MODELS_FILE, COMMITS_FILE, MANIFEST_FILE):
        if (board_dir / name).exists():
            os.rename(board_dir / name, target / name)


def prune(data_dir: str | Path, board: str, keep: int) -> list[str]:
    """Remove the oldest snapshots of a board beyond the newest ``keep`` (the current one
    is never removed); returns the ids removed."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    board_dir = Path(data_dir) / board
    current = snapshot_path(data_dir, board)
    stored = _stored_ids(board_dir)
    removed = []
    for snapshot_id in stored[:-keep] if len(stored) > keep else []:
        if board_dir / SNAPSHOTS_DIR / snapshot_id != current:
            shutil.rmtree(board_dir / SNAPSHOTS_DIR / snapshot_id, ignore_errors=True)
            removed.append(snapshot_id)
    return removed


def write_snapshot(out_dir: str | Path, board: str, models: pd.DataFrame,
                   commit_authors: pd.DataFrame | None, manifest: dict, *,
                   make_current: bool = True, keep: int | None = None,
                   before_current: Callable[[Path], None] | None = None) -> Path:
    """Write a board's snapshot atomically and make it current; returns its folder.

    The tables go to ``OUT/<board>/snapshots/.tmp-<pid>-XXXX`` first, which is renamed to
    the snapshot's id once complete; then ``CURRENT`` is replaced to name it. The previous
    snapshots stay as the board's history (``keep``: at most this many are kept, the
    oldest removed first). ``make_current=False`` stores a snapshot of an earlier date
    (a history) without serving it. ``before_current`` is called with the finished folder
    before it becomes current (the build draws its default figures there); if it raises,
    the snapshot is removed and the current one stays.
    """
    if board not in schema.BOARDS:
        raise SnapshotError(f"unknown board {board!r}")
    out_dir = Path(out_dir)
    board_dir = out_dir / board
    snaps = board_dir / SNAPSHOTS_DIR
    snaps.mkdir(parents=True, exist_ok=True)
    recover(out_dir, board)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-", dir=snaps))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a snapshot is meant to be shared
        models.to_parquet(tmp / MODELS_FILE, index=False)
        manifest = dict(manifest)
        manifest["board"] = board
        manifest["models_sha256"] = file_sha256(tmp / MODELS_FILE)
        manifest["files"] = [MODELS_FILE]
        if commit_authors is not None:
            commit_authors.to_parquet(tmp / COMMITS_FILE, index=False)
            manifest["files"].append(COMMITS_FILE)
        manifest["files"].append(MANIFEST_FILE)
        with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        for name in manifest["files"]:
            with open(tmp / name, "rb") as fh:
                os.fsync(fh.fileno())
        final = snaps / _new_id(snaps, manifest)
        os.rename(tmp, final)
        _fsync_dir(snaps)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if before_current is not None:
        try:
            before_current(final)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
    if make_current:
        _point_current(board_dir, final.name)
        _adopt_legacy(board_dir)
    if keep is not None:
        prune(out_dir, board, keep)
    return final


def build_manifest(*, source: str, revision: str | None, file_sha256: str | None,
                   counts: dict, enrichment: dict | None = None, as_of: str | None = None) -> dict:
    """The manifest fields a build knows before writing (the writer adds hashes).

    ``as_of``: the day the source's data describes (``YYYY-MM-DD``), when the build knows it
    (a dated file, a dataset revision); the board's history is ordered by it."""
    manifest = {
        "source": source,
        "source_revision": revision,
        "source_sha256": file_sha256,
        "counts": counts,
        "enrichment": enrichment or {"method": "none"},
        "code_version": code_version(),
        "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if as_of is not None:
        manifest["as_of"] = as_of
    return manifest


def read_snapshot(data_dir: str | Path, board: str, snapshot_id: str | None = None) -> Snapshot:
    """Load a board's current snapshot (or the stored one ``snapshot_id``); SnapshotError
    (with the path) if missing or unreadable."""
    import pandas as pd

    board_dir = Path(data_dir) / board
    if snapshot_id is None:
        base = snapshot_path(data_dir, board)
    elif _ID.fullmatch(snapshot_id):
        base = board_dir / SNAPSHOTS_DIR / snapshot_id
    else:
        raise SnapshotError(f"{board}: {snapshot_id[:40]!r} is not a snapshot id")
    if base is None or not _is_snapshot(base):
        where = board_dir if base is None else base
        raise SnapshotError(
            f"no {board} snapshot in {where} (expected {MODELS_FILE} and {MANIFEST_FILE}); "
            f"build one with: python scripts/preprocess.py --board {board} ... --out {Path(data_dir)}"
        )
    models_path = base / MODELS_FILE
    try:
        models = pd.read_parquet(models_path)
        with open(base / MANIFEST_FILE, encoding="utf-8") as fh:
            manifest = json.load(fh)
        commits = None
        if (base / COMMITS_FILE).exists():
            commits = pd.read_parquet(base / COMMITS_FILE)
    except Exception as exc:  # noqa: BLE001 -- pyarrow/json raise many types
        raise SnapshotError(f"{base}: snapshot unreadable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    missing = [c for c in ("repo_id", "type", "average", "created_at") if c not in models.columns]
    if missing:
        raise SnapshotError(f"{models_path}: missing column(s) {', '.join(missing)}; rebuild the snapshot")
    for col in ("tags", "datasets", "language"):
        if col in models.columns:
            models[col] = [list(v) if v is not None and not isinstance(v, float) else [] for v in models[col]]
    return Snapshot(board=board, models=models, commit_authors=commits, manifest=manifest, path=base)


def available_boards(data_dir: str | Path) -> list[str]:
    """Boards that have a snapshot in ``data_dir``."""
    return [b for b in schema.BOARDS if snapshot_path(data_dir, b) is not None]


def load_snapshots(data_dir: str | Path) -> tuple[dict[str, Snapshot], list[str]]:
    """Every board's snapshot in ``data_dir`` (loaded once per process by the app).

    Returns the snapshots by board and one message per board that failed to load.
    """
    snapshots: dict[str, Snapshot] = {}
    errors: list[str] = []
    for board in schema.BOARDS:
        recover(data_dir, board)
        if not (Path(data_dir) / board).exists():
            continue
        try:
            snapshots[board] = read_snapshot(data_dir, board)
        except SnapshotError as exc:
            errors.append(str(exc))
    if not snapshots and not errors:
        errors.append(f"no snapshot in {data_dir}")
    return snapshots, errors
