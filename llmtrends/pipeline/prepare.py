"""Normalize a raw leaderboard into the processed schema, enrich it, keep one row per repo.

The steps, in the order the pipeline applies them:

1. :func:`normalize` -- snake_case columns, type labels without emoji, v1's inverted
   ``Flagged``/``MoE``/``Merged`` put right, ``#Params (B)`` of 0 made unknown, dates.
2. :func:`remove_flagged` -- flagged models out (counted).
3. :func:`deduplicate` -- one row per repository (case-insensitive id), the best
   ``Average ⬆️``; ties: precision (bfloat16, float16, float32, 8bit, 4bit, GPTQ), then the
   latest submission, then the smallest sha, then the id.
4. :func:`enrich` -- join Hub records (the study's files or the live Hub API); choose
   ``created_at``.
5. :func:`assign_families` and :func:`assign_size_classes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from llmtrends import schema


@dataclass
class Counts:
    """Row counts after each step (written to the manifest)."""

    loaded: int = 0
    flagged_removed: int = 0
    duplicates_removed: int = 0
    written: int = 0
    enriched: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    flagged_ids: list[str] = field(default_factory=list)  # the flagged repositories, sorted


# --------------------------------------------------------------------------- labels


def type_label(value: object, symbol: object = None) -> str | None:
    """The leaderboard's type without emoji; falls back to the one-symbol ``T`` column.

    Unknown words become ``other``; no type at all stays ``None``.
    """
    text = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    if text:
        words = text.split(" ", 1)
        if len(words) == 2 and not words[0][:1].isalnum():
            text = words[1].strip()
        text_l = text.lower()
        for label in schema.TYPE_LABELS:
            if text_l == label.lower():
                return label
        return schema.TYPE_OTHER
    if symbol is not None and not (isinstance(symbol, float) and np.isnan(symbol)):
        return schema.TYPE_BY_SYMBOL.get(str(symbol).strip())
    return None


def architecture_key(architecture: object) -> str | None:
    """Family key of an architecture class: lower-cased, head suffix removed."""
    if architecture is None or (isinstance(architecture, float) and np.isnan(architecture)):
        return None
    text = str(architecture).strip().lower()
    if text in schema.UNKNOWN_ARCHITECTURES:
        return None
    for suffix in schema.ARCH_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def moe_by_architecture(architectures: pd.Series) -> pd.Series:
    """Whether each model's architecture is a mixture of experts (``schema.MOE_ARCHITECTURES``);
    missing where the architecture is unknown."""
    return pd.Series([schema.is_moe_architecture(architecture_key(a)) for a in architectures],
                     index=architectures.index, dtype="boolean")


def family_display(key: str) -> str:
    """Display name of a family key (the study's spelling where it had one)."""
    return schema.FAMILY_DISPLAY.get(key, key[:1].upper() + key[1:])


def size_class(params_b: float) -> str | None:
    """Small (<= 9B), Medium (9B, 40B], Large (> 40B); None when unknown."""
    if params_b is None or not np.isfinite(params_b) or params_b <= 0:
        return None
    if params_b <= schema.SIZE_SMALL_MAX_B:
        return schema.SIZE_SMALL
    if params_b <= schema.SIZE_MEDIUM_MAX_B:
        return schema.SIZE_MEDIUM
    return schema.SIZE_LARGE


# --------------------------------------------------------------------------- steps


def _none_if_blank(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(text.notna() & (text != "") & (text.str.lower() != "nan")).astype(object).where(
        lambda s: s.notna(), None
    )


def normalize(raw: pd.DataFrame, board: str) -> pd.DataFrame:
    """Turn a validated raw leaderboard (see ``sources``) into processed columns.

    Flags are booleans with v1's inversion undone: in the v1 scrape ``Flagged == True``
    means *not* flagged, and likewise for ``MoE`` and ``Merged``.
    """
    spec = schema.SOURCE_SCHEMAS[board]
    out = pd.DataFrame(index=raw.index)
    repo = raw["fullname"].astype(str).str.strip()
    out["repo_id"] = repo
    # legacy canonical models ("gpt2-xl") have no namespace: they are their own
    out["namespace"] = repo.str.split("/", n=1).str[0]
    out["model_name"] = repo.str.split("/", n=1).str[-1]
    symbols = raw["T"] if "T" in raw.columns else pd.Series(None, index=raw.index)
    out["type"] = [type_label(v, s) for v, s in zip(raw["Type"], symbols)]
    out["architecture"] = _none_if_blank(raw["Architecture"])
    unknown_arch = out["architecture"].map(architecture_key).isna()
    out.loc[unknown_arch, "architecture"] = None
    params = raw["#Params (B)"].astype("float64")
    out["params_b"] = params.where(params > 0)
    out["average"] = raw["Average ⬆️"].astype("float64")
    for src, dst in spec.benchmarks.items():
        out[dst] = raw[src].astype("float64")
    flags = {col: raw[col].astype("boolean") for col in ("Flagged", "MoE", "Merged")}
    if board == "v1":
        flags = {col: ~val for col, val in flags.items()}
    out["flagged"] = flags["Flagged"].fillna(False).astype(bool)
    out["moe"] = flags["MoE"]
    out["merged"] = flags["Merged"]
    if "Official Providers" in raw.columns:
        out["official"] = raw["Official Providers"].astype("boolean")
    else:
        out["official"] = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out["license"] = _none_if_blank(raw["Hub License"])
    out["likes"] = raw["Hub ❤️"].astype("float64")
    out["co2_kg"] = raw["CO₂ cost (kg)"].astype("float64") if "CO₂ cost (kg)" in raw.columns else np.nan
    out["precision"] = _none_if_blank(raw["Precision"])
    out["weight_type"] = _none_if_blank(raw["Weight type"]) if "Weight type" in raw.columns else None
    out["sha"] = _none_if_blank(raw["Model sha"])
    if "Upload To Hub Date" in raw.columns:
        out["upload_date"] = raw["Upload To Hub Date"].astype("datetime64[ns]")
    else:
        out["upload_date"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if "Submission Date" in raw.columns:
        out["submitted_at"] = raw["Submission Date"].astype("datetime64[ns]")
    else:
        out["submitted_at"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if "Base Model" in raw.columns:
        base = _none_if_blank(raw["Base Model"])
        # v2 names a model as its own base when it is an original
        same = base.astype("string").str.lower() == repo.str.lower()
        out["declared_base"] = base.where(~same.fillna(False), None)
    else:
        out["declared_base"] = None
    out["generation"] = raw["Generation"].astype("float64") if "Generation" in raw.columns else np.nan
    return out.reset_index(drop=True)


def remove_flagged(models: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop flagged models; returns the rest and how many were dropped."""
    flagged = models["flagged"].astype(bool)
    return models.loc[~flagged].drop(columns=["flagged"]).reset_index(drop=True), int(flagged.sum())


def deduplicate(models: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per repository (ids compared case-insensitively): the best average.

    Ties on the average are broken, in order, by precision (bfloat16 < float16 < float32
    < 8bit < 4bit < GPTQ < anything else), the latest submission, the smallest sha and
    the id itself, so the result never depends on the row order of the source.
    """
    frame = models.copy()
    frame["_key"] = frame["repo_id"].str.lower()
    frame["_avg"] = frame["average"].fillna(-np.inf)
    frame["_prec"] = frame["precision"].map(schema.PRECISION_RANK).fillna(len(schema.PRECISION_RANK))
    # any datetime resolution in, ns out: Timestamp.min is only a valid fill value for ns
    frame["_sub"] = pd.to_datetime(frame["submitted_at"]).astype("datetime64[ns]").fillna(pd.Timestamp.min)
    frame["_sha"] = frame["sha"].fillna("")
    frame = frame.sort_values(
        ["_key", "_avg", "_prec", "_sub", "_sha", "repo_id"],
        ascending=[True, False, True, False, True, True],
        kind="mergesort",
    )
    kept = frame.drop_duplicates("_key", keep="first")
    removed = len(frame) - len(kept)
    kept = kept.drop(columns=["_key", "_avg", "_prec", "_sub", "_sha"])
    return kept.sort_values("repo_id", kind="mergesort").reset_index(drop=True), removed


_HUB_FIELDS = ("hub_id", "hub_outcome", "author", "downloads", "library", "tags", "datasets",
               "language", "last_modified")


def enrich(models: pd.DataFrame, hub_records: pd.DataFrame | None,
           commit_records: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """Join Hub records onto the models and fix ``created_at`` and ``base_model``.

    Records are matched on the repository id (case-insensitive). ``created_at`` is the
    Hub's creation date when a record has one, else v2's ``Upload To Hub Date``; the
    Hub's placeholder date 2022-03-02 is kept but marked ``created_at_placeholder``.
    ``base_model`` is the leaderboard's declared base (v2), else the first base model of
    the Hub record (model card, then ``base_model:`` tags).

    Returns the enriched models, the commit-author pairs (None without commit data) and
    how many models got a Hub record.
    """
    out = models.copy()
    n = len(out)
    key = out["repo_id"].str.lower()
    hub_created = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    hub_base = pd.Series(None, index=out.index, dtype=object)
    for col in _HUB_FIELDS:
        out[col] = None
    out["downloads"] = np.nan
    out["last_modified"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    for col in ("tags", "datasets", "language"):
        out[col] = [[] for _ in range(n)]
    enriched = 0
    if hub_records is not None and len(hub_records):
        rec = hub_records.copy()
        rec["_key"] = rec["name"].astype(str).str.lower()
        # several records for one id (case variants of a name): a usable answer (ok or
        # renamed) beats a stale / failed one; among equals the last record wins
        rec["_good"] = rec["hub_outcome"].isin(["ok", "renamed"])
        rec = (rec.sort_values("_good", kind="mergesort")
               .drop_duplicates("_key", keep="last").drop(columns="_good").set_index("_key"))
        hit = key.isin(rec.index)
        idx = key[hit]
        for col in ("hub_id", "hub_outcome", "author", "library"):
            out.loc[hit, col] = rec.loc[idx, col].to_numpy()
        out.loc[hit, "downloads"] = pd.to_numeric(rec.loc[idx, "downloads"], errors="coerce").to_numpy()
        out.loc[hit, "last_modified"] = pd.to_datetime(rec.loc[idx, "last_modified"]).to_numpy()
        for col in ("tags", "datasets", "language"):
            values = rec.loc[idx, col].to_list()
            out.loc[hit, col] = pd.Series([list(v) if isinstance(v, (list, tuple, np.ndarray)) else []
                                           for v in values], index=out.index[hit], dtype=object)
        hub_created.loc[hit] = pd.to_datetime(rec.loc[idx, "created_at"]).to_numpy()
        firsts = [(list(v)[0] if isinstance(v, (list, tuple, np.ndarray)) and len(v) else None)
                  for v in rec.loc[idx, "base_model"].to_list()]
        hub_base.loc[hit] = firsts
        # fill license / likes the leaderboard lacks
        lic = rec.loc[idx, "license"].to_numpy()
        need = out.loc[hit, "license"].isna().to_numpy()
        out.loc[out.index[hit][need], "license"] = lic[need]
        likes = pd.to_numeric(rec.loc[idx, "likes"], errors="coerce").to_numpy()
        need = out.loc[hit, "likes"].isna().to_numpy()
        out.loc[out.index[hit][need], "likes"] = likes[need]
        enriched = int((out["hub_outcome"].isin(["ok", "renamed"])).sum())
    use_hub = hub_created.notna()
    out["created_at"] = hub_created.where(use_hub, out["upload_date"]).astype("datetime64[ns]")
    out["created_at_source"] = np.where(use_hub, "hub", np.where(out["upload_date"].notna(), "upload_date", None))
    out["created_at_placeholder"] = out["created_at"].dt.strftime("%Y-%m-%d").eq(schema.HUB_PLACEHOLDER_DATE).fillna(False)
    declared = out["declared_base"]
    out["base_model"] = declared.where(declared.notna(), hub_base)
    out = out.drop(columns=["declared_base", "upload_date"])

    out["num_commits"] = np.nan
    out["first_commit"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["last_commit"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["num_commit_authors"] = np.nan
    pairs = None
    if commit_records is not None and len(commit_records):
        # a record without a commit count is a failed listing (live enrichment keeps one
        # row per asked repository): it carries no commit data
        com = commit_records.loc[pd.to_numeric(commit_records["num_commits"], errors="coerce").notna()].copy()
        com["_key"] = com["name"].astype(str).str.lower()
        com = com.drop_duplicates("_key", keep="last").set_index("_key")
        hit = key.isin(com.index)
        idx = key[hit]
        out.loc[hit, "num_commits"] = pd.to_numeric(com.loc[idx, "num_commits"], errors="coerce").to_numpy()
        out.loc[hit, "first_commit"] = pd.to_datetime(com.loc[idx, "first_commit"]).to_numpy()
        out.loc[hit, "last_commit"] = pd.to_datetime(com.loc[idx, "last_commit"]).to_numpy()
        rows = []
        for repo, authors in zip(out.loc[hit, "repo_id"], com.loc[idx, "authors"].to_list()):
            seen = []
            for a in (authors if isinstance(authors, (list, tuple, np.ndarray)) else []):
                a = str(a).strip()
                if a and not schema.is_bot(a) and a not in seen:
                    seen.append(a)
            rows.extend((repo, a) for a in seen)
        pairs = pd.DataFrame(rows, columns=list(schema.COMMIT_AUTHOR_COLUMNS))
        # counted as floats: no repository with a history (Hub down, every id unknown) must
        # give an empty float column, not an empty object one pandas refuses to assign
        per_repo = pairs.groupby("repo_id").size().astype("float64")
        out.loc[hit, "num_commit_authors"] = out.loc[hit, "repo_id"].map(per_repo).fillna(0.0).to_numpy(dtype="float64")
    return out, pairs, enriched


def assign_families(models: pd.DataFrame, min_models: int = schema.FAMILY_MIN_MODELS,
                    keys: pd.Series | None = None) -> pd.DataFrame:
    """``architecture_family``: architectures with more than ``min_models`` models, else Other.

    This is the study's rule, applied to the deduplicated table: the key is the
    lower-cased architecture class without its head suffix, counted over the board's own
    models; unknown architectures (``?``, ``unknown``) are always Other. ``keys`` gives the
    family key of each row instead (the hub board's model types, see ``hubboard.family_key``).
    """
    out = models.copy()
    keys = out["architecture"].map(architecture_key) if keys is None else pd.Series(list(keys), index=out.index)
    counts = keys.value_counts()
    big = set(counts[counts > min_models].index)
    out["architecture_family"] = [family_display(k) if k in big else schema.FAMILY_OTHER for k in keys]
    return out


def assign_size_classes(models: pd.DataFrame) -> pd.DataFrame:
    """``size_class`` from ``params_b`` (see :func:`size_class`)."""
    out = models.copy()
    out["size_class"] = [size_class(v) for v in out["params_b"]]
    return out


def finalize(models: pd.DataFrame, board: str) -> pd.DataFrame:
    """Columns in the contract's order with stable dtypes."""
    cols = list(schema.MODEL_COLUMNS)
    bench = schema.benchmark_columns(board)
    cols = cols[: cols.index("moe")] + bench + cols[cols.index("moe"):]
    out = models.copy()
    for col in cols:
        if col not in out.columns:
            out[col] = None
    out = out[cols]
    for col in ("moe", "moe_architecture", "merged", "official", "created_at_placeholder"):
        out[col] = out[col].astype("boolean")
    for col in ("repo_id", "namespace", "model_name", "type", "architecture", "architecture_family",
                "size_class", "license", "precision", "weight_type", "sha", "created_at_source",
                "base_model", "hub_id", "hub_outcome", "author", "library"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.reset_index(drop=True)


def build(raw: pd.DataFrame, board: str, hub_records: pd.DataFrame | None = None,
          commit_records: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None, Counts]:
    """The whole preparation: normalize, drop flagged, dedup, enrich, families, sizes."""
    counts = Counts(loaded=len(raw))
    models = normalize(raw, board)
    counts.extra["type_missing"] = int(models["type"].isna().sum())
    # kept by name: a history tells a model that was flagged from one that left the board
    counts.flagged_ids = sorted(set(models.loc[models["flagged"].astype(bool), "repo_id"]))
    models, counts.flagged_removed = remove_flagged(models)
    models, counts.duplicates_removed = deduplicate(models)
    models, pairs, counts.enriched = enrich(models, hub_records, commit_records)
    models = assign_families(models)
    models = assign_size_classes(models)
    models["moe_architecture"] = moe_by_architecture(models["architecture"])
    models = finalize(models, board)
    counts.written = len(models)
    # where the leaderboard's MoE flag and the architecture disagree (both known)
    flag, arch = models["moe"], models["moe_architecture"]
    known = flag.notna() & arch.notna()
    counts.extra["moe_flag_dense_architecture"] = int((known & flag.fillna(False) & ~arch.fillna(False)).sum())
    counts.extra["moe_architecture_not_flagged"] = int((known & ~flag.fillna(False) & arch.fillna(False)).sum())
    counts.extra["created_at_placeholder"] = int(models["created_at_placeholder"].sum())
    counts.extra["created_at_missing"] = int(models["created_at"].isna().sum())
    return models, pairs, counts
