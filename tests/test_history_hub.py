"""v2's history from the Hub dataset's revisions, through the real ``huggingface_hub`` client.

The stand-in Hub (tests/standin_hub.py) serves the 14 shared weekly files as revisions of
``open-llm-leaderboard/contents`` (each committed at noon UTC of its day) and the final file
as the dataset's last commit (2025-03-21, 18:00 UTC). ``scripts/preprocess.py --history-hub``
runs in a subprocess whose ``HF_ENDPOINT`` is the stand-in. The expected snapshots are the
ones built from the same files as a folder (the session's ``snapshot_dir``).
"""

from __future__ import annotations

import subprocess
import sys

from llmtrends.pipeline import history
from tests.conftest import REPO_ROOT
from tests.standin_hub import DATASET_FILE, DATASET_REPO, StandinHub, dataset_commits
from tests.test_standin_hub import _hf_env, hub_data, standin  # noqa: F401 -- the stand-in's fixtures


def preprocess(hub: StandinHub, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py"), "--board", "v2",
                           "--history-hub", "--quiet", *args], env=_hf_env(hub, tmp_path),
                          capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)


def downloads(hub: StandinHub) -> list[str]:
    """The revisions whose parquet file was fetched (GET), in order."""
    prefix = f"/datasets/{DATASET_REPO}/resolve/"
    return [r.path[len(prefix):].split("/", 1)[0] for r in hub.requests
            if r.method == "GET" and r.path.startswith(prefix) and r.path.endswith(DATASET_FILE)]


def test_the_weekly_revisions_become_the_same_history_as_the_files(standin, hub_data, tmp_path, snapshot_dir):  # noqa: F811
    commits = dataset_commits(hub_data)  # newest first, as the Hub lists them
    assert len(commits) == 15 and commits[0]["id"] == hub_data.dataset_sha
    out = tmp_path / "out"
    done = preprocess(standin, tmp_path, "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "wrote 14 dated snapshot(s) (2024-12-15 to 2025-03-21)" in done.stdout
    assert "Official Providers missing before 2025-01-12" in done.stdout
    got, expected = history.load(out, "v2"), history.load(snapshot_dir, "v2")
    assert got.days == expected.days
    for day in got.days:  # the same preparation of the same data: the same table, byte for byte
        assert got.entry(day).manifest["models_sha256"] == expected.entry(day).manifest["models_sha256"], day
        assert got.entry(day).missing_columns == expected.entry(day).missing_columns
    # each day's snapshot is the last revision of its ISO week: for 2025-03-21, the final
    # commit (18:00) and not the noon one of the same day
    by_date = {c["date"][:10]: c["id"] for c in reversed(commits)}  # the later commit of a day wins
    assert by_date["2025-03-21"] == hub_data.dataset_sha
    for e in got.entries:
        assert e.manifest["source"] == f"hub:{DATASET_REPO}"
        assert e.manifest["source_revision"] == by_date[e.day.isoformat()]
    assert sorted(downloads(standin)) == sorted(by_date.values())  # each revision fetched once
    # the last one is served: the board had no snapshot
    assert history.load(out, "v2").entries[-1].path.name == (out / "v2" / "CURRENT").read_text().strip()

    # a rerun builds nothing; per day instead of per week, into another folder, it reads
    # every revision from the Hub cache: no file is downloaded again
    standin.clear_requests()
    again = preprocess(standin, tmp_path, "--out", str(out))
    assert again.returncode == 0 and "14 day(s) already stored were skipped" in again.stdout
    daily = preprocess(standin, tmp_path, "--out", str(tmp_path / "daily"), "--every", "day")
    assert daily.returncode == 0, daily.stderr[-2000:]
    assert history.load(tmp_path / "daily", "v2").days == expected.days  # no two commits on one day but the last
    assert downloads(standin) == []


def test_a_hub_error_is_one_line_and_writes_nothing(standin, tmp_path):  # noqa: F811
    standin.queue_fault("404", DATASET_REPO)  # the commit listing
    done = preprocess(standin, tmp_path, "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "cannot list the dataset's revisions" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "v2").exists()
