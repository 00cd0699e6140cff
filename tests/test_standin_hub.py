"""The stand-in Hub answers the real clients the way the Hub does.

Expected values are read straight from the shared CSV / parquet files here, not from the
stand-in's own conversion, so a conversion bug shows up as a mismatch.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx2
import pandas as pd
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from tests.standin_hub import HubData, StandinHub, shared_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = shared_data_dir()
V1 = DATA / "open-llm-leaderboard-v1"


@pytest.fixture(scope="module")
def hub_data() -> HubData:
    return HubData.load()


@pytest.fixture()
def standin(hub_data):
    hub = StandinHub(data=hub_data).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def last_records() -> pd.DataFrame:
    return pd.read_csv(V1 / "hub_models.csv", index_col=0).drop_duplicates("name", keep="last").set_index("name")


@pytest.fixture(scope="module")
def commit_rows() -> pd.DataFrame:
    return pd.read_csv(V1 / "repo_commits.csv", index_col=0).set_index("name")


def _api(hub: StandinHub) -> HfApi:
    return HfApi(endpoint=hub.endpoint, token=False)


def test_model_info_serves_the_last_record(standin, last_records):
    name = "davidkim205/Rhea-72b-v0.5"
    rec = last_records.loc[name]
    info = _api(standin).model_info(name)
    assert info.id == name
    assert info.author == rec["author"]
    assert info.created_at == pd.Timestamp(rec["created_at"]).to_pydatetime()
    assert info.last_modified == pd.Timestamp(rec["last_modified"]).to_pydatetime()
    assert info.downloads == rec["downloads"]
    assert info.library_name == rec["library_name"]
    assert info.tags == ast.literal_eval(rec["tags"])
    assert info.card_data.get("language") == ast.literal_eval(rec["language"])


def test_repeated_names_use_their_last_record(standin):
    raw = pd.read_csv(V1 / "hub_models.csv", index_col=0)
    repeated = raw[raw["name"].duplicated(keep=False)]
    # a name whose records differ in downloads, so "last" is observable
    name = next(n for n, g in repeated.groupby("name") if g["downloads"].nunique() > 1)
    info = _api(standin).model_info(name)
    assert info.downloads == raw[raw["name"] == name]["downloads"].iloc[-1]


def test_moved_repository_answers_with_the_new_id(standin, last_records):
    moved = last_records[last_records["author"] != last_records.index.str.split("/").str[0]]
    name = moved.index[0]
    expected = moved.loc[name, "author"] + "/" + name.split("/", 1)[1]
    assert _api(standin).model_info(name).id == expected


def test_unknown_repository_is_404(standin):
    with pytest.raises(RepositoryNotFoundError):
        _api(standin).model_info("nobody/does-not-exist")


def test_commit_history_is_paginated_and_complete(standin, commit_rows):
    name = commit_rows["num_of_commits"].idxmax()  # 368 commits: 8 pages of 50
    row = commit_rows.loc[name]
    standin.clear_requests()
    commits = _api(standin).list_repo_commits(name)
    assert len(commits) == row["num_of_commits"]
    dates = [c.created_at for c in commits]
    assert min(dates) == pd.Timestamp(row["first_commit"]).to_pydatetime()
    assert max(dates) == pd.Timestamp(row["last_commit"]).to_pydatetime()
    assert dates == sorted(dates, reverse=True)  # newest first, like the Hub
    humans = {a for c in commits for a in c.authors} - {"system", "SFconvertbot"}
    assert humans == set(ast.literal_eval(row["authors"]))
    pages = [r for r in standin.requests if r.kind == "commits"]
    assert len(pages) == -(-row["num_of_commits"] // 50)


def test_list_models_by_author(standin, last_records):
    author = last_records["author"].value_counts().index[0]
    expected = set(last_records[last_records["author"] == author].index)
    got = list(_api(standin).list_models(author=author, expand=["author", "createdAt", "cardData"]))
    assert len(got) == len(expected)
    assert all(m.author == author for m in got)
    assert all(m.created_at is not None for m in got)


def test_fault_injection_answers(standin):
    url = standin.endpoint + "/api/models/davidkim205/Rhea-72b-v0.5"
    standin.queue_fault("429")
    r = httpx2.get(url)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    standin.queue_fault("503")
    assert httpx2.get(url).status_code == 503
    standin.queue_fault("malformed")
    r = httpx2.get(url)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    standin.queue_fault("hang")
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(url, timeout=0.3)
    assert httpx2.get(url).json()["id"] == "davidkim205/Rhea-72b-v0.5"  # faults were used up
    kinds = [r.fault for r in standin.requests]
    assert kinds == ["429", "503", "malformed", "hang", None]


def test_permanent_statuses_map_to_hub_errors(standin):
    api = _api(standin)
    standin.set_status("davidkim205/Rhea-72b-v0.5", 401)
    with pytest.raises(GatedRepoError):
        api.model_info("davidkim205/Rhea-72b-v0.5")
    standin.set_status("davidkim205/Rhea-72b-v0.5", 403)
    with pytest.raises(HfHubHTTPError) as err:
        api.model_info("davidkim205/Rhea-72b-v0.5")
    assert err.value.response.status_code == 403


def test_max_in_window_counts_arrivals(standin):
    for _ in range(5):
        httpx2.get(standin.endpoint + "/api/models/nobody/x")
    assert standin.max_in_window(60.0) == 5
    assert standin.max_in_window(1e-9) == 1


def test_missing_data_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMTRENDS_SHARED_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="LLMTRENDS_SHARED_DATA"):
        shared_data_dir()


def _hf_env(hub: StandinHub, tmp_path: Path) -> dict:
    """Environment for a subprocess whose Hub clients talk to the stand-in only."""
    env = dict(os.environ)
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("HF_TOKEN", None)
    env.update({
        "HF_ENDPOINT": hub.endpoint,  # read by huggingface_hub at import time: set before
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_DATASETS_CACHE": str(tmp_path / "hf_datasets"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "PYTHONPATH": str(REPO_ROOT),
    })
    return env


LOAD_SCRIPT = """
import json, datasets
ds = datasets.load_dataset("open-llm-leaderboard/contents", split="train")
frame = ds.to_pandas()
print(json.dumps({"rows": len(frame), "columns": list(frame.columns),
                  "fullnames": int(frame["fullname"].nunique()),
                  "average_sum": float(frame["Average ⬆️"].sum())}))
"""


def test_datasets_load_dataset_through_hf_endpoint(standin, tmp_path):
    expected = pd.read_parquet(DATA / "open-llm-leaderboard-contents.parquet")
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT], env=_hf_env(standin, tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["rows"] == 4576 == len(expected)
    assert got["columns"] == list(expected.columns)
    assert got["fullnames"] == expected["fullname"].nunique()
    assert got["average_sum"] == pytest.approx(float(expected["Average ⬆️"].sum()))
    paths = {r.path for r in standin.requests if r.kind == "dataset"}
    assert any(p.endswith("/data/train-00000-of-00001.parquet") for p in paths)
    assert all(r.status in (200, 206, 404) for r in standin.requests)


SOURCES_SCRIPT = """
import json
from llmtrends.pipeline.sources import load_v2_from_hub
frame, sha = load_v2_from_hub()
print(json.dumps({"rows": len(frame), "sha": sha}))
"""


def test_project_loader_reads_v2_from_the_standin(standin, tmp_path):
    out = subprocess.run([sys.executable, "-c", SOURCES_SCRIPT], env=_hf_env(standin, tmp_path),
                         capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["rows"] == 4576
    assert got["sha"] == standin.data.dataset_sha
