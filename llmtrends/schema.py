"""Column names and label tables: the single source of truth for every other module.

Two kinds of schema live here:

* the *source* schemas of the two leaderboards (v1: the study's scraped CSV, v2: the Hub
  dataset ``open-llm-leaderboard/contents``), i.e. the raw column names with their emoji;
* the *processed* schema: the snake_case columns of ``data/<board>/models.parquet`` that
  the views read (the contract between the pipeline and the app).

The third board, ``hub``, has no source schema: it is built from the Hub's model listing and
its Community Evals leaderboards (:mod:`llmtrends.pipeline.hubboard`); its benchmarks come from
``llmtrends/benchmarks.csv`` (:mod:`llmtrends.pipeline.benchmarks`).
"""

from __future__ import annotations

from dataclasses import dataclass

BOARDS = ("v1", "v2", "hub")
# The board built from the Hub as it is today (listing + Community Evals), not a leaderboard file.
HUB_BOARD = "hub"
# The boards whose ``average`` is comparable from model to model (every model scored on the
# same benchmarks). The hub board has none: its models are scored on different benchmarks.
AVERAGE_BOARDS = ("v1", "v2")
# How the app's board switch names each board.
BOARD_LABELS = {"v1": "Leaderboard v1", "v2": "Leaderboard v2", HUB_BOARD: "Hub today"}
# Each board's processed snapshot is data/<board>/models.parquet (+ commit_authors.parquet)
# and this manifest, which says where it came from and the hash of its content.
MANIFEST_FILE = "manifest.json"


def snapshot_version(manifest: dict) -> str:
    """A short id of a snapshot's content, from its manifest (caches, figure store, provenance)."""
    return str(manifest.get("models_sha256", ""))[:12]


# --------------------------------------------------------------------------- types
# The leaderboard's type words, without emoji; the order is the legend order.
TYPE_FINETUNED = "fine-tuned on domain-specific datasets"
TYPE_CHAT = "chat models (RLHF, DPO, IFT, ...)"
TYPE_MERGE = "base merges and moerges"
TYPE_PRETRAINED = "pretrained"
TYPE_CONTINUOUS = "continuously pretrained"
TYPE_MULTIMODAL = "multimodal"
TYPE_OTHER = "other"

TYPE_LABELS: tuple[str, ...] = (
    TYPE_FINETUNED,
    TYPE_CHAT,
    TYPE_MERGE,
    TYPE_PRETRAINED,
    TYPE_CONTINUOUS,
    TYPE_MULTIMODAL,
    TYPE_OTHER,
)

# The leaderboard's one-symbol ``T`` column, used when ``Type`` is empty.
TYPE_BY_SYMBOL: dict[str, str] = {
    "🔶": TYPE_FINETUNED,
    "💬": TYPE_CHAT,
    "🤝": TYPE_MERGE,
    "🟢": TYPE_PRETRAINED,
    "🟩": TYPE_CONTINUOUS,
    "🌸": TYPE_MULTIMODAL,
    "❓": TYPE_OTHER,
}

# --------------------------------------------------------------------------- families
# Display names of architecture families, keyed by the lower-cased architecture class
# with its head suffix removed (``LlamaForCausalLM`` -> ``llama``). The study's v1 labels
# are kept as the study spelled them (``LLama``, ``Opt``, ``GPT-NeoX``).
FAMILY_DISPLAY: dict[str, str] = {
    "llama": "LLama",
    "mixtral": "Mixtral",
    "qwen2": "Qwen2",
    "mistral": "Mistral",
    "gemma": "Gemma",
    "gemma2": "Gemma2",
    "phi": "Phi",
    "phi3": "Phi3",
    "opt": "Opt",
    "gpt2": "GPT2",
    "gptneox": "GPT-NeoX",
    "gptj": "GPT-J",
    "falcon": "Falcon",
    "bloom": "Bloom",
    "qwen2moe": "Qwen2MoE",
    # the hub board's keys are the Hub's model-type tags (config ``model_type``), see below
    "gpt_neox": "GPT-NeoX",
    "qwen2_moe": "Qwen2MoE",
    "qwen3": "Qwen3",
    "qwen3_moe": "Qwen3-MoE",
    "qwen3_next": "Qwen3-Next",
    "qwen3_5": "Qwen3.5",
    "qwen3_5_moe": "Qwen3.5-MoE",
    "gemma3": "Gemma3",
    "gemma4": "Gemma4",
    "gpt_oss": "GPT-OSS",
    "deepseek_v3": "DeepSeek-V3",
    "llama4": "Llama4",
}
FAMILY_OTHER = "Other"
# An architecture family needs strictly more than this many models (the study's rule).
FAMILY_MIN_MODELS = 50
# Suffixes stripped from an architecture class name to get its family key; longest first.
ARCH_SUFFIXES: tuple[str, ...] = (
    "forconditionalgeneration",
    "forcausallm",
    "lmheadmodel",
    "model",
)
# Architecture values that mean "not known" in the sources.
UNKNOWN_ARCHITECTURES = frozenset({"", "?", "unknown", "nan", "none"})

# Mixture-of-experts architectures, written compactly (lower-case, without ``_`` or ``-``) so
# that one list serves a leaderboard's architecture class (``Qwen2MoeForCausalLM`` -> family key
# ``qwen2moe``) and the Hub's model-type tag (``qwen2_moe``); see :func:`is_moe_architecture`.
# Every model of one of these is MoE, every model of another known architecture dense (model
# cards and configs of each architecture's reference models); a dense architecture with MoE
# variants under another name (``qwen3`` / ``qwen3_moe``) is listed by the MoE name only. The
# leaderboards' own ``MoE`` flag disagrees for some (v1 flags dense ``LlamaForCausalLM`` models
# such as 01-ai/Yi-6B, v2 leaves ``DbrxForCausalLM`` unflagged): the pipeline writes
# ``moe_architecture`` from this list and counts the disagreements in the manifest, and the
# MoE view offers both rules.
MOE_ARCHITECTURES: frozenset[str] = frozenset({
    "mixtral",          # Mixtral 8x7B / 8x22B and mergekit-moe merges
    "qwen2moe", "qwen3moe", "qwen3next", "qwen35moe", "qwen35moetext", "qwen3vlmoe",  # Qwen MoE lines
    "deepseek",         # DeepSeekMoE 16B (DeepSeek LLM 7B/67B are LlamaForCausalLM)
    "deepseekv2", "deepseekv3", "deepseekv32",  # DeepSeek-V2 (-Lite), V3 / R1, V3.2
    "dbrx",             # Databricks DBRX
    "jamba",            # AI21 Jamba (MoE layers in a hybrid)
    "olmoe",            # AllenAI OLMoE
    "granitemoe", "granitemoehybrid", "granitemoeshared",  # IBM Granite MoE
    "phimoe",           # Phi-3.5-MoE
    "jetmoe",           # JetMoE
    "arctic",           # Snowflake Arctic
    "grok", "grok1",    # Grok-1
    "aria",             # Rhymes Aria
    "llama4", "llama4text",  # Llama 4 Scout / Maverick
    "gptoss",           # OpenAI gpt-oss
    "glm4moe", "ernie45moe", "hunyuanv1moe", "bailingmoe", "minimax", "minimaxm2", "dots1",
    "longcatflash",
    "switchtransformers",  # Google Switch Transformers
    "nllbmoe",          # NLLB-MoE
})


def is_moe_architecture(key: str | None) -> bool | None:
    """Whether an architecture (class key or Hub model type) is mixture-of-experts; None
    when the architecture is unknown."""
    if key is None or str(key).strip().lower() in UNKNOWN_ARCHITECTURES:
        return None
    return str(key).lower().replace("_", "").replace("-", "") in MOE_ARCHITECTURES


# --------------------------------------------------------------------------- the Hub's tags
# The Hub's task ids (``pipeline_tag``), as its model pages and listing filters name them.
# A model lists its task among its tags; the hub board reads which tags are tasks from here.
HUB_PIPELINE_TAGS = frozenset({
    "text-classification", "token-classification", "table-question-answering",
    "question-answering", "zero-shot-classification", "translation", "summarization",
    "feature-extraction", "text-generation", "text2text-generation", "fill-mask",
    "sentence-similarity", "text-ranking", "text-to-speech", "text-to-audio",
    "automatic-speech-recognition", "audio-to-audio", "audio-classification",
    "audio-text-to-text", "voice-activity-detection", "depth-estimation",
    "image-classification", "object-detection", "image-segmentation", "text-to-image",
    "image-to-text", "image-to-image", "image-to-video", "unconditional-image-generation",
    "video-classification", "reinforcement-learning", "robotics", "tabular-classification",
    "tabular-regression", "tabular-to-text", "table-to-text", "multiple-choice",
    "text-retrieval", "time-series-forecasting", "text-to-video", "image-text-to-text",
    "image-text-to-image", "image-text-to-video", "visual-question-answering",
    "document-question-answering", "zero-shot-image-classification", "graph-ml",
    "mask-generation", "zero-shot-object-detection", "text-to-3d", "image-to-3d",
    "image-feature-extraction", "video-text-to-text", "keypoint-detection",
    "visual-document-retrieval", "any-to-any", "video-to-video", "other",
})
# Tags the Hub puts first: the library and the weight formats. The model-type tag follows them.
HUB_FORMAT_TAGS = frozenset({
    "transformers", "safetensors", "pytorch", "gguf", "mlx", "peft", "onnx", "diffusers",
    "tensorboard", "sentence-transformers", "jax", "tf", "keras", "tflite", "coreml",
    "openvino", "timm", "open_clip", "adapter-transformers", "setfit", "litert", "nemo",
    "transformers.js", "optimum", "ctranslate2", "exl2", "exl3", "mlx-lm", "llama.cpp",
    "onnxruntime", "ggml", "bitsandbytes", "rust", "flax", "tensorrt",
})
# Model types (a config's ``model_type``, which the Hub lists as a tag) the hub board knows by
# name. A repository whose first tag is ``transformers`` also has any other tag spelled like a
# model type taken at that place (see hubboard.architecture_of), so that a new architecture
# shows up without an edit here; this list covers the repositories of other libraries (GGUF,
# MLX), whose tags are not read that way.
HUB_MODEL_TYPES = frozenset({
    "llama", "llama4", "llama4_text", "mistral", "mistral3", "ministral", "mixtral",
    "qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl", "qwen3", "qwen3_moe", "qwen3_next",
    "qwen3_vl", "qwen3_vl_moe", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text",
    "gemma", "gemma2", "gemma3", "gemma3_text", "gemma3n", "gemma4", "gemma4_text", "phi",
    "phi3", "phimoe", "gpt2", "gpt_neox", "gptj", "gpt_oss", "gpt_bigcode", "opt", "falcon",
    "falcon_h1", "bloom", "mpt", "stablelm", "starcoder2", "deepseek_v2", "deepseek_v3",
    "glm", "glm4", "glm4_moe", "chatglm", "cohere", "cohere2", "granite", "granitemoe",
    "granitemoehybrid", "olmo", "olmo2", "olmo3", "olmoe", "mamba", "mamba2", "jamba",
    "zamba2", "exaone", "exaone4", "internlm2", "minicpm", "baichuan", "smollm3", "lfm2",
    "ernie4_5", "ernie4_5_moe", "hunyuan_v1_dense", "hunyuan_v1_moe", "seed_oss", "apertus",
    "bailing_moe", "minimax", "minimax_m2", "dots1", "llava", "llava_llama", "idefics3",
    "smolvlm", "paligemma", "t5", "mt5", "bart", "bert", "roberta", "xlm-roberta",
    "distilbert", "modernbert", "deberta-v2", "electra", "whisper", "wav2vec2", "m2m_100",
    "marian", "vit", "clip", "siglip", "siglip2",
})
# Model relations of the Hub's model tree, as in its ``base_model:<relation>:<id>`` tags; a
# model that declares no base model is a ``base`` (a root of the tree).
RELATION_BASE = "base"
HUB_RELATIONS: tuple[str, ...] = ("finetune", "adapter", "merge", "quantized")
RELATIONS: tuple[str, ...] = (RELATION_BASE, *HUB_RELATIONS)

# --------------------------------------------------------------------------- sizes
SIZE_SMALL = "Small"
SIZE_MEDIUM = "Medium"
SIZE_LARGE = "Large"
SIZE_CLASSES: tuple[str, ...] = (SIZE_SMALL, SIZE_MEDIUM, SIZE_LARGE)
SIZE_SMALL_MAX_B = 9.0  # Small: params <= 9B
SIZE_MEDIUM_MAX_B = 40.0  # Medium: 9B < params <= 40B; Large: > 40B

# The Hub's placeholder creation date for repositories older than its records.
HUB_PLACEHOLDER_DATE = "2022-03-02"

# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceSchema:
    """The raw columns of one leaderboard and what each becomes."""

    board: str
    required: tuple[str, ...]
    numeric: tuple[str, ...]
    boolean: tuple[str, ...]
    dates: tuple[str, ...]
    benchmarks: dict[str, str]  # raw column -> processed column
    # Required columns the source gained over time: a dated (historical) revision may lack
    # them, and they are then missing for that date (never made up); a current build still
    # needs them. See sources.validate_leaderboard(dated=True).
    added_later: tuple[str, ...] = ()


V1_BENCHMARKS = {
    "ARC": "arc",
    "HellaSwag": "hellaswag",
    "MMLU": "mmlu",
    "TruthfulQA": "truthfulqa",
    "Winogrande": "winogrande",
    "GSM8K": "gsm8k",
}
V2_BENCHMARKS = {
    "IFEval": "ifeval",
    "BBH": "bbh",
    "MATH Lvl 5": "math_lvl_5",
    "GPQA": "gpqa",
    "MUSR": "musr",
    "MMLU-PRO": "mmlu_pro",
}

V1 = SourceSchema(
    board="v1",
    required=(
        "fullname", "Average ⬆️", *V1_BENCHMARKS, "Type", "T", "Architecture",
        "Precision", "Merged", "MoE", "Flagged", "#Params (B)", "Hub License",
        "Hub ❤️", "Model sha",
    ),
    numeric=("Average ⬆️", *V1_BENCHMARKS, "#Params (B)", "Hub ❤️"),
    boolean=("Merged", "MoE", "Flagged"),
    dates=(),
    benchmarks=V1_BENCHMARKS,
)

V2 = SourceSchema(
    board="v2",
    required=(
        "fullname", "Average ⬆️", *V2_BENCHMARKS, "Type", "T", "Architecture",
        "Precision", "Weight type", "Merged", "MoE", "Flagged", "Official Providers",
        "#Params (B)", "Hub License", "Hub ❤️", "Model sha", "CO₂ cost (kg)",
        "Upload To Hub Date", "Submission Date", "Base Model", "Generation",
    ),
    numeric=("Average ⬆️", *V2_BENCHMARKS, "#Params (B)", "Hub ❤️", "CO₂ cost (kg)", "Generation"),
    boolean=("Merged", "MoE", "Flagged", "Official Providers"),
    dates=("Upload To Hub Date", "Submission Date"),
    benchmarks=V2_BENCHMARKS,
    added_later=("Official Providers",),  # in the dataset since January 2025
)

SOURCE_SCHEMAS = {"v1": V1, "v2": V2}

# Precision preference for breaking ties between entries of one repository with the
# same average: the native half precisions first, quantized ones last.
PRECISION_RANK = {"bfloat16": 0, "float16": 1, "float32": 2, "8bit": 3, "4bit": 4, "GPTQ": 5}

# Commit authors that are automation, not people (besides any name ending in "bot").
BOT_AUTHORS = frozenset({
    "system", "leaderboard-pr-bot", "librarian-bot", "sfconvertbot", "huggingfacebot",
    "github-actions", "dependabot", "hf-internal-testing", "autotrain",
})


def is_bot(author: str) -> bool:
    """True for automation accounts: a known bot name or a name ending in 'bot'."""
    name = author.strip().lower()
    return name in BOT_AUTHORS or name.endswith("bot") or name.endswith("[bot]")


# --------------------------------------------------------------------------- processed
# Columns of models.parquet (both boards). Benchmark columns are added per board.
MODEL_COLUMNS: tuple[str, ...] = (
    "repo_id",            # namespace/name as the leaderboard spells it
    "namespace",
    "model_name",
    "type",               # one of TYPE_LABELS
    "architecture",       # the architecture class ("LlamaForCausalLM"), None if unknown
    "architecture_family",
    "params_b",           # billions of parameters, NaN if unknown
    "size_class",         # Small / Medium / Large, None if params unknown
    "average",
    "moe",                # the leaderboard's MoE flag (v1's inversion undone)
    "moe_architecture",   # MoE by architecture (MOE_ARCHITECTURES), None if the architecture is unknown
    "merged",
    "official",           # official provider (v2's flag; v1: None)
    "license",
    "likes",
    "co2_kg",             # v2 only
    "precision",
    "weight_type",
    "sha",
    "created_at",         # repository creation on the Hub (UTC, naive datetime)
    "created_at_source",  # "hub" (enrichment), "upload_date" (v2 column) or None
    "created_at_placeholder",  # True when the Hub's 2022-03-02 placeholder date
    "submitted_at",       # submission to the leaderboard (v2), NaT for v1
    "base_model",         # declared base model repo id (first one), None if none
    "generation",         # v2: distance from a root model
    # enrichment (study files or live Hub API) -- empty when not enriched
    "hub_id",             # the id the Hub answered for
    "hub_outcome",        # ok / renamed / stale / not_found / gated / error / None
    "author",             # the Hub's author (namespace owning the repo)
    "downloads",
    "library",
    "tags",               # list of str
    "datasets",           # list of str
    "language",           # list of str
    "last_modified",
    "num_commits",
    "first_commit",
    "last_commit",
    "num_commit_authors",
)

# Columns of commit_authors.parquet.
COMMIT_AUTHOR_COLUMNS: tuple[str, ...] = ("repo_id", "commit_author")

# Columns the enrichment step (study files or the live Hub API) must provide, so that a
# view cannot tell which way a snapshot was enriched.
HUB_RECORD_COLUMNS: tuple[str, ...] = (
    "name", "hub_id", "hub_outcome", "author", "created_at", "last_modified",
    "downloads", "likes", "library", "tags", "language", "datasets", "base_model", "license",
)
COMMIT_RECORD_COLUMNS: tuple[str, ...] = (
    "name", "num_commits", "first_commit", "last_commit", "authors",
)


# Columns only the hub board has (after the contract's columns and its benchmarks).
HUB_COLUMNS: tuple[str, ...] = (
    "relation",           # base / finetune / adapter / merge / quantized (model tree), None if unknown
    "pipeline_tag",       # the Hub's task of the model
    "listed",             # True: from the task listing; False: added because a leaderboard scored it
    "tags_truncated",     # True when the tag list was cut short (its partial last tag dropped)
)
# Per benchmark of the hub board, which result was kept (``<column>_<suffix>``): verified by
# the Hub, from an open pull request (community), its source, its notes and its date.
RESULT_SUFFIXES: tuple[str, ...] = ("verified", "community", "source", "notes", "date")


def benchmark_columns(board: str) -> list[str]:
    """Processed benchmark column names of a board, in the leaderboard's order."""
    if board == HUB_BOARD:
        from llmtrends.pipeline import benchmarks

        return [b.column for b in benchmarks.load()]
    return list(SOURCE_SCHEMAS[board].benchmarks.values())


def benchmark_labels(board: str) -> dict[str, str]:
    """Processed benchmark column -> the leaderboard's display name."""
    if board == HUB_BOARD:
        from llmtrends.pipeline import benchmarks

        return {b.column: b.display_name for b in benchmarks.load()}
    return {v: k for k, v in SOURCE_SCHEMAS[board].benchmarks.items()}


def result_columns(column: str) -> list[str]:
    """The hub board's columns saying which result of a benchmark was kept."""
    return [f"{column}_{suffix}" for suffix in RESULT_SUFFIXES]
