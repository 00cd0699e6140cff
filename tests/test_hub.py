"""Live Hub enrichment (llmtrends.pipeline.hub) with the real huggingface_hub client against the stand-in.

Expected tables are computed here from the shared CSV files with pandas and ``ast``, not
with llmtrends code, so that the enrichment is checked against the records themselves.
"""

from __future__ import annotations

import ast
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from llmtrends.pipeline import hub
from llmtrends.schema import BOT_AUTHORS, COMMIT_RECORD_COLUMNS, HUB_RECORD_COLUMNS
from tests.standin_hub import Faults, HubData, StandinHub, shared_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
V1 = shared_data_dir() / "open-llm-leaderboard-v1"
FAKE_TOKEN = "hf_FAKETOKENxyz1234567890abcdefABCDEF"
SUBSET = 200


# --------------------------------------------------------------------------- expectations
def _list(value) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [str(v) for v in ast.literal_eval(value)] if value.startswith("[") else [value]


def _utc_naive(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


@pytest.fixture(scope="module")
def expected_hub() -> pd.DataFrame:
    """hub_models.csv as the enrichment must return it (last record per name)."""
    raw = pd.read_csv(V1 / "hub_models.csv", index_col=0).drop_duplicates("name", keep="last")
    ns = raw["name"].str.split("/").str[0]
    model = raw["name"].str.split("/", n=1).str[-1]
    hub_id = raw["name"].where(raw["author"] == ns, raw["author"] + "/" + model)
    tags = raw["tags"].map(_list)

    def bases(row) -> list[str]:
        out = []
        for b in _list(row["base_model"]):
            if b not in out:
                out.append(b)
        for t in row["tags"]:
            if t.startswith("base_model:"):
                parts = t.split(":")
                repo = parts[-1]
                if repo not in out:
                    out.append(repo)
        return out

    frame = pd.DataFrame({
        "name": raw["name"],
        "hub_id": hub_id,
        "hub_outcome": ["renamed" if h.lower() != n.lower() else "ok" for h, n in zip(hub_id, raw["name"])],
        "author": raw["author"],
        "created_at": _utc_naive(raw["created_at"]),
        "last_modified": _utc_naive(raw["last_modified"]),
        "downloads": raw["downloads"],
        "library": raw["library_name"].where(raw["library_name"].notna(), None),
        "tags": tags,
        "language": raw["language"].map(_list),
        "datasets": raw["datasets"].map(_list),
        "base_model": pd.DataFrame({"base_model": raw["base_model"], "tags": tags}).apply(bases, axis=1),
        "license": tags.map(lambda ts: next((t[8:] for t in ts if t.startswith("license:")), None)),
    })
    return frame.set_index("name", drop=False)


@pytest.fixture(scope="module")
def expected_commits() -> pd.DataFrame:
    raw = pd.read_csv(V1 / "repo_commits.csv", index_col=0)

    def human(a: str) -> bool:
        return not (a.lower().endswith("bot") or a.lower() in BOT_AUTHORS)

    frame = pd.DataFrame({
        "name": raw["name"],
        "num_commits": raw["num_of_commits"],
        "first_commit": _utc_naive(raw["first_commit"]),
        "last_commit": _utc_naive(raw["last_commit"]),
        "authors": raw["authors"].map(lambda s: sorted({a for a in _list(s) if human(a)})),
    })
    return frame.set_index("name", drop=False)


@pytest.fixture(scope="module")
def names(expected_hub) -> list[str]:
    """A fixed random subset of the v1 repositories, including moved ones and the legacy
    ids without a namespace (``gpt2``), which the Hub answers under their owner now."""
    rng = random.Random(4)
    legacy = sorted(n for n in expected_hub.index if "/" not in n)
    rest = sorted(n for n in expected_hub.index if "/" in n)
    picked = rng.sample(rest, SUBSET - len(legacy)) + legacy
    rng.shuffle(picked)
    return picked


def check_tables(result: hub.HubEnrichment, names: list[str], expected_hub, expected_commits,
                 special: dict[str, str] | None = None) -> None:
    """Every row of the result equals the record files (or is empty for a failed repo)."""
    special = special or {}
    h, c = result.hub_records, result.commit_records
    assert list(h.columns) == list(HUB_RECORD_COLUMNS)
    assert list(c.columns) == list(COMMIT_RECORD_COLUMNS)
    assert list(h["name"]) == names and list(c["name"]) == names
    for row, crow in zip(h.to_dict("records"), c.to_dict("records")):
        name = row["name"]
        if name in special:
            assert row["hub_outcome"] == special[name]
            assert row["hub_id"] is None and row["tags"] == [] and pd.isna(row["created_at"])
            assert pd.isna(crow["num_commits"]) and crow["authors"] == []
            continue
        exp = expected_hub.loc[name]
        for col in HUB_RECORD_COLUMNS:
            if col == "likes":
                assert pd.isna(row[col])  # the study's records have no likes
                continue
            want, got = exp[col], row[col]
            if isinstance(want, list):
                assert got == want, (name, col)
            elif pd.isna(want):
                assert pd.isna(got), (name, col)
            else:
                assert got == want, (name, col, got, want)
        if name in expected_commits.index:
            ec = expected_commits.loc[name]
            assert crow["num_commits"] == ec["num_commits"]
            assert crow["first_commit"] == ec["first_commit"]
            assert crow["last_commit"] == ec["last_commit"]
            assert crow["authors"] == ec["authors"]
        else:
            assert pd.isna(crow["num_commits"]) and crow["authors"] == []


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def hub_data() -> HubData:
    return HubData.load()


@pytest.fixture()
def standin(hub_data):
    hub_server = StandinHub(data=hub_data).start()
    yield hub_server
    hub_server.stop()


@pytest.fixture(autouse=True)
def fast_settings(monkeypatch):
    """Short timeouts and backoffs so faults cost milliseconds, not minutes."""
    monkeypatch.setattr(hub, "SETTINGS", hub.Settings(
        read_timeout=1.0, connect_timeout=2.0, backoff_base=0.02, backoff_cap=0.2, max_retries=6,
    ))


def run(standin, names, cache, **kw) -> hub.HubEnrichment:
    kw.setdefault("max_requests_per_5min", None)
    return hub.enrich_from_hub(names, cache_path=cache, endpoint=standin.endpoint, token=False,
                               progress=False, **kw)


def api_requests(standin) -> list:
    return [r for r in standin.requests if r.kind in ("model_info", "commits", "list_models")]


# --------------------------------------------------------------------------- tests
def test_fault_free_run_equals_the_records(standin, names, tmp_path, expected_hub, expected_commits):
    asked = names + ["nobody/never-existed"]
    result = run(standin, asked, tmp_path / "cache", workers=8)
    check_tables(result, asked, expected_hub, expected_commits, {"nobody/never-existed": "not_found"})
    exp_out = expected_hub.loc[names, "hub_outcome"].value_counts().to_dict()
    exp_out["not_found"] = 1
    assert result.outcomes == exp_out
    reqs = api_requests(standin)
    assert result.requests_made == len(reqs)
    # nothing asked twice; every repository's info came from model_info or its namespace's listing
    keys = [(r.kind, r.repo_id, r.query) for r in reqs]
    assert len(keys) == len(set(keys))
    info_asked = {r.repo_id for r in reqs if r.kind == "model_info"}
    listed = {r.query.split("author=")[1].split("&")[0] for r in reqs if r.kind == "list_models"}
    assert all(n in info_asked or n.split("/")[0] in listed for n in asked)
    commit_pages = sum(r.kind == "commits" for r in reqs)
    # one page per 50 commits; a repository without history still costs its (404) request
    n_commits = expected_commits["num_commits"].reindex(names).fillna(1)
    assert commit_pages == int((-(-n_commits // 50)).sum())


def test_namespace_listing_saves_requests_with_the_same_result(standin, expected_hub, tmp_path, monkeypatch):
    # whole namespaces with several leaderboard models, where listing pays off
    counts = expected_hub["name"].str.split("/").str[0].value_counts()
    asked = sorted(expected_hub[expected_hub["name"].str.split("/").str[0].isin(counts.index[:5])]["name"])
    # no faults here: generous timeouts, so a slow answer on a loaded machine is not retried
    monkeypatch.setattr(hub, "SETTINGS", hub.Settings(read_timeout=30.0, connect_timeout=10.0))
    monkeypatch.setattr(hub, "BATCH_NAMESPACES", False)
    single = run(standin, asked, tmp_path / "single", workers=8)
    monkeypatch.setattr(hub, "BATCH_NAMESPACES", True)
    standin.clear_requests()
    batched = run(standin, asked, tmp_path / "batched", workers=8)
    pd.testing.assert_frame_equal(batched.hub_records, single.hub_records)
    pd.testing.assert_frame_equal(batched.commit_records, single.commit_records)
    reqs = api_requests(standin)
    assert sum(r.kind == "list_models" for r in reqs) == 5
    moved = int((expected_hub.loc[asked, "hub_outcome"] == "renamed").sum())
    assert sum(r.kind == "model_info" for r in reqs) <= moved + 5  # only what listings lacked
    assert batched.requests_made < single.requests_made - len(asked) // 2


def test_ten_percent_faults_give_the_same_table(standin, names, tmp_path, expected_hub, expected_commits):
    clean = run(standin, names, tmp_path / "clean", workers=8)
    standin.clear_requests()
    standin.set_faults(Faults(rate=0.10, seed=7, retry_after=1, hang_seconds=3.0,
                              kinds=("429", "500", "503", "hang", "malformed", "reset")))
    faulty = run(standin, names, tmp_path / "faulty", workers=8)
    faults = [r.fault for r in api_requests(standin) if r.fault]
    assert len(faults) >= 20  # faults really happened, of several kinds
    assert len(set(faults)) >= 4
    pd.testing.assert_frame_equal(faulty.hub_records, clean.hub_records)
    pd.testing.assert_frame_equal(faulty.commit_records, clean.commit_records)
    check_tables(faulty, names, expected_hub, expected_commits)
    assert faulty.requests_made == len(api_requests(standin))


def test_permanent_failures_are_counted_and_kept(standin, names, tmp_path, expected_hub, expected_commits):
    gone, gated, forbidden = names[0], names[1], names[2]
    standin.set_status(gone, 404)
    standin.set_status(gated, 401)
    standin.set_status(forbidden, 403)
    result = run(standin, names, tmp_path / "cache", workers=4)
    special = {gone: "not_found", gated: "gated", forbidden: "forbidden"}
    check_tables(result, names, expected_hub, expected_commits, special)
    assert result.outcomes["not_found"] == 1
    assert result.outcomes["gated"] == 1
    assert result.outcomes["forbidden"] == 1
    assert sum(result.outcomes.values()) == len(names)
    # permanent answers are not retried
    for name in special:
        assert sum(r.repo_id == name for r in standin.requests) == 1


def test_exhausted_retries_are_an_error_outcome_then_resume(standin, names, tmp_path,
                                                           expected_hub, expected_commits):
    victim = names[5]
    standin.queue_fault("503", repo_match=victim, count=100)
    first = run(standin, names[:20], tmp_path / "cache", workers=4)
    assert first.outcomes.get("error") == 1
    assert first.hub_records.set_index("name").loc[victim, "hub_outcome"] == "error"
    with standin._state.lock:
        standin._state.queued.clear()
    standin.clear_requests()
    second = run(standin, names[:20], tmp_path / "cache", workers=4)
    check_tables(second, names[:20], expected_hub, expected_commits)
    assert {r.repo_id for r in api_requests(standin)} == {victim}  # only the failed one again


def test_rate_limit_is_never_exceeded(standin, names, tmp_path, monkeypatch, expected_hub, expected_commits):
    window, limit = 1.0, 12
    monkeypatch.setattr(hub, "SETTINGS", hub.Settings(window_seconds=window, read_timeout=2.0,
                                                      backoff_base=0.02, backoff_cap=0.2))
    standin.set_faults(Faults(latency=0.005, rate=0.05, seed=3, kinds=("500", "503", "malformed")))
    subset = names[:25]
    result = run(standin, subset, tmp_path / "cache", workers=8, max_requests_per_5min=limit)
    check_tables(result, subset, expected_hub, expected_commits)
    seen = api_requests(standin)
    assert len(seen) > 3 * limit  # enough requests to need several windows
    assert standin.max_in_window(window, kinds=("model_info", "commits")) <= limit


def test_without_the_private_factory_name_enrichment_still_goes_through_the_transport(
        standin, names, tmp_path, expected_hub, expected_commits, monkeypatch, caplog):
    """The factory to restore is the only private name read; without it the run still
    routes (and counts) every request and puts huggingface_hub's default factory back."""
    from huggingface_hub.utils import _http as hf_http

    monkeypatch.delattr(hf_http, "_GLOBAL_CLIENT_FACTORY")
    subset = names[:20]
    with caplog.at_level("WARNING", logger="llmtrends.pipeline.hub"):
        result = run(standin, subset, tmp_path / "cache", workers=4)
    check_tables(result, subset, expected_hub, expected_commits)
    assert result.requests_made == len(api_requests(standin)) > 0  # each one through the limiter
    assert hf_http._GLOBAL_CLIENT_FACTORY is hf_http.default_client_factory
    assert [r.getMessage() for r in caplog.records if "client factory" in r.getMessage()] == [
        "huggingface_hub does not tell its client factory; the default one is restored after the run"]


@pytest.mark.parametrize("change", ["no set_client_factory", "an httpx client", "the factory unused"])
def test_a_huggingface_hub_that_cannot_take_the_transport_stops_before_any_request(
        standin, names, tmp_path, monkeypatch, change):
    import huggingface_hub.utils
    from huggingface_hub.utils import _http as hf_http

    from llmtrends.pipeline import runner

    if change == "no set_client_factory":  # (a lazy module: None stands for a name it lacks)
        monkeypatch.setattr(huggingface_hub.utils, "set_client_factory", None)
    elif change == "an httpx client":  # huggingface_hub 1.x: httpx, which the transport cannot serve
        monkeypatch.delattr(hf_http, "httpx2")
    else:  # a huggingface_hub whose shared client no longer comes from the factory
        monkeypatch.setattr(huggingface_hub.utils, "get_session", hf_http.default_client_factory)
    with pytest.raises(hub.HubSetupError) as err:
        run(standin, names[:5], tmp_path / "cache")
    message = str(err.value)
    assert "\n" not in message and "huggingface_hub" in message
    assert {"no set_client_factory": "it has no set_client_factory",
            "an httpx client": "its HTTP client is not httpx2",
            "the factory unused": "does not use the client set by set_client_factory"}[change] in message
    assert api_requests(standin) == []
    assert hub.HubCache(tmp_path / "cache").load() == {}  # nothing written
    assert hf_http._GLOBAL_CLIENT_FACTORY is hf_http.default_client_factory  # huggingface_hub's own again
    # the pipeline turns it into its one-line error (the CLI prints "error: ...", exit 1)
    with pytest.raises(runner.PipelineError, match="huggingface_hub"):
        runner.run(board="v2", source=V1.parent / "open-llm-leaderboard-contents.parquet", enrich="hub",
                     out=tmp_path / "out", cache=tmp_path / "cache", max_requests_per_5min=0)
    assert not (tmp_path / "out" / "v2").exists() and api_requests(standin) == []


def test_default_limit_follows_the_published_tier(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    assert hub._resolve_limit(hub.AUTO_LIMIT, None) == 500
    assert hub._resolve_limit(hub.AUTO_LIMIT, FAKE_TOKEN) == 1000
    assert hub._resolve_limit(None, FAKE_TOKEN) is None
    assert hub._resolve_limit(42, None) == 42


def test_warm_cache_makes_no_request_and_dry_run_counts(standin, names, tmp_path):
    subset = names[:30]
    dry = run(standin, subset, tmp_path / "cache", dry_run=True)
    assert dry.planned_requests == 2 * len(subset)
    assert api_requests(standin) == []
    first = run(standin, subset[:10], tmp_path / "cache")
    dry = run(standin, subset, tmp_path / "cache", dry_run=True)
    assert dry.planned_requests == 2 * 20
    standin.clear_requests()
    again = run(standin, subset[:10], tmp_path / "cache")
    assert api_requests(standin) == [] and again.requests_made == 0
    pd.testing.assert_frame_equal(again.hub_records, first.hub_records)
    pd.testing.assert_frame_equal(again.commit_records, first.commit_records)


def test_refresh_refetches_info_and_only_changed_histories(standin, hub_data, names, tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "BATCH_NAMESPACES", False)  # one model_info per repository
    subset = [n for n in names if n in hub_data.commits][:10]
    run(standin, subset, tmp_path / "cache")
    changed = subset[3]
    original = dict(hub_data.models[changed])
    try:
        hub_data.models[changed] = {**original, "sha": "f" * 40, "downloads": original["downloads"] + 1}
        standin.clear_requests()
        result = run(standin, subset, tmp_path / "cache", refresh=True)
    finally:
        hub_data.models[changed] = original
    reqs = api_requests(standin)
    assert sorted(r.repo_id for r in reqs if r.kind == "model_info") == sorted(subset)
    assert [r.repo_id for r in reqs if r.kind == "commits"] == [changed]
    row = result.hub_records.set_index("name").loc[changed]
    assert row["downloads"] == original["downloads"] + 1


RUNNER = """
import logging, sys
from pathlib import Path
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from llmtrends.pipeline import hub
hub.SETTINGS = hub.Settings(read_timeout=2.0, backoff_base=0.02, backoff_cap=0.2)
names = Path(sys.argv[2]).read_text().split()
r = hub.enrich_from_hub(names, cache_path=Path(sys.argv[1]), workers=4, max_requests_per_5min=None,
                        progress=True, token=sys.argv[3] if len(sys.argv) > 3 else None)
print("outcomes", r.outcomes, "requests", r.requests_made)
r.hub_records.to_pickle(Path(sys.argv[1]).parent / "hub.pkl")
r.commit_records.to_pickle(Path(sys.argv[1]).parent / "commits.pkl")
"""


def _env(standin, tmp_path, **extra) -> dict:
    env = dict(os.environ)
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("HF_TOKEN", None)
    env.update({"HF_ENDPOINT": standin.endpoint, "HF_HOME": str(tmp_path / "hf_home"),
                "PYTHONPATH": str(REPO_ROOT)}, **extra)
    return env


def test_kill_9_then_resume_equals_an_uninterrupted_run(standin, names, tmp_path):
    reference = run(standin, names, tmp_path / "reference", workers=4)
    standin.clear_requests()
    standin.set_faults(Faults(latency=0.01))
    (tmp_path / "names.txt").write_text("\n".join(names))
    cache = tmp_path / "killed" / "hub_cache.sqlite"
    cache.parent.mkdir()
    kill_after = random.Random(11).randint(60, 300)  # requests before the kill
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(cache), str(tmp_path / "names.txt")],
                            env=_env(standin, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while len(api_requests(standin)) < kill_after and proc.poll() is None:
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(cache) as db:
        done = {n for (n,) in db.execute("SELECT name FROM repos")}
    assert 0 < len(done) < len(names)
    standin.clear_requests()
    standin.set_faults(Faults())
    resumed = run(standin, names, cache, workers=4)
    asked_again = {r.repo_id for r in api_requests(standin)}
    assert asked_again.isdisjoint(done)
    assert asked_again == set(names) - done
    pd.testing.assert_frame_equal(resumed.hub_records, reference.hub_records)
    pd.testing.assert_frame_equal(resumed.commit_records, reference.commit_records)


def test_token_is_used_but_never_written(standin, names, tmp_path):
    subset = names[:40]
    standin.set_status(subset[0], 401)
    standin.set_status(subset[1], 403)
    standin.set_faults(Faults(rate=0.15, seed=5, kinds=("500", "429", "malformed")))
    (tmp_path / "names.txt").write_text("\n".join(subset))
    cache = tmp_path / "cache"
    out = subprocess.run([sys.executable, "-c", RUNNER, str(cache), str(tmp_path / "names.txt")],
                         env=_env(standin, tmp_path, HF_TOKEN=FAKE_TOKEN), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "'gated': 1" in out.stdout and "'forbidden': 1" in out.stdout
    # the token reached the Hub ...
    auth = {r.authorization for r in api_requests(standin)}
    assert auth == {f"Bearer {FAKE_TOKEN}"}
    # ... and nowhere else: not in output, logs (DEBUG), cache or any file written
    assert FAKE_TOKEN not in out.stdout and FAKE_TOKEN not in out.stderr
    assert "FAKETOKEN" not in out.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("hub_cache.sqlite") for p in files)
    for path in files:
        assert FAKE_TOKEN.encode() not in path.read_bytes(), path


def test_base_model_tags_lose_their_relation_word():
    tags = ["base_model:mistralai/Mistral-7B-v0.1", "base_model:finetune:x/y",
            "base_model:merge:a/b", "base_model:quantized:x/y", "license:mit"]
    assert hub.base_models(["p/q", "x/y"], tags) == ["p/q", "x/y", "mistralai/Mistral-7B-v0.1", "a/b"]
    assert hub.base_models("p/q", []) == ["p/q"]
    assert hub.base_models(None, []) == []


# Made-up ids that huggingface_hub's client refuses before sending (validate_repo_id):
# a path, three parts, an emoji, a name of 97 characters (the client allows 96).
INVALID_IDS = ["../x", "a/b/c", "org/\N{HUGGING FACE}-model", "org/" + "m" * 97]


def test_ids_the_client_refuses_are_recorded_once_as_invalid(standin, names, tmp_path):
    cache = tmp_path / "cache"
    first = run(standin, names[:3] + INVALID_IDS, cache)
    outcome = dict(zip(first.hub_records["name"], first.hub_records["hub_outcome"]))
    assert [outcome[n] for n in INVALID_IDS] == ["invalid"] * 4
    assert first.outcomes["invalid"] == 4
    assert all(outcome[n] in ("ok", "renamed") for n in names[:3])
    with sqlite3.connect(cache / hub.CACHE_FILENAME) as db:
        stored = dict(db.execute("SELECT name, error FROM repos WHERE outcome = 'invalid'").fetchall())
    assert set(stored) == set(INVALID_IDS)
    assert all(text.startswith("invalid repository id: ") for text in stored.values())
    asked_paths = [r.path for r in standin.requests]
    assert not any("m" * 97 in p or "/b/c" in p or "../" in p for p in asked_paths)

    # the next run, even with --refresh, does not ask them again
    standin.clear_requests()
    again = run(standin, INVALID_IDS, cache, refresh=True)
    assert list(again.hub_records["hub_outcome"]) == ["invalid"] * 4
    assert api_requests(standin) == []
