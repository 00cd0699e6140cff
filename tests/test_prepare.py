"""Unit tests of llmtrends.pipeline.prepare on small hand-made frames.

Every expected value below was worked out by hand from the frame it is checked against
(the comment next to it says how), not by running the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import prepare, sources

FT = "🔶 fine-tuned on domain-specific datasets"
SHA = "a" * 40


def v1_row(fullname: str, average: float = 50.0, **overrides) -> dict:
    """One raw v1 row in the study's spelling; flags stored *inverted* as in the scrape
    (``Flagged=True`` means not flagged, likewise MoE and Merged)."""
    row = {
        "fullname": fullname, "Average ⬆️": average,
        **{b: average for b in schema.V1_BENCHMARKS},
        "Type": FT, "T": "🔶", "Architecture": "LlamaForCausalLM", "Precision": "float16",
        "Merged": True, "MoE": True, "Flagged": True, "#Params (B)": 7.0,
        "Hub License": "mit", "Hub ❤️": 1.0, "Model sha": SHA,
    }
    row.update(overrides)
    return row


def v2_row(fullname: str, average: float = 30.0, **overrides) -> dict:
    """One raw v2 row (flags stored the right way round)."""
    row = {
        "fullname": fullname, "Average ⬆️": average,
        **{b: average for b in schema.V2_BENCHMARKS},
        "Type": FT, "T": "🔶", "Architecture": "Qwen2ForCausalLM", "Precision": "bfloat16",
        "Weight type": "Original", "Merged": False, "MoE": False, "Flagged": False,
        "Official Providers": False, "#Params (B)": 7.0, "Hub License": "apache-2.0",
        "Hub ❤️": 3, "Model sha": SHA, "CO₂ cost (kg)": 1.5,
        "Upload To Hub Date": "2024-04-13", "Submission Date": "2024-08-05",
        "Base Model": fullname, "Generation": 0,
    }
    row.update(overrides)
    return row


def nones(series: pd.Series) -> list:
    """Values as a list with every missing marker (None, NaN, NA) as None."""
    return [None if v is None or (not isinstance(v, (list, str)) and pd.isna(v)) else v for v in series]


def raw(board: str, rows: list[dict]) -> pd.DataFrame:
    return sources.validate_leaderboard(pd.DataFrame(rows), board, f"{board}-test")


# --------------------------------------------------------------------------- type labels


@pytest.mark.parametrize("value, symbol, expected", [
    ("🔶 fine-tuned on domain-specific datasets", "🔶", "fine-tuned on domain-specific datasets"),
    ("💬 chat models (RLHF, DPO, IFT, ...)", "💬", "chat models (RLHF, DPO, IFT, ...)"),
    ("🤝 base merges and moerges", "🤝", "base merges and moerges"),
    ("🟢 pretrained", "🟢", "pretrained"),
    ("🟩 continuously pretrained", "🟩", "continuously pretrained"),
    ("🌸 multimodal", "🌸", "multimodal"),
    ("❓ other", "❓", "other"),
    ("pretrained", None, "pretrained"),              # no emoji: kept as is
    ("🟢 PreTrained", None, "pretrained"),            # case-insensitive match
    ("🟦 RL-tuned", None, "other"),                   # unknown words -> other
    (None, "💬", "chat models (RLHF, DPO, IFT, ...)"),  # empty Type: the T symbol
    (float("nan"), "🟢", "pretrained"),
    (float("nan"), "?", None),                        # v1's 118 rows with Type NaN, T "?"
    (None, None, None),
])
def test_type_label(value, symbol, expected):
    assert prepare.type_label(value, symbol) == expected


# --------------------------------------------------------------------------- normalize


def test_v1_flags_are_inverted():
    frame = raw("v1", [
        v1_row("a/flagged", Flagged=False, MoE=True, Merged=True),    # flagged; neither moe nor merged
        v1_row("a/moe-merge", Flagged=True, MoE=False, Merged=False),  # not flagged; moe and merged
        v1_row("a/unknown-moe", MoE=None),                             # no MoE value -> unknown
    ])
    out = prepare.normalize(frame, "v1")
    assert out["flagged"].tolist() == [True, False, False]
    assert out["moe"].tolist()[:2] == [False, True]
    assert out["merged"].tolist() == [False, True, False]
    assert pd.isna(out["moe"].iloc[2])


def test_v1_flags_from_strings_are_inverted_too():
    # a CSV gives 'True'/'False' strings; the inversion applies after parsing
    frame = raw("v1", [v1_row("a/x", Flagged="False", MoE="True", Merged="False")])
    out = prepare.normalize(frame, "v1")
    assert bool(out.loc[0, "flagged"]) is True
    assert bool(out.loc[0, "moe"]) is False and bool(out.loc[0, "merged"]) is True


def test_v2_flags_are_not_inverted():
    frame = raw("v2", [v2_row("a/x", Flagged=True, MoE=True, Merged=False, **{"Official Providers": True})])
    out = prepare.normalize(frame, "v2")
    assert bool(out.loc[0, "flagged"]) and bool(out.loc[0, "moe"])
    assert not bool(out.loc[0, "merged"]) and bool(out.loc[0, "official"])


def test_normalize_columns_params_and_ids():
    frame = raw("v1", [
        v1_row("org/model-7b", **{"#Params (B)": 7.24}),
        v1_row("gpt2", **{"#Params (B)": 0.0}),            # legacy id, params 0 = unknown
        v1_row("org/x", Architecture="?", **{"Hub License": "", "Hub ❤️": None}),
    ])
    out = prepare.normalize(frame, "v1")
    assert out["repo_id"].tolist() == ["org/model-7b", "gpt2", "org/x"]
    assert out["namespace"].tolist() == ["org", "gpt2", "org"]       # legacy id is its own namespace
    assert out["model_name"].tolist() == ["model-7b", "gpt2", "x"]
    assert out.loc[0, "params_b"] == 7.24
    assert np.isnan(out.loc[1, "params_b"])                            # 0 -> unknown, not zero
    assert out.loc[2, "architecture"] is None                           # "?" -> unknown
    assert out.loc[2, "license"] is None and np.isnan(out.loc[2, "likes"])
    assert out["arc"].tolist() == [50.0, 50.0, 50.0]
    # v1 has no dates at all
    assert out["submitted_at"].isna().all() and out["upload_date"].isna().all()


def test_v2_base_model_that_names_itself_is_no_base():
    frame = raw("v2", [
        v2_row("Org/Orig", **{"Base Model": "org/orig"}),         # itself (case-insensitive)
        v2_row("org/tune", **{"Base Model": "Org/Orig"}),
    ])
    out = prepare.normalize(frame, "v2")
    assert out["declared_base"].tolist() == [None, "Org/Orig"]
    assert out["upload_date"].tolist() == [pd.Timestamp("2024-04-13")] * 2
    assert out["co2_kg"].tolist() == [1.5, 1.5]


def test_remove_flagged_counts():
    frame = prepare.normalize(raw("v1", [
        v1_row("a/1", Flagged=False), v1_row("a/2"), v1_row("a/3", Flagged=False), v1_row("a/4"),
    ]), "v1")
    kept, removed = prepare.remove_flagged(frame)
    assert removed == 2
    assert kept["repo_id"].tolist() == ["a/2", "a/4"]
    assert "flagged" not in kept.columns


# --------------------------------------------------------------------------- dedup


def entries(rows: list[tuple]) -> pd.DataFrame:
    """(repo_id, average, precision, submitted_at, sha, tag) -> a frame for deduplicate."""
    frame = pd.DataFrame(rows, columns=["repo_id", "average", "precision", "submitted_at", "sha", "tag"])
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return frame


def test_dedup_keeps_best_average_across_precisions():
    frame = entries([
        ("org/m", 60.0, "bfloat16", "2024-01-01", "s1", "bf16"),
        ("org/m", 61.5, "4bit", "2024-01-01", "s1", "4bit"),      # best average wins even if quantized
        ("org/m", 59.0, "float16", "2024-02-01", "s1", "fp16"),
        ("org/n", 10.0, "float16", "2024-01-01", "s2", "n"),
    ])
    kept, removed = prepare.deduplicate(frame)
    assert removed == 2
    assert kept["tag"].tolist() == ["4bit", "n"]


def test_dedup_is_case_insensitive_and_keeps_the_best_rows_spelling():
    frame = entries([
        ("Org/Model", 40.0, "float16", None, "s", "upper"),
        ("org/model", 45.0, "float16", None, "s", "lower"),
        ("ORG/MODEL", 30.0, "float16", None, "s", "caps"),
    ])
    kept, removed = prepare.deduplicate(frame)
    assert removed == 2
    assert kept["repo_id"].tolist() == ["org/model"] and kept["tag"].tolist() == ["lower"]


def test_dedup_ties_precision_then_submission_then_sha_then_id():
    frame = entries([
        # tie on 50: bfloat16 beats float16 beats 4bit
        ("a/p", 50.0, "4bit", "2024-05-01", "s", "4bit"),
        ("a/p", 50.0, "float16", "2024-05-01", "s", "fp16"),
        ("a/p", 50.0, "bfloat16", "2024-01-01", "s", "bf16"),
        # tie on average and precision: the latest submission
        ("a/s", 50.0, "float16", "2024-01-01", "s", "old"),
        ("a/s", 50.0, "float16", "2024-03-01", "s", "new"),
        # tie on all that: the smallest sha
        ("a/h", 50.0, "float16", "2024-01-01", "bbb", "b"),
        ("a/h", 50.0, "float16", "2024-01-01", "aaa", "a"),
        # tie on everything but the id's case: the smallest id ("A/I" < "a/i")
        ("a/i", 50.0, "float16", "2024-01-01", "s", "lower"),
        ("A/I", 50.0, "float16", "2024-01-01", "s", "upper"),
        # an unknown precision ranks after every known one; a known one wins
        ("a/u", 50.0, None, "2024-01-01", "s", "none"),
        ("a/u", 50.0, "GPTQ", "2024-01-01", "s", "gptq"),
        # a missing average loses to any score
        ("a/n", None, "bfloat16", "2024-01-01", "s", "nan"),
        ("a/n", 1.0, "4bit", "2024-01-01", "s", "one"),
    ])
    kept, removed = prepare.deduplicate(frame)
    assert removed == 7
    got = dict(zip(kept["repo_id"].str.lower(), kept["tag"]))
    assert got == {"a/p": "bf16", "a/s": "new", "a/h": "a", "a/i": "upper", "a/u": "gptq", "a/n": "one"}


def test_dedup_does_not_depend_on_row_order():
    frame = entries([
        ("x/a", 50.0, "float16", "2024-01-01", "b", "1"),
        ("x/a", 50.0, "float16", "2024-01-01", "a", "2"),
        ("x/a", 50.0, "bfloat16", "2023-01-01", "c", "3"),
        ("x/b", 20.0, "float16", "2024-01-01", "a", "4"),
        ("X/B", 21.0, "8bit", "2024-01-01", "a", "5"),
    ])
    expected = ["3", "5"]  # x/a: bfloat16 wins the tie; x/b: 21 > 20
    for seed in range(5):
        shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
        kept, removed = prepare.deduplicate(shuffled)
        assert removed == 3
        assert sorted(kept["tag"]) == expected


# --------------------------------------------------------------------------- families


def test_architecture_key_strips_head_suffixes():
    assert prepare.architecture_key("LlamaForCausalLM") == "llama"
    assert prepare.architecture_key("LLaMAForCausalLM") == "llama"
    assert prepare.architecture_key("LlamaModel") == "llama"
    assert prepare.architecture_key("GPT2LMHeadModel") == "gpt2"
    assert prepare.architecture_key("T5ForConditionalGeneration") == "t5"
    assert prepare.architecture_key("GPTNeoXForCausalLM") == "gptneox"
    assert prepare.architecture_key("Model") == "model"  # nothing left to strip to
    for unknown in ("?", "Unknown", "", "nan", None, float("nan")):
        assert prepare.architecture_key(unknown) is None


def test_families_need_strictly_more_than_50_models():
    archs = (["LlamaForCausalLM"] * 49 + ["LlamaModel"] * 2          # llama: 51 -> a family
             + ["MistralForCausalLM"] * 50                            # mistral: exactly 50 -> Other
             + ["GPT2LMHeadModel"] * 51                               # gpt2: 51 -> "GPT2"
             + ["?"] * 60 + ["Unknown"] * 3 + [None] * 2               # unknown: Other however many
             + ["FooForCausalLM"] * 51)                               # not in the display table
    models = pd.DataFrame({"architecture": archs})
    out = prepare.assign_families(models)
    counts = out["architecture_family"].value_counts().to_dict()
    assert counts == {"LLama": 51, "GPT2": 51, "Foo": 51, "Other": 50 + 60 + 3 + 2}
    # a lower threshold makes mistral a family
    out = prepare.assign_families(models, min_models=49)
    assert out["architecture_family"].value_counts()["Mistral"] == 50


def test_family_display_names():
    assert prepare.family_display("llama") == "LLama"
    assert prepare.family_display("gptneox") == "GPT-NeoX"
    assert prepare.family_display("opt") == "Opt"
    assert prepare.family_display("exaone") == "Exaone"


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("params, expected", [
    (0.125, "Small"), (9, "Small"), (9.0, "Small"), (9.0001, "Medium"), (40, "Medium"),
    (40.0001, "Large"), (176.0, "Large"), (0, None), (-1, None), (float("nan"), None),
    (None, None), (float("inf"), None),
])
def test_size_class_boundaries(params, expected):
    assert prepare.size_class(params) == expected


def test_params_zero_gives_no_size_class_through_the_pipeline():
    frame = raw("v1", [v1_row("a/zero", **{"#Params (B)": 0}), v1_row("a/nine", **{"#Params (B)": 9})])
    models, _, _ = prepare.build(frame, "v1")
    by_id = models.set_index("repo_id")
    assert by_id.loc["a/zero", "size_class"] is None and np.isnan(by_id.loc["a/zero", "params_b"])
    assert by_id.loc["a/nine", "size_class"] == "Small"


# --------------------------------------------------------------------------- enrichment, dates


def hub_record(name: str, created: str | None, outcome: str = "ok", **kw) -> dict:
    rec = {"name": name, "hub_id": name if outcome == "ok" else kw.pop("hub_id", None),
           "hub_outcome": outcome, "author": name.split("/")[0] if outcome != "stale" else None,
           "created_at": pd.Timestamp(created) if created else pd.NaT,
           "last_modified": pd.Timestamp("2024-04-01"), "downloads": 10.0, "likes": float("nan"),
           "library": "transformers", "tags": ["en"], "language": ["en"], "datasets": [],
           "base_model": [], "license": "mit"}
    rec.update(kw)
    return rec


def models_for_enrich(rows: list[tuple]) -> pd.DataFrame:
    """(repo_id, upload_date, declared_base, license) -> a deduplicated-models frame."""
    frame = pd.DataFrame(rows, columns=["repo_id", "upload_date", "declared_base", "license"])
    frame["upload_date"] = pd.to_datetime(frame["upload_date"])
    frame["likes"] = np.nan
    return frame


def test_created_at_prefers_hub_then_upload_date_and_marks_placeholder():
    models = models_for_enrich([
        ("org/both", "2024-05-01", None, "mit"),          # hub record and upload date -> hub
        ("org/upload", "2024-05-02", None, "mit"),        # no hub record -> upload date
        ("org/none", None, None, "mit"),                  # neither -> unknown
        ("org/old", "2024-01-01", None, "mit"),           # hub placeholder date -> marked
        ("org/oldup", "2022-03-02", None, "mit"),         # placeholder in the upload date -> marked
        ("Org/Stale", "2024-06-01", None, "mit"),         # stale record has no date -> upload date
    ])
    hub = pd.DataFrame([
        hub_record("org/both", "2023-11-20 10:00"),
        hub_record("org/old", "2022-03-02 23:57:15"),
        hub_record("org/stale", None, outcome="stale"),
    ])
    out, pairs, enriched = prepare.enrich(models, hub, None)
    assert pairs is None
    assert enriched == 2  # ok records for org/both and org/old
    got = out.set_index("repo_id")
    assert got.loc["org/both", "created_at"] == pd.Timestamp("2023-11-20 10:00")
    assert got.loc["org/upload", "created_at"] == pd.Timestamp("2024-05-02")
    assert pd.isna(got.loc["org/none", "created_at"])
    assert got.loc["Org/Stale", "created_at"] == pd.Timestamp("2024-06-01")
    assert nones(got["created_at_source"]) == ["hub", "upload_date", None, "hub", "upload_date", "upload_date"]
    assert got["created_at_placeholder"].tolist() == [False, False, False, True, True, False]
    assert got.loc["Org/Stale", "hub_outcome"] == "stale"
    assert "upload_date" not in out.columns and "declared_base" not in out.columns


def test_enrich_prefers_a_usable_record_among_case_variants():
    # the study asked the Hub for both spellings; one answer was stale
    models = models_for_enrich([("Org/M", None, None, None)])
    hub = pd.DataFrame([hub_record("Org/M", "2024-02-02"), hub_record("org/m", None, outcome="stale")])
    out, _, enriched = prepare.enrich(models, hub, None)
    assert enriched == 1
    assert out.loc[0, "created_at"] == pd.Timestamp("2024-02-02")
    assert out.loc[0, "hub_outcome"] == "ok"


def test_enrich_joins_fields_base_model_license_and_commit_authors():
    models = models_for_enrich([
        ("org/a", None, "org/declared", None),   # v2 declared base wins over the Hub's; license from Hub
        ("org/b", None, None, "apache-2.0"),     # base from the Hub record; own license kept
        ("org/c", None, None, None),             # no records at all
    ])
    hub = pd.DataFrame([
        hub_record("org/a", "2024-01-01", base_model=["hub/base"], tags=["license:mit"], license="mit"),
        hub_record("ORG/B", "2024-01-02", base_model=["hub/b1", "hub/b2"], downloads=99.0,
                   datasets=["d/1"], language=["en", "fr"]),
    ])
    commits = pd.DataFrame({
        "name": ["org/a", "org/b"],
        "num_commits": [5.0, 2.0],
        "first_commit": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        "last_commit": pd.to_datetime(["2024-02-01", "2024-01-03"]),
        "authors": [["alice", "SFconvertbot", "bob", "alice", "system"], ["librarian-bot"]],
    })
    out, pairs, enriched = prepare.enrich(models, hub, commits)
    got = out.set_index("repo_id")
    assert enriched == 2
    assert nones(got["base_model"]) == ["org/declared", "hub/b1", None]
    assert nones(got["license"]) == ["mit", "apache-2.0", None]
    assert got.loc["org/b", "downloads"] == 99.0 and got.loc["org/b", "language"] == ["en", "fr"]
    assert got.loc["org/c", "tags"] == [] and pd.isna(got.loc["org/c", "downloads"])
    # bots (SFconvertbot, system, librarian-bot) out, repeated names once
    assert pairs.values.tolist() == [["org/a", "alice"], ["org/a", "bob"]]
    assert got["num_commit_authors"].tolist()[:2] == [2.0, 0.0]
    assert np.isnan(got.loc["org/c", "num_commit_authors"])
    assert got["num_commits"].tolist()[:2] == [5.0, 2.0]


def test_is_bot():
    for name in ("system", "leaderboard-pr-bot", "SFconvertbot", "librarian-bot", "dependabot[bot]",
                 "github-actions", " System "):
        assert schema.is_bot(name), name
    for name in ("alice", "botanist", "bots-r-us"):
        assert not schema.is_bot(name), name


# --------------------------------------------------------------------------- build


def test_build_counts_and_contract_columns():
    frame = raw("v1", [
        v1_row("a/x", 60.0, Precision="bfloat16"),
        v1_row("a/x", 61.0, Precision="4bit"),          # duplicate: the best (61) kept
        v1_row("A/X", 59.0),                            # duplicate (case)
        v1_row("a/flag", 99.0, Flagged=False),          # flagged (inverted) -> removed first
        v1_row("b/y", 40.0, Architecture="MistralForCausalLM", **{"#Params (B)": 46.7}),
    ])
    models, pairs, counts = prepare.build(frame, "v1")
    assert (counts.loaded, counts.flagged_removed, counts.duplicates_removed, counts.written) == (5, 1, 2, 2)
    assert counts.loaded - counts.flagged_removed - counts.duplicates_removed == counts.written
    assert pairs is None and counts.enriched == 0
    expected_cols = list(schema.MODEL_COLUMNS)
    i = expected_cols.index("moe")
    expected_cols[i:i] = schema.benchmark_columns("v1")
    assert list(models.columns) == expected_cols
    assert models["repo_id"].tolist() == ["a/x", "b/y"]
    assert models["average"].tolist() == [61.0, 40.0]
    assert models["precision"].tolist() == ["4bit", "float16"]
    assert models["size_class"].tolist() == ["Small", "Large"]
    # 2 models only: no architecture has > 50 models
    assert models["architecture_family"].tolist() == ["Other", "Other"]
    assert models["type"].tolist() == ["fine-tuned on domain-specific datasets"] * 2
    assert models["official"].isna().all() and models["submitted_at"].isna().all()
