"""Every view on the hub board (issue 20, part B): the score chooser, the model tree, releases.

Two hub boards:

* the real listing sample (``snapshot_dir``'s hub board): real models, no Community Evals
  results and no parameter counts (the sample has neither);
* a small **made-up** board built from it here (:func:`made_up_models`): the same real models
  with **made-up** benchmark scores and parameter counts, plus two made-up models of official
  providers' namespaces. Every value set there is made up, by a rule written beside it.

Expected values are recomputed with plain pandas (or plain Python) from the models table,
never taken from the views.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import benchmarks, providers, releases, store
from llmtrends.serving import render
from llmtrends.pipeline.store import Snapshot
from llmtrends.views import VIEWS
from llmtrends.views import architecture_popularity, author_activity, base_models, changes, co2, compare
from llmtrends.views import inputs, selection
from llmtrends.views import explorer, moe, official, params_score, score_trends, type_popularity
from llmtrends.views import releases as releases_view

REPO = Path(__file__).resolve().parent.parent
HUB = schema.HUB_BOARD
BENCH = [b.column for b in benchmarks.load()]  # ce_mmlu_pro, ce_gpqa, ce_hle (the file's order)
NO_SCORES = "The Hub today board has no scores yet"
PNG = b"\x89PNG\r\n\x1a\n"
# the views that plot a score, with the control that chooses it (author activity, base models,
# what changed and the explorer have more to show than scores)
SCORE_VIEWS = (score_trends, params_score, moe)


def size_class(p: float) -> str | None:
    if not p > 0:
        return None
    return "Small" if p <= 9 else "Medium" if p <= 40 else "Large"


def made_up_models(sample: pd.DataFrame) -> pd.DataFrame:
    """The sample's models with MADE-UP scores and sizes, by rules on each model's position ``i``
    in repo id order: parameters cycle through 0.5, 3, 8, 14, 35, 70 billion; MMLU-Pro for
    two models in three (10 + 7i mod 80), GPQA Diamond for every third (5 + 11i mod 70), HLE
    for every tenth (2 + i mod 20). Plus two made-up models in official providers'
    namespaces (Qwen, openai), a Large and a Small one."""
    m = sample.sort_values("repo_id", kind="mergesort").reset_index(drop=True).copy()
    i = np.arange(len(m))
    m["params_b"] = np.array([0.5, 3.0, 8.0, 14.0, 35.0, 70.0])[i % 6]
    m["size_class"] = [size_class(p) for p in m["params_b"]]
    m["ce_mmlu_pro"] = np.where(i % 3 != 0, 10.0 + (7 * i) % 80, np.nan)
    m["ce_gpqa"] = np.where(i % 3 == 0, 5.0 + (11 * i) % 70, np.nan)
    m["ce_hle"] = np.where(i % 10 == 0, 2.0 + i % 20, np.nan)
    extra = m.iloc[[0, 1]].copy()
    extra["repo_id"] = ["Qwen/made-up-official-large", "openai/made-up-official-small"]
    extra["namespace"] = ["Qwen", "openai"]
    extra["params_b"], extra["size_class"] = [72.0, 4.0], ["Large", "Small"]
    return pd.concat([m, extra], ignore_index=True)


@pytest.fixture(scope="module")
def sample(snapshot_dir) -> Snapshot:
    return store.read_snapshot(snapshot_dir, HUB)


@pytest.fixture(scope="module")
def made_up(sample) -> Snapshot:
    return Snapshot(board=HUB, models=made_up_models(sample.models), commit_authors=None,
                    manifest=dict(sample.manifest, source="made up (tests/test_hub_views.py)"))


@pytest.fixture(scope="module")
def leaderboards(snapshot_dir) -> dict[str, Snapshot]:
    return {b: store.read_snapshot(snapshot_dir, b) for b in ("v1", "v2")}


def real_day(m: pd.DataFrame) -> pd.Series:
    return m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool)


# --------------------------------------------------------------------------- the chooser


def test_the_default_is_the_benchmark_with_the_most_scored_models(made_up):
    m = made_up.models
    counts = {col: int(m[col].notna().sum()) for col in BENCH}
    assert counts["ce_mmlu_pro"] > counts["ce_gpqa"] > counts["ce_hle"] > 0  # the made-up rules
    assert selection.default_score(made_up) == "ce_mmlu_pro"
    # no average on the hub board: only the benchmarks, in the file's order, with their counts
    labels = {"ce_mmlu_pro": "MMLU-Pro", "ce_gpqa": "GPQA Diamond", "ce_hle": "Humanity's Last Exam"}
    assert selection.score_choices(made_up) == {col: f"{labels[col]} ({counts[col]:,} models)" for col in BENCH}
    for view in SCORE_VIEWS + (author_activity, base_models, explorer):
        assert view.Params.defaults(made_up).score == "ce_mmlu_pro", view.ID
    # more GPQA results: GPQA; as many on two benchmarks: the first of benchmarks.csv
    for gpqa, want in ((counts["ce_mmlu_pro"] + 1, "ce_gpqa"), (counts["ce_mmlu_pro"], "ce_mmlu_pro")):
        m2 = m.copy()
        m2["ce_gpqa"] = np.where(np.arange(len(m2)) < gpqa, 50.0, np.nan)
        snap = Snapshot(board=HUB, models=m2, commit_authors=None, manifest={})
        assert selection.default_score(snap) == want
    # a benchmark nobody was scored on is not offered
    m3 = m.assign(ce_hle=np.nan)
    assert list(selection.score_choices(Snapshot(board=HUB, models=m3, commit_authors=None, manifest={}))) == BENCH[:2]


def test_the_leaderboards_keep_their_average_and_offer_their_benchmarks(leaderboards):
    for board, snap in leaderboards.items():
        m = snap.models
        expected = [col for col in ["average", *schema.benchmark_columns(board)] if m[col].notna().any()]
        assert list(selection.score_choices(snap)) == expected and expected[0] == "average"
        assert selection.default_score(snap) == "average"
        for view in SCORE_VIEWS + (author_activity, base_models, explorer, co2):
            assert view.Params.defaults(snap).score == "average", (board, view.ID)


@pytest.mark.parametrize("view", SCORE_VIEWS + (author_activity, base_models, explorer, changes),
                         ids=lambda v: v.ID)
def test_a_forged_score_is_rejected(view, made_up, leaderboards, sample):
    base = {"bases": list(base_models.Params.defaults(made_up).bases)} if view is base_models else {}
    with pytest.raises(inputs.InvalidInput, match="score"):
        view.Params.from_inputs({**base, "score": "ce_nope"}, made_up) if view is not changes else \
            view.Params.from_inputs({"score": "ce_nope"}, leaderboards["v2"])
    if view is not changes:  # a benchmark of another board
        with pytest.raises(inputs.InvalidInput, match="score"):
            view.Params.from_inputs({"score": "ce_mmlu_pro"}, leaderboards["v1"])
    # on a board without any score no control offers one: whatever is sent says why or is ignored
    if view in SCORE_VIEWS:
        with pytest.raises(inputs.EmptySelection, match=NO_SCORES):
            view.Params.from_inputs({"score": "average"}, sample)
    elif view is not changes:
        raw = {"bases": list(base_models.Params.defaults(sample).bases)} if view is base_models else {}
        assert view.Params.from_inputs({**raw, "score": "average"}, sample).score is None


# --------------------------------------------------------------------------- the real sample


def test_on_the_real_sample_every_view_draws_or_says_why_in_one_line(sample):
    drawn, said = {}, {}
    for view in VIEWS:
        try:
            params = view.Params.from_inputs({}, sample)
            tbl = view.table(sample, params)
        except inputs.EmptySelection as exc:
            said[view.ID] = str(exc)
            continue
        drawn[view.ID] = [w for w in view.FIGURES
                          if getattr(view, "empty_figure", lambda *a: None)(tbl, params, w) is None]
        for which in view.FIGURES:
            why = getattr(view, "empty_figure", lambda *a: None)(tbl, params, which)
            if why is not None:
                said[f"{view.ID}/{which}"] = why
    for where, text in said.items():
        assert "\n" not in text and len(text) < 300, where
        assert "leaderboard" not in text.replace("Leaderboard v2", ""), where  # the board is named, rightly
    for view_id in ("score_trends", "params_score", "moe", "compare", "author_activity/scores",
                    "base_models/evolution"):
        assert said[view_id].startswith(NO_SCORES), view_id
    assert said["co2"] == "The Hub today board has no CO₂ data: CO₂ costs are reported on Leaderboard v2 only."
    assert said["official"].startswith("The Hub today board knows no model's parameter count")
    day = sample.manifest["as_of"]
    assert said["changes"] == f"The Hub today board has a single snapshot ({day}): there is nothing to compare yet."
    # five days of new models: one whole week and a partial one, no change from week to week
    assert said["architecture_popularity/vs_previous"].startswith("No whole week of this range follows another")
    assert drawn == {"type_popularity": list(type_popularity.FIGURES), "author_activity": ["timeline"],
                     "architecture_popularity": ["vs_mean"],
                     "base_models": ["derivatives"], "releases": list(releases_view.FIGURES), "explorer": []}


# --------------------------------------------------------------------------- score views, made-up scores


def test_score_trends_plot_the_chosen_benchmark(made_up):
    m = made_up.models
    for score in ("ce_mmlu_pro", "ce_gpqa"):
        params = score_trends.Params.from_inputs({"score": score}, made_up)
        tbl = score_trends.table(made_up, params)
        points = tbl[tbl["series"] == "model"]
        want = m[real_day(m) & m[score].notna() & m["type"].notna()]  # every type ticked; no type: none
        assert sorted(zip(points["repo_id"], points[score])) == sorted(zip(want["repo_id"], want[score]))
        assert "average" not in tbl.columns and score in tbl.columns
        assert tbl.attrs["models_shown"] == len(want)
        fig = score_trends.figure(tbl, params, "scores")
        assert fig.labels.y == selection.score_label(score) == {"ce_mmlu_pro": "MMLU-Pro score",
                                                         "ce_gpqa": "GPQA Diamond score"}[score]


def test_params_score_on_the_chosen_benchmark(made_up):
    m = made_up.models
    params = params_score.Params.defaults(made_up)
    tbl = params_score.table(made_up, params)
    want = m[real_day(m) & m["ce_mmlu_pro"].notna() & (m["params_b"] >= 1) & m["size_class"].notna()
             & m["type"].notna()]
    assert sorted(tbl["repo_id"]) == sorted(want["repo_id"])
    per_b = want["ce_mmlu_pro"] / want["params_b"]
    for size, group in per_b.groupby(want["size_class"]):
        row = tbl[tbl["size_class"] == size].iloc[0]
        assert row["class_models"] == len(group)
        assert row["class_median_score_per_b"] == pytest.approx(group.median())
        assert row["class_median_average"] == pytest.approx(want.loc[group.index, "ce_mmlu_pro"].median())


def test_moe_on_the_chosen_benchmark(made_up):
    m = made_up.models
    params = moe.Params.from_inputs({"score": "ce_gpqa"}, made_up)
    tbl = moe.table(made_up, params)
    want = m[real_day(m) & m["ce_gpqa"].notna() & m["moe_architecture"].notna() & (m["params_b"] > 0)]
    assert sorted(tbl["repo_id"]) == sorted(want["repo_id"])
    expected = {("MoE" if flag else "Dense"): n for flag, n in want["moe_architecture"].astype(bool).value_counts().items()}
    assert tbl.groupby("experts")["group_models"].first().to_dict() == expected
    fig = moe.figure(tbl, params, "distribution")
    assert fig.labels.y == "GPQA Diamond score"


def test_author_activity_scores_the_chosen_benchmark(made_up):
    m = made_up.models
    params = author_activity.Params.defaults(made_up)
    tbl = author_activity.table(made_up, params)
    for (author, period), rows in tbl.groupby(["author", "period"]):
        theirs = m[(m["namespace"] == author) & real_day(m)]
        week = theirs["created_at"].dt.normalize() - pd.to_timedelta(theirs["created_at"].dt.dayofweek, unit="D")
        mine = theirs[week == period]["ce_mmlu_pro"]
        assert rows["period_models"].iloc[0] == len(mine)
        if mine.notna().any():
            assert rows["period_average"].iloc[0] == pytest.approx(mine.mean())
        else:
            assert rows["period_average"].isna().all()
    assert author_activity.empty_figure(tbl, params, "scores") is None


def test_the_explorer_minimum_is_on_the_chosen_benchmark(made_up):
    m = made_up.models
    params = explorer.Params.from_inputs({"score": "ce_gpqa", "min_score": 40}, made_up)
    tbl = explorer.table(made_up, params)
    want = m[m["ce_gpqa"].round(2) >= 40]
    assert sorted(tbl["repo_id"]) == sorted(want["repo_id"])
    assert "average" not in tbl.columns and "Average" not in explorer.grid_columns(HUB)
    cols = explorer.grid_columns(HUB)
    gpqa, mmlu = cols.index("GPQA Diamond"), cols.index("MMLU-Pro")
    assert explorer.grid_filters(params, HUB) == [{"col": gpqa, "value": [40.0, None]}]
    # the score changed, the minimum kept: the bound moves to the new column; the user's own
    # maximum on the old one stays
    later = explorer.Params.from_inputs({"score": "ce_mmlu_pro", "min_score": 40}, made_up)
    assert explorer.grid_filters(later, HUB, [{"col": gpqa, "value": [40.0, 60.0]}]) == [
        {"col": mmlu, "value": [40.0, None]}, {"col": gpqa, "value": [None, 60.0]}]


def test_compare_defaults_to_the_best_on_the_default_benchmark(made_up):
    m = made_up.models
    best = m.dropna(subset=["ce_mmlu_pro"]).sort_values(["ce_mmlu_pro", "repo_id"], ascending=[False, True])
    params = compare.Params.defaults(made_up)
    assert params.models == tuple(best["repo_id"].head(3))
    tbl = compare.table(made_up, params)
    assert list(dict.fromkeys(tbl["benchmark_label"])) == ["MMLU-Pro", "GPQA Diamond", "Humanity's Last Exam"]
    assert "Average" not in compare.numbers(tbl).columns  # the hub board has no average


def test_official_providers_come_from_the_namespace_list(made_up):
    m = made_up.models
    with open(REPO / "llmtrends" / "official_providers.csv", encoding="utf-8", newline="") as fh:
        names = {r["namespace"].lower() for r in csv.DictReader(fh)}
    assert {"qwen", "openai"} <= names
    sized = m[m["size_class"].notna() & m["type"].notna()]  # every type ticked; no type: none
    who = np.where(sized["namespace"].str.lower().isin(names), providers.OFFICIAL, providers.COMMUNITY)
    want = pd.Series(1, index=sized.index).groupby([who, sized["size_class"].to_numpy()]).sum()
    tbl = official.table(made_up, official.Params.defaults(made_up))
    got = tbl.set_index(["provider", "size_class"])["models"]
    for key, n in want.items():
        assert got[key] == n, key
    assert set(tbl.loc[tbl["models"] > 0, "official_source"]) == {"provider list"}  # the hub board has no flag
    assert got[(providers.OFFICIAL, "Large")] == 1 and got[(providers.OFFICIAL, "Small")] == 1


def test_what_changed_ranks_on_the_chosen_benchmark(made_up, tmp_path):
    m = made_up.models.copy()
    # the later day (MADE UP): every MMLU-Pro score +1, the first scored Small model +50, and
    # a new Medium model that leads its class
    later = m.copy()
    later["ce_mmlu_pro"] = later["ce_mmlu_pro"] + 1
    small = later.index[(later["size_class"] == "Small") & later["ce_mmlu_pro"].notna()][0]
    later.loc[small, "ce_mmlu_pro"] = 99.0
    new = later.iloc[[0]].copy()
    new["repo_id"], new["params_b"], new["size_class"], new["ce_mmlu_pro"] = "made-up/new-leader", 20.0, "Medium", 99.5
    later = pd.concat([later, new], ignore_index=True)
    for day, models in (("2026-09-21", m), ("2026-09-28", later)):
        store.write_snapshot(tmp_path, HUB, models, None, {"as_of": day, "source": "made up"})
    snap = store.read_snapshot(tmp_path, HUB)
    params = changes.Params.defaults(snap)
    assert (params.start, params.end, params.score) == (dt.date(2026, 9, 21), dt.date(2026, 9, 28), "ce_mmlu_pro")
    tbl = changes.table(snap, params)
    leaders = changes.section(tbl, "leader").set_index("size_class")
    for size in schema.SIZE_CLASSES:
        for frame, col in ((m, "average_from"), (later, "average_to")):
            scored = frame[frame["size_class"].eq(size) & frame["ce_mmlu_pro"].notna()]
            assert leaders.loc[size, col] == pytest.approx(scored["ce_mmlu_pro"].max()), (size, col)
    assert leaders.loc["Medium", "repo_id"] == "made-up/new-leader"
    assert leaders.loc["Small", "repo_id"] == later.loc[small, "repo_id"]
    # every common score changed: a re-scoring, said once, no movers
    m_ = changes.measures(tbl)
    assert m_["rescored"] == "yes" and m_["score"] == "ce_mmlu_pro"
    assert int(m_["average_changed"]) == int(m["ce_mmlu_pro"].notna().sum())
    assert any("MMLU-Pro scores of" in line for line in changes.summary_lines(tbl))
    front = changes.section(tbl, "frontier")
    assert front.groupby("date")["average"].max().tolist() == [m["ce_mmlu_pro"].max(), 99.5]
    assert changes.section_cells(tbl, "leader")[0][2] == "MMLU-Pro score then"


# --------------------------------------------------------------------------- base models: the model tree


def independent_tree(m: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each model's chain of declared bases on the board (lower-cased ids, nearest first) and
    its spelling, recomputed from ``base_model`` with plain Python."""
    ids = [str(r).lower() for r in m["repo_id"]]
    parent = {}
    for i, b in zip(ids, m["base_model"]):
        if isinstance(b, str) and b.count("/") == 1 and b.lower() != i:
            parent[i] = b.lower()
    chains = {}
    for i in ids:
        chain, node, seen = [], i, {i}
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
            chain.append(node)
        chains[i] = chain
    return chains, dict(zip(ids, m["repo_id"]))


def test_the_hub_board_offers_the_roots_with_the_most_derivatives(sample):
    m = sample.models
    chains, _ = independent_tree(m)
    roots = pd.Series([ch[-1] for ch in chains.values() if ch]).value_counts()
    order = sorted(roots.index, key=lambda k: (-roots[k], k))
    assert list(base_models.base_choices(sample)) == order[:base_models.MAX_HUB_BASES]
    assert base_models.Params.defaults(sample).bases == tuple(order[:3])  # all of them dated (the sample)
    assert base_models.base_choices(sample)[order[0]].endswith(f"({roots[order[0]]} derivatives)")


def test_derivatives_per_day_by_relation_from_the_model_tree(sample):
    m = sample.models.copy()
    chains, _ = independent_tree(m)
    m["chain"] = [chains[str(r).lower()] for r in m["repo_id"]]
    bases = base_models.Params.defaults(sample).bases
    tbl = base_models.table(sample, base_models.Params(bases=bases, score=None, board=HUB))
    days = base_models.derivative_rows(tbl)
    assert base_models.steps(tbl).empty  # no scores: the derivatives alone
    for key in bases:
        ders = m[np.array([key in ch for ch in m["chain"]]) & real_day(m)]
        # day 0: the root's own creation on the board, else the first derivative's day
        root = m[m["repo_id"].str.lower() == key]
        day0 = (root["created_at"] if len(root) else ders["created_at"]).min().normalize()
        rel = ders["relation"].fillna("unknown")
        want = ders.groupby([ders["created_at"].dt.normalize(), rel]).size()
        got = days[days["base_key"] == key].set_index(["created_at", "relation"])["new_derivatives"]
        assert {(d, r): int(n) for (d, r), n in got.items()} == {(d, r): int(n) for (d, r), n in want.items()}
        assert (days.loc[days["base_key"] == key, "days_since_release"]
                == (days.loc[days["base_key"] == key, "created_at"] - day0).dt.days).all()
    assert tbl.attrs["models_shown"] == len({i for key in bases for i in m.index[[key in ch for ch in m["chain"]]]})
    png = render.figure_bytes(base_models.figure(tbl, base_models.Params(bases=bases, board=HUB, score=None),
                                                 "derivatives"), "png")
    assert png.startswith(PNG)


def test_the_staircase_of_made_up_scores_follows_the_tree(made_up):
    m = made_up.models.copy()
    chains, _ = independent_tree(m)
    m["chain"] = [chains[str(r).lower()] for r in m["repo_id"]]
    params = base_models.Params.defaults(made_up)
    tbl = base_models.table(made_up, params)
    stairs = base_models.steps(tbl)
    assert set(stairs["base_key"]) <= set(params.bases) and not stairs.empty
    for key in params.bases:
        # fine-tunes and adapters (the tree's words) with a score and a real date; no merges or
        # re-uploads (by name) among them
        fam = m[np.array([key in ch for ch in m["chain"]]) & real_day(m) & m["relation"].isin(["finetune", "adapter"])
                & m["ce_mmlu_pro"].notna() & ~m["repo_id"].str.lower().str.contains("merge")]
        fam = fam.sort_values(["created_at", "ce_mmlu_pro", "repo_id"], ascending=[True, False, True])
        best, want = -np.inf, []
        for repo, score in zip(fam["repo_id"], fam["ce_mmlu_pro"]):
            if score > best:
                best = score
                want.append((repo, score))
        got = stairs[stairs["base_key"] == key]
        assert list(zip(got["repo_id"], got["ce_mmlu_pro"])) == want, key
    fig = base_models.figure(tbl, params, "evolution")
    assert fig.labels.y == "MMLU-Pro score"


# --------------------------------------------------------------------------- releases


def test_every_release_has_a_source_and_a_date_and_the_hub_board_gets_its_own():
    with open(releases.RELEASES_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        assert r["source_url"].startswith("https://"), r["model"]
        dt.date.fromisoformat(r["date"])  # a real day
        assert set(r["board_relevance"].split(";")) <= {"v1", "v2", "hub", "both"}, r["model"]
    hub = {r["model"]: r["date"] for r in rows if "hub" in r["board_relevance"].split(";")}
    for model, day in {"DeepSeek-R1": "2025-01-20", "Llama 4": "2025-04-05", "Qwen3": "2025-04-29",
                       "gpt-oss": "2025-08-05", "Qwen3.5": "2026-02-16", "Gemma 4": "2026-04-02",
                       "Qwen3.6": "2026-04-16", "DeepSeek-V4": "2026-04-24"}.items():
        assert hub[model] == day, model
    table = releases.load_releases()
    assert len(table) == len(rows)
    lines = releases.releases_for(table, HUB, dt.date(2025, 1, 1), dt.date(2026, 9, 28))
    assert sorted(lines["model"]) == sorted(m for m, d in hub.items() if "2025-01-01" <= d <= "2026-09-28")
    assert releases.releases_for(table, "v1", dt.date(2025, 1, 1), dt.date(2026, 9, 28)).empty


def test_the_releases_view_draws_the_hub_board_lines(made_up):
    params = dataclasses.replace(releases_view.Params.defaults(made_up), start=dt.date(2026, 4, 1))
    assert params.board == HUB
    assert list(releases_view.release_lines(params)["model"]) == ["Gemma 4", "Qwen3.6", "DeepSeek-V4"]
    tbl = releases_view.table(made_up, releases_view.Params.defaults(made_up))  # the sample's days: none
    assert set(tbl["releases"]) == {""}


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("view", [v for v in VIEWS if v.FIGURES], ids=lambda v: v.ID)
def test_every_figure_draws_on_the_made_up_board(view, made_up):
    try:
        params = view.Params.defaults(made_up)
        tbl = view.table(made_up, params)
    except inputs.EmptySelection as exc:  # no CO₂ and a single snapshot on the hub board
        assert view.ID in ("co2", "changes") and str(exc).startswith("The Hub today board has"), exc
        return
    for which in view.FIGURES:
        why = getattr(view, "empty_figure", lambda *a: None)(tbl, params, which)
        # the sample's five days: no whole week after a whole week (the figure says so)
        assert why is None or (view.ID, which) == ("architecture_popularity", "vs_previous"), why
        assert render.figure_bytes(view.figure(tbl, params, which), "png").startswith(PNG)


def test_the_figures_script_on_the_hub_board(snapshot_dir, tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "figures.py"), "--board", "hub", "--data",
                           str(snapshot_dir), "--out", str(tmp_path), "--format", "png", "--dpi", "50", "--jobs", "1",
                           "--quiet"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert record["snapshot"]["board"] == HUB
    status = {(e["view"], e["which"]): e for e in record["figures"]}
    for key in (("score_trends", "scores"), ("params_score", "per_billion"), ("moe", "scatter"),
                ("base_models", "evolution"), ("author_activity", "scores")):
        assert status[key]["status"] == "skipped" and status[key]["reason"].startswith(NO_SCORES), key
    for key in (("type_popularity", "counts"), ("base_models", "derivatives"), ("releases", "counts"),
                ("author_activity", "timeline"), ("explorer", None)):
        assert status[key]["status"] == "ok", key
    assert (tmp_path / "base_models_derivatives.png").read_bytes().startswith(PNG)
    assert not (tmp_path / "base_models_evolution.png").exists()
    assert (tmp_path / "base_models.csv").exists()  # the staircase is skipped, its table written
