"""Enrichment that yields no commit history at all still writes every row with its outcome,
and a damaged Hub cache is set aside and rebuilt (issue 26, items 2 and 4).

The leaderboard rows are real (the first rows of the v1 file); where a test needs ids no
Hub knows, their ``fullname`` is replaced by made-up ids (``nobody-xyz/...``), said so
where it happens. The stand-in Hub (tests/standin_hub.py) serves 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmtrends import hub, pipeline, prepare, sources, store
from tests.conftest import REPO_ROOT, shared_data_dir, v1_leaderboard, v1_records
from tests.standin_hub import Faults, HubData, StandinHub
from tests.test_standin_hub import _hf_env

DATA = shared_data_dir()
PREPROCESS = [sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py")]
MADE_UP = ["nobody-xyz/model-a", "nobody-xyz/model-b", "nobody-abc/model-c"]  # on no Hub


def real_rows(n: int) -> pd.DataFrame:
    return pd.read_csv(v1_leaderboard(DATA), sep=";", nrows=n)


def made_up_leaderboard(tmp: Path) -> Path:
    """Three real v1 rows whose ids are replaced by the made-up ``MADE_UP`` ids."""
    frame = real_rows(len(MADE_UP))
    frame["fullname"] = MADE_UP
    path = tmp / "leaderboard.csv"
    frame.to_csv(path, sep=";", index=False)
    return path


@pytest.fixture(scope="module")
def standin():
    server = StandinHub(data=HubData.load()).start()
    yield server
    server.stop()


def test_hub_enrichment_where_no_id_is_known_writes_every_row_with_its_outcome(standin, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(PREPROCESS + ["--board", "v1", "--source", str(made_up_leaderboard(tmp_path)),
                                        "--enrich", "hub", "--max-requests-per-5min", "0", "--quiet",
                                        "--cache", str(tmp_path / "cache"), "--out", str(out)],
                          env=_hf_env(standin, tmp_path), capture_output=True, text=True, timeout=300,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    snap = store.read_snapshot(out, "v1")
    assert sorted(snap.models["repo_id"]) == sorted(MADE_UP)
    assert list(snap.models["hub_outcome"]) == ["not_found"] * 3
    assert snap.models["num_commits"].isna().all() and snap.models["num_commit_authors"].isna().all()
    assert snap.manifest["enrichment"]["outcomes"] == {"not_found": 3}


@pytest.fixture
def fast_settings(monkeypatch):
    monkeypatch.setattr(hub, "SETTINGS", hub.Settings(read_timeout=1.0, connect_timeout=1.0, backoff_base=0.01,
                                                      backoff_cap=0.02, max_retries=1, max_rate_limited_retries=1))


def test_a_hub_that_fails_every_request_gives_rows_with_the_error_outcome(standin, tmp_path, fast_settings):
    standin.set_faults(Faults(rate=1.0, kinds=("503",)))
    try:
        raw = sources.validate_leaderboard(real_rows(5), "v1", "first five v1 rows", sep=";")
        result = hub.enrich_from_hub(list(raw["fullname"]), cache_path=tmp_path / "cache", endpoint=standin.endpoint,
                                     token=False, progress=False, max_requests_per_5min=None)
    finally:
        standin.set_faults(Faults())
    assert result.outcomes == {"error": 5}
    models, pairs, counts = prepare.build(raw, "v1", result.hub_records, result.commit_records)
    assert sorted(models["repo_id"]) == sorted(raw["fullname"])  # the five real ids, none dropped
    assert list(models["hub_outcome"]) == ["error"] * 5
    assert models["num_commits"].isna().all()
    assert pairs is not None and pairs.empty and counts.enriched == 0


def test_study_records_that_match_no_model_still_give_a_snapshot(tmp_path):
    # the study's real record files, with every name replaced by a made-up one no row has
    folder = tmp_path / "records"
    folder.mkdir()
    hub_models = pd.read_csv(v1_records(DATA) / "hub_models.csv", nrows=20)
    commits = pd.read_csv(v1_records(DATA) / "repo_commits.csv", nrows=20)
    hub_models["name"] = [f"nobody-xyz/record-{i}" for i in range(len(hub_models))]
    hub_models["author"] = "nobody-xyz"
    commits["name"] = [f"nobody-xyz/record-{i}" for i in range(len(commits))]
    hub_models.to_csv(folder / "hub_models.csv", index=False)
    commits.to_csv(folder / "repo_commits.csv", index=False)
    source = tmp_path / "leaderboard.csv"
    real_rows(10).to_csv(source, sep=";", index=False)

    result = pipeline.run(board="v1", source=source, enrich="files", hub_records=folder, out=tmp_path / "out")
    snap = store.read_snapshot(tmp_path / "out", "v1")
    rows = real_rows(10)
    expected = set(rows.loc[rows["Flagged"], "fullname"])  # v1's Flagged is inverted: True = kept
    assert set(snap.models["repo_id"]) == expected
    assert snap.models["hub_outcome"].isna().all() and snap.models["num_commits"].isna().all()
    assert result.counts["enriched"] == 0 and result.counts["commit_author_pairs"] == 0
