"""Enrichment that yields no commit history at all still writes every row with its outcome,
and a damaged Hub cache is set aside and rebuilt (issue 26, items 2 and 4).

The leaderboard rows are real (the first rows of the v1 file); where a test needs ids no
Hub knows, their ``fullname`` is replaced by made-up ids (``nobody-xyz/...``), said so
where it happens. The stand-in Hub (tests/standin_hub.py) serves 127.0.0.1.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmtrends.pipeline import hub, runner, prepare, sources, store
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

    result = runner.run(board="v1", source=source, enrich="files", hub_records=folder, out=tmp_path / "out")
    snap = store.read_snapshot(tmp_path / "out", "v1")
    rows = real_rows(10)
    expected = set(rows.loc[rows["Flagged"], "fullname"])  # v1's Flagged is inverted: True = kept
    assert set(snap.models["repo_id"]) == expected
    assert snap.models["hub_outcome"].isna().all() and snap.models["num_commits"].isna().all()
    assert result.counts["enriched"] == 0 and result.counts["commit_author_pairs"] == 0


# --------------------------------------------------------------------------- a damaged cache

ASKED = 5  # real v1 ids asked in the cache tests


def asked_ids() -> list[str]:
    return list(dict.fromkeys(real_rows(12)["fullname"]))[:ASKED]


def enrich(standin, cache: Path, **kw) -> hub.HubEnrichment:
    return hub.enrich_from_hub(asked_ids(), cache_path=cache, endpoint=standin.endpoint, token=False,
                               progress=False, max_requests_per_5min=None, **kw)


def garbage(db: Path) -> None:
    db.write_bytes(b"these bytes were never a SQLite database\n" * 200)


def truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _update(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql)
    conn.close()


def broken_json(db: Path) -> None:
    _update(db, "UPDATE repos SET info = '{\"hub_id\": ' WHERE info IS NOT NULL")


def commits_without_authors(db: Path) -> None:
    _update(db, "UPDATE repos SET commits = '{\"num_commits\": 3, \"first_commit\": null, \"last_commit\": null}'"
                " WHERE commits IS NOT NULL")


DAMAGES = [garbage, truncated, broken_json, commits_without_authors]


@pytest.mark.parametrize("refresh", [False, True], ids=["run", "refresh"])
@pytest.mark.parametrize("damage", DAMAGES, ids=[d.__name__ for d in DAMAGES])
def test_a_damaged_cache_is_set_aside_and_rebuilt_with_one_warning(standin, tmp_path, caplog, damage, refresh):
    cache = tmp_path / "cache"
    first = enrich(standin, cache)
    db = cache / hub.CACHE_FILENAME
    damage(db)
    damaged_bytes = db.read_bytes()
    with caplog.at_level(logging.WARNING, logger="llmtrends.pipeline.hub"):
        again = enrich(standin, cache, refresh=refresh)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "damaged" in warnings[0] and str(db) in warnings[0], warnings
    aside = [p for p in cache.iterdir() if p.name.startswith(hub.CACHE_FILENAME + ".damaged-")
             and p.name.endswith("Z")]  # its -wal / -shm files, when SQLite left any, go with it
    assert len(aside) == 1 and aside[0].read_bytes() == damaged_bytes  # kept as it was, for a look
    assert again.requests_made > 0  # asked again: the new cache started empty
    pd.testing.assert_frame_equal(again.hub_records, first.hub_records)
    pd.testing.assert_frame_equal(again.commit_records, first.commit_records)
    with sqlite3.connect(db) as conn:  # and the new cache holds every repository again
        assert conn.execute("SELECT COUNT(*) FROM repos").fetchone()[0] == ASKED


def test_a_full_disk_under_the_cache_is_one_line_and_keeps_the_snapshot(standin, tmp_path, monkeypatch):
    """SQLite's own "database or disk is full" (SQLITE_FULL, what ENOSPC gives), made by
    capping the cache at a few pages (``PRAGMA max_page_count``) instead of filling a disk."""
    import huggingface_hub.constants

    from tests.test_bad_inputs import digest

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", standin.endpoint)
    real_connect = sqlite3.connect

    def small_disk(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.execute("PRAGMA max_page_count = 3")
        return conn

    out = tmp_path / "out"
    source = tmp_path / "leaderboard.csv"
    real_rows(30).to_csv(source, sep=";", index=False)
    runner.run(board="v1", source=source, enrich="none", out=out)
    before = digest(out)
    monkeypatch.setattr(sqlite3, "connect", small_disk)
    with pytest.raises(runner.PipelineError) as err:
        runner.run(board="v1", source=source, enrich="hub", out=out, cache=tmp_path / "cache",
                     max_requests_per_5min=0)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "cache" / hub.CACHE_FILENAME)), message
    assert "database or disk is full" in message and "\n" not in message
    assert digest(out) == before


@pytest.mark.parametrize("value", ["-5", "-1", "many"])
def test_a_negative_request_budget_is_a_usage_error(standin, tmp_path, value):
    done = subprocess.run(PREPROCESS + ["--board", "v1", "--source", str(made_up_leaderboard(tmp_path)),
                                        "--enrich", "hub", "--max-requests-per-5min", value, "--quiet",
                                        "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "out")],
                          env=_hf_env(standin, tmp_path), capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT)
    assert done.returncode == 2, (done.returncode, done.stderr[-1000:])
    last = done.stderr.strip().splitlines()[-1]
    assert "argument --max-requests-per-5min" in last and value in last, last
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
