"""The hub board (llmtrends.pipeline.hubboard) against the stand-in Hub serving the real listing sample.

The listing records are real (``../shared/data/hub-new-models``); every leaderboard value and
every ``safetensors`` count in this file is **made up** (the sample has neither) and says so
where it is set. Expected values are worked out by hand from the records' tags (quoted beside
each expectation) or recomputed here with plain pandas from the CSV, never taken from the code.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import benchmarks, hub, hubboard, runner, store
from tests.conftest import hub_listing, shared_data_dir
from tests.standin_hub import Faults, HubBoardStandin, SampleListing

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = hub_listing(shared_data_dir())
TASKS = ["text-generation", "image-text-to-text"]
PREPROCESS = [sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py")]


# --------------------------------------------------------------------------- independent expectations
def sample_models(cutoff: str | None = None) -> pd.DataFrame:
    """The sample as the Hub lists it at ``cutoff``, recomputed with pandas: each repository's
    latest creation up to then, its task the first complete tag that is a Hub task."""
    raw = pd.read_csv(SAMPLE, keep_default_na=False)
    raw["t"] = pd.to_datetime(raw["created_at"], utc=True)
    if cutoff is not None:
        raw = raw[raw["t"] <= pd.Timestamp(cutoff)]
    raw = raw.sort_values(["t", "model"]).drop_duplicates("model", keep="last")
    raw["task"] = [next((t for t in tags.split("; ") if t in schema.HUB_PIPELINE_TAGS), None)
                   for tags in raw["tags"]]
    return raw.set_index("model")


def expected_pages(n_new: int, page: int, has_known: bool) -> int:
    """Listing requests to list ``n_new`` new models newest first: the pages up to the one holding
    the first known model (at position ``n_new``), or to the end of the listing."""
    return n_new // page + 1 if has_known else max(1, math.ceil(n_new / page))


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def fast_settings(monkeypatch):
    """Short timeouts and backoffs so injected faults cost milliseconds."""
    monkeypatch.setattr(hub, "SETTINGS", hub.Settings(read_timeout=1.0, connect_timeout=2.0, backoff_base=0.02,
                                                      backoff_cap=0.2, max_retries=6))


def _no_leaderboards(standin: HubBoardStandin) -> None:
    for b in benchmarks.load():
        standin.set_leaderboard(b.dataset_id, b.task_id, [])


@pytest.fixture()
def standin():
    hub_server = HubBoardStandin().start()
    _no_leaderboards(hub_server)
    yield hub_server
    hub_server.stop()


def build(standin, out: Path, cache: Path, **kw) -> hubboard.HubBuild:
    kw.setdefault("page_size", 20)
    return hubboard.run(out=out, cache=cache, endpoint=standin.endpoint, token=False, max_requests_per_5min=0,
                        **kw)


def kinds(standin) -> dict[str, int]:
    """Requests per kind, without huggingface_hub's own once-a-day look-up of agent harnesses."""
    out: dict[str, int] = {}
    for r in standin.requests:
        if r.path != "/api/agent-harnesses":
            out[r.kind] = out.get(r.kind, 0) + 1
    return out


# Made-up results (the sample has no scores): several per repository on MMLU-Pro to check which
# one is kept, a fine-tune on GPQA that only base_model_only=False returns, a model of another
# task and one that does not exist (model_info), and an out-of-range value.
MMLU = [
    {"model": "XyX824/mam-c-gated-tiny", "value": 41.0, "date": "2026-09-26", "source_url": "https://example.org/card",
     "source_name": "Model Card"},
    {"model": "xyx824/MAM-C-GATED-TINY", "value": 45.5, "pull_request": 7, "source_url": "https://example.org/logs"},
    {"model": "Dohyeon1/ERNIE-SLEM0250", "value": 30.0, "verified": True, "date": "2026-09-25"},
    {"model": "Dohyeon1/ERNIE-SLEM0250", "value": 30.0, "date": "2026-09-27"},
    {"model": "coderian/QraXAi-Basic-32M", "value": 12.0, "date": "2026-09-25", "source_name": "Model Card",
     "source_url": "https://example.org/qrax"},
    {"model": "coderian/QraXAi-Basic-32M", "value": 12.0, "pull_request": 3},
    {"model": "Nurymanau/Qwen3-0.6B-Halo-Contextual-Guard-Paired-SFT", "value": 20.0, "notes": "With tools",
     "date": "2026-09-26"},
    {"model": "Nurymanau/Qwen3-0.6B-Halo-Contextual-Guard-Paired-SFT", "value": 18.0, "date": "2026-09-27"},
    {"model": "safcaasd/MyAwesomeModel-TestRepo", "value": 10.0, "date": "2026-09-28"},
    {"model": "made-up-org/gone-model", "value": 11.0},
    {"model": "con-cord/GRPO-RLME-Ordinal-2", "value": 101.0},
]
GPQA = [
    {"model": "XyX824/mam-c-gated-tiny", "value": 33.3},  # a fine-tune: left out unless base_model=false
    {"model": "Dohyeon1/ERNIE-SLEM0250", "value": 50.0},
]
# Made-up parameter counts (the sample has no safetensors), chosen at the size-class bounds.
PARAMS = {
    "Dohyeon1/ERNIE-SLEM0250": 21_000_000_000,                         # Medium (9, 40]
    "coderian/QraXAi-Basic-32M": 32_000_000,                           # Small
    "XyX824/mam-c-gated-tiny": 9_000_000_000,                          # Small (<= 9 exactly)
    "con-cord/GRPO-RLME-Ordinal-2": 9_000_000_001,                     # Medium (just over 9)
    "OnlyTextLLMs/gemma-4-26B-A4B-it-OnlyText": 40_000_000_000,        # Medium (<= 40 exactly)
    "OnlyTextLLMs/gemma-4-31B-it-OnlyText-GGUF": 41_000_000_000,       # Large
}


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The whole sample listed once through the stand-in, with the made-up scores and sizes."""
    previous = hub.SETTINGS
    hub.SETTINGS = hub.Settings(read_timeout=1.0, backoff_base=0.02, backoff_cap=0.2)
    standin = HubBoardStandin().start()
    try:
        standin.set_leaderboard("TIGER-Lab/MMLU-Pro", "mmlu_pro", MMLU)
        standin.set_leaderboard("Idavidrein/gpqa", "diamond", GPQA)
        standin.set_leaderboard("cais/hle", "hle", [])
        for repo, total in PARAMS.items():
            standin.patch_model(repo, safetensors={"parameters": {"BF16": total}, "total": total})
        out = tmp_path_factory.mktemp("hub-full")
        result = build(standin, out / "data", out / "cache", page_size=20)
        requests = kinds(standin)
    finally:
        standin.stop()
        hub.SETTINGS = previous
    models = store.read_snapshot(out / "data", "hub").models.set_index("repo_id")
    return result, models, requests


# --------------------------------------------------------------------------- a dozen records by hand
# Each expectation was read off the record's tags in the sample (quoted, "…" = cut by the source).
# Families: no architecture has more than 50 models in the sample, so every family is Other.
DOZEN = {
    # transformers; safetensors; ernie4_5_moe; text-generation; conversational; arxiv:…; endpoints_compatible; region:us
    "Dohyeon1/ERNIE-SLEM0250": dict(
        relation="base", type=schema.TYPE_CHAT, architecture="ernie4_5_moe", moe=True, license=None,
        base_model=None, tags_truncated=False, size_class="Medium", params_b=21.0),
    # transformers; safetensors; qrax_ai; text-generation; causal-lm; gpt2; …; custom_code; en; dataset:…; license:apache-2.0; region:us
    "coderian/QraXAi-Basic-32M": dict(
        relation="base", type=schema.TYPE_PRETRAINED, architecture="qrax_ai", moe=False, license="apache-2.0",
        base_model=None, tags_truncated=False, size_class="Small", params_b=0.032),
    # peft; safetensors; halo; lora; tool-use; research; text-generation; en; base_model:Qwen/Qwen3-0.6B;
    # base_model:adapter:Qwen/Qwen3-0.6B; license:apache-2.0; region:us   ("halo" is no model type)
    "Nurymanau/Qwen3-0.6B-Halo-Contextual-Guard-Paired-SFT": dict(
        relation="adapter", type=schema.TYPE_FINETUNED, architecture=None, moe=None, license="apache-2.0",
        base_model="Qwen/Qwen3-0.6B", tags_truncated=False, size_class=None, params_b=None),
    # transformers; safetensors; qwen2; text-generation; chat; conversational; …; base_model:Qwen/Qwen2.5-0.5B;
    # base_model:finetune:Qwen/Qwen2.5-0.5B; license:apache-2.0; text-generation…
    "XyX824/mam-c-gated-tiny": dict(
        relation="finetune", type=schema.TYPE_CHAT, architecture="qwen2", moe=False, license="apache-2.0",
        base_model="Qwen/Qwen2.5-0.5B", tags_truncated=True, size_class="Small", params_b=9.0),
    # gguf; gsq; rco; …; text-generation; …; base_model:ornith-ai/Ornith-1.5-35B-A3B;
    # base_model:quantized:ornith-ai/Ornith-1.5-35B-A3B; doi:10.…
    "pfeifferj/Ornith-1.5-35B-A3B-GSQ-RCO-GGUF": dict(
        relation="quantized", type=schema.TYPE_OTHER, architecture=None, moe=None, license=None,
        base_model="ornith-ai/Ornith-1.5-35B-A3B", tags_truncated=True, size_class=None, params_b=None),
    # transformers; gguf; merge; ties; …; text-generation; en; zh; base_model:pragmat…   (base cut: relation unknown)
    "pragmaticcs/Triumvirate-9B-Q8_0-GGUF": dict(
        relation=None, type=None, architecture=None, moe=None, license=None,
        base_model=None, tags_truncated=True, size_class=None, params_b=None),
    # safetensors; qwen3_5_moe; …; image-text-to-text; conversational; ar; fr; en;
    # base_model:unsloth/Qwen3.6-35B-A3B; base_model:quantized:unsloth/Qwen3.6-35B-A…   (relation cut)
    "Djdreamer79/qwen36-dz-awq": dict(
        relation=None, type=None, architecture="qwen3_5_moe", moe=True, license=None,
        base_model="unsloth/Qwen3.6-35B-A3B", tags_truncated=True, size_class=None, params_b=None),
    # transformers; safetensors; gemma3; image-text-to-text; conversational; arxiv:…; …; region:us
    "con-cord/GRPO-RLME-Ordinal-2": dict(
        relation="base", type=schema.TYPE_MULTIMODAL, architecture="gemma3", moe=False, license=None,
        base_model=None, tags_truncated=False, size_class="Medium", params_b=9.000000001),
    # transformers; safetensors; gemma4_text; text-generation; conversational; text-only;
    # base_model:google/gemma-4-26B-A4B-it; base_model:finetune:google/gemma-4-26B-A4B-it; license:apache-2.0; endpoints_…
    "OnlyTextLLMs/gemma-4-26B-A4B-it-OnlyText": dict(
        relation="finetune", type=schema.TYPE_CHAT, architecture="gemma4_text", moe=False, license="apache-2.0",
        base_model="google/gemma-4-26B-A4B-it", tags_truncated=True, size_class="Medium", params_b=40.0),
    # gguf; gemma4; text-generation; conversational; text-only; endpoints_compatible; base_model:google/gemma-4-31B-it;
    # base_model:quantized:google/gemma-4-31B-it; license:apache-2.0; region:us
    "OnlyTextLLMs/gemma-4-31B-it-OnlyText-GGUF": dict(
        relation="quantized", type=schema.TYPE_OTHER, architecture="gemma4", moe=False, license="apache-2.0",
        base_model="google/gemma-4-31B-it", tags_truncated=False, size_class="Large", params_b=41.0),
    # transformers; gemma4; image-text-to-text; text-generation-inference; unsloth; conversational; en;
    # base_model:sptech-ai/spia.ai.model.v1; base_model:finetune:sptech-ai/spia.ai.model.v1; license:apache…  (licence cut)
    "sptech-ai/spia.ai.model.v1-dpo": dict(
        relation="finetune", type=schema.TYPE_CHAT, architecture="gemma4", moe=False, license=None,
        base_model="sptech-ai/spia.ai.model.v1", tags_truncated=True, size_class=None, params_b=None),
    # peft; safetensors; base_model:"Qwen/Qwen2.5-7B-Instruct"; dpo; lora; transformers; trl; text-generation;
    # conversational; arxiv:…; base_model:Qwen/Qwen2.5-7B-Instruct; base_model:adapter:Qwen…  (quoted id invalid; relation cut)
    "Hello-Liu0618/FinLLM-dpo": dict(
        relation=None, type=None, architecture=None, moe=None, license=None,
        base_model="Qwen/Qwen2.5-7B-Instruct", tags_truncated=True, size_class=None, params_b=None),
}


@pytest.mark.parametrize("repo", list(DOZEN))
def test_a_dozen_sample_records_worked_out_by_hand(full, repo):
    _, models, _ = full
    row, want = models.loc[repo], DOZEN[repo]
    for col in ("relation", "type", "architecture", "license", "base_model", "size_class"):
        got = row[col] if isinstance(row[col], str) else None
        assert got == want[col], (col, row[col])
    assert (None if pd.isna(row["moe"]) else bool(row["moe"])) == want["moe"]
    assert bool(row["tags_truncated"]) == want["tags_truncated"]
    if want["params_b"] is None:
        assert pd.isna(row["params_b"])
    else:
        assert row["params_b"] == pytest.approx(want["params_b"], rel=1e-12)
    assert row["architecture_family"] == schema.FAMILY_OTHER
    assert row["merged"] is pd.NA if want["relation"] is None else bool(row["merged"]) is False
    assert bool(row["listed"]) and row["hub_outcome"] == "ok" and row["created_at_source"] == "hub"
    assert not any(t.endswith("…") for t in row["tags"])


def test_the_board_is_the_tasks_listing(full):
    """Every model of the two tasks (latest creation per repository), plus the scored models the
    listing lacks; the listing's request count follows from the page size."""
    result, models, requests = full
    sample = sample_models()
    in_tasks = sample[sample["task"].isin(TASKS)]
    listed = models[models["listed"].astype(bool)]
    assert sorted(listed.index) == sorted(in_tasks.index)
    assert (listed["pipeline_tag"] == in_tasks.loc[listed.index, "task"]).all()
    created = pd.to_datetime(in_tasks.loc[listed.index, "created_at"], utc=True).dt.tz_localize(None)
    assert (listed["created_at"] == created).all()
    assert sorted(models.index[~models["listed"].astype(bool)]) == ["made-up-org/gone-model",
                                                                      "safcaasd/MyAwesomeModel-TestRepo"]
    pages = sum(math.ceil((in_tasks["task"] == t).sum() / 20) for t in TASKS)
    assert requests == {"list_models": pages, "leaderboard": 3, "model_info": 2}
    assert result.manifest["counts"]["requests"] >= pages + 5
    assert result.manifest["as_of"] == pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")


def test_the_best_result_per_repository_is_kept_and_said_which(full):
    result, models, _ = full
    c = "ce_mmlu_pro"
    # two spellings of one repository: the best value wins, from an open pull request
    row = models.loc["XyX824/mam-c-gated-tiny"]
    assert row[c] == 45.5 and bool(row[f"{c}_community"]) and not bool(row[f"{c}_verified"])
    assert row[f"{c}_source"] == "https://example.org/logs" and pd.isna(row[f"{c}_date"])
    # a tie on the value: the verified result (its date from the model's eval results)
    row = models.loc["Dohyeon1/ERNIE-SLEM0250"]
    assert row[c] == 30.0 and bool(row[f"{c}_verified"]) and row[f"{c}_date"] == pd.Timestamp("2026-09-25")
    # a tie: the result merged into the model beats the open pull request's
    row = models.loc["coderian/QraXAi-Basic-32M"]
    assert row[c] == 12.0 and not bool(row[f"{c}_community"]) and row[f"{c}_source"] == "https://example.org/qrax"
    # the best value, with its notes and the date of that very result
    row = models.loc["Nurymanau/Qwen3-0.6B-Halo-Contextual-Guard-Paired-SFT"]
    assert row[c] == 20.0 and row[f"{c}_notes"] == "With tools" and row[f"{c}_date"] == pd.Timestamp("2026-09-26")
    # out of the benchmark's range (0-100): not kept, counted
    assert pd.isna(models.loc["con-cord/GRPO-RLME-Ordinal-2", c])
    assert result.manifest["counts"]["leaderboard_ce_mmlu_pro_out_of_range"] == 1
    # fine-tunes are on the leaderboard only with base_model_only=False
    assert models.loc["XyX824/mam-c-gated-tiny", "ce_gpqa"] == 33.3
    assert models.loc["Dohyeon1/ERNIE-SLEM0250", "ce_gpqa"] == 50.0
    scored = {b.column: int(models[b.column].notna().sum()) for b in benchmarks.load()}
    assert scored == {"ce_mmlu_pro": 6, "ce_gpqa": 2, "ce_hle": 0}
    assert models["average"].isna().all()


def test_leaderboard_without_fine_tunes_is_what_the_client_would_get_by_default(standin):
    """The stand-in's leaderboard follows the Hub: by default only models that declare no base."""
    from huggingface_hub import HfApi

    standin.set_leaderboard("Idavidrein/gpqa", "diamond", GPQA)
    api = HfApi(endpoint=standin.endpoint, token=False)
    default = api.get_dataset_leaderboard("Idavidrein/gpqa")
    every = api.get_dataset_leaderboard("Idavidrein/gpqa", base_model_only=False)
    assert [(e.model_id, e.value, e.rank) for e in default] == [("Dohyeon1/ERNIE-SLEM0250", 50.0, 1)]
    assert [(e.model_id, e.rank) for e in every] == [("Dohyeon1/ERNIE-SLEM0250", 1), ("XyX824/mam-c-gated-tiny", 2)]


def test_scored_models_the_listing_lacks_are_asked_with_model_info(full):
    _, models, _ = full
    other = models.loc["safcaasd/MyAwesomeModel-TestRepo"]
    # transformers; pytorch; bert; feature-extraction; license:mit; endpoints_compatible; region:us
    assert not bool(other["listed"]) and other["hub_outcome"] == "ok" and other["pipeline_tag"] == "feature-extraction"
    assert other["architecture"] == "bert" and other["license"] == "mit" and other["relation"] == "base"
    assert other["ce_mmlu_pro"] == 10.0 and other["ce_mmlu_pro_date"] == pd.Timestamp("2026-09-28")
    gone = models.loc["made-up-org/gone-model"]
    assert gone["hub_outcome"] == "not_found" and gone["ce_mmlu_pro"] == 11.0
    assert pd.isna(gone["type"]) and pd.isna(gone["relation"]) and pd.isna(gone["created_at"])


def test_listing_asks_what_list_models_asks(standin):
    """The resumable page walk sends the query of HfApi.list_models (plus the explicit direction)."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=standin.endpoint, token=False)
    next(iter(api.list_models(pipeline_tag="image-text-to-text", sort="created_at", expand=hub.LISTING_EXPAND,
                              limit=1000)))
    with hub.session(endpoint=standin.endpoint, token=False, max_requests_per_5min=None) as sess:
        items, _ = next(hub.list_model_pages(sess, params=hub.listing_params("image-text-to-text")))
    ours, theirs = [r for r in standin.requests if r.kind == "list_models"][-2:][::-1]
    from urllib.parse import parse_qs

    q_ours, q_theirs = parse_qs(ours.query), parse_qs(theirs.query)
    assert q_ours.pop("direction") == ["-1"]
    assert q_ours == q_theirs
    assert [i["id"] for i in items] == [m.id for m in api.list_models(pipeline_tag="image-text-to-text",
                                                                      sort="created_at", limit=1000)]


# --------------------------------------------------------------------------- tags and rules
def test_truncated_tags_are_read_as_far_as_they_go():
    # made-up tag lists in the Hub's spelling
    cut = hubboard.read_tags(["transformers", "llama", "base_model:org/x", "base_model:finetune:org/x",
                              "license:apache…"])
    assert cut.truncated and cut.license is None and cut.relation == "finetune" and cut.base_model == "org/x"
    assert cut.tags == ("transformers", "llama", "base_model:org/x", "base_model:finetune:org/x")
    assert cut.architecture == "llama"
    # no base model among the complete tags of a cut list: it may have had one
    early = hubboard.read_tags(["transformers", "qwen3", "text-generation", "en", "…"])
    assert early.truncated and early.relation is None and early.base_model is None
    # the same complete list: a root model
    root = hubboard.read_tags(["transformers", "qwen3", "text-generation", "en"])
    assert not root.truncated and root.relation == "base"
    # the cut tag is the relation: the base is known, the relation is not
    rel = hubboard.read_tags(["base_model:a/b", "base_model:quantized:a…"])
    assert rel.relation is None and rel.base_model == "a/b"
    # a cut list whose partial tag would look like a task or licence is never completed
    assert hubboard.read_tags(["peft", "text-generat…"]).tags == ("peft",)
    merge = hubboard.read_tags(["transformers", "mergekit", "base_model:a/b", "base_model:merge:a/b",
                                "base_model:merge:c/d"])
    assert merge.relation == "merge" and merge.base_model == "a/b"
    assert hubboard.type_of("merge", True, "text-generation") == schema.TYPE_MERGE
    bad = hubboard.read_tags(['base_model:"Qwen/Qwen2.5-7B-Instruct"', "license:mit"])
    assert bad.base_model is None and bad.relation is None and bad.invalid_base


def test_family_rule_keeps_names_above_fifty_models():
    """The study's rule on the hub board: more than 50 models of a model type keep its name
    (made-up records: 51 llama, 50 qwen3_5 of which 1 qwen3_5_text, 3 mistral)."""
    def rec(i, arch):
        return {"id": f"made-up/{arch}-{i}", "tags": ["transformers", arch, "text-generation"],
                "created_at": "2026-01-01T00:00:00Z", "pipeline_tag": "text-generation", "last_modified": None,
                "author": "made-up", "downloads": 0, "likes": 0, "library": None, "params_total": None,
                "eval_results": []}

    records = ([rec(i, "llama") for i in range(51)] + [rec(i, "qwen3_5") for i in range(49)]
               + [rec(0, "qwen3_5_text")] + [rec(i, "mistral") for i in range(3)])
    benches = benchmarks.load()
    models, _ = hubboard.normalize(hubboard.facts_frame(records), [True] * len(records), ["ok"] * len(records),
                                   [hubboard.merge_results([], b, {}) for b in benches])
    fam = models.groupby("architecture")["architecture_family"].agg(set).to_dict()
    assert fam == {"llama": {"LLama"}, "qwen3_5": {"Other"}, "qwen3_5_text": {"Other"}, "mistral": {"Other"}}
    records.append(rec(1, "qwen3_5_text"))  # the 51st model of the Qwen3.5 family
    models, _ = hubboard.normalize(hubboard.facts_frame(records), [True] * len(records), ["ok"] * len(records),
                                   [hubboard.merge_results([], b, {}) for b in benches])
    assert set(models.loc[models["architecture"].str.startswith("qwen3_5"), "architecture_family"]) == {"Qwen3.5"}


def test_moe_architectures_cover_both_spellings():
    assert schema.is_moe_architecture("qwen2_moe") and schema.is_moe_architecture("Qwen2MoeForCausalLM".lower()[:-11])
    assert schema.is_moe_architecture("MixtralForCausalLM".lower().removesuffix("forcausallm"))
    assert schema.is_moe_architecture("gpt_oss") and schema.is_moe_architecture("qwen3_5_moe_text")
    assert schema.is_moe_architecture("llama") is False and schema.is_moe_architecture(None) is None


def test_benchmarks_file_is_validated(tmp_path):
    good = (REPO_ROOT / "llmtrends" / "benchmarks.csv").read_text().splitlines()
    assert [b.dataset_id for b in benchmarks.load()] == ["TIGER-Lab/MMLU-Pro", "Idavidrein/gpqa", "cais/hle"]
    bad = tmp_path / "b.csv"
    bad.write_text("\n".join([good[0], good[1].replace("TIGER-Lab/MMLU-Pro", "MMLU-Pro")]) + "\n")
    with pytest.raises(benchmarks.BenchmarksError, match=r"row 2, column 'dataset_id'"):
        benchmarks.load(bad)
    bad.write_text("\n".join([good[0], good[1], good[1]]) + "\n")
    with pytest.raises(benchmarks.BenchmarksError, match="listed twice"):
        benchmarks.load(bad)


# --------------------------------------------------------------------------- incremental refresh
def test_refresh_lists_exactly_the_new_models_in_the_expected_requests(standin, tmp_path):
    t1 = "2026-09-26T12:00:00Z"
    standin.set_cutoff(t1)
    first = build(standin, tmp_path / "data", tmp_path / "cache", page_size=7)
    before = store.read_snapshot(tmp_path / "data", "hub").models
    standin.clear_requests()
    standin.set_cutoff(None)
    time.sleep(1.05)  # snapshot ids have a one-second resolution: keep the two builds in order
    second = build(standin, tmp_path / "data", tmp_path / "cache", page_size=7)
    after = store.read_snapshot(tmp_path / "data", "hub").models

    then, now = sample_models(t1), sample_models()
    pages = 0
    for task in TASKS:
        old = set(then.index[then["task"] == task])
        cur = now[now["task"] == task]
        new = set(cur.index[pd.to_datetime(cur["created_at"], utc=True) > pd.Timestamp(t1)])
        assert {lst.task: lst.new for lst in second.listings}[task] == len(new)
        assert set(after.loc[after["pipeline_tag"] == task, "repo_id"]) == set(cur.index)
        assert set(before.loc[before["pipeline_tag"] == task, "repo_id"]) == old
        pages += expected_pages(len(new), 7, has_known=len(new) < len(cur))
    assert kinds(standin) == {"list_models": pages, "leaderboard": 3}
    assert [lst.mode for lst in second.listings] == ["incremental", "incremental"]
    # each refresh is a new dated snapshot; the previous one stays as history
    history = store.list_snapshots(tmp_path / "data", "hub")
    assert [s.path for s in history] == [first.path, second.path] and history[-1].current
    assert store.read_snapshot(tmp_path / "data", "hub", first.path.name).models.equals(before)


def test_a_repository_created_again_is_new_and_the_listing_goes_on(standin, tmp_path):
    """TB22427/MyAwesomeModel-TestRepo (feature-extraction) was created four times in the sample
    (09-24, 09-25, 09-26 11:41, 09-27 18:12): after a build at 09-26 12:00 its last creation is new,
    and the listing must not stop at the id it already has."""
    t1 = "2026-09-26T12:00:00Z"
    standin.set_cutoff(t1)
    build(standin, tmp_path / "data", tmp_path / "cache", tasks=["feature-extraction"], page_size=5)
    standin.set_cutoff(None)
    standin.clear_requests()
    second = build(standin, tmp_path / "data", tmp_path / "cache", tasks=["feature-extraction"], page_size=5)
    models = store.read_snapshot(tmp_path / "data", "hub").models.set_index("repo_id")
    now = sample_models()
    cur = now[now["task"] == "feature-extraction"]
    new = cur.index[pd.to_datetime(cur["created_at"], utc=True) > pd.Timestamp(t1)]
    assert "TB22427/MyAwesomeModel-TestRepo" in new
    assert second.listings[0].new == len(new)
    assert models.loc["TB22427/MyAwesomeModel-TestRepo", "created_at"] == pd.Timestamp("2026-09-27 18:12:39")
    assert sorted(models.index) == sorted(cur.index)
    assert kinds(standin)["list_models"] == expected_pages(len(new), 5, has_known=True)


def test_refresh_option_lists_everything_again(standin, tmp_path):
    build(standin, tmp_path / "data", tmp_path / "cache", page_size=50)
    # a model deleted from the Hub meanwhile: an incremental refresh cannot see it go, a full one does
    gone = next(d for d in standin.listing.docs if d["pipeline_tag"] == "text-generation")
    standin.listing.docs.remove(gone)
    standin.clear_requests()
    again = build(standin, tmp_path / "data", tmp_path / "cache", page_size=50, refresh=True)
    now = sample_models().drop(gone["id"])
    pages = sum(math.ceil((now["task"] == t).sum() / 50) for t in TASKS)
    assert kinds(standin) == {"list_models": pages, "leaderboard": 3}
    assert [lst.mode for lst in again.listings] == ["full", "full"]
    models = store.read_snapshot(tmp_path / "data", "hub").models
    assert sorted(models["repo_id"]) == sorted(now.index[now["task"].isin(TASKS)])


def test_stored_facts_are_read_again_when_the_rules_change(standin, tmp_path):
    """The cache keeps each model's tag facts; facts from other rules are read again from the
    stored tags when the cache is opened (no request)."""
    first = build(standin, tmp_path / "data", tmp_path / "cache")
    import sqlite3

    with sqlite3.connect(tmp_path / "cache" / hubboard.CACHE_FILENAME) as db:
        db.execute("UPDATE listed SET relation = 'merge', license = 'made-up'")
        db.execute("UPDATE meta SET value = '0' WHERE key = 'rules_version'")
    standin.clear_requests()
    time.sleep(1.05)  # snapshot ids have a one-second resolution
    second = build(standin, tmp_path / "data", tmp_path / "cache")
    a = pd.read_parquet(first.path / "models.parquet")
    b = pd.read_parquet(second.path / "models.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert kinds(standin) == {"list_models": 2, "leaderboard": 3}  # the refresh's pages only


def test_a_client_without_base_model_only_is_a_one_line_error(standin, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    def older(self, repo_id, *, token=None, timeout=None):  # the signature before base_model_only
        raise AssertionError("never called with these arguments")

    monkeypatch.setattr(HfApi, "get_dataset_leaderboard", older)
    with pytest.raises(hubboard.HubBoardError, match="huggingface_hub is too old"):
        build(standin, tmp_path / "data", tmp_path / "cache")
    assert store.snapshot_path(tmp_path / "data", "hub") is None


def test_faults_are_retried_and_change_nothing(standin, tmp_path):
    reference = build(standin, tmp_path / "ref", tmp_path / "ref-cache", page_size=10)
    standin.set_faults(Faults(rate=0.3, seed=3, kinds=("429", "500", "503", "hang", "malformed", "reset"),
                              retry_after=0, hang_seconds=2.0))
    faulty = build(standin, tmp_path / "faulty", tmp_path / "faulty-cache", page_size=10)
    assert any(r.fault for r in standin.requests)
    a = pd.read_parquet(reference.path / "models.parquet")
    b = pd.read_parquet(faulty.path / "models.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_an_unreadable_leaderboard_keeps_the_previous_snapshot(standin, tmp_path):
    first = build(standin, tmp_path / "data", tmp_path / "cache")
    standin.leaderboards.pop("cais/hle")
    with pytest.raises(hubboard.HubBoardError, match=r"leaderboard of cais/hle .* HTTP 404.*previous snapshot"):
        build(standin, tmp_path / "data", tmp_path / "cache")
    assert store.snapshot_path(tmp_path / "data", "hub") == first.path


# --------------------------------------------------------------------------- kill and resume
def _env(standin, tmp_path) -> dict:
    env = dict(os.environ)
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("HF_TOKEN", None)
    env.update({"HF_ENDPOINT": standin.endpoint, "HF_HOME": str(tmp_path / "hf_home"),
                "PYTHONPATH": str(REPO_ROOT)})
    return env


def test_killed_mid_listing_leaves_the_snapshot_and_resumes(standin, tmp_path):
    t1 = "2026-09-26T12:00:00Z"
    standin.set_cutoff(t1)
    out, cache = tmp_path / "data", tmp_path / "cache"
    args = ["--board", "hub", "--out", str(out), "--cache", str(cache), "--page-size", "3",
            "--max-requests-per-5min", "0", "--quiet"]
    done = subprocess.run(PREPROCESS + args, env=_env(standin, tmp_path), capture_output=True, text=True,
                          timeout=300, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    board_dir = out / "hub"
    previous = files_of(board_dir)
    standin.set_cutoff(None)
    standin.set_faults(Faults(latency=0.25))
    standin.clear_requests()
    proc = subprocess.Popen(PREPROCESS + args, env=_env(standin, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    try:
        while kinds(standin).get("list_models", 0) < 3 and proc.poll() is None:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_pages = kinds(standin)["list_models"]
    assert files_of(board_dir) == previous  # byte for byte, CURRENT included

    standin.set_faults(Faults())
    standin.clear_requests()
    done = subprocess.run(PREPROCESS + args, env=_env(standin, tmp_path), capture_output=True, text=True,
                          timeout=300, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resumed" in done.stdout
    first = [r for r in standin.requests if r.kind == "list_models"][0]
    from urllib.parse import parse_qs

    # the resumed listing starts at the page after the last one stored, not from the top
    page = int(parse_qs(first.query).get("p", ["0"])[0])
    assert first.query.startswith("pipeline_tag=text-generation") and killed_pages - 1 <= page <= killed_pages
    models = store.read_snapshot(out, "hub").models
    now = sample_models()
    assert sorted(models["repo_id"]) == sorted(now.index[now["task"].isin(TASKS)])
    history = store.list_snapshots(out, "hub")
    assert len(history) == 2 and files_of(history[0].path) == {
        k.split("/", 2)[2]: v for k, v in previous.items() if k.startswith("snapshots/")}


# --------------------------------------------------------------------------- the local listing
def test_local_listing_csv_gives_the_listings_models(full, tmp_path):
    _, listed, _ = full
    result = runner.run(board="hub", source=SAMPLE, enrich="none", out=tmp_path)
    models = store.read_snapshot(tmp_path, "hub").models.set_index("repo_id")
    now = sample_models()
    assert sorted(models.index) == sorted(now.index[now["task"].isin(TASKS)])
    cols = ["type", "relation", "architecture", "license", "base_model", "tags_truncated", "created_at"]
    pd.testing.assert_frame_equal(models[cols].sort_index(), listed.loc[listed["listed"].astype(bool), cols].sort_index())
    assert result.manifest["as_of"] == "2026-09-28" and result.manifest["source_sha256"]
    assert all(models[b.column].isna().all() for b in benchmarks.load())


@pytest.mark.parametrize("text, message", [
    ("created_at,model\n2026-01-01T00:00:00Z,a/b\n", "missing required column(s): 'tags'"),
    ("created_at,model,tags\n2026-01-01T00:00:00Z,not an id,llama\n", "column 'model': not a repository id at row 2"),
    ("created_at,model,tags\nyesterday,a/b,llama\n", "column 'created_at': unparseable date"),
])
def test_a_bad_listing_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "listing.csv"
    path.write_text(text)
    done = subprocess.run(PREPROCESS + ["--board", "hub", "--source", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_cli_usage_errors_for_the_hub_board(tmp_path):
    for args, message in ((["--board", "hub", "--enrich", "hub"], "--enrich"),
                          (["--board", "v2", "--since", "2024-01-01"], "--since"),
                          (["--board", "hub", "--page-size", "5000"], "--page-size")):
        done = subprocess.run(PREPROCESS + args + ["--out", str(tmp_path)], capture_output=True, text=True,
                              timeout=120, cwd=REPO_ROOT)
        assert done.returncode == 2 and message in done.stderr
    done = subprocess.run(PREPROCESS + ["--board", "hub", "--source", str(SAMPLE), "--task", "chat",
                                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT)
    assert done.returncode == 1 and "unknown task(s) chat" in done.stderr


def test_manifest_says_what_was_listed(full):
    result, _, _ = full
    m = result.manifest
    assert m["board"] == "hub" and m["listing"]["tasks"] == TASKS and m["listing"]["since"] == "2023-01-01"
    assert [r["mode"] for r in m["listing"]["runs"]] == ["full", "full"]
    assert [b["dataset_id"] for b in m["benchmarks"]] == ["TIGER-Lab/MMLU-Pro", "Idavidrein/gpqa", "cais/hle"]
    assert json.dumps(m)  # plain JSON
