"""Processed snapshots on disk: ``OUT/<board>/{models,commit_authors}.parquet`` + manifest.

A snapshot is written into a temporary sibling directory and swapped in with renames, so
a failed or interrupted build leaves the previous snapshot intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from . import __version__, schema

MODELS_FILE = "models.parquet"
COMMITS_FILE = "commit_authors.parquet"
MANIFEST_FILE = schema.MANIFEST_FILE


class SnapshotError(RuntimeError):
    """A snapshot is missing or unreadable; the message says which file and why."""


@dataclass
class Snapshot:
    """One board's processed tables and manifest, as the app and figures read them."""

    board: str
    models: pd.DataFrame
    commit_authors: pd.DataFrame | None
    manifest: dict

    @property
    def version(self) -> str:
        """A short id of the snapshot's content (for caches and provenance)."""
        return schema.snapshot_version(self.manifest)


def code_version() -> str:
    """The package version plus the git commit when run from a checkout."""
    head = Path(__file__).resolve().parent.parent / ".git" / "HEAD"
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_snapshot(out_dir: str | Path, board: str, models: pd.DataFrame,
                   commit_authors: pd.DataFrame | None, manifest: dict) -> Path:
    """Write a board's snapshot atomically; returns its directory.

    The tables go to ``OUT/.<board>.tmp-XXXX`` first; only when everything is written is
    the old directory moved aside and the new one renamed into place.
    """
    if board not in schema.BOARDS:
        raise SnapshotError(f"unknown board {board!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / board
    tmp = Path(tempfile.mkdtemp(prefix=f".{board}.tmp-", dir=out_dir))
    old = None
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a snapshot is meant to be shared
        models.to_parquet(tmp / MODELS_FILE, index=False)
        manifest = dict(manifest)
        manifest["board"] = board
        manifest["models_sha256"] = _sha256(tmp / MODELS_FILE)
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
        if final.exists():
            old = out_dir / f".{board}.old-{os.getpid()}"
            if old.exists():
                shutil.rmtree(old)
            os.rename(final, old)
        os.rename(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        # failed between moving the old snapshot aside and renaming the new one in: put back
        if old is not None and old.exists() and not final.exists():
            os.rename(old, final)
        raise
    return final


def build_manifest(*, source: str, revision: str | None, file_sha256: str | None,
                   counts: dict, enrichment: dict | None = None) -> dict:
    """The manifest fields a build knows before writing (the writer adds hashes)."""
    return {
        "source": source,
        "source_revision": revision,
        "source_sha256": file_sha256,
        "counts": counts,
        "enrichment": enrichment or {"method": "none"},
        "code_version": code_version(),
        "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def read_snapshot(data_dir: str | Path, board: str) -> Snapshot:
    """Load a board's snapshot; SnapshotError (with the path) if missing or unreadable."""
    base = Path(data_dir) / board
    models_path = base / MODELS_FILE
    manifest_path = base / MANIFEST_FILE
    if not models_path.exists() or not manifest_path.exists():
        raise SnapshotError(
            f"no {board} snapshot in {base} (expected {MODELS_FILE} and {MANIFEST_FILE}); "
            f"build one with: python scripts/preprocess.py --board {board} ... --out {Path(data_dir)}"
        )
    try:
        models = pd.read_parquet(models_path)
        with open(manifest_path, encoding="utf-8") as fh:
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
    return Snapshot(board=board, models=models, commit_authors=commits, manifest=manifest)


def available_boards(data_dir: str | Path) -> list[str]:
    """Boards that have a snapshot in ``data_dir``."""
    return [b for b in schema.BOARDS
            if (Path(data_dir) / b / MODELS_FILE).exists() and (Path(data_dir) / b / MANIFEST_FILE).exists()]


def load_snapshots(data_dir: str | Path) -> tuple[dict[str, Snapshot], list[str]]:
    """Every board's snapshot in ``data_dir`` (loaded once per process by the app).

    Returns the snapshots by board and one message per board that failed to load.
    """
    snapshots: dict[str, Snapshot] = {}
    errors: list[str] = []
    for board in schema.BOARDS:
        base = Path(data_dir) / board
        if not base.exists():
            continue
        try:
            snapshots[board] = read_snapshot(data_dir, board)
        except SnapshotError as exc:
            errors.append(str(exc))
    if not snapshots and not errors:
        errors.append(f"no snapshot in {data_dir}")
    return snapshots, errors
