"""The preprocess CLI end to end against the stand-in Hub: the default Hub-dataset path for
v2, and ``--enrich hub`` filling the same columns as the study's record files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmtrends.pipeline import store
from tests.standin_hub import HubData, StandinHub, shared_data_dir
from tests.test_standin_hub import _hf_env

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = shared_data_dir()
V1 = DATA / "open-llm-leaderboard-v1"
PREPROCESS = [sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py")]


@pytest.fixture(scope="module")
def standin():
    hub = StandinHub(data=HubData.load()).start()
    yield hub
    hub.stop()


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(PREPROCESS + args, env=env, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def test_v2_without_source_loads_the_hub_dataset(standin, tmp_path):
    out = tmp_path / "out"
    done = run(["--board", "v2", "--out", str(out)], _hf_env(standin, tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    # independent: unflagged rows, one per lower-cased repository id
    raw = pd.read_parquet(DATA / "open-llm-leaderboard-contents.parquet")
    raw = raw[~raw["Flagged"]]
    expected_ids = set(raw["fullname"].str.lower())
    models = pd.read_parquet(store.snapshot_path(out, "v2") / "models.parquet")
    assert set(models["repo_id"].str.lower()) == expected_ids
    best = raw.groupby(raw["fullname"].str.lower())["Average ⬆️"].max()
    got = models.set_index(models["repo_id"].str.lower())["average"]
    assert (got.sort_index() - best.sort_index()).abs().max() < 1e-9
    manifest = json.loads((store.snapshot_path(out, "v2") / "manifest.json").read_text())
    assert manifest["source"] == "hub:open-llm-leaderboard/contents"
    assert manifest["source_revision"] == standin.data.dataset_sha
    assert manifest["counts"]["loaded"] == 4576
    assert "wrote 4,494 models" in done.stdout


def test_enrich_hub_fills_the_same_columns_as_the_study_files(standin, tmp_path):
    # a 150-row slice of the v1 leaderboard (kept in tmp, never in the repo)
    lines = (V1 / "leaderboard.csv").read_text(encoding="utf-8").splitlines()
    small = tmp_path / "leaderboard.csv"
    small.write_text("\n".join(lines[:151]) + "\n", encoding="utf-8")
    env = _hf_env(standin, tmp_path)
    by_hub = run(["--board", "v1", "--source", str(small), "--enrich", "hub", "--workers", "4",
                  "--max-requests-per-5min", "0", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "hub")], env)
    assert by_hub.returncode == 0, by_hub.stderr[-2000:]
    by_files = run(["--board", "v1", "--source", str(small), "--enrich", "files", "--hub-records", str(V1),
                    "--out", str(tmp_path / "files")], env)
    assert by_files.returncode == 0, by_files.stderr[-2000:]
    hub = pd.read_parquet(store.snapshot_path(tmp_path / "hub", "v1") / "models.parquet").set_index("repo_id")
    files = pd.read_parquet(store.snapshot_path(tmp_path / "files", "v1") / "models.parquet").set_index("repo_id")
    assert list(hub.columns) == list(files.columns)
    assert hub.index.equals(files.index)
    # where the study's record is a plain answer, the live path must agree on every field
    ok = files.index[files["hub_outcome"] == "ok"]
    assert len(ok) > 80
    for col in ("author", "created_at", "last_modified", "library", "downloads", "num_commits",
                "first_commit", "last_commit", "num_commit_authors"):
        a, b = hub.loc[ok, col], files.loc[ok, col]
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), (col, a[~same].head(3).to_dict(), b[~same].head(3).to_dict())
    for col in ("tags", "datasets", "language"):
        assert [list(v) for v in hub.loc[ok, col]] == [list(v) for v in files.loc[ok, col]], col
    # repositories the stand-in does not know are kept, with an outcome, never dropped
    manifest = json.loads((store.snapshot_path(tmp_path / "hub", "v1") / "manifest.json").read_text())
    outcomes = manifest["enrichment"]["outcomes"]
    assert sum(outcomes.values()) == len(set(pd.read_csv(small, sep=";")["fullname"]))
    assert "token" not in json.dumps(manifest).lower()
