"""Unit tests of llmtrends.store: atomic snapshot writing, manifest, reading back."""

from __future__ import annotations

import hashlib
import json
import os
import re

import pandas as pd
import pytest

from llmtrends import __version__, store


def models_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "repo_id": ["org/a", "org/b"],
        "type": ["pretrained", None],
        "average": [50.5, 12.0],
        "created_at": pd.to_datetime(["2024-01-01", None]),
        "tags": [["en", "license:mit"], []],
        "datasets": [[], ["d/1"]],
        "language": [["en"], []],
    })


def pairs_frame() -> pd.DataFrame:
    return pd.DataFrame({"repo_id": ["org/a", "org/a"], "commit_author": ["alice", "bob"]})


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder) -> dict[str, str]:
    """relative path -> sha256 of every file under folder (hidden ones included)."""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_write_and_read_roundtrip(tmp_path):
    manifest = store.build_manifest(source="x.csv", revision=None, file_sha256="f" * 64,
                                    counts={"loaded": 3, "flagged_removed": 0,
                                            "duplicates_removed": 1, "written": 2})
    path = store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), manifest)
    assert path == tmp_path / "v1"
    assert sorted(p.name for p in path.iterdir()) == ["commit_authors.parquet", "manifest.json", "models.parquet"]
    on_disk = json.loads((path / "manifest.json").read_text())
    assert on_disk["board"] == "v1"
    assert on_disk["models_sha256"] == sha256(path / "models.parquet")
    assert on_disk["files"] == ["models.parquet", "commit_authors.parquet", "manifest.json"]
    assert on_disk["source"] == "x.csv" and on_disk["source_sha256"] == "f" * 64
    assert on_disk["source_revision"] is None
    assert on_disk["counts"] == {"loaded": 3, "flagged_removed": 0, "duplicates_removed": 1, "written": 2}
    assert on_disk["enrichment"] == {"method": "none"}
    assert on_disk["code_version"].startswith(__version__)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", on_disk["built_at"])
    snap = store.read_snapshot(tmp_path, "v1")
    assert snap.board == "v1" and snap.manifest == on_disk
    assert snap.version == on_disk["models_sha256"][:12]
    assert snap.models["repo_id"].tolist() == ["org/a", "org/b"]
    assert snap.models["tags"].tolist() == [["en", "license:mit"], []]      # lists, not arrays
    assert all(isinstance(v, list) for v in snap.models["datasets"])
    assert snap.commit_authors.values.tolist() == [["org/a", "alice"], ["org/a", "bob"]]
    assert store.available_boards(tmp_path) == ["v1"]
    # nothing left over next to the snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o755"


def test_without_commit_data_no_commit_file(tmp_path):
    store.write_snapshot(tmp_path, "v2", models_frame(), None, {"source": "s"})
    snap = store.read_snapshot(tmp_path, "v2")
    assert snap.commit_authors is None
    assert snap.manifest["files"] == ["models.parquet", "manifest.json"]


def test_rewrite_replaces_the_previous_snapshot(tmp_path):
    store.write_snapshot(tmp_path, "v2", models_frame(), pairs_frame(), {"source": "first"})
    store.write_snapshot(tmp_path, "v2", models_frame().head(1), None, {"source": "second"})
    snap = store.read_snapshot(tmp_path, "v2")
    assert snap.manifest["source"] == "second" and len(snap.models) == 1
    assert snap.commit_authors is None  # the old commit file went with the old snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v2"]


def test_failed_write_leaves_previous_snapshot_untouched(tmp_path):
    store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), {"source": "good"})
    before = tree(tmp_path)
    broken = models_frame()
    broken["bad"] = [{"a": 1}, 3]  # pyarrow cannot write a column mixing a dict and an int
    with pytest.raises(Exception):  # noqa: B017 -- whatever pyarrow raises
        store.write_snapshot(tmp_path, "v1", broken, pairs_frame(), {"source": "bad"})
    assert tree(tmp_path) == before  # byte for byte, and no temporary folder left


def test_failed_swap_puts_the_previous_snapshot_back(tmp_path, monkeypatch):
    store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), {"source": "good"})
    before = tree(tmp_path)
    real_rename = os.rename

    def rename(src, dst):
        # the old snapshot is moved aside fine; renaming the new one into place fails
        if ".tmp-" in str(src):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(store.os, "rename", rename)
    with pytest.raises(OSError, match="No space left"):
        store.write_snapshot(tmp_path, "v1", models_frame().head(1), None, {"source": "new"})
    monkeypatch.undo()
    assert tree(tmp_path) == before
    assert store.read_snapshot(tmp_path, "v1").manifest["source"] == "good"


def test_unknown_board(tmp_path):
    with pytest.raises(store.SnapshotError, match="unknown board 'v9'"):
        store.write_snapshot(tmp_path, "v9", models_frame(), None, {})
    assert list(tmp_path.iterdir()) == []


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(store.SnapshotError) as err:
        store.read_snapshot(tmp_path, "v1")
    assert str(err.value).startswith(f"no v1 snapshot in {tmp_path / 'v1'}")
    assert "python scripts/preprocess.py --board v1" in str(err.value)
    assert store.available_boards(tmp_path) == []

    store.write_snapshot(tmp_path, "v1", models_frame(), None, {"source": "s"})
    (tmp_path / "v1" / "models.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(store.SnapshotError, match=r"v1: snapshot unreadable: "):
        store.read_snapshot(tmp_path, "v1")

    store.write_snapshot(tmp_path, "v2", models_frame().drop(columns=["created_at", "type"]), None, {})
    with pytest.raises(store.SnapshotError) as err:
        store.read_snapshot(tmp_path, "v2")
    assert str(err.value) == (f"{tmp_path / 'v2' / 'models.parquet'}: missing column(s) type, created_at; "
                              "rebuild the snapshot")

    store.write_snapshot(tmp_path, "v2", models_frame(), None, {})
    (tmp_path / "v2" / "manifest.json").write_text("{not json")
    with pytest.raises(store.SnapshotError, match=r"snapshot unreadable: JSONDecodeError"):
        store.read_snapshot(tmp_path, "v2")


def test_code_version_has_the_git_commit():
    version = store.code_version()
    assert re.fullmatch(re.escape(__version__) + r"(\+g[0-9a-f]{10})?", version)
