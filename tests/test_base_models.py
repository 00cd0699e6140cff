"""Evolution of Popular Base Models: lineage, merge taint, staircase, release day, inputs, figures."""

from __future__ import annotations

import csv
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from llmtrends.pipeline import lineage as lin
from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.pipeline.store import Snapshot
from llmtrends.views import base_models as view
from llmtrends.views import inputs, look

FT, CHAT, MERGE, PRE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE, schema.TYPE_PRETRAINED
PNG = b"\x89PNG\r\n\x1a\n"


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Models from (repo_id, type, average, created_at, base_model[, merged, params_b, architecture, placeholder])."""
    cols = ["repo_id", "type", "average", "created_at", "base_model", "merged", "params_b", "architecture",
            "created_at_placeholder"]
    full = [tuple(r) + (False, np.nan, None, False)[len(r) - 5:] for r in rows]
    df = pd.DataFrame(full, columns=cols)
    df["created_at"] = pd.to_datetime(df["created_at"], format="mixed")
    df["average"] = df["average"].astype(float)
    df["params_b"] = df["params_b"].astype(float)
    return df


def snap_of(rows: list[tuple], board: str = "v1") -> Snapshot:
    return Snapshot(board=board, models=frame(rows), commit_authors=None, manifest={})


# --------------------------------------------------------------------------- staircase

STAIR_ROWS = [
    ("org/base", PRE, 50.0, "2024-01-01 08:00", None),
    ("a/d1", FT, 55.0, "2024-01-05 12:00", "org/base"),
    ("a/d2", CHAT, 53.0, "2024-01-10 12:00", "org/base"),       # below 55: no step
    ("a/d3", FT, 60.0, "2024-01-20 10:00", "org/base"),         # same moment as d4 ...
    ("a/d4", FT, 62.0, "2024-01-20 10:00", "org/base"),         # ... and better: d4 is the step
    ("a/d5", FT, 62.0, "2024-02-01 00:00", "org/base"),         # ties the best: no step
    ("a/m1", MERGE, 70.0, "2024-01-15 00:00", "org/base"),      # a merge: never a step
    ("a/p1", PRE, 80.0, "2024-01-16 00:00", "org/base"),        # pretrained: not a derivative
    ("a/d6", CHAT, 63.5, "2024-03-01 00:00", "a/d2"),           # grandchild through d2: a step
    ("a/d7", FT, 99.0, "2022-03-02 00:00", "org/base", False, np.nan, None, True),  # placeholder date
    ("a/d8", FT, np.nan, "2024-01-02 00:00", "org/base"),      # no score
]


def test_staircase_by_hand():
    snap = snap_of(STAIR_ROWS)
    full = view.table(snap, view.Params(bases=("org/base",)))
    tbl = view.steps(full)
    # worked out by hand: day 0 = 2024-01-01 (org/base on the Hub)
    assert tbl["repo_id"].tolist() == ["a/d1", "a/d4", "a/d6"]
    assert tbl["days_since_release"].tolist() == [4, 19, 60]
    assert tbl["average"].tolist() == [55.0, 62.0, 63.5]
    assert tbl["step"].tolist() == [1, 2, 3]
    assert np.isnan(tbl["previous_best"].iloc[0])
    assert tbl["previous_best"].iloc[1:].tolist() == [55.0, 62.0]
    assert tbl["gain"].iloc[1:].tolist() == pytest.approx([7.0, 1.5])
    assert set(tbl["release_day"]) == {pd.Timestamp("2024-01-01")}
    assert set(tbl["release_source"]) == {"hub:org/base"}
    assert set(tbl["base_average"]) == {50.0}
    # compared: d1 d2 d3 d4 d5 d6 (not the merge, the pretrained, the undated, the unscored)
    assert set(tbl["derivatives"]) == {6}
    # shown: every dated derivative of any relation (d1-d6, m1, p1, d8; not the undated d7)
    assert full.attrs["models_shown"] == 9
    assert list(full.columns) == list(view.CSV_COLUMNS)
    # derivatives per day, by hand: one model a day except none on 01-20 (two, d3 and d4); m1 a merge
    days = view.derivative_rows(full)
    assert days[["created_at", "relation", "new_derivatives"]].astype(str).values.tolist() == [
        ["2024-01-02", "finetune", "1"], ["2024-01-05", "finetune", "1"], ["2024-01-10", "finetune", "1"],
        ["2024-01-15", "merge", "1"], ["2024-01-16", "finetune", "1"], ["2024-01-20", "finetune", "2"],
        ["2024-02-01", "finetune", "1"], ["2024-03-01", "finetune", "1"]]
    assert days["days_since_release"].tolist() == [1, 4, 9, 14, 15, 19, 31, 60]


def test_staircase_function_strictly_higher():
    ders = frame([("x/a", FT, 10.0, "2024-01-01", None), ("x/b", FT, 10.0, "2024-01-02", None),
                  ("x/c", FT, 9.0, "2024-01-03", None), ("x/d", FT, 10.5, "2024-01-04", None)])
    steps = view.staircase(ders)
    assert steps["repo_id"].tolist() == ["x/a", "x/d"]
    assert steps["previous_best"].iloc[1] == 10.0


# --------------------------------------------------------------------------- merges


def test_merge_exclusion_is_transitive():
    rows = [
        ("org/base", PRE, 50.0, "2024-01-01", None),
        ("a/m1", MERGE, 60.0, "2024-01-02", "org/base"),             # a merge by type
        ("a/c1", FT, 61.0, "2024-01-03", "a/m1"),                    # built on a merge
        ("a/c3", CHAT, 62.0, "2024-01-04", "a/c1"),                  # lineage passes through a merge
        ("a/c2", FT, 63.0, "2024-01-05", "a/x (Merge)"),             # v2's merge marker on its base
        ("a/c4", FT, 64.0, "2024-01-06", "org/base", True),          # merged flag
        ("a/c5", FT, 65.0, "2024-01-07", "a/c4"),                    # child of a flagged merge
        ("a/ok", FT, 51.0, "2024-01-08", "org/base"),
        ("a/ok2", CHAT, 52.0, "2024-01-09", "a/ok"),
    ]
    snap = snap_of(rows)
    lineage = lin.analyze(snap.models, bases=())
    merge = dict(zip(snap.models["repo_id"], lineage.frame["is_merge"]))
    assert {k for k, v in merge.items() if v} == {"a/m1", "a/c1", "a/c3", "a/c2", "a/c4", "a/c5"}
    tbl = view.steps(view.table(snap, view.Params(bases=("org/base",))))
    assert tbl["repo_id"].tolist() == ["a/ok", "a/ok2"]
    assert set(tbl["derivatives"]) == {2}


def test_normalize_base():
    assert lin.normalize_base("Org/X (Merge)") == ("org/x", True)
    assert lin.normalize_base("Removed") == (None, False)
    assert lin.normalize_base("unknown") == (None, False)
    assert lin.normalize_base("mistral-7b") == (None, False)
    assert lin.normalize_base(None) == (None, False)
    assert lin.normalize_base(float("nan")) == (None, False)
    assert lin.normalize_base("https://huggingface.co/Org/Y") == ("org/y", False)


# --------------------------------------------------------------------------- lineage


KNOWN = lin.BaseModel(key="fam", label="Fam 7B", repo_ids=("Org/Base-7B",), board="v1", name_pattern="zeta",
                      params_min=6.0, params_max=8.0, family=("llama",), release_date=dt.date(2024, 1, 1),
                      source_url="https://example.org/fam")


def test_lineage_follows_declared_bases_over_three_generations():
    rows = [
        ("Org/Base-7B", PRE, 40.0, "2024-01-01", None),
        ("a/g1", FT, 41.0, "2024-01-02", "org/base-7b"),            # case differs from the repo id
        ("b/g2", FT, 42.0, "2024-01-03", "a/g1"),
        ("c/g3", CHAT, 43.0, "2024-01-04", "b/g2"),
        ("d/loop1", FT, 1.0, "2024-01-04", "d/loop2"),               # a declared cycle must end
        ("d/loop2", FT, 1.0, "2024-01-04", "d/loop1"),
    ]
    models = frame(rows)
    lineage = lin.analyze(models, bases=(KNOWN,))
    f = lineage.frame.set_index(models["repo_id"])
    assert f.loc["c/g3", "chain"] == ("b/g2", "a/g1", "org/base-7b")
    assert f.loc["c/g3", "root"] == "org/base-7b"
    assert f.loc[["a/g1", "b/g2", "c/g3"], "base_key"].tolist() == ["fam"] * 3
    assert f.loc[["a/g1", "b/g2", "c/g3"], "via"].tolist() == [lin.VIA_DECLARED] * 3
    assert pd.isna(f.loc["Org/Base-7B", "base_key"])  # the base is not its own derivative
    assert f.loc["d/loop1", "chain"] == ("d/loop2",)
    mask = lin.derivative_mask(models, lineage, "fam")
    assert models.loc[mask, "repo_id"].tolist() == ["a/g1", "b/g2", "c/g3"]
    # a declared intermediate is a base too: g2 and g3 descend from a/g1
    mask = lin.derivative_mask(models, lineage, "a/g1")
    assert models.loc[mask, "repo_id"].tolist() == ["b/g2", "c/g3"]
    counts = lin.derivative_counts(models, lineage)
    assert counts["fam"] == 3 and counts["a/g1"] == 2 and counts["b/g2"] == 1
    assert "org/base-7b" not in counts  # counted under its known base's key


def test_name_pattern_fallback_where_lineage_is_missing():
    rows = [
        ("u/my-mistral-7b-ft", FT, 60.0, "2024-01-02", None, False, 7.24, "MistralForCausalLM"),
        ("u/mistral-13b-ft", FT, 60.0, "2024-01-02", None, False, 13.0, "MistralForCausalLM"),     # size
        ("u/mistral-7b-llamaarch", FT, 60.0, "2024-01-02", "Removed", False, 7.0, "LlamaForCausalLM"),  # family
        ("u/other-7b", FT, 60.0, "2024-01-02", None, False, 7.0, "MistralForCausalLM"),            # name
        # chain ends outside the board: the root's name, this model's size and architecture
        ("u/ft-of-unsloth", FT, 61.0, "2024-01-03", "unsloth/mistral-7b-bnb-4bit", False, 7.24,
         "MistralForCausalLM"),
        # a declared base wins over the name pattern
        ("u/mistral-7b-named-but-llama2", FT, 62.0, "2024-01-04", "meta-llama/Llama-2-7b-hf", False, 7.0,
         "LlamaForCausalLM"),
        # the root in the board carries the pattern for its descendants
        ("u/child-of-ft", CHAT, 63.0, "2024-01-05", "u/my-mistral-7b-ft", False, 7.24, "MistralForCausalLM"),
    ]
    models = frame(rows)
    lineage = lin.analyze(models)  # the real base_models.csv
    f = lineage.frame.set_index(models["repo_id"])
    assert f.loc["u/my-mistral-7b-ft", ["base_key", "via"]].tolist() == ["mistral_7b", lin.VIA_PATTERN]
    assert pd.isna(f.loc["u/mistral-13b-ft", "base_key"])
    assert pd.isna(f.loc["u/mistral-7b-llamaarch", "base_key"])
    assert pd.isna(f.loc["u/other-7b", "base_key"])
    assert f.loc["u/ft-of-unsloth", ["base_key", "via"]].tolist() == ["mistral_7b", lin.VIA_PATTERN]
    assert f.loc["u/mistral-7b-named-but-llama2", ["base_key", "via"]].tolist() == ["llama2_7b", lin.VIA_DECLARED]
    assert f.loc["u/child-of-ft", "base_key"] == "mistral_7b"


@pytest.mark.parametrize("name,params,arch,expected", [
    ("vicuna-llama-7b", 6.7, "LlamaForCausalLM", "llama1_7b"),
    ("llama-2-7b-chat-ft", 6.7, "LlamaForCausalLM", "llama2_7b"),
    ("open_llama_7b", 7.0, "LlamaForCausalLM", None),
    ("Meta-Llama-3-8B-ft", 8.03, "LlamaForCausalLM", "llama3_8b"),
    ("Llama-3.1-8B-ft", 8.03, "LlamaForCausalLM", "llama31_8b"),
    ("airoboros-33b", 32.5, "LlamaForCausalLM", "llama1_30b"),
    ("Mistral-7B-v0.3-ft", 7.25, "MistralForCausalLM", "mistral_7b_v03"),
    ("Mixtral-8x7B-ft", 46.7, "MixtralForCausalLM", "mixtral_8x7b"),
    ("phi-2-dpo", 2.78, "PhiForCausalLM", "phi2"),
    ("Phi-3-mini-4k-ft", 3.82, "Phi3ForCausalLM", "phi3_mini"),
    ("Phi-3.5-mini-ft", 3.82, "Phi3ForCausalLM", "phi35_mini"),
    ("Qwen2.5-7B-ft", 7.6, "Qwen2ForCausalLM", "qwen25_7b"),
    ("gemma-2-9b-ft", 9.2, "Gemma2ForCausalLM", "gemma2_9b"),
])
def test_csv_patterns_are_exclusive(name, params, arch, expected):
    """Each name falls to at most one known base, the intended one."""
    bases = lin.load_base_models()
    hits = [b.key for b in bases if b.matches(name, params, lin.architecture_key(arch))]
    assert hits == ([expected] if expected else [])


def test_base_models_csv_is_valid_and_complete():
    bases = lin.load_base_models()
    keys = [b.key for b in bases]
    study = {"llama1_7b", "llama1_30b", "llama2_70b", "llama3_8b", "llama3_70b", "mistral_7b", "mixtral_8x7b",
             "phi2", "phi3_mini", "phi3_medium"}
    assert study <= set(keys)
    assert all(b.default_on("v1") for b in bases if b.key in study)
    for b in bases:
        assert b.release_date is not None and b.source_url.startswith("https://")


def test_bad_base_models_csv_names_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(",".join(lin.BASE_COLUMNS) + "\n"
                    "k1,L,a/b,v1,(unclosed,1,2,llama,2024-01-01,https://x\n", encoding="utf-8")
    with pytest.raises(lin.BaseModelsError, match=r"line 2: column 'name_pattern'"):
        lin.load_base_models(path)


def test_unreadable_base_models_csv_names_the_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(lin.BaseModelsError, match="cannot read") as err:
        lin.load_base_models(missing)
    assert str(missing) in str(err.value)
    no_family = tmp_path / "short.csv"
    no_family.write_text("key,label\nk1,L\n", encoding="utf-8")
    with pytest.raises(lin.BaseModelsError, match="missing column.*repo_ids"):
        lin.load_base_models(no_family)


# --------------------------------------------------------------------------- release day


def test_release_day_never_the_placeholder():
    rows = [
        ("mistralai/Mistral-7B-v0.1", PRE, 60.0, "2022-03-02", None, False, 7.24, "MistralForCausalLM", True),
        ("u/ft", FT, 61.0, "2023-10-01", "mistralai/Mistral-7B-v0.1", False, 7.24, "MistralForCausalLM"),
    ]
    tbl = view.steps(view.table(snap_of(rows), view.Params(bases=("mistral_7b",))))
    assert set(tbl["release_day"]) == {pd.Timestamp("2023-09-27")}  # base_models.csv
    assert tbl["release_source"].iloc[0] == "release_date:https://mistral.ai/news/announcing-mistral-7b"
    assert tbl["days_since_release"].tolist() == [4]


def test_release_day_rules():
    # the Hub's creation when it is the earliest evidence
    rows = [
        ("mistralai/Mistral-7B-v0.1", PRE, 60.0, "2023-09-20 13:00", None, False, 7.24, "MistralForCausalLM"),
        ("u/ft", FT, 61.0, "2023-10-01", "mistralai/Mistral-7B-v0.1", False, 7.24, "MistralForCausalLM"),
    ]
    tbl = view.steps(view.table(snap_of(rows), view.Params(bases=("mistral_7b",))))
    assert (tbl["release_day"].iloc[0], tbl["release_source"].iloc[0]) == (
        pd.Timestamp("2023-09-20"), "hub:mistralai/Mistral-7B-v0.1")
    assert tbl["days_since_release"].tolist() == [11]
    # a re-upload later than the documented release: the release date
    rows = [
        ("huggyllama/llama-7b", PRE, 46.0, "2023-04-03", None, False, 6.7, "LlamaForCausalLM"),
        ("u/ft", FT, 47.0, "2023-04-10", "huggyllama/llama-7b", False, 6.7, "LlamaForCausalLM"),
    ]
    tbl = view.steps(view.table(snap_of(rows), view.Params(bases=("llama1_7b",))))
    assert tbl["release_day"].iloc[0] == pd.Timestamp("2023-02-24")
    # a declared base outside the board and not in the table: the first derivative
    rows = [("u/ft1", FT, 47.0, "2023-05-10 10:00", "z/outside"), ("u/ft2", FT, 48.0, "2023-05-20", "z/outside")]
    tbl = view.steps(view.table(snap_of(rows), view.Params(bases=("z/outside",))))
    assert (tbl["release_day"].iloc[0], tbl["release_source"].iloc[0]) == (pd.Timestamp("2023-05-10"),
                                                                           view.SOURCE_FIRST)
    assert tbl["days_since_release"].tolist() == [0, 10]
    assert np.isnan(tbl["base_average"].iloc[0])


def test_derivatives_before_release_day_are_left_out():
    rows = [
        ("mistralai/Mistral-7B-v0.1", PRE, 60.0, "2023-09-20", None, False, 7.24, "MistralForCausalLM"),
        ("u/early", FT, 70.0, "2023-09-01", "mistralai/Mistral-7B-v0.1", False, 7.24, "MistralForCausalLM"),
        ("u/ft", FT, 61.0, "2023-10-01", "mistralai/Mistral-7B-v0.1", False, 7.24, "MistralForCausalLM"),
    ]
    tbl = view.steps(view.table(snap_of(rows), view.Params(bases=("mistral_7b",))))
    assert tbl["repo_id"].tolist() == ["u/ft"]


# --------------------------------------------------------------------------- inputs


def test_empty_and_skipped_bases():
    snap = snap_of(STAIR_ROWS + [("q/undated", FT, 1.0, None, "z/only-undated"),
                                 ("q/unscored", FT, np.nan, "2024-05-01", "z/no-score")])
    with pytest.raises(inputs.EmptySelection, match="dated derivative on Leaderboard v1"):
        view.table(snap, view.Params(bases=("z/only-undated",)))
    tbl = view.table(snap, view.Params(bases=("org/base", "z/only-undated")))
    assert tbl.attrs["no_derivatives"] == ["z/only-undated"] and tbl.attrs["skipped"] == []
    assert "z/only-undated" in view.note(tbl)
    assert view.note(view.table(snap, view.Params(bases=("org/base",)))) is None
    # a base whose derivatives have no score: counted per day, no staircase (named in the note)
    tbl = view.table(snap, view.Params(bases=("org/base", "z/no-score")))
    assert tbl.attrs["skipped"] == ["z/no-score"] and "z/no-score" in view.note(tbl)
    days = view.derivative_rows(tbl)
    assert days.loc[days["base_key"] == "z/no-score", ["days_since_release", "new_derivatives"]].values.tolist() \
        == [[0, 1]]
    assert set(view.steps(tbl)["base_key"]) == {"org/base"}
    # only that base: the derivatives are drawn, the staircase says why it is blank
    tbl = view.table(snap, view.Params(bases=("z/no-score",)))
    assert view.steps(tbl).empty and len(view.derivative_rows(tbl)) == 1
    assert view.empty_figure(tbl, view.Params(bases=("z/no-score",)), "derivatives") is None
    assert "Average score" in view.empty_figure(tbl, view.Params(bases=("z/no-score",)), "evolution")


@pytest.mark.parametrize("raw", [
    {"bases": ["no/such-model"]},
    {"bases": ["2024-13-45"]},
    {"bases": ["year"]},
    {"bases": [3]},
    {"bases": 3},
    {"bases": {"a": 1}},
    {"bases": ["org/base"], "labels": "yes"},
    {"bases": ["org/base"], "labels": 1},
    {"bases": ["org/base"], "labels": ["true"]},
])
def test_forged_inputs_rejected(raw):
    with pytest.raises(inputs.InvalidInput):
        view.Params.from_inputs(raw, snap_of(STAIR_ROWS))


def test_inputs_valid_and_empty():
    snap = snap_of(STAIR_ROWS)
    p = view.Params.from_inputs({"bases": ["a/d2", "org/base"], "labels": False}, snap)
    assert p == view.Params(bases=("a/d2", "org/base"), labels=False)  # the user's order (the legend's)
    with pytest.raises(inputs.InvalidInput):  # no control sends a choice twice: more values than choices
        view.Params.from_inputs({"bases": ["org/base", "a/d2", "org/base"]}, snap)
    assert view.Params.from_inputs({"bases": "org/base"}, snap).bases == ("org/base",)
    with pytest.raises(inputs.EmptySelection):
        view.Params.from_inputs({"bases": []}, snap)
    # choices: bases with at least one non-merge derivative; a merge's children do not make it one
    assert set(view.base_choices(snap)) == {"org/base", "a/d2"}


# --------------------------------------------------------------------------- look


def test_place_labels_never_overlap():
    pts = pd.DataFrame({"x": [10.0, 10.0, 11.0, 12.0, 50.0], "y": [50.0, 50.2, 50.1, 50.0, 60.0],
                        "label": ["alpha-model", "beta-model", "gamma-model", "delta-model", "far"]})
    placed = view.place_labels(pts, x_per_in=10.0, y_per_in=2.0, bounds=(0, 100, 40, 70))
    assert len(placed) >= 4
    char_w, line_h = 7 * 0.6 / 72 * 10.0, 7 * 1.35 / 72 * 2.0
    boxes = []
    for r in placed.itertuples():
        w = len(r.label) * char_w
        x0 = r.lx if r.ha == "left" else r.lx - w
        boxes.append((x0, r.ly - line_h / 2, x0 + w, r.ly + line_h / 2))
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= 100
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_day_breaks_keep_the_axis_readable():
    assert [view.day_breaks(d) for d in (10, 240, 241, 480, 700, 1500)] == [30, 30, 60, 60, 90, 180]


def test_labels_are_cut_in_the_middle_and_never_shared():
    ids = ["org/short", "org/" + "x" * 40, "mistralai/Mixtral-8x7B-Instruct-v0.1",
           "cloudyu/Mixtral-8x7B-Instruct-v0.1-DPO", "a/same-name", "b/same-name",
           "v/Llama-3.1-SauerkrautLM-70b-Instruct", "v/Llama-3.1-SauerkrautLM-8b-Instruct"]
    labels = look.unique_labels(ids, 24)
    assert labels[0] == "short"
    assert labels[1] == "x" * 16 + "…" + "x" * 7 and len(labels[1]) == 24
    # cut at the end both would read "Mixtral-8x7B-Instruct-v…"; in the middle their ends differ
    assert labels[2] == "Mixtral-8x7B-Ins…ct-v0.1" and labels[3] == "Mixtral-8x7B-Ins…0.1-DPO"
    # the same name in two namespaces: both with their namespace
    assert labels[4:6] == ["a/same-name", "b/same-name"]
    # cut in the middle both read "Llama-3.1-Sauerk…Instruct": both whole, without namespace
    assert labels[6:] == ["Llama-3.1-SauerkrautLM-70b-Instruct", "Llama-3.1-SauerkrautLM-8b-Instruct"]
    assert len(set(labels)) == len(ids)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def v1(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v1")


@pytest.fixture(scope="module")
def v2(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v2")


# The study's ten minus those without a dated derivative on v1 (Llama 3 8B / 70B, Phi-3
# mini / medium: the study's Hub records give their derivatives no creation date).
V1_DEFAULTS = ("llama1_7b", "llama1_30b", "llama2_70b", "mistral_7b", "mixtral_8x7b", "phi2")
V2_DEFAULTS = ("llama31_8b", "llama31_70b", "mistral_7b_v03", "phi3_mini", "phi35_mini", "qwen25_7b",
               "qwen25_72b", "gemma2_9b")


def _independent_staircases(models: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """The method written out again from its description, without the library."""
    with open(lin.BASE_MODELS_CSV, encoding="utf-8", newline="") as fh:
        table = {r["key"]: r for r in csv.DictReader(fh)}
    order = list(table)
    repo_of = {}
    for k in order:
        for r in table[k]["repo_ids"].split(";"):
            repo_of[r.strip().lower()] = k
    ids = [str(r).lower() for r in models["repo_id"]]
    by_id = dict(zip(ids, range(len(ids))))
    parent, marker = {}, set()
    for i, b in zip(ids, models["base_model"]):
        if not isinstance(b, str):
            continue
        b = b.strip()
        if b.lower().endswith("(merge)"):
            marker.add(i)
            b = b[: -len("(merge)")].strip()
        b = b.lower()
        if b in ("removed", "unknown", "") or b.count("/") != 1 or b == i:
            continue
        parent[i] = b
    tags = models["tags"] if "tags" in models.columns else pd.Series([[]] * len(models), index=models.index)
    own_merge = {i: (t == MERGE) or (m is True) or (i in marker) or ("merge" in i)
                 or any(str(x).lower() in ("merge", "mergekit") for x in (tg if tg is not None else []))
                 for i, t, m, tg in zip(ids, models["type"], models["merged"].astype(object), tags)}

    def bare(repo):  # a re-upload's name: no namespace, no format suffixes
        return re.sub(r"([-_.](fp16|bf16|fp32|float16|bfloat16|hf|gptq|awq|gguf|ggml|exl2|4bit|8bit|int4|int8"
                      r"|sharded|safetensors))+$", "", repo.split("/", 1)[-1].lower())

    def arch_key(a):
        if not isinstance(a, str) or a.strip().lower() in ("", "?", "unknown", "nan", "none"):
            return None
        a = a.strip().lower()
        for suf in ("forconditionalgeneration", "forcausallm", "lmheadmodel", "model"):
            if a.endswith(suf) and len(a) > len(suf):
                return a[: -len(suf)]
        return a

    rows = []
    for pos, i in enumerate(ids):
        chain, node, seen = [], i, {i}
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
            chain.append(node)
        merge = own_merge[i] or any(own_merge.get(a, "merge" in a) for a in chain)
        fam = next((repo_of[a] for a in chain if a in repo_of), None)
        if fam is None and i not in repo_of:
            root = chain[-1] if chain else i
            probe = next((by_id[a] for a in reversed(chain) if a in by_id), pos)
            p = models["params_b"].iloc[probe]
            ak = arch_key(models["architecture"].iloc[probe])
            for k in order:
                t = table[k]
                if (ak in t["family"].split(";") and pd.notna(p)
                        and float(t["params_min"]) <= p <= float(t["params_max"])
                        and re.search(t["name_pattern"], root.split("/", 1)[-1], re.IGNORECASE)):
                    fam = k
                    break
        base_names = {bare(r) for r in table[fam]["repo_ids"].split(";")} if fam else set()
        reupload = i not in repo_of and (bare(i) in base_names or any(bare(i) == bare(a) for a in chain))
        rows.append((fam, merge or reupload))
    fams = pd.DataFrame(rows, columns=["fam", "merge"], index=models.index)
    out = []
    for k in keys:
        ders = models.loc[(fams["fam"] == k) & ~fams["merge"] & models["type"].isin([FT, CHAT])
                          & models["created_at"].notna() & ~models["created_at_placeholder"].fillna(False).astype(bool)
                          & models["average"].notna()]
        base_dates = models.loc[[i in {r.strip().lower() for r in table[k]["repo_ids"].split(";")} for i in ids]]
        base_dates = base_dates.loc[~base_dates["created_at_placeholder"].fillna(False).astype(bool), "created_at"].dropna()
        day0 = pd.Timestamp(table[k]["release_date"])
        if len(base_dates):
            day0 = min(day0, base_dates.min().normalize())
        ders = ders.loc[ders["created_at"].dt.normalize() >= day0]
        best = -np.inf
        records = sorted(zip(ders["created_at"], -ders["average"], ders["repo_id"]))
        for created, neg_avg, repo in records:
            if -neg_avg > best:
                best = -neg_avg
                out.append((k, repo, (created.normalize() - day0).days, -neg_avg))
    return pd.DataFrame(out, columns=["base_key", "repo_id", "days_since_release", "average"])


def test_fidelity_v1_study_defaults(v1):
    params = view.Params.defaults(v1)
    assert params.bases == V1_DEFAULTS
    assert params.labels is True
    got = view.steps(view.table(v1, params))[["base_key", "repo_id", "days_since_release", "average"]]
    want = _independent_staircases(v1.models, V1_DEFAULTS)
    assert len(want) >= 20
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    # every family's staircase rises
    for _, fam in got.groupby("base_key"):
        assert fam["average"].is_monotonic_increasing and fam["average"].is_unique


def test_v2_defaults_and_choices(v2):
    params = view.Params.defaults(v2)
    assert params.bases == V2_DEFAULTS
    tbl = view.steps(view.table(v2, params))
    assert set(tbl["base_key"]) == set(V2_DEFAULTS)
    assert not tbl["release_day"].eq(pd.Timestamp(schema.HUB_PLACEHOLDER_DATE)).any()
    assert (tbl["days_since_release"] >= 0).all()
    choices = view.base_choices(v2)
    assert set(V2_DEFAULTS) <= set(choices)
    assert len(choices) > len(V2_DEFAULTS)  # other declared bases can be added
    extra = next(k for k in choices if "/" in k)
    assert not view.table(v2, view.Params(bases=(extra,))).empty


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_render_and_differ(board, v1, v2):
    snap = {"v1": v1, "v2": v2}[board]
    d = view.Params.defaults(snap)
    images = []
    for params in (d, view.Params(bases=d.bases, labels=False), view.Params(bases=d.bases[:2])):
        png = render.figure_bytes(view.figure(view.table(snap, params), params, "evolution"), "png")
        assert png.startswith(PNG)
        images.append(png)
    assert images[0] != images[1] and images[0] != images[2]
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap, d), d, "nope")
