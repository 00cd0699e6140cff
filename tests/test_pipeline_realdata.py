"""Real-data tests: both boards built from ../shared/data, checked against plain pandas.

The expected values are computed here, independently of llmtrends, straight from the raw
files (groupby on the lower-cased id, the raw study records), or were read off the raw
files by hand (the hand-picked repositories).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from llmtrends.pipeline import store
from tests.conftest import REPO_ROOT, shared_data_dir, v1_leaderboard, v1_records, v2_parquet

DATA = shared_data_dir()  # raises at collection when the real data is missing

STUDY_FAMILIES = {"LLama", "Mixtral", "Qwen2", "Mistral", "Gemma", "Phi", "Opt", "GPT2", "GPT-NeoX"}


@pytest.fixture(scope="module")
def raw_v2() -> pd.DataFrame:
    return pd.read_parquet(v2_parquet(DATA))


@pytest.fixture(scope="module")
def raw_v1() -> pd.DataFrame:
    return pd.read_csv(v1_leaderboard(DATA), sep=";")


@pytest.fixture(scope="module")
def v1(snapshot_dir) -> store.Snapshot:
    return store.read_snapshot(snapshot_dir, "v1")


@pytest.fixture(scope="module")
def v2(snapshot_dir) -> store.Snapshot:
    return store.read_snapshot(snapshot_dir, "v2")


def best_average(raw: pd.DataFrame, not_flagged: pd.Series) -> pd.Series:
    """lower-cased id -> the best average of its non-flagged rows (plain groupby)."""
    kept = raw[not_flagged]
    return kept.groupby(kept["fullname"].str.lower())["Average ⬆️"].max().sort_index()


def check_one_row_per_repo_with_best_average(models: pd.DataFrame, expected: pd.Series) -> None:
    keys = models["repo_id"].str.lower()
    assert keys.is_unique
    assert len(models) == len(expected)
    got = models.assign(k=keys).set_index("k")["average"].sort_index()
    assert got.index.tolist() == expected.index.tolist()
    pd.testing.assert_series_equal(got, expected, check_names=False)


# --------------------------------------------------------------------------- v2


def test_v2_one_row_per_repository_with_best_average(v2, raw_v2):
    expected = best_average(raw_v2, ~raw_v2["Flagged"])
    assert len(expected) == 4494  # 4,497 ids, 4,495 case-insensitively, 1 flagged model
    check_one_row_per_repo_with_best_average(v2.models, expected)


def test_v2_manifest_counts_add_up(v2, raw_v2):
    c = v2.manifest["counts"]
    flagged = int(raw_v2["Flagged"].sum())
    written = raw_v2.loc[~raw_v2["Flagged"], "fullname"].str.lower().nunique()
    assert (c["loaded"], c["flagged_removed"], c["written"]) == (len(raw_v2), flagged, written) == (4576, 1, 4494)
    assert c["loaded"] - c["flagged_removed"] - c["duplicates_removed"] == c["written"] == len(v2.models)
    assert c["enriched"] == 0 and c["commit_author_pairs"] == 0
    assert v2.manifest["source"] == str(v2_parquet(DATA))
    assert v2.manifest["enrichment"] == {"method": "none"}
    assert v2.commit_authors is None


def test_v2_labels_dates_and_families(v2, raw_v2):
    m = v2.models.set_index("repo_id")
    # type words without emoji, seven labels as in the raw file
    raw_types = set(raw_v2["Type"].str.split(" ", n=1).str[1])
    assert set(m["type"]) == raw_types and len(raw_types) == 7
    # created_at is the upload date; the placeholder marked; submission date kept
    assert m.loc["01-ai/Yi-1.5-34B", "created_at"] == pd.Timestamp("2024-05-11")
    assert m.loc["01-ai/Yi-1.5-34B", "submitted_at"] == pd.Timestamp("2024-06-12")
    assert m.loc["01-ai/Yi-1.5-34B", "created_at_source"] == "upload_date"
    placeholder_repos = raw_v2.loc[(raw_v2["Upload To Hub Date"] == "2022-03-02") & ~raw_v2["Flagged"],
                                   "fullname"].str.lower().nunique()
    assert int(m["created_at_placeholder"].sum()) == placeholder_repos
    assert (m.loc[m["created_at_placeholder"], "created_at"] == pd.Timestamp("2022-03-02")).all()
    kept = raw_v2[~raw_v2["Flagged"]]
    no_date = kept.groupby(kept["fullname"].str.lower())["Upload To Hub Date"].apply(lambda s: s.isna().all())
    assert int(m["created_at"].isna().sum()) == int(no_date.sum())  # no date in any of its rows
    # families: v2's own counts give these (see docs/pipeline.md)
    assert set(m["architecture_family"]) == {"LLama", "Qwen2", "Mistral", "Gemma2", "Mixtral", "Phi3", "Other"}
    arch = m["architecture"].str.lower().str.replace(r"(forcausallm|forconditionalgeneration|lmheadmodel|model)$",
                                                     "", regex=True)
    for family, key in [("LLama", "llama"), ("Qwen2", "qwen2"), ("Phi3", "phi3"), ("Mixtral", "mixtral")]:
        assert (m["architecture_family"] == family).sum() == (arch == key).sum() > 50
    # size classes straight from #Params (B)
    params = m["params_b"]
    assert (m.loc[params <= 9, "size_class"] == "Small").all()
    assert (m.loc[(params > 9) & (params <= 40), "size_class"] == "Medium").all()
    assert (m.loc[params > 40, "size_class"] == "Large").all()
    assert m.loc[params.isna(), "size_class"].isna().all()
    # #Params (B) of 0 (7 rows) or -1 (3 rows) is unknown: count the repos whose best row has one
    best_rows = (kept.assign(k=kept["fullname"].str.lower())
                 .sort_values("Average ⬆️", ascending=False, kind="mergesort").drop_duplicates("k"))
    assert params.isna().sum() == (best_rows["#Params (B)"] <= 0).sum() == 8


# --------------------------------------------------------------------------- v1


def test_v1_one_row_per_repository_with_best_average(v1, raw_v1):
    # the scrape stores Flagged inverted: True means *not* flagged
    expected = best_average(raw_v1, raw_v1["Flagged"])
    check_one_row_per_repo_with_best_average(v1.models, expected)


def test_v1_manifest_counts_add_up(v1, raw_v1):
    c = v1.manifest["counts"]
    written = raw_v1.loc[raw_v1["Flagged"], "fullname"].str.lower().nunique()
    assert (c["loaded"], c["flagged_removed"], c["written"]) == (6610, 106, written)
    assert c["loaded"] - c["flagged_removed"] - c["duplicates_removed"] == c["written"] == len(v1.models)
    hub = pd.read_csv(v1_records(DATA) / "hub_models.csv")
    rc = v1.manifest["enrichment"]["record_counts"]
    assert rc["hub_rows"] == len(hub) == 5907
    assert rc["hub_repeated"] == len(hub) - hub["name"].nunique() == 298
    assert rc["commit_rows"] == 5635
    assert c["commit_author_pairs"] == len(v1.commit_authors)
    assert c["enriched"] == int(v1.models["hub_outcome"].isin(["ok", "renamed"]).sum())
    assert set(v1.manifest["enrichment"]["record_sha256"]) == {"hub_models.csv", "repo_commits.csv"}


def test_v1_families_are_the_studys_nine_plus_other(v1):
    assert set(v1.models["architecture_family"]) == STUDY_FAMILIES | {"Other"}
    m = v1.models
    assert (m.loc[m["architecture"].isna(), "architecture_family"] == "Other").all()
    assert (m.loc[m["architecture"] == "GPTJForCausalLM", "architecture_family"] == "Other").all()  # 41 <= 50


def test_v1_flags_inverted_and_types(v1, raw_v1):
    m = v1.models.set_index("repo_id")
    # read by hand from the raw file: stored MoE=True, Merged=False -> not MoE, merged
    row = raw_v1[raw_v1["fullname"] == "paloalma/Le_Triomphant-ECE-TW3"].iloc[0]
    assert str(row["MoE"]) == "True" and str(row["Merged"]) == "False"
    got = m.loc["paloalma/Le_Triomphant-ECE-TW3"]
    assert bool(got["moe"]) is False and bool(got["merged"]) is True
    # stored counts: MoE False in 522 rows, Merged False in 1,218 -> the minority is MoE / merged
    assert 0 < int(m["moe"].sum()) < len(m) / 2 and 0 < int(m["merged"].sum()) < len(m) / 2
    assert set(m["type"].dropna()) == {"fine-tuned on domain-specific datasets", "chat models (RLHF, DPO, IFT, ...)",
                                       "base merges and moerges", "pretrained", "continuously pretrained"}
    assert m["official"].isna().all() and m["submitted_at"].isna().all()


# hand-picked from hub_models.csv / repo_commits.csv (read by eye, see the comments)
HAND_PICKED = [
    # repo, hub_id, outcome, created_at (UTC), num_commits
    ("davidkim205/Rhea-72b-v0.5", "davidkim205/Rhea-72b-v0.5", "ok", "2024-03-22 14:08:40", 9),
    # moved repositories: the Hub answered for the new id
    ("Test157t/Prima-LelantaclesV6.69-7b", "Nitral-AI/Prima-LelantaclesV6.69-7b", "renamed", "2024-03-12 18:13:46", 8),
    ("janhq/supermario-slerp", "jan-hq/supermario-slerp", "renamed", "2023-12-11 17:37:44", 10),
    ("ehartford/dolphin-2.2.1-mistral-7b", "cognitivecomputations/dolphin-2.2.1-mistral-7b", "renamed",
     "2023-10-30 22:50:33", None),
    # legacy id without a namespace: redirected to openai-community/gpt2, placeholder date
    ("gpt2", "openai-community/gpt2", "renamed", "2022-03-02 23:29:04", 26),
    # the study asked for both spellings (both answered by facebook/opt-125m): still ok
    ("Facebook/OPT-125M", "facebook/opt-125m", "ok", "2022-05-11 08:25:17", 32),
]


@pytest.mark.parametrize("repo, hub_id, outcome, created, commits", HAND_PICKED)
def test_v1_hand_picked_enrichment(v1, repo, hub_id, outcome, created, commits):
    m = v1.models.set_index("repo_id")
    row = m.loc[repo]
    assert row["hub_outcome"] == outcome
    assert row["hub_id"] == hub_id
    assert row["created_at"] == pd.Timestamp(created)
    assert row["created_at_source"] == "hub"
    assert bool(row["created_at_placeholder"]) == created.startswith("2022-03-02")
    if commits is not None:
        assert row["num_commits"] == commits


def test_v1_created_at_matches_hub_models_csv(v1):
    """Every enriched model's created_at is its (last usable) record's in hub_models.csv."""
    hub = pd.read_csv(v1_records(DATA) / "hub_models.csv")
    hub["key"] = hub["name"].str.lower()
    last = hub.drop_duplicates("key", keep="last").set_index("key")
    m = v1.models[v1.models["hub_outcome"].isin(["ok", "renamed"])]
    for repo in ["davidkim205/Rhea-72b-v0.5", "mlabonne/Beyonder-4x7B-v2", "kekmodel/StopCarbon-10.7B-v2",
                 "MaziyarPanahi/Topxtral-4x7B-v0.1"]:
        got = m.loc[m["repo_id"] == repo, "created_at"].iloc[0]
        want = pd.Timestamp(last.loc[repo.lower(), "created_at"]).tz_convert(None)
        assert got == want, repo
    # the stale copy gets no date: davidkim205/Rhea-72b-v0.4 was answered with Contamination's record
    stale = v1.models.set_index("repo_id").loc["davidkim205/Rhea-72b-v0.4"]
    assert stale["hub_outcome"] == "stale" and pd.isna(stale["created_at"]) and pd.isna(stale["hub_id"])
    # placeholder marking agrees with the dates
    marked = v1.models["created_at_placeholder"].astype(bool)
    on_day = v1.models["created_at"].dt.strftime("%Y-%m-%d") == "2022-03-02"
    assert (marked == on_day.fillna(False)).all() and marked.sum() > 0


def test_v1_commit_authors_from_repo_commits(v1):
    commits = pd.read_csv(v1_records(DATA) / "repo_commits.csv").set_index("name")
    pairs = v1.commit_authors
    for repo in ["davidkim205/Rhea-72b-v0.5", "gpt2", "Test157t/Prima-LelantaclesV6.69-7b"]:
        raw_authors = ast.literal_eval(commits.loc[repo, "authors"])
        want = [a for a in dict.fromkeys(raw_authors) if not a.lower().endswith("bot") and a != "system"]
        assert pairs.loc[pairs["repo_id"] == repo, "commit_author"].tolist() == want
        assert v1.models.set_index("repo_id").loc[repo, "num_commit_authors"] == len(want)
    assert pairs.duplicated().sum() == 0
    assert not pairs["commit_author"].str.lower().str.endswith("bot").any()


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py"), *args],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


def test_cli_builds_v2_with_summary(tmp_path, raw_v2):
    proc = run_cli("--board", "v2", "--source", str(v2_parquet(DATA)), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress off a terminal
    flagged = int(raw_v2["Flagged"].sum())
    written = raw_v2.loc[~raw_v2["Flagged"], "fullname"].str.lower().nunique()
    dups = len(raw_v2) - flagged - written
    summary = proc.stdout.strip()
    assert "\n" not in summary
    assert summary.startswith(
        f"v2: loaded {len(raw_v2):,} rows from {v2_parquet(DATA)}; removed {flagged:,} flagged and "
        f"{dups:,} duplicate entries (best average kept per repository); wrote {written:,} models "
        f"to {tmp_path / 'v2'} (snapshot {store.snapshot_path(tmp_path, 'v2').name}) in ")
    assert re.search(r" in \d+\.\d s\.$", summary)
    manifest = json.loads((store.snapshot_path(tmp_path, "v2") / "manifest.json").read_text())
    assert manifest["counts"]["written"] == written


def test_cli_builds_v1_enriched_with_summary(tmp_path, v1):
    records = v1_records(DATA)
    proc = run_cli("--board", "v1", "--source", str(v1_leaderboard(DATA)), "--enrich", "files",
                   "--hub-records", str(records), "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    c = v1.manifest["counts"]
    assert (f"wrote {c['written']:,} models, {c['enriched']:,} with Hub records and "
            f"{c['commit_author_pairs']:,} commit-author pairs to {tmp_path / 'v1'}") in proc.stdout
    # the same inputs give the same table
    again = store.read_snapshot(tmp_path, "v1")
    assert again.manifest["models_sha256"] == v1.manifest["models_sha256"]


@pytest.mark.parametrize("args, code, message", [
    (["--board", "v1", "--out", "OUT"], 2, "error: the v1 board has no Hub dataset; give --source leaderboard.csv"),
    (["--board", "v2", "--source", "SRC", "--enrich", "files", "--out", "OUT"], 2,
     "error: --enrich files needs --hub-records DIR"),
    (["--board", "v3", "--out", "OUT"], 2, "invalid choice: 'v3'"),
    (["--board", "v2", "--source", "SRC"], 2, "the following arguments are required: --out"),
    (["--board", "v2", "--source", "SRC", "--workers", "0", "--out", "OUT"], 2, "error: --workers must be at least 1"),
    (["--board", "v2", "--source", "MISSING", "--out", "OUT"], 1, "error: MISSING: file not found"),
])
def test_cli_exit_codes(tmp_path, args, code, message):
    subst = {"OUT": str(tmp_path / "out"), "SRC": str(v2_parquet(DATA)), "MISSING": str(tmp_path / "nope.parquet")}
    proc = run_cli(*[subst.get(a, a) for a in args])
    assert proc.returncode == code
    expected = message.replace("MISSING", subst["MISSING"])
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not (tmp_path / "out").exists()
