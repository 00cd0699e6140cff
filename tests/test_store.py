"""Unit tests of llmtrends.pipeline.store: atomic snapshot writing, history, recovery, reading back.

The tables are made up (two models).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmtrends import __version__
from llmtrends.pipeline import store
from tests.conftest import REPO_ROOT


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


def current_of(out, board) -> str:
    """The id CURRENT names, read here without the store."""
    return (out / board / "CURRENT").read_text().strip()


def test_write_and_read_roundtrip(tmp_path):
    manifest = store.build_manifest(source="x.csv", revision=None, file_sha256="f" * 64,
                                    counts={"loaded": 3, "flagged_removed": 0,
                                            "duplicates_removed": 1, "written": 2})
    path = store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), manifest)
    assert path.parent == tmp_path / "v1" / "snapshots"
    assert path.name == current_of(tmp_path, "v1")
    assert sorted(p.name for p in path.iterdir()) == ["commit_authors.parquet", "manifest.json", "models.parquet"]
    on_disk = json.loads((path / "manifest.json").read_text())
    # the id: the build time (from built_at) and the first 12 hex digits of the models' hash
    stamp = on_disk["built_at"].replace("-", "").replace(":", "")
    assert path.name == f"{stamp}-{sha256(path / 'models.parquet')[:12]}"
    assert on_disk["board"] == "v1"
    assert on_disk["models_sha256"] == sha256(path / "models.parquet")
    assert on_disk["files"] == ["models.parquet", "commit_authors.parquet", "manifest.json"]
    assert on_disk["source"] == "x.csv" and on_disk["source_sha256"] == "f" * 64
    assert on_disk["source_revision"] is None and "as_of" not in on_disk
    assert on_disk["counts"] == {"loaded": 3, "flagged_removed": 0, "duplicates_removed": 1, "written": 2}
    assert on_disk["enrichment"] == {"method": "none"}
    assert on_disk["code_version"].startswith(__version__)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", on_disk["built_at"])
    snap = store.read_snapshot(tmp_path, "v1")
    assert snap.board == "v1" and snap.manifest == on_disk and snap.path == path
    assert snap.version == on_disk["models_sha256"][:12]
    assert snap.models["repo_id"].tolist() == ["org/a", "org/b"]
    assert snap.models["tags"].tolist() == [["en", "license:mit"], []]      # lists, not arrays
    assert all(isinstance(v, list) for v in snap.models["datasets"])
    assert snap.commit_authors.values.tolist() == [["org/a", "alice"], ["org/a", "bob"]]
    assert store.available_boards(tmp_path) == ["v1"]
    # nothing left over next to the snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1"]
    assert sorted(p.name for p in (tmp_path / "v1").iterdir()) == ["CURRENT", "snapshots"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o755"
    assert store.current_id(tmp_path, "v1") == path.name


def test_without_commit_data_no_commit_file(tmp_path):
    store.write_snapshot(tmp_path, "v2", models_frame(), None, {"source": "s"})
    snap = store.read_snapshot(tmp_path, "v2")
    assert snap.commit_authors is None
    assert snap.manifest["files"] == ["models.parquet", "manifest.json"]


def test_rewrite_serves_the_new_snapshot_and_keeps_the_previous_as_history(tmp_path):
    first = store.write_snapshot(tmp_path, "v2", models_frame(), pairs_frame(),
                                 store.build_manifest(source="first", revision=None, file_sha256=None,
                                                      counts={}, as_of="2025-01-05"))
    second = store.write_snapshot(tmp_path, "v2", models_frame().head(1), None,
                                  store.build_manifest(source="second", revision=None, file_sha256=None,
                                                       counts={}, as_of="2025-01-12"))
    assert current_of(tmp_path, "v2") == second.name != first.name
    snap = store.read_snapshot(tmp_path, "v2")
    assert snap.manifest["source"] == "second" and len(snap.models) == 1
    assert snap.commit_authors is None  # the new snapshot has no commit file
    old = store.read_snapshot(tmp_path, "v2", first.name)
    assert old.manifest["source"] == "first" and len(old.models) == 2 and old.commit_authors is not None
    history = store.list_snapshots(tmp_path, "v2")
    assert [(h.id, h.as_of, h.current) for h in history] == [(first.name, "2025-01-05", False),
                                                             (second.name, "2025-01-12", True)]


def test_history_is_ordered_by_the_day_the_data_describes(tmp_path):
    # built in this order, describing later then earlier days: a history written backwards
    days = ["2025-03-16", "2024-12-15", "2025-01-05"]
    for i, day in enumerate(days):
        store.write_snapshot(tmp_path, "v2", models_frame().head(1 + i % 2), None,
                             store.build_manifest(source=day, revision=None, file_sha256=None, counts={},
                                                  as_of=day), make_current=(i == 0))
    history = store.list_snapshots(tmp_path, "v2")
    assert [h.as_of for h in history] == sorted(days)
    assert [h.current for h in history] == [False, False, True]  # make_current=False served nothing new
    assert store.read_snapshot(tmp_path, "v2").manifest["source"] == "2025-03-16"


def test_keep_prunes_the_oldest_but_never_the_current(tmp_path):
    ids = [store.write_snapshot(tmp_path, "v1", models_frame(), None, {"source": str(i)}).name for i in range(4)]
    assert len(set(ids)) == 4  # same data in the same second: distinct ids all the same
    store.write_snapshot(tmp_path, "v1", models_frame(), None, {"source": "4"}, keep=2)
    kept = [h.manifest["source"] for h in store.list_snapshots(tmp_path, "v1")]
    assert kept == ["3", "4"]
    with pytest.raises(ValueError, match="keep must be at least 1"):
        store.prune(tmp_path, "v1", 0)


def test_failed_write_leaves_previous_snapshot_untouched(tmp_path):
    store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), {"source": "good"})
    before = tree(tmp_path)
    broken = models_frame()
    broken["bad"] = [{"a": 1}, 3]  # pyarrow cannot write a column mixing a dict and an int
    with pytest.raises(Exception):  # noqa: B017 -- whatever pyarrow raises
        store.write_snapshot(tmp_path, "v1", broken, pairs_frame(), {"source": "bad"})
    assert tree(tmp_path) == before  # byte for byte, and no temporary folder left


def test_failed_pointer_swap_keeps_the_previous_snapshot_current(tmp_path, monkeypatch):
    store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), {"source": "good"})

    def replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        store.write_snapshot(tmp_path, "v1", models_frame().head(1), None, {"source": "new"})
    monkeypatch.undo()
    assert store.read_snapshot(tmp_path, "v1").manifest["source"] == "good"


KILLER = """
import os, signal, sys
import pandas as pd
from llmtrends.pipeline import store

# made-up tables: two models
models = pd.DataFrame({"repo_id": ["org/a", "org/b"], "type": ["pretrained", None], "average": [1.0, 2.0],
                       "created_at": pd.to_datetime(["2024-01-01", None])})
calls = {"n": 0}
kill_at = int(sys.argv[2])
real = {"rename": os.rename, "replace": os.replace}

def dying(name):
    def call(src, dst):
        calls["n"] += 1
        if calls["n"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real[name](src, dst)
    return call

os.rename, os.replace = dying("rename"), dying("replace")
store.write_snapshot(sys.argv[1], "v1", models, None, {"source": "new"})
print("finished")
"""


@pytest.mark.parametrize("kill_at", [1, 2, 99])
def test_a_kill_at_any_rename_leaves_the_old_or_the_new_snapshot(tmp_path, kill_at):
    """A build killed (SIGKILL) at its first rename (the new folder into place) or its second
    (CURRENT replaced), or not at all: a reader always
    finds a complete snapshot, the old or the new one, and a later build cleans up."""
    store.write_snapshot(tmp_path, "v1", models_frame(), pairs_frame(), {"source": "old"})
    proc = subprocess.run([sys.executable, "-c", KILLER, str(tmp_path), str(kill_at)],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    finished = proc.returncode == 0 and "finished" in proc.stdout
    assert finished == (kill_at == 99), proc.stderr
    snap = store.read_snapshot(tmp_path, "v1")
    assert snap.manifest["source"] in ("old", "new")
    if kill_at == 1:  # killed before the new snapshot's folder got its name: the old one is served
        assert snap.manifest["source"] == "old"
    if finished:
        assert snap.manifest["source"] == "new"
    # the dead build's leftovers go at the next write (or at the app's start: recover)
    store.recover(tmp_path, "v1")
    leftovers = [p.name for p in (tmp_path / "v1").rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    assert store.read_snapshot(tmp_path, "v1").manifest["source"] == snap.manifest["source"]


def test_the_layout_before_snapshots_is_read_then_adopted(tmp_path):
    """A board written by the earlier layout (tables in OUT/<board>/ itself) is served as it
    is; the next build moves it into snapshots/ as history."""
    legacy = tmp_path / "v1"
    legacy.mkdir()
    models_frame().to_parquet(legacy / "models.parquet", index=False)
    (legacy / "manifest.json").write_text(json.dumps({"source": "legacy", "built_at": "2024-05-01T10:00:00Z",
                                                      "models_sha256": sha256(legacy / "models.parquet")}))
    assert store.read_snapshot(tmp_path, "v1").manifest["source"] == "legacy"
    assert [h.id for h in store.list_snapshots(tmp_path, "v1")] == ["legacy"]
    store.write_snapshot(tmp_path, "v1", models_frame().head(1), None, {"source": "new"})
    assert store.read_snapshot(tmp_path, "v1").manifest["source"] == "new"
    assert sorted(p.name for p in legacy.iterdir()) == ["CURRENT", "snapshots"]
    history = store.list_snapshots(tmp_path, "v1")
    assert [h.manifest["source"] for h in history] == ["legacy", "new"]
    assert history[0].id.startswith("20240501T100000Z-")


def test_recover_puts_back_a_snapshot_the_earlier_layout_lost(tmp_path):
    """The earlier layout swapped with two renames; a kill between them left only
    ``.v1.old-<pid>`` and ``.v1.tmp-*``. A start puts the old snapshot back and removes the
    temporary folder."""
    old = tmp_path / ".v1.old-999999999"  # a pid no process has
    old.mkdir()
    models_frame().to_parquet(old / "models.parquet", index=False)
    (old / "manifest.json").write_text('{"source": "old"}')
    (tmp_path / ".v1.tmp-abc123").mkdir()
    (tmp_path / ".v1.tmp-abc123" / "models.parquet").write_bytes(b"half")
    snapshots, errors = store.load_snapshots(tmp_path)
    assert errors == [] and snapshots["v1"].manifest["source"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1"]


def test_recover_points_a_lost_current_at_the_newest_snapshot(tmp_path):
    store.write_snapshot(tmp_path, "v1", models_frame(), None, {"source": "a"})
    newest = store.write_snapshot(tmp_path, "v1", models_frame().head(1), None, {"source": "b"})
    (tmp_path / "v1" / "CURRENT").unlink()
    assert store.read_snapshot(tmp_path, "v1").manifest["source"] == "b"  # without writing anything
    assert store.recover(tmp_path, "v1") == [f"pointed v1/CURRENT at {newest.name}"]
    assert current_of(tmp_path, "v1") == newest.name


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
    with pytest.raises(store.SnapshotError, match="'../x' is not a snapshot id"):
        store.read_snapshot(tmp_path, "v1", "../x")

    path = store.write_snapshot(tmp_path, "v1", models_frame(), None, {"source": "s"})
    (path / "models.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(store.SnapshotError, match=r"snapshot unreadable: "):
        store.read_snapshot(tmp_path, "v1")

    path = store.write_snapshot(tmp_path, "v2", models_frame().drop(columns=["created_at", "type"]), None, {})
    with pytest.raises(store.SnapshotError) as err:
        store.read_snapshot(tmp_path, "v2")
    assert str(err.value) == (f"{path / 'models.parquet'}: missing column(s) type, created_at; "
                              "rebuild the snapshot")

    path = store.write_snapshot(tmp_path, "v2", models_frame(), None, {})
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(store.SnapshotError, match=r"snapshot unreadable: JSONDecodeError"):
        store.read_snapshot(tmp_path, "v2")


def test_code_version_has_the_git_commit():
    version = store.code_version()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / ".git").is_dir():  # a checkout (CI's clone too): the commit is there, worked out by git
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True,
                             check=True).stdout.strip()
        assert version == f"{__version__}+g{sha[:10]}"
    else:  # an installed copy without its history
        assert version == __version__
