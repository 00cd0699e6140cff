"""The hub board: the Hub as it is today, refreshed incrementally.

Where v1 and v2 are leaderboard files, this board is built from two things the Hub serves:

* the **model listing** of one or more tasks (``pipeline_tag``), newest first, since a date:
  every model's creation time, author, tags (the model tree ``base_model:<relation>:<id>``,
  the licence, the model type), downloads, likes, ``safetensors`` parameter count and
  Community Evals results;
* the **Community Evals leaderboards** of the benchmarks in ``llmtrends/benchmarks.csv``
  (``get_dataset_leaderboard(id, base_model_only=False)``); a scored model the listing lacks
  is asked for with ``model_info`` and kept as a row (``listed = False``).

The steps (every rule is documented in docs/pipeline.md, "The hub board"):

1. :func:`list_task` -- list a task through the polite transport (``llmtrends.pipeline.hub``) into the
   board's cache (:class:`BoardCache`, SQLite). A first run lists everything since ``since``;
   a later run lists only the models newer than those stored (it stops at the first model it
   already has); ``refresh`` lists everything again. Each page is committed with the link to
   the next, so an interrupted listing resumes where it stopped.
2. :func:`read_leaderboards` and :func:`merge_results` -- one result per repository and
   benchmark, the best, with which one it was (verified, community, source, notes, date).
3. :func:`normalize` -- the processed contract (``schema.MODEL_COLUMNS``) from the models' facts
   (what :func:`read_tags` read of their tags when they were listed).
4. ``store.write_snapshot`` -- a new dated snapshot, made current atomically; the previous
   ones stay as the board's history. Nothing is written unless the whole build succeeded.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from llmtrends.pipeline import benchmarks as bench_mod
from llmtrends import schema
from llmtrends.pipeline import prepare, store

log = logging.getLogger(__name__)

DEFAULT_TASKS: tuple[str, ...] = ("text-generation", "image-text-to-text")
DEFAULT_SINCE = "2023-01-01"
CACHE_FILENAME = "hub_board.sqlite"
CACHE_SCHEMA_VERSION = 1
TRUNCATION_MARK = "…"
TAG_SEPARATOR = "; "  # how a listing CSV in the sample's format joins a model's tags
# A fine-tune or adapter is a chat model when it has a chat template (the Hub tags it
# ``conversational``) or names an alignment method among its tags.
CHAT_TAGS = frozenset({"conversational", "dpo", "orpo", "kto", "rlhf", "grpo", "ppo", "simpo", "ipo"})
LISTING_CSV_REQUIRED = ("created_at", "model", "tags")
_MODEL_TYPE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# Tags a repository without a ``model_type`` has where the model type would be: the Hub's own
# (endpoints_compatible ...) and training tools' and methods'.
NOT_MODEL_TYPES = frozenset({
    "endpoints_compatible", "conversational", "custom_code", "merge", "mergekit",
    "lora", "qlora", "trl", "sft", "dpo", "orpo", "grpo", "unsloth", "autotrain", "generated_from_trainer",
    "quantized", "awq", "gptq", "fp8", "int4", "int8", "safetensors", "model_hub_mixin", "pytorch_model_hub_mixin",
})


class HubBoardError(RuntimeError):
    """The hub board could not be built; the message is one line meant for the user."""


# --------------------------------------------------------------------------- records
# A record is what the board keeps of one model, the same whether it came from the listing's
# JSON, a model_info answer or a listing CSV: id, author, created_at, last_modified (ISO
# strings, UTC), downloads, likes, library, pipeline_tag, tags (as listed), params_total
# (safetensors) and eval_results (dataset_id, task_id, value, date, source_url, source_name,
# notes, verified).
_HUB_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _iso(value: Any) -> str | None:
    """A datetime or ISO string as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC); None when not a date."""
    if value is None:
        return None
    if isinstance(value, str) and _HUB_TIME.fullmatch(value):  # the Hub's own form: no parsing needed
        return value[:19] + "Z"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _eval_dicts(entries: Iterable[Any]) -> list[dict]:
    """``EvalResultEntry`` objects as plain dicts (for the cache)."""
    out = []
    for e in entries or []:
        value = e.value if isinstance(e.value, (int, float)) and not isinstance(e.value, bool) else None
        out.append({"dataset_id": e.dataset_id, "task_id": e.task_id, "value": value,
                    "date": _iso(e.date) or (str(e.date)[:10] if e.date else None),
                    "source_url": e.source_url, "source_name": e.source_name, "notes": e.notes,
                    "verified": bool(e.verify_token)})
    return out


def record_from_listing(item: Any) -> dict | None:
    """A model of the listing's JSON (``/api/models`` with ``expand``) as a record; None when
    it has no id. Fields of the wrong type are taken as missing, never guessed."""
    if not isinstance(item, dict) or not _str(item.get("id")):
        return None
    tags = item.get("tags")
    tags = [t for t in tags if isinstance(t, str) and t] if isinstance(tags, list) else []
    st = item.get("safetensors")
    total = _int(st.get("total")) if isinstance(st, dict) else None
    evals = item.get("evalResults")
    entries = []
    if isinstance(evals, list) and evals:
        from huggingface_hub import parse_eval_result_entries

        try:
            entries = parse_eval_result_entries(evals)
        except (KeyError, TypeError, ValueError, AttributeError):  # a malformed result: none kept
            entries = []
    return {
        "id": item["id"].strip(),
        "author": _str(item.get("author")),
        "created_at": _iso(item.get("createdAt")),
        "last_modified": _iso(item.get("lastModified")),
        "downloads": _int(item.get("downloads")),
        "likes": _int(item.get("likes")),
        "library": _str(item.get("library_name")),
        "pipeline_tag": _str(item.get("pipeline_tag")),
        "tags": tags,
        "params_total": total if total and total > 0 else None,
        "eval_results": _eval_dicts(entries),
    }


def record_from_info(info: Any) -> dict:
    """A ``ModelInfo`` (``model_info(expand=hub.LISTING_EXPAND)``) as a record."""
    total = _int(getattr(info.safetensors, "total", None)) if info.safetensors else None
    return {
        "id": str(info.id),
        "author": _str(info.author),
        "created_at": _iso(info.created_at),
        "last_modified": _iso(info.last_modified),
        "downloads": _int(info.downloads),
        "likes": _int(info.likes),
        "library": _str(info.library_name),
        "pipeline_tag": _str(info.pipeline_tag),
        "tags": [t for t in (info.tags or []) if isinstance(t, str) and t],
        "params_total": total if total and total > 0 else None,
        "eval_results": _eval_dicts(info.eval_results or []),
    }


# --------------------------------------------------------------------------- tags
@dataclass(frozen=True)
class TagFacts:
    """What a model's tags say, read by :func:`read_tags`."""

    tags: tuple[str, ...]        # the complete tags (a partial last tag dropped)
    truncated: bool              # the list was cut short (ended in "…")
    relation: str | None         # base / finetune / adapter / merge / quantized; None: unknown
    base_model: str | None       # the first declared base model (a valid repository id)
    license: str | None
    architecture: str | None     # the model-type tag
    chat: bool                   # a chat template (conversational) or an alignment method tag
    invalid_base: bool = False   # a base_model tag whose id is not a repository id


def split_tags(tags: Iterable[str]) -> tuple[list[str], bool]:
    """The complete tags and whether the list was cut: a last tag ending in "…" is partial
    (the tags after it are lost) and is dropped, never completed."""
    tags = [t for t in tags if t]
    if tags and tags[-1].endswith(TRUNCATION_MARK):
        return tags[:-1], True
    return tags, False


@functools.lru_cache(maxsize=1 << 16)
def valid_repo_id(text: str) -> bool:
    """Whether ``text`` is a repository id as the Hub accepts it (``huggingface_hub``'s rule)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return True


def architecture_of(tags: list[str]) -> str | None:
    """The model-type tag: the first tag after the leading library and format tags, when it
    is a known model type, or -- for a ``transformers`` repository, where the Hub writes the
    config's ``model_type`` at that place -- when it is spelled like one (lower case, digits,
    underscores; not a task, not a language code)."""
    i = 0
    while i < len(tags) and tags[i] in schema.HUB_FORMAT_TAGS:
        i += 1
    if i >= len(tags):
        return None
    tag = tags[i]
    if tag in schema.HUB_MODEL_TYPES:
        return tag
    if (tags[0] == "transformers" and _MODEL_TYPE.fullmatch(tag) and tag not in schema.HUB_PIPELINE_TAGS
            and tag not in NOT_MODEL_TYPES and not (tag.isalpha() and len(tag) <= 3)):
        return tag
    return None


def read_tags(tags: Iterable[str]) -> TagFacts:
    """Relation, base model, licence, architecture and chat signal from a model's tags.

    * a partial last tag (ending in "…") is dropped, and what it may have said stays unknown;
    * relation: the first ``base_model:<relation>:<id>`` tag's relation; no base model tag in a
      complete list: ``base``; a base declared without a (readable) relation, or a cut list
      without a base model tag: unknown;
    * base model: the first ``base_model:[<relation>:]<id>`` whose id is a valid repository id;
    * licence: the first ``license:<id>``.
    """
    complete, truncated = split_tags(tags)
    relation = base = license_ = None
    declared = invalid = False
    for tag in complete:
        if tag[:1] not in ("b", "l"):  # neither a base model nor a licence: most tags
            continue
        if tag.startswith("base_model:"):
            declared = True
            head, sep, tail = tag[len("base_model:"):].partition(":")
            repo, rel = (tail, head) if sep else (head, None)
            if not valid_repo_id(repo):
                invalid = True
                continue
            if base is None:
                base = repo
            if rel in schema.HUB_RELATIONS and relation is None:
                relation = rel
        elif tag.startswith("license:") and license_ is None:
            license_ = tag[len("license:"):] or None
    if relation is None and not declared and not truncated:
        relation = schema.RELATION_BASE
    chat = not CHAT_TAGS.isdisjoint(complete)
    return TagFacts(tuple(complete), truncated, relation, base, license_, architecture_of(complete), chat,
                    invalid and base is None)


def type_of(relation: str | None, chat: bool, pipeline_tag: str | None) -> str | None:
    """The leaderboard's type word for a model of the hub board (docs/pipeline.md):

    merge -> base merges; quantized -> other (a copy of its base's weights); a root model ->
    multimodal for image-text-to-text, else chat when it has a chat template, else pretrained;
    a fine-tune or adapter -> chat when it has a chat template or an alignment tag, else
    fine-tuned; an unknown relation -> no type.
    """
    if relation is None:
        return None
    if relation == "merge":
        return schema.TYPE_MERGE
    if relation == "quantized":
        return schema.TYPE_OTHER
    if relation == schema.RELATION_BASE:
        if pipeline_tag == "image-text-to-text":
            return schema.TYPE_MULTIMODAL
        return schema.TYPE_CHAT if chat else schema.TYPE_PRETRAINED
    return schema.TYPE_CHAT if chat else schema.TYPE_FINETUNED


def family_key(architecture: str | None) -> str | None:
    """An architecture's family key: the model type, a text-only variant of a multimodal
    architecture (``gemma4_text``) with its architecture (``gemma4``)."""
    if architecture is None:
        return None
    key = prepare.architecture_key(architecture)
    return key[: -len("_text")] if key and key.endswith("_text") else key


# --------------------------------------------------------------------------- leaderboards
def leaderboard_rows(entries: Iterable[Any], bench: bench_mod.Benchmark) -> tuple[list[dict], int]:
    """A leaderboard's entries (``DatasetLeaderboardEntry``) as result rows; entries whose value
    is not a number within the benchmark's range are left out and counted."""
    rows, dropped = [], 0
    for e in entries:
        value = getattr(e, "value", None)
        model = getattr(e, "model_id", None)
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                or not bench.min <= value <= bench.max or not isinstance(model, str) or not model.strip()):
            dropped += 1
            continue
        source = getattr(e, "source", None) if isinstance(getattr(e, "source", None), dict) else {}
        rows.append({"model_id": model.strip(), "value": float(value), "verified": bool(getattr(e, "verified", False)),
                     "pull_request": _int(getattr(e, "pull_request", None)),
                     "source_url": _str(source.get("url")), "source_name": _str(source.get("name")),
                     "notes": _str(getattr(e, "notes", None)), "filename": _str(getattr(e, "filename", None)),
                     "rank": _int(getattr(e, "rank", None))})
    return rows, dropped


def result_date(row: dict, bench: bench_mod.Benchmark, record: dict | None) -> str | None:
    """The date of a leaderboard result, from the model's own eval results (same benchmark,
    value and notes); None when the stored record has no such result (e.g. a result from an
    open pull request, which the model's main branch does not hold)."""
    for e in (record or {}).get("eval_results") or []:
        if (e.get("dataset_id") == bench.dataset_id and e.get("value") is not None
                and abs(float(e["value"]) - row["value"]) < 1e-9 and (e.get("notes") or None) == row["notes"]):
            return e.get("date")
    return None


def merge_results(rows: list[dict], bench: bench_mod.Benchmark,
                  records: dict[str, dict]) -> pd.DataFrame:
    """One result per repository (ids compared case-insensitively): the best value (by the
    benchmark's direction), ties going to a verified result, then one merged into the model
    (not from an open pull request), then the latest date, the best rank, the file name.

    Returns a frame indexed by lower-cased repository id with the value and the benchmark's
    result columns (``schema.result_columns``): ``verified``, ``community`` (an open pull
    request's result), ``source`` (URL, else name), ``notes``, ``date``.
    """
    cols = [bench.column, *schema.result_columns(bench.column)]
    if not rows:
        return pd.DataFrame(columns=["_key", *cols]).set_index("_key")
    frame = pd.DataFrame(rows)
    frame["_key"] = frame["model_id"].str.lower()
    frame["date"] = [result_date(r, bench, records.get(k)) for r, k in zip(rows, frame["_key"])]
    sign = -1.0 if bench.higher_is_better else 1.0
    frame = frame.assign(
        _v=frame["value"] * sign, _ver=~frame["verified"], _pr=frame["pull_request"].notna(),
        # as nanoseconds, an unknown date (NaT) being the smallest: the latest known date first
        _d=pd.to_datetime(frame["date"], utc=True, errors="coerce", format="mixed").dt.tz_localize(None)
        .to_numpy("datetime64[ns]").astype("int64"),
        _r=frame["rank"].fillna(np.inf), _f=frame["filename"].fillna(""))
    frame = frame.sort_values(["_key", "_v", "_ver", "_pr", "_d", "_r", "_f"],
                              ascending=[True, True, True, True, False, True, True], kind="mergesort")
    best = frame.drop_duplicates("_key", keep="first").set_index("_key")
    out = pd.DataFrame(index=best.index)
    out[bench.column] = best["value"].astype("float64")
    c = bench.column
    out[f"{c}_verified"] = best["verified"].astype("boolean")
    out[f"{c}_community"] = best["pull_request"].notna().astype("boolean")
    out[f"{c}_source"] = best["source_url"].where(best["source_url"].notna(), best["source_name"])
    out[f"{c}_notes"] = best["notes"]
    out[f"{c}_date"] = pd.to_datetime(best["date"], utc=True, errors="coerce", format="mixed").dt.tz_localize(None)
    return out


# --------------------------------------------------------------------------- facts
# What the build needs of a model, its tags read once (when it is listed) by read_tags: the
# columns of the board's cache and of the frame :func:`normalize` takes. The tags as listed are
# ``complete_tags`` (joined by TAG_JOIN) plus ``cut_tag``, the partial last tag of a list cut
# short; RULES_VERSION names the reading rules, so that stored facts are read again (from the
# stored tags, without a request) when the rules change.
RULES_VERSION = 1
TAG_JOIN = "\x1f"
FACT_COLUMNS: tuple[str, ...] = (
    "id", "created_at", "last_modified", "author", "downloads", "likes", "library", "pipeline_tag",
    "params_total", "eval_results", "complete_tags", "cut_tag", "truncated", "relation", "base_model", "license",
    "architecture", "chat", "invalid_base",
)
# What normalize reads (the cut tag and the eval results are not needed for every model).
BUILD_COLUMNS: tuple[str, ...] = tuple(c for c in FACT_COLUMNS if c not in ("eval_results", "cut_tag"))


def fact_row(rec: dict) -> tuple:
    """A record and what its tags say, in the order of :data:`FACT_COLUMNS`."""
    f = read_tags(rec["tags"])
    return (rec["id"], rec["created_at"], rec["last_modified"], rec["author"], rec["downloads"], rec["likes"],
            rec["library"], rec["pipeline_tag"], rec["params_total"],
            json.dumps(rec["eval_results"]) if rec["eval_results"] else None, TAG_JOIN.join(f.tags),
            rec["tags"][-1] if f.truncated else None, *_facts(f))


def _facts(f: TagFacts) -> tuple:
    """The columns of :data:`FACT_COLUMNS` the reading rules give (from ``truncated`` on)."""
    return (int(f.truncated), f.relation, f.base_model, f.license, f.architecture, int(f.chat), int(f.invalid_base))


def _listed_tags(complete: str | None, cut: str | None) -> list[str]:
    """The tags as listed, from the stored ``complete_tags`` and ``cut_tag``."""
    return (complete.split(TAG_JOIN) if complete else []) + ([cut] if cut else [])


def facts_frame(records: list[dict]) -> pd.DataFrame:
    """Records as a frame of :data:`FACT_COLUMNS` (what the cache holds)."""
    return pd.DataFrame([fact_row(r) for r in records], columns=list(FACT_COLUMNS), dtype=object)


def _eval_results(value: Any) -> list[dict]:
    return json.loads(value) if isinstance(value, str) and value else []


def _mapped(values: pd.Series, fn) -> list:
    """``fn`` applied to each distinct value only (few architectures, relations, tasks)."""
    memo: dict = {}
    return [memo[v] if v in memo else memo.setdefault(v, fn(v)) for v in values]


# --------------------------------------------------------------------------- normalization
def normalize(frame: pd.DataFrame, listed: list[bool], outcomes: list[str], scores: list[pd.DataFrame],
              repo_ids: list[str] | None = None,
              family_min_models: int = schema.FAMILY_MIN_MODELS) -> tuple[pd.DataFrame, dict[str, int]]:
    """The processed table of the hub board from its facts (:data:`FACT_COLUMNS`, one row per
    repository), vectorized: the per-model reading was done by :func:`read_tags`.

    ``listed`` says which rows came from the task listing, ``outcomes`` the Hub's answer for each
    (``ok`` for listed models; a model it did not answer for has nothing to read: all unknown),
    ``scores`` the merged results of each benchmark (:func:`merge_results`), ``repo_ids`` the ids
    to write (default: the rows' ids; a leaderboard's spelling for a model asked by
    ``model_info``). Returns the table and counts.
    """
    n = len(frame)
    ok = np.array([o in ("ok", "renamed") for o in outcomes], dtype=bool)
    # plain object arrays: iterating pandas' Arrow-backed strings costs seconds at 500,000 rows
    col = {c: frame[c].to_numpy(dtype=object) for c in BUILD_COLUMNS}

    def known(name: str) -> np.ndarray:
        values = col[name].copy()
        values[~ok | pd.isna(values)] = None
        return values

    def obj(values) -> pd.Series:
        return pd.Series(values, dtype=object)

    relation, architecture, pipeline_tags = known("relation"), known("architecture"), known("pipeline_tag")
    def flag(name: str) -> np.ndarray:
        return (pd.to_numeric(obj(col[name]), errors="coerce").fillna(0).to_numpy() != 0) & ok

    chat, truncated = flag("chat"), flag("truncated")
    ids = col["id"] if repo_ids is None else np.array(list(repo_ids), dtype=object)
    out = pd.DataFrame({"repo_id": obj(ids)})
    out["namespace"] = obj([r.split("/", 1)[0] for r in ids])
    out["model_name"] = obj([r.split("/", 1)[-1] for r in ids])
    types: dict = {}
    out["type"] = obj([types[k] if k in types else types.setdefault(k, type_of(*k))
                       for k in zip(relation, chat.tolist(), pipeline_tags)])
    out["architecture"] = obj(architecture)
    params = pd.to_numeric(obj(col["params_total"]), errors="coerce").astype("float64") / 1e9
    out["params_b"] = params.where(params > 0)
    out["average"] = np.nan  # never an average over different benchmark subsets: views choose a benchmark
    out["moe"] = pd.array(_mapped(architecture, schema.is_moe_architecture), dtype="boolean")
    out["moe_architecture"] = out["moe"]  # no flag on the Hub: both of the MoE view's rules read the architecture
    out["merged"] = pd.array([None if r is None else r == "merge" for r in relation], dtype="boolean")
    out["official"] = pd.array([pd.NA] * n, dtype="boolean")  # views look namespaces up (providers.py)
    out["license"] = obj(known("license"))
    out["likes"] = pd.to_numeric(obj(col["likes"]), errors="coerce").astype("float64")
    out["co2_kg"] = np.nan
    created = pd.to_datetime(obj(col["created_at"]), utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None)
    out["created_at"] = created.astype("datetime64[ns]")
    out["created_at_source"] = obj(np.where(created.notna(), "hub", None))
    out["created_at_placeholder"] = (created.dt.strftime("%Y-%m-%d") == schema.HUB_PLACEHOLDER_DATE).fillna(False)
    out["submitted_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["base_model"] = obj(known("base_model"))
    out["generation"] = np.nan
    out["hub_id"] = obj(np.where(ok, col["id"], None))
    out["hub_outcome"] = obj(outcomes)
    out["author"] = obj(known("author"))
    out["downloads"] = pd.to_numeric(obj(col["downloads"]), errors="coerce").astype("float64")
    out["library"] = obj(known("library"))
    # the complete tags (the cut last one dropped)
    complete = known("complete_tags")
    tags = [text.split(TAG_JOIN) if text else [] for text in complete]
    out["tags"] = obj(tags)
    out["datasets"] = obj([[t[8:] for t in ts if t.startswith("dataset:")] if text and "dataset:" in text else []
                           for ts, text in zip(tags, complete)])
    out["language"] = obj([[] for _ in range(n)])
    out["last_modified"] = pd.to_datetime(obj(col["last_modified"]), utc=True, errors="coerce",
                                          format="ISO8601").dt.tz_localize(None).astype("datetime64[ns]")
    out["num_commits"] = np.nan  # the hub board lists no commit histories
    out["num_commit_authors"] = np.nan
    out["first_commit"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["last_commit"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    key = pd.Index([r.lower() for r in ids], dtype=object)
    for merged in scores:
        at = merged.index.get_indexer(key) if len(merged) else np.full(n, -1)
        for name in merged.columns:
            values = merged[name].to_numpy(dtype=object)
            out[name] = obj(np.where(at >= 0, values[np.maximum(at, 0)] if len(values) else None, None))
    # the study's rules on the two columns they need (each copies the frame it is given)
    keys = pd.Series(_mapped(architecture, family_key), dtype=object)
    out["architecture_family"] = prepare.assign_families(out[["architecture"]], family_min_models,
                                                         keys=keys)["architecture_family"]
    out["size_class"] = prepare.assign_size_classes(out[["params_b"]])["size_class"]
    extra = {"relation": obj(relation), "pipeline_tag": obj(pipeline_tags),
             "listed": pd.Series(listed, dtype="boolean"), "tags_truncated": pd.Series(truncated, dtype="boolean")}
    models = finalize(out, extra)
    counts = {
        "type_missing": int(models["type"].isna().sum()),
        "relation_unknown": int(models["relation"].isna().sum()),
        "architecture_unknown": int(models["architecture"].isna().sum()),
        "params_unknown": int(models["params_b"].isna().sum()),
        "license_unknown": int(models["license"].isna().sum()),
        "tags_truncated": int(models["tags_truncated"].sum()),
        "base_model_invalid": int(flag("invalid_base").sum()),
        "created_at_placeholder": int(models["created_at_placeholder"].sum()),
        "created_at_missing": int(models["created_at"].isna().sum()),
        **{f"relation_{r}": int((models["relation"] == r).sum()) for r in schema.RELATIONS},
    }
    return models, counts


def finalize(models: pd.DataFrame, extra: dict[str, pd.Series]) -> pd.DataFrame:
    """The contract's columns (``prepare.finalize``), then each benchmark's result columns, then
    the hub board's own (``schema.HUB_COLUMNS``)."""
    out = prepare.finalize(models, schema.HUB_BOARD)
    for b in bench_mod.load():
        out[b.column] = pd.to_numeric(out[b.column], errors="coerce").astype("float64")
        for col, suffix in zip(schema.result_columns(b.column), schema.RESULT_SUFFIXES):
            value = models[col] if col in models.columns else pd.Series(None, index=models.index, dtype=object)
            if suffix in ("verified", "community"):
                out[col] = value.astype("boolean")
            elif suffix == "date":
                out[col] = pd.to_datetime(value, errors="coerce").astype("datetime64[ns]")
            else:
                out[col] = value.astype(object).where(value.notna(), None)
    for col in schema.HUB_COLUMNS:
        value = extra[col].reset_index(drop=True)
        out[col] = value.astype(object).where(value.notna(), None) if value.dtype == object else value
    return out


# --------------------------------------------------------------------------- cache
class BoardCache:
    """The hub board's state between runs (SQLite, WAL): every listed model with its facts
    (:data:`FACT_COLUMNS`), the listing runs (with the next-page link of an unfinished one) and
    the ``model_info`` answers for scored models the listing lacks. One transaction per page or
    answer: a kill loses at most the page in flight."""

    def __init__(self, path: Path) -> None:
        from llmtrends.pipeline.hub import open_cache

        cols = ", ".join(FACT_COLUMNS[1:])
        try:
            self.path, self.db = open_cache(path, CACHE_FILENAME)
            path = self.path
            # A first listing inserts 500,000 models at random places of the id index: room for it
            # in memory and fewer, larger checkpoints (a large WAL) cut the time it takes
            # (benchmarks/README.md, the hub board at scale).
            self.db.execute("PRAGMA cache_size=-262144")
            self.db.execute("PRAGMA wal_autocheckpoint=20000")
            self.db.executescript(
                f"CREATE TABLE IF NOT EXISTS listed (id TEXT PRIMARY KEY, {cols}, task TEXT NOT NULL,"
                " run INTEGER NOT NULL);"
                f"CREATE TABLE IF NOT EXISTS enriched (asked TEXT PRIMARY KEY, id TEXT, {cols},"
                " outcome TEXT NOT NULL, error TEXT, fetched_at TEXT NOT NULL);"
                "CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL,"
                " mode TEXT NOT NULL, since TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,"
                " next_url TEXT, pages INTEGER NOT NULL DEFAULT 0, models INTEGER NOT NULL DEFAULT 0);"
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);")
            meta = dict(self.db.execute("SELECT key, value FROM meta"))
            if meta.get("schema_version", str(CACHE_SCHEMA_VERSION)) != str(CACHE_SCHEMA_VERSION):
                raise HubBoardError(f"{path}: written by another version of llmtrends (cache schema "
                                    f"{meta['schema_version']}); remove it or choose another --cache")
            if meta.get("rules_version") != str(RULES_VERSION):
                self._read_tags_again()
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                    [("schema_version", str(CACHE_SCHEMA_VERSION)),
                                     ("rules_version", str(RULES_VERSION))])
        except sqlite3.DatabaseError as exc:
            raise HubBoardError(f"{path}: not a usable cache ({exc}); remove it or choose another --cache") from None

    def _read_tags_again(self) -> None:
        """Stored facts come from other rules: read every stored model's tags again (no request)."""
        facts = FACT_COLUMNS[FACT_COLUMNS.index("truncated"):]
        sets = ", ".join(f"{c} = ?" for c in facts)
        for table, key in (("listed", "id"), ("enriched", "asked")):
            rows = self.db.execute(f"SELECT {key}, complete_tags, cut_tag FROM {table}").fetchall()
            updates = [(*_facts(read_tags(_listed_tags(tags, cut))), k) for k, tags, cut in rows]
            with self.db:
                self.db.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?", updates)

    def close(self) -> None:
        self.db.close()

    # runs ---------------------------------------------------------------------------------
    def unfinished_run(self, task: str) -> dict | None:
        row = self.db.execute("SELECT run, mode, since, next_url, pages, models FROM runs WHERE task = ? AND"
                              " finished_at IS NULL ORDER BY run DESC LIMIT 1", (task,)).fetchone()
        return None if row is None else dict(zip(("run", "mode", "since", "next_url", "pages", "models"), row))

    def covered_since(self, task: str) -> str | None:
        """The ``since`` of the task's last finished full listing (what the stored models cover)."""
        row = self.db.execute("SELECT since FROM runs WHERE task = ? AND mode = 'full' AND finished_at IS NOT NULL"
                              " ORDER BY run DESC LIMIT 1", (task,)).fetchone()
        return None if row is None else row[0]

    def start_run(self, task: str, mode: str, since: str) -> int:
        with self.db:
            cur = self.db.execute("INSERT INTO runs (task, mode, since, started_at) VALUES (?, ?, ?, ?)",
                                  (task, mode, since, _now()))
        return int(cur.lastrowid)

    def abandon_run(self, run: int) -> None:
        """Forget an unfinished run and what it listed (it will be listed again): its models
        must not count as known, or a later listing would stop above the gap it left."""
        with self.db:
            self.db.execute("DELETE FROM listed WHERE run = ?", (run,))
            self.db.execute("DELETE FROM runs WHERE run = ?", (run,))

    def is_known(self, task: str, run: int, repo_id: str, created_at: str | None) -> bool:
        """Whether an earlier run of the task stored this model with this creation time."""
        return self.db.execute("SELECT 1 FROM listed WHERE id = ? AND task = ? AND run != ? AND created_at IS ?",
                               (repo_id, task, run, created_at)).fetchone() is not None

    def add_page(self, run: int, task: str, records: list[dict], next_url: str | None) -> None:
        """A listed page (with its facts) and the link to the next, in one transaction."""
        rows = [(*fact_row(r), task, run) for r in records]
        with self.db:
            self.db.executemany(f"INSERT OR REPLACE INTO listed ({', '.join(FACT_COLUMNS)}, task, run) VALUES "
                                f"({', '.join('?' * (len(FACT_COLUMNS) + 2))})", rows)
            self.db.execute("UPDATE runs SET next_url = ?, pages = pages + 1, models = models + ? WHERE run = ?",
                            (next_url, len(records), run))

    def finish_run(self, run: int, task: str, mode: str) -> None:
        """Mark a run done; a full listing replaces the task's models (what it did not list is gone)."""
        with self.db:
            self.db.execute("UPDATE runs SET finished_at = ?, next_url = NULL WHERE run = ?", (_now(), run))
            if mode == "full":
                self.db.execute("DELETE FROM listed WHERE task = ? AND run != ?", (task, run))

    # facts --------------------------------------------------------------------------------
    def listed_frame(self, tasks: Iterable[str], since: str) -> pd.DataFrame:
        """The facts of the tasks' stored models created on or after ``since`` (or of unknown date)."""
        tasks = list(tasks)
        rows = self.db.execute(f"SELECT {', '.join(BUILD_COLUMNS)} FROM listed WHERE task IN "
                               f"({', '.join('?' * len(tasks))}) AND (created_at IS NULL OR created_at >= ?)"
                               " ORDER BY created_at DESC, id", [*tasks, since]).fetchall()
        return pd.DataFrame(rows, columns=list(BUILD_COLUMNS), dtype=object)

    def eval_results(self, repo_ids: Iterable[str]) -> dict[str, list[dict]]:
        """The stored eval results of some listed models (lower-cased id -> results)."""
        ids = list(repo_ids)
        out: dict[str, list[dict]] = {}
        for i in range(0, len(ids), 500):  # SQLite's limit on query parameters
            chunk = ids[i:i + 500]
            for repo, ev in self.db.execute(f"SELECT id, eval_results FROM listed WHERE id IN "
                                            f"({', '.join('?' * len(chunk))})", chunk):
                out[repo.lower()] = _eval_results(ev)
        return out

    def enriched(self) -> tuple[pd.DataFrame, dict[str, str]]:
        """The stored model_info answers: their facts (indexed by the asked id; ``id`` is the
        id the Hub answered for, None after a failure) and each one's outcome."""
        rows = self.db.execute(f"SELECT asked, outcome, {', '.join(FACT_COLUMNS)} FROM enriched").fetchall()
        frame = pd.DataFrame([r[2:] for r in rows], columns=list(FACT_COLUMNS), index=[r[0] for r in rows],
                             dtype=object)
        return frame, {r[0]: r[1] for r in rows}

    def put_enriched(self, asked: str, outcome: str, record: dict | None, error: str | None) -> None:
        """Store one model_info answer (a failure stores the asked id and the outcome only)."""
        row = fact_row(record) if record is not None else (None,) * len(FACT_COLUMNS)
        with self.db:
            self.db.execute(f"INSERT OR REPLACE INTO enriched (asked, outcome, error, fetched_at, "
                            f"{', '.join(FACT_COLUMNS)}) VALUES ({', '.join('?' * (len(FACT_COLUMNS) + 4))})",
                            (asked, outcome, error, _now(), *row))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- listing
@dataclass
class TaskListing:
    """What listing one task did."""

    task: str
    mode: str               # full (everything since `since`) / incremental (only the new models)
    resumed: bool           # continued an interrupted run from its saved next-page link
    pages: int = 0          # listing requests answered this time
    new: int = 0            # models stored by this run
    stop: str = ""          # known model / since / end of listing
    malformed: int = 0      # listing items without an id (left out)


def list_task(sess, cache: BoardCache, task: str, since: str, *, refresh: bool = False,
              page_size: int | None = None, bar=None) -> TaskListing:
    """List one task into the cache, newest first (module docstring, step 1).

    Mode: an unfinished run of the task is resumed (from its saved next-page link) when it
    asked for the same ``since`` (and was a full run if ``refresh``); otherwise it is dropped.
    ``refresh``, a task never listed, or a ``since`` earlier than the stored listing covers
    make a full run; else an incremental one. A full run stops at ``since`` or the end of the
    listing; an incremental one also stops at the first model it already has (same id and
    creation time: a repository deleted and created again under its id is new).
    """
    from huggingface_hub.errors import HfHubHTTPError

    from llmtrends.pipeline import hub

    page_size = page_size or hub.LISTING_PAGE_SIZE
    pending = cache.unfinished_run(task)
    if pending is not None and (pending["since"] != since or (refresh and pending["mode"] != "full")):
        log.warning("%s: dropping an unfinished listing (since %s, %s); listing again", task,
                    pending["since"], pending["mode"])
        cache.abandon_run(pending["run"])
        pending = None
    if pending is not None:
        run, mode, url = pending["run"], pending["mode"], pending["next_url"]
    else:
        covered = cache.covered_since(task)
        mode = "full" if refresh or covered is None or since < covered else "incremental"
        if not refresh and covered is not None and since < covered:
            log.warning("%s: the stored listing covers models since %s only; listing everything since %s",
                        task, covered, since)
        run, url = cache.start_run(task, mode, since), None
    result = TaskListing(task, mode, resumed=url is not None)
    since_iso = f"{since}T00:00:00Z"
    params = hub.listing_params(task, page_size)
    restarted = False
    while True:
        try:
            for items, next_url in hub.list_model_pages(sess, params=params, url=url):
                result.pages += 1
                keep, stop = [], ""
                for item in items:
                    rec = record_from_listing(item)
                    if rec is None:
                        result.malformed += 1
                        continue
                    if rec["created_at"] is not None and rec["created_at"] < since_iso:
                        stop = "since"
                        break
                    if mode == "incremental" and cache.is_known(task, run, rec["id"], rec["created_at"]):
                        stop = "known model"
                        break
                    keep.append(rec)
                if not stop and next_url is None:
                    stop = "end of listing"
                cache.add_page(run, task, keep, None if stop else next_url)
                result.new += len(keep)
                if bar is not None:
                    bar.update(len(keep))
                if stop:
                    result.stop = stop
                    cache.finish_run(run, task, mode)
                    return result
            result.stop = "end of listing"  # an empty first answer
            cache.finish_run(run, task, mode)
            return result
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            # a saved next-page link the Hub no longer accepts: list again from the top (the
            # models stored meanwhile are kept; the stop rule still uses the earlier runs' models)
            if url is not None and not restarted and status in (400, 404, 410, 422):
                log.warning("%s: the saved next-page link was refused (HTTP %s); listing from the top", task, status)
                url, restarted = None, True
                continue
            raise


# --------------------------------------------------------------------------- local listing
def read_listing_csv(path: str | Path) -> tuple[list[dict], dict[str, int]]:
    """A listing CSV in the format of ``../shared/data/hub-new-models`` (``created_at``, ``model``,
    ``author``, ``downloads``, ``likes``, ``tags`` joined by "; ") as records, one per repository:
    a repository listed again after being created again keeps its latest creation (the Hub holds
    only the current one). The task is the first complete tag that is a Hub task."""
    from llmtrends.pipeline.sources import SourceError, _read_table, coerce_date, coerce_numeric

    path = Path(path)
    try:
        raw = _read_table(path, ",")
        missing = [c for c in LISTING_CSV_REQUIRED if c not in raw.columns]
        if missing:
            raise SourceError(f"{path}: missing required column(s): {', '.join(repr(c) for c in missing)}")
        raw = raw.reset_index(drop=True)
        created = coerce_date(raw, "created_at", str(path))
        nums = {c: coerce_numeric(raw, c, str(path)) if c in raw.columns else pd.Series(np.nan, index=raw.index)
                for c in ("downloads", "likes")}
    except SourceError as exc:
        raise HubBoardError(str(exc)) from None
    bad = [i for i, m in enumerate(raw["model"]) if not isinstance(m, str) or not valid_repo_id(m.strip())]
    if bad:
        raise HubBoardError(f"{path}: column 'model': not a repository id at row {bad[0] + 2}: "
                            f"{str(raw.at[bad[0], 'model'])[:80]!r}")
    if created.isna().any():
        row = int(np.flatnonzero(created.isna().to_numpy())[0])
        raise HubBoardError(f"{path}: column 'created_at': no date at row {row + 2}")
    order = pd.DataFrame({"i": raw.index, "id": raw["model"].str.strip(), "t": created})
    latest = order.sort_values(["id", "t", "i"]).drop_duplicates("id", keep="last")["i"]
    records = []
    for i in sorted(latest):
        text = raw.at[i, "tags"]
        tags = [t.strip() for t in str(text).split(TAG_SEPARATOR)] if isinstance(text, str) else []
        complete, _ = split_tags(tags)
        author = raw.at[i, "author"] if "author" in raw.columns else None
        records.append({
            "id": raw.at[i, "model"].strip(),
            "author": _str(author),
            "created_at": _iso(created.iat[i].to_pydatetime()),
            "last_modified": None,
            "downloads": _int(nums["downloads"].iat[i]),
            "likes": _int(nums["likes"].iat[i]),
            "library": None,
            "pipeline_tag": next((t for t in complete if t in schema.HUB_PIPELINE_TAGS), None),
            "tags": [t for t in tags if t],
            "params_total": None,
            "eval_results": [],
        })
    return records, {"rows": int(len(raw)), "repositories": len(records)}


# --------------------------------------------------------------------------- the run
@dataclass
class HubBuild:
    """What :func:`run` built (``runner.Result`` is made from it)."""

    path: Path
    counts: dict
    manifest: dict
    listings: list[TaskListing] = field(default_factory=list)
    requests: int = 0


def _progress_bar(progress: bool, desc: str):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=None, unit="model", desc=desc, file=sys.stderr, dynamic_ncols=True)


def read_leaderboards(sess, benches: tuple[bench_mod.Benchmark, ...]) -> dict[str, tuple[list[dict], int]]:
    """Every benchmark's leaderboard as result rows (see :func:`leaderboard_rows`); a leaderboard
    that cannot be read fails the build (its scores would silently vanish from the board)."""
    from huggingface_hub.errors import HfHubHTTPError

    from llmtrends.pipeline import hub

    out = {}
    for b in benches:
        try:
            entries = hub.dataset_leaderboard(sess, b.dataset_id)
        except (HfHubHTTPError, hub.HubTransientError) as exc:
            raise HubBoardError(f"leaderboard of {b.dataset_id} ({b.display_name}) could not be read: "
                                f"{hub._short_error(exc, sess.token)}; the previous snapshot is kept") from None
        except (TypeError, AttributeError):  # a huggingface_hub without (base_model_only of) the method
            raise HubBoardError("huggingface_hub is too old for Community Evals leaderboards with fine-tunes "
                                "(get_dataset_leaderboard(base_model_only=...)); upgrade it: "
                                "pip install -U huggingface_hub") from None
        out[b.column] = leaderboard_rows(entries, b)
    return out


@dataclass
class _Gathered:
    """What a build read, before normalization: the facts (listed models first) and the scores."""

    frame: pd.DataFrame
    listed: list[bool]
    outcomes: list[str]
    repo_ids: list[str]
    scores: list[pd.DataFrame]
    counts: dict
    as_of: str
    source: str
    file_sha256: str | None
    enrichment: dict
    listings: list[TaskListing] = field(default_factory=list)
    requests: int = 0


def _from_file(source: Path, tasks: list[str], since: str, benches, step, done) -> _Gathered:
    """The board from a listing CSV: its models of the tasks since the date, no scores."""
    from llmtrends.pipeline.sources import file_sha256

    step(f"reading the listing {source}")
    records, counts = read_listing_csv(source)
    since_iso = f"{since}T00:00:00Z"
    records = [r for r in records if r["pipeline_tag"] in tasks and (r["created_at"] or "") >= since_iso]
    done(f"({len(records):,} models of {', '.join(tasks)})")
    return _Gathered(
        frame=facts_frame(records), listed=[True] * len(records), outcomes=["ok"] * len(records),
        repo_ids=[r["id"] for r in records], scores=[merge_results([], b, {}) for b in benches],
        counts={**counts, "listed": len(records)},
        as_of=max((r["created_at"] for r in records if r["created_at"]), default=_now())[:10],
        source=str(source), file_sha256=file_sha256(Path(source)),
        enrichment={"method": "none", "leaderboards": "none (a local listing has no scores)"})


def _from_hub(cache: BoardCache, tasks: list[str], since: str, benches, *, refresh: bool, page_size: int | None,
              workers: int, limit: int | None, endpoint: str | None, token: str | None, show_bars: bool,
              step, done) -> _Gathered:
    """The board from the live Hub: list each task, read the leaderboards, ask ``model_info``
    for the scored models the listing lacks (stored answers are not asked again)."""
    from llmtrends.pipeline import hub

    listings: list[TaskListing] = []
    with hub.session(endpoint=endpoint, token=token, max_requests_per_5min=limit) as sess:
        for task in tasks:
            step(f"listing {task} models since {since}")
            bar = _progress_bar(show_bars, f"listing {task}")
            try:
                listing = list_task(sess, cache, task, since, refresh=refresh, page_size=page_size, bar=bar)
            finally:
                if bar is not None:
                    bar.close()
            listings.append(listing)
            done(f"({listing.mode}{', resumed' if listing.resumed else ''}: {listing.new:,} new in "
                 f"{listing.pages} request(s), stopped at {listing.stop})")
        step("reading the Community Evals leaderboards")
        boards = read_leaderboards(sess, benches)
        done(f"({', '.join(f'{len(rows):,} {c}' for c, (rows, _) in boards.items())})")
        step("reading the stored listing")
        listed = cache.listed_frame(tasks, since)
        listed_keys = set(listed["id"].str.lower())
        scored = dict.fromkeys(row["model_id"] for rows, _ in boards.values() for row in rows)
        missing = [m for m in scored if m.lower() not in listed_keys]
        _, stored = cache.enriched()
        ask = [m for m in missing if refresh or m not in stored or stored[m] == "error"]
        done(f"({len(listed):,} models)")
        step(f"asking model_info for {len(ask):,} scored model(s) the listing lacks ({len(missing) - len(ask):,} stored)")

        def keep_answer(asked, outcome, info, error):
            cache.put_enriched(asked, outcome, None if info is None else record_from_info(info), error)

        hub.model_infos(sess, ask, workers=workers, on_result=keep_answer)
        done()
        requests = sess.requests
    answers, outcomes_of = cache.enriched()
    added = [m for m in missing if m in outcomes_of]
    extra = answers.loc[added, list(BUILD_COLUMNS)].reset_index(drop=True)
    frame = pd.concat([listed, extra], ignore_index=True) if len(extra) else listed
    repo_ids = [*listed["id"], *added]
    # the models' own eval results date their leaderboard results (scored models only)
    scored_keys = {m.lower() for m in scored}
    evals = cache.eval_results([r for r in listed["id"] if r.lower() in scored_keys])
    evals.update({m.lower(): _eval_results(answers.at[m, "eval_results"]) for m in added})
    evals = {k: {"eval_results": v} for k, v in evals.items()}
    outcomes = ["ok"] * len(listed) + [outcomes_of[m] for m in added]
    return _Gathered(
        frame=frame, listed=[True] * len(listed) + [False] * len(added), outcomes=outcomes, repo_ids=repo_ids,
        scores=[merge_results(boards[b.column][0], b, evals) for b in benches],
        counts={"listed": len(listed), "enriched_asked": len(ask), "enriched": len(added),
                **{f"new_{lst.task}": lst.new for lst in listings},
                **{f"leaderboard_{c}": len(rows) for c, (rows, _) in boards.items()},
                **{f"leaderboard_{c}_out_of_range": dropped for c, (_, dropped) in boards.items()},
                "requests": requests},
        as_of=datetime.now(timezone.utc).date().isoformat(),
        source=f"hub:list_models({', '.join(tasks)}; since {since})", file_sha256=None,
        enrichment={"method": "hub", "requests_made": requests,
                    "outcomes": {o: outcomes.count(o) for o in dict.fromkeys(outcomes)},
                    "leaderboards": {b.dataset_id: len(boards[b.column][0]) for b in benches}},
        listings=listings, requests=requests)


def run(*, out: Path, tasks: Iterable[str] = DEFAULT_TASKS, since: str = DEFAULT_SINCE,
        source: Path | None = None, cache: Path | None = None, workers: int = 8,
        max_requests_per_5min: int | None = None, refresh: bool = False, page_size: int | None = None,
        keep: int | None = None, allow_shrink: bool = False, progress=None, endpoint: str | None = None,
        token: str | None = None, figures: bool = False) -> HubBuild:
    """Build (or refresh) the hub board into ``out/hub`` (module docstring).

    ``source``: a listing CSV in the sample's format instead of the live Hub (no scores, no
    cache: every run reads the whole file). ``cache``: the board's state (default
    ``out/.cache``). ``max_requests_per_5min``: None = the Hub's limit for the caller's tier,
    0 = none. Raises :class:`HubBoardError` (one line) on failure; nothing is written then,
    and the previous snapshot stays current. A build that loses most of the board fails as
    every board's does (``runner.check_not_gutted``, unless ``allow_shrink``). ``figures``:
    draw the views' default figures beside the snapshot before it becomes current.
    """
    from huggingface_hub.errors import HfHubHTTPError

    from llmtrends.pipeline import hub

    tasks = list(dict.fromkeys(tasks))
    unknown = [t for t in tasks if t not in schema.HUB_PIPELINE_TAGS]
    if not tasks or unknown:
        raise HubBoardError(f"unknown task(s) {', '.join(unknown) or '(none)'}; tasks are the Hub's "
                            "pipeline tags, e.g. text-generation, image-text-to-text")
    try:
        since = date.fromisoformat(str(since)).isoformat()
    except ValueError:
        raise HubBoardError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    try:
        benches = bench_mod.load()
    except bench_mod.BenchmarksError as exc:
        raise HubBoardError(str(exc)) from None
    step = progress.step if progress is not None else (lambda text: None)
    done = progress.done if progress is not None else (lambda note="": None)
    if source is not None:
        got = _from_file(Path(source), tasks, since, benches, step, done)
    else:
        board_cache = BoardCache(cache or (Path(out) / ".cache"))
        limit = hub.AUTO_LIMIT if max_requests_per_5min is None else (max_requests_per_5min or None)
        try:
            got = _from_hub(board_cache, tasks, since, benches, refresh=refresh, page_size=page_size,
                            workers=workers, limit=limit, endpoint=endpoint, token=token,
                            show_bars=bool(progress is not None and progress.hub_progress), step=step, done=done)
        except hub.HubTransientError as exc:
            raise HubBoardError(f"the Hub kept failing ({exc}); run again to resume, the previous snapshot "
                                "is kept") from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise HubBoardError(f"the Hub answered HTTP {status} ({type(exc).__name__}); run again to "
                                "resume, the previous snapshot is kept") from None
        finally:
            board_cache.close()
    step("normalizing")
    models, norm_counts = normalize(got.frame, got.listed, got.outcomes, got.scores, repo_ids=got.repo_ids)
    loaded, got.frame = len(got.frame), None  # the facts are in the table now: free them before writing it
    done(f"({len(models):,} models)")
    counts = {**got.counts, "loaded": loaded, "written": len(models), **norm_counts,
              **{f"scored_{b.column}": int(models[b.column].notna().sum()) for b in benches}}
    manifest = store.build_manifest(source=got.source, revision=None, file_sha256=got.file_sha256, counts=counts,
                                    enrichment=got.enrichment, as_of=got.as_of)
    manifest["listing"] = {"tasks": tasks, "since": since, "runs": [vars(lst) for lst in got.listings]}
    manifest["benchmarks"] = [vars(b) for b in benches]
    from llmtrends.pipeline.runner import check_not_gutted

    check_not_gutted(len(models), schema.HUB_BOARD, Path(out), got.source, allow_shrink)
    step(f"writing {Path(out) / schema.HUB_BOARD}")
    try:
        from llmtrends.pipeline.runner import TerminalProgress, figures_step

        draw = figures_step(schema.HUB_BOARD, progress or TerminalProgress(enabled=False)) if figures else None
        path = store.write_snapshot(out, schema.HUB_BOARD, models, None, manifest, keep=keep, before_current=draw)
    except (OSError, store.SnapshotError) as exc:
        raise HubBoardError(f"{getattr(exc, 'filename', '') or out}: {getattr(exc, 'strerror', None) or exc}") from None
    done()
    return HubBuild(path=path, counts=counts, manifest=store.read_manifest(path), listings=got.listings,
                    requests=got.requests)


def summary(build: HubBuild, seconds: float) -> str:
    """The one-paragraph end-of-run summary."""
    c = build.counts
    parts = [f"hub: {c['written']:,} models"]
    if build.listings:
        parts.append("listing " + "; ".join(
            f"{lst.task} {lst.mode}{' (resumed)' if lst.resumed else ''}, {lst.new:,} new" for lst in build.listings))
        parts.append(f"{c.get('enriched', 0):,} scored models added with model_info")
        parts.append(f"{c.get('requests', 0):,} Hub requests")
    scored = ", ".join(f"{b.display_name} {c.get('scored_' + b.column, 0):,}" for b in bench_mod.load())
    parts.append(f"scores: {scored}")
    return (f"{'; '.join(parts)}; written to {build.path.parent.parent} (snapshot {build.path.name}, "
            f"as of {build.manifest.get('as_of')}) in {seconds:.1f} s.")
