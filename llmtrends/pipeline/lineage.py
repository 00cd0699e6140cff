"""Model lineage: which base model each leaderboard model descends from, and merge taint.

The leaderboards declare a model's base (v2's ``Base Model``; v1's model card or
``base_model:`` tags, via enrichment) in the processed column ``base_model``. Lineage is
the chain of declared bases followed transitively (a fine-tune of a fine-tune of
Llama-3-8B descends from Llama-3-8B). Where the chain ends without reaching a known base
(no declared base, ``Removed``/``unknown``, or a base outside the board), the study's
rule is the fallback: the name of the chain's root matches a known base's name pattern,
its size is in the base's parameter range and its architecture is the base's family.

Known base models are data, not code: ``llmtrends/base_models.csv`` has one row per base
(``key``, ``label``, ``repo_ids`` separated by ``;``, ``board`` -- the board(s) whose
default selection includes it: ``v1``, ``v2``, ``both`` or ``none`` --, ``name_pattern``
(a case-insensitive regular expression searched in the repository name without its
namespace), ``params_min``/``params_max`` (billions, inclusive), ``family`` (architecture
keys such as ``llama`` or ``phi3``, ``;``-separated: the architecture class lower-cased
without its ``ForCausalLM`` suffix, so that families the board lumps into "Other" still
match), ``release_date`` and its ``source_url``).

Merges are excluded from derivatives *transitively*: a model is a merge when its type is
"base merges and moerges", its ``merged`` flag is set, its declared base carries v2's
``(Merge)`` marker, it carries one of the Hub tags ``MERGE_TAGS`` (``merge``, ``mergekit``),
or "merge" is in its repository id (the study's two rules, which catch the merges the
leaderboard types as fine-tunes); and a model is tainted when any model on its chain is
a merge -- a declared base off the board included, judged by its id.

A *re-upload* of a base (``TheBloke/Llama-2-70B-fp16``: the base's weights under another
name) is not a derivative: its repository name, without the format suffixes of
``REUPLOAD_SUFFIXES``, is the base repository's name (:func:`reupload_name`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from llmtrends import schema
from llmtrends.pipeline.prepare import architecture_key

BASE_MODELS_CSV = Path(__file__).parents[1] / "base_models.csv"  # the package's reference tables sit at its top
BASE_COLUMNS = ("key", "label", "repo_ids", "board", "name_pattern", "params_min", "params_max",
                "family", "release_date", "source_url")
DERIVATIVE_TYPES = (schema.TYPE_FINETUNED, schema.TYPE_CHAT)
# Declared-base values that mean "not known" (v2 writes "Removed", v1 cards "unknown").
UNKNOWN_BASES = frozenset({"", "removed", "unknown", "none", "nan", "null", "n/a"})
MERGE_MARKER = " (merge)"
# The study's merge rules besides the leaderboard's own: the Hub tags a merge carries
# (mergekit writes both), and the word in the repository id (namespace/name, any case).
MERGE_TAGS = frozenset({"merge", "mergekit"})
MERGE_WORD = "merge"
# Suffixes a re-upload adds to the base's name for its format or precision (any number of
# them, separated by - _ or .): stripped before comparing names.
REUPLOAD_SUFFIXES = ("fp16", "bf16", "fp32", "float16", "bfloat16", "hf", "gptq", "awq", "gguf", "ggml",
                     "exl2", "4bit", "8bit", "int4", "int8", "sharded", "safetensors")
_REUPLOAD_TAIL = re.compile(r"(?:[-_.](?:" + "|".join(REUPLOAD_SUFFIXES) + r"))+$")
VIA_DECLARED = "declared"
VIA_PATTERN = "name pattern"


class BaseModelsError(ValueError):
    """The base-model table is malformed; the message names the file, row and column."""


@dataclass(frozen=True)
class BaseModel:
    """One known base model (a row of ``base_models.csv``)."""

    key: str
    label: str
    repo_ids: tuple[str, ...]
    board: str
    name_pattern: str
    params_min: float
    params_max: float
    family: tuple[str, ...]
    release_date: dt.date | None
    source_url: str

    def default_on(self, board: str) -> bool:
        """Whether this base is in the board's default selection."""
        return self.board == "both" or self.board == board

    def matches(self, name: str, params_b: float, arch_key: str | None) -> bool:
        """The study's rule: name pattern, parameters in range, architecture family."""
        if arch_key not in self.family:
            return False
        if params_b is None or not np.isfinite(params_b) or not self.params_min <= params_b <= self.params_max:
            return False
        return re.search(self.name_pattern, name, flags=re.IGNORECASE) is not None


@lru_cache(maxsize=4)
def load_base_models(path: str | Path = BASE_MODELS_CSV) -> tuple[BaseModel, ...]:
    """Read and validate the base-model table (errors name the file, row and column)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise BaseModelsError(f"{path}: cannot read the base-model table ({exc})") from None
    missing = [c for c in BASE_COLUMNS if c not in header]
    if missing:
        raise BaseModelsError(f"{path}: missing column(s) {', '.join(missing)}")
    out: list[BaseModel] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"{path}, line {i}"

        def need(col: str) -> str:
            value = (row.get(col) or "").strip()
            if not value:
                raise BaseModelsError(f"{where}: column {col!r} is empty")
            return value

        key = need("key")
        if key in seen or not re.fullmatch(r"[a-z0-9_]+", key):
            raise BaseModelsError(f"{where}: column 'key': {key!r} is duplicated or not [a-z0-9_]+")
        seen.add(key)
        board = need("board")
        if board not in (*schema.BOARDS, "both", "none"):
            raise BaseModelsError(f"{where}: column 'board': {board!r} is not v1, v2, both or none")
        pattern = need("name_pattern")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise BaseModelsError(f"{where}: column 'name_pattern': bad regular expression ({exc})") from None
        try:
            pmin, pmax = float(need("params_min")), float(need("params_max"))
        except ValueError:
            raise BaseModelsError(f"{where}: columns 'params_min'/'params_max' must be numbers") from None
        if pmin > pmax:
            raise BaseModelsError(f"{where}: params_min {pmin} > params_max {pmax}")
        release = (row.get("release_date") or "").strip()
        try:
            release_date = dt.date.fromisoformat(release) if release else None
        except ValueError:
            raise BaseModelsError(f"{where}: column 'release_date': {release!r} is not YYYY-MM-DD") from None
        if release_date is not None and not (row.get("source_url") or "").strip().startswith("http"):
            raise BaseModelsError(f"{where}: column 'source_url': a release date needs its source URL")
        out.append(BaseModel(
            key=key, label=need("label"),
            repo_ids=tuple(r.strip() for r in need("repo_ids").split(";") if r.strip()),
            board=board, name_pattern=pattern, params_min=pmin, params_max=pmax,
            family=tuple(f.strip().lower() for f in need("family").split(";") if f.strip()),
            release_date=release_date, source_url=(row.get("source_url") or "").strip(),
        ))
    return tuple(out)


def normalize_base(value: object) -> tuple[str | None, bool]:
    """A declared base as (lower-cased repo id or None, carries the merge marker).

    v2 marks a base that is itself a merge with a ``" (Merge)"`` suffix; ``Removed`` and
    ``unknown`` mean no usable lineage; a value without a namespace is not a repo id.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None, False
    text = str(value).strip()
    merge = text.lower().endswith(MERGE_MARKER)
    if merge:
        text = text[: -len(MERGE_MARKER)].strip()
    text = text.removeprefix("https://huggingface.co/").strip("/ ")
    if text.lower() in UNKNOWN_BASES or text.count("/") != 1:
        return None, merge
    return text.lower(), merge


def reupload_name(repo_id: str) -> str:
    """A repository's name without namespace, lower-cased, its format suffixes removed
    (``TheBloke/Llama-2-70B-fp16`` and ``meta-llama/Llama-2-70b-hf``: ``llama-2-70b``)."""
    return _REUPLOAD_TAIL.sub("", str(repo_id).split("/", 1)[-1].lower())


def has_merge_tag(tags: object) -> bool:
    """True when a model's Hub tags (a list; anything else counts as none) hold a merge tag."""
    if not isinstance(tags, (list, tuple, np.ndarray)):
        return False
    return any(str(t).strip().lower() in MERGE_TAGS for t in tags)


@dataclass(frozen=True)
class Lineage:
    """Per-model lineage of one board (index aligned with the models table).

    ``frame`` columns: ``repo_key`` (lower-cased repo id), ``chain`` (tuple of lower-cased
    ancestor ids, nearest first), ``root`` (last id of the chain, or the model itself),
    ``is_merge`` (transitive), ``base_key`` (the known base it descends from, or None),
    ``via`` (``declared`` / ``name pattern`` / None) and ``is_reupload`` (its name is that
    of its known base's repository or of a declared base on its chain, see
    :func:`reupload_name`).
    """

    frame: pd.DataFrame
    bases: tuple[BaseModel, ...]
    spelling: dict[str, str]  # lower-cased repo id -> as the board (or a declaration) spells it

    def display_id(self, repo_key: str) -> str:
        """A lower-cased repo id spelled as the board or its declaring model spells it."""
        return self.spelling.get(repo_key, repo_key)


def analyze(models: pd.DataFrame, bases: tuple[BaseModel, ...] | None = None) -> Lineage:
    """Follow every model's declared bases and assign it to a known base where possible."""
    bases = load_base_models() if bases is None else bases
    keys = models["repo_id"].astype(str).str.lower().to_list()
    row_of = {k: i for i, k in enumerate(keys)}
    parsed = [normalize_base(v) for v in models["base_model"].to_list()] if "base_model" in models.columns \
        else [(None, False)] * len(keys)
    parent: dict[str, str] = {}
    marked: set[str] = set()  # models whose declared base carries the merge marker
    spelling = dict(zip(keys, models["repo_id"].astype(str).to_list()))
    raw_bases = models["base_model"].to_list() if "base_model" in models.columns else [None] * len(keys)
    for (base, _), raw in zip(parsed, raw_bases):
        if base is not None and base not in spelling:
            spelling[base] = str(raw).strip()[: len(base) + 40].split(" (")[0].removeprefix("https://huggingface.co/")
    for k, (base, merge) in zip(keys, parsed):
        if merge:
            marked.add(k)
        if base is not None and base != k:
            parent[k] = base
    types = models["type"].to_list()
    merged_flag = models["merged"].fillna(False).astype(bool).to_list() if "merged" in models.columns \
        else [False] * len(keys)
    tagged = [has_merge_tag(t) for t in models["tags"].to_list()] if "tags" in models.columns \
        else [False] * len(keys)
    own_merge = {k: (t == schema.TYPE_MERGE) or bool(m) or (k in marked) or tag or (MERGE_WORD in k)
                 for k, t, m, tag in zip(keys, types, merged_flag, tagged)}
    params = models["params_b"].astype("float64").to_list() if "params_b" in models.columns else [np.nan] * len(keys)
    archs = [architecture_key(a) for a in models["architecture"].to_list()] if "architecture" in models.columns \
        else [None] * len(keys)
    base_of_repo = {r.lower(): b.key for b in bases for r in b.repo_ids}
    base_names = {b.key: {reupload_name(r) for r in b.repo_ids} for b in bases}

    chains, roots, merges, base_keys, vias, reuploads = [], [], [], [], [], []
    for i, k in enumerate(keys):
        chain: list[str] = []
        seen = {k}
        node = k
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
            chain.append(node)
        root = chain[-1] if chain else k
        # an ancestor off the board is judged by its id alone
        is_merge = own_merge[k] or any(own_merge.get(a, MERGE_WORD in a) for a in chain)
        # the nearest known base on the chain (declared lineage) ...
        base_key, via = None, None
        for a in chain:
            if a in base_of_repo:
                base_key, via = base_of_repo[a], VIA_DECLARED
                break
        if base_key is None and k not in base_of_repo:
            # ... else the study's rule on the chain's root; a root outside the board is
            # judged by its name with the size and architecture of its nearest descendant
            # in the board (a fine-tune keeps its base's size and architecture)
            probe = next((row_of[a] for a in reversed(chain) if a in row_of), i)
            name = root.split("/", 1)[-1]
            for b in bases:
                if b.matches(name, params[probe], archs[probe]):
                    base_key, via = b.key, VIA_PATTERN
                    break
        name = reupload_name(k)
        reuploads.append(k not in base_of_repo and (name in base_names.get(base_key, ())
                                                    or any(name == reupload_name(a) for a in chain)))
        chains.append(tuple(chain))
        roots.append(root)
        merges.append(is_merge)
        base_keys.append(base_key)
        vias.append(via)
    frame = pd.DataFrame({"repo_key": keys, "chain": chains, "root": roots, "is_merge": merges,
                          "base_key": base_keys, "via": vias, "is_reupload": reuploads}, index=models.index)
    return Lineage(frame=frame, bases=tuple(bases), spelling=spelling)


def is_derivative_type(models: pd.DataFrame) -> pd.Series:
    """Fine-tunes and chat models: the types that count as a base model's derivatives."""
    return models["type"].isin(DERIVATIVE_TYPES)


def derivative_mask(models: pd.DataFrame, lineage: Lineage, key: str) -> pd.Series:
    """Non-merge fine-tunes / chat models descending from a base (a CSV key or a repo id),
    re-uploads of a base left out.

    A known base (CSV key) collects the models assigned to it, except its own repos; any
    other key is a lower-cased repo id, whose derivatives are the models with it on their
    chain.
    """
    f = lineage.frame
    return descends_from(lineage, key) & ~f["is_merge"] & ~f["is_reupload"] & is_derivative_type(models)


def descends_from(lineage: Lineage, key: str) -> pd.Series:
    """The models tied to a base, of any relation: a known base (CSV key) its assigned
    models but its own repos; any other key (a lower-cased repo id) the models with it on
    their chain."""
    f = lineage.frame
    known = {b.key: b for b in lineage.bases}
    if key in known:
        own = {r.lower() for r in known[key].repo_ids}
        return f["base_key"].eq(key) & ~f["repo_key"].isin(own)
    return pd.Series([key in chain for chain in f["chain"]], index=f.index)


def reupload_mask(lineage: Lineage, key: str) -> pd.Series:
    """The re-uploads of a base (a CSV key or a repo id): models whose name is the base's
    (see :func:`reupload_name`) and that descend from it."""
    f = lineage.frame
    known = {b.key: b for b in lineage.bases}
    if key in known:
        hit = f["base_key"].eq(key)
    else:
        hit = pd.Series([key in chain for chain in f["chain"]], index=f.index)
    return hit & f["is_reupload"]


def derivative_counts(models: pd.DataFrame, lineage: Lineage) -> dict[str, int]:
    """Non-merge derivatives per base: known bases by CSV key, others by repo id.

    Repo ids that belong to a known base are counted under the known base only.
    """
    f = lineage.frame
    eligible = ~f["is_merge"] & ~f["is_reupload"] & is_derivative_type(models)
    counts: dict[str, int] = {}
    for b in lineage.bases:
        n = int(derivative_mask(models, lineage, b.key).sum())
        if n:
            counts[b.key] = n
    known_repos = {r.lower() for b in lineage.bases for r in b.repo_ids}
    per_repo: dict[str, int] = {}
    for chain in f.loc[eligible, "chain"]:
        for a in chain:
            if a not in known_repos:
                per_repo[a] = per_repo.get(a, 0) + 1
    counts.update(per_repo)
    return counts
