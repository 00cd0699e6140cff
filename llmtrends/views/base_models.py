"""Evolution of Popular Base Models: how fast a base model gathered derivatives, and the
staircase of derivatives that beat every earlier one.

Two series in one table (``series``):

* ``derivatives`` -- for each chosen base model, its derivatives created on each day since
  the base's release, counted by their relation to it. On the hub board the relation is the
  Hub's model tree (``relation``: ``finetune``, ``adapter``, ``merge``, ``quantized``;
  ``unknown`` where the tags were cut before saying it) and a derivative is every model whose
  chain of declared base models (``base_model``) reaches the base. The leaderboards (v1, v2)
  have no model tree: their relation is what the lineage tells (:mod:`llmtrends.pipeline.lineage`):
  ``merge`` for merges and the models built on them, ``adapter`` for v2's adapter weights,
  ``finetune`` for the others; re-uploads of the base are not derivatives there.
* ``step`` -- the staircase: the derivatives (fine-tunes and chat models; merges excluded
  transitively, see :mod:`llmtrends.pipeline.lineage`; on the hub board fine-tunes and adapters) ordered
  by the day their repository was created; a derivative is a *step* when its score is higher
  than that of every earlier derivative. Steps are plotted against the days since the base
  model's release. The score is the board's average or the benchmark chosen (``Params.score``);
  a board without scores draws the derivatives and says why the staircase is blank.

As in the study, the staircase is the running maximum of the *derivatives'* scores: the
base model's own score is not its first step. It is drawn beside them as each family's
reference (a dashed line; ``base_average`` in the CSV), so that a step below the base does
not read as progress; the y axis is either the score or, as in the study, the score gained
over the base (``Params.y_axis``).

Base models offered: on v1 and v2 the known bases of ``llmtrends/base_models.csv`` and every
declared base with a derivative; on the hub board the roots of the model tree (the furthest
declared ancestors on the board) with the most derivatives.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends.pipeline import lineage as lin
from llmtrends import schema
from . import inputs, look, periods, provenance, selection

ID = "base_models"
TITLE = "Evolution of Popular Base Models"
DESCRIPTION = ("For each base model, the derivatives (fine-tunes and chat models; merges — by type, flag, the "
               "Hub tags merge/mergekit or 'merge' in the name —, models built on merges, and re-uploads of "
               "the base excluded) that scored higher (the board's average, or the benchmark chosen) than every "
               "earlier derivative, by days since the base model's release, with the base model's own score as "
               "a reference (top); and the derivatives created each day since the release, by their relation to "
               "the base (bottom; on the hub board the Hub's model tree: fine-tunes, adapters, merges, quantized "
               "copies). Lineage follows the declared base models, else (v1, v2) the study's name-pattern and "
               "size rule. Models without a real creation date (the Hub's 2022-03-02 placeholder) are left out.")
FIGURES = ("evolution", "derivatives")
SERIES = ("step", "derivatives")
# The y axis: the score itself, or the score gained over the base model (the study's).
Y_SCORE, Y_GAIN = "score", "gain"
Y_AXES = {Y_SCORE: "Score", Y_GAIN: "Score gained over the base model (the study's)"}
# How a derivative relates to its base, in the legend's order (the Hub's words; ``unknown``
# where the Hub's tags were cut before the relation).
RELATION_UNKNOWN = "unknown"
RELATIONS = (*schema.HUB_RELATIONS, RELATION_UNKNOWN)
RELATION_COLORS = dict(zip(RELATIONS, (look.PAIRED[1], look.PAIRED[3], look.PAIRED[5], look.PAIRED[7], "#BDBDBD")))
# At most this many roots of the hub board's model tree are offered (the most derivatives first).
MAX_HUB_BASES = 500
DEFAULT_HUB_BASES = 3
CSV_COLUMNS = {
    "series": "step (the staircase: one row per step) or derivatives (one row per base, day and relation)",
    "base_key": "the base model's id (a key of llmtrends/base_models.csv, or its repository id, lower-cased)",
    "base_label": "the base model's name in the legend",
    "release_day": "the family's day 0 (ISO date)",
    "release_source": "where day 0 comes from: hub:<repo> (creation on the Hub), release_date:<url> "
                      "(documented release) or first_derivative (earliest derivative, no other evidence)",
    "base_average": "steps: the base model's own score on this board (the score chosen): its repository's, or "
                    "where that is not on the board the best of its re-uploads' (empty when neither is)",
    "base_repo": "steps: the repository base_average is the score of (empty when none)",
    "step": "steps: 1, 2, ... : the derivative's rank on the staircase",
    "repo_id": "steps: the derivative's repository",
    "label": "steps: the name on the plot: the repository name without its namespace, cut in the middle past "
             "28 characters; whole where two repositories would share a label (with the namespace where "
             "even the names are the same)",
    "type": "steps: the derivative's type",
    "lineage": "steps: how it was tied to the base: declared (base model chain) or name pattern (the study's rule)",
    "created_at": "steps: the derivative's repository creation on the Hub; derivatives: the day counted (ISO dates)",
    "days_since_release": "created_at - release_day, in whole days",
    "average": "steps: the derivative's score, the column named after the score chosen: average (the board's "
               "average, the default on v1 and v2) or a benchmark's column such as ce_mmlu_pro",
    "previous_best": "steps: the best score of earlier derivatives (empty for the first step)",
    "gain": "steps: the score - previous_best (empty for the first step)",
    "gain_over_base": "steps: the score - base_average: the study's y axis (empty without a base score)",
    "derivatives": "steps: how many dated derivatives of this base with a score were compared",
    "relation": "derivatives: finetune, adapter, merge, quantized or unknown (see docs/views.md)",
    "new_derivatives": "derivatives: the base's derivatives of that relation created that day",
}
LABEL_MAX_CHARS = 28
SOURCE_HUB, SOURCE_RELEASE, SOURCE_FIRST = "hub", "release_date", "first_derivative"


def _hub(snap) -> bool:
    return snap.board == schema.HUB_BOARD


@selection.per_board
def lineage_of(snap) -> lin.Lineage:
    """The board's lineage, computed once per board (``selection.per_board``). The hub board's is
    its model tree alone: no known base is matched by name there (its tree says what a model
    derives from)."""
    return lin.analyze(snap.models, bases=() if _hub(snap) else None)


@selection.per_board
def hub_roots(snap) -> pd.Series:
    """The hub board's roots (lower-cased ids, the furthest declared ancestors on the board)
    by their number of derivatives of any relation, most first (ties by id)."""
    f = lineage_of(snap).frame
    roots = f.loc[f["chain"].map(len) > 0, "root"]
    counts = roots.value_counts()
    order = sorted(counts.index, key=lambda k: (-int(counts[k]), k))
    return counts.reindex(order)


@selection.per_board
def base_choices(snap) -> dict[str, str]:
    """The base models a board offers: key -> 'label (n derivatives)'.

    v1, v2: every base model with at least one non-merge derivative, known bases
    (``base_models.csv``) first in the table's order, then other declared bases by number of
    derivatives. Hub board: the roots of the model tree by number of derivatives (any
    relation), at most ``MAX_HUB_BASES``.
    """
    lineage = lineage_of(snap)
    if _hub(snap):
        roots = hub_roots(snap).head(MAX_HUB_BASES)
        return {k: f"{lineage.display_id(k)} ({int(n):,} derivative{'s' if n != 1 else ''})"
                for k, n in roots.items()}
    counts = lin.derivative_counts(snap.models, lineage)
    known = {b.key: b.label for b in lineage.bases}
    out = {k: f"{known[k]} ({counts[k]})" for k in known if k in counts}
    others = sorted((k for k in counts if k not in known), key=lambda k: (-counts[k], k))
    out.update({k: f"{lineage.display_id(k)} ({counts[k]})" for k in others})
    return out


@dataclass(frozen=True)
class Params:
    bases: tuple[str, ...]
    labels: bool = True
    y_axis: str = Y_SCORE
    score: str | None = selection.SCORE_AVERAGE  # the staircase's (selection.score_choices; None: the board has none)
    board: str = "v1"  # whose scores (for the staircase's message); from the snapshot, never from the browser

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        """The study's bases for this board that have dated derivatives to plot; on the hub
        board the ``DEFAULT_HUB_BASES`` roots with the most dated derivatives."""
        lineage = lineage_of(snap)
        score = selection.default_score(snap)
        if _hub(snap):
            keys = []
            for key in hub_roots(snap).index:
                if len(keys) == DEFAULT_HUB_BASES:
                    break
                if base_derivatives(snap, key) is not None:
                    keys.append(key)
            return cls(bases=tuple(keys), score=score, board=snap.board)
        keys = []
        for b in lineage.bases:
            if b.default_on(snap.board):
                mask = lin.derivative_mask(snap.models, lineage, b.key)
                if not _dated_scored(snap.models.loc[mask], score or selection.SCORE_AVERAGE).empty:
                    keys.append(b.key)
        return cls(bases=tuple(keys), score=score, board=snap.board)

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        values = inputs.raw_get(raw, "bases", d.bases)
        inputs.parse_choices(values, base_choices(snap), "base models", empty_message="Choose at least one base model.")
        # valid: keep the user's order (the legend's), without repeats
        bases = tuple(dict.fromkeys((values,) if isinstance(values, str) else values))
        labels = inputs.parse_bool(inputs.raw_get(raw, "labels", d.labels), "labels")
        y_axis = inputs.parse_choice(inputs.raw_get(raw, "y_axis", d.y_axis), tuple(Y_AXES), "y axis")
        # the derivatives need no score: on a board without any, the staircase says why it is blank
        score = selection.parse_score(raw.get("score"), snap, required=False)
        return cls(bases=bases, labels=labels, y_axis=y_axis, score=score, board=snap.board)


def study_params(snap, params: Params) -> Params:
    """The study's choices for ``scripts/figures.py --study-way``: the score gained over the base."""
    return dataclasses.replace(params, y_axis=Y_GAIN)


def _dated_scored(models: pd.DataFrame, score: str) -> pd.DataFrame:
    """Models with a real creation date and a ``score``."""
    frame = selection.dated(models)
    return frame.loc[frame[score].notna()] if score in frame.columns else frame.iloc[:0]


def release_day(snap, lineage: lin.Lineage, key: str, derivatives: pd.DataFrame) -> tuple[dt.date, str]:
    """A family's day 0 and where it comes from.

    The earliest of the base repositories' real creation dates on the Hub (never the
    2022-03-02 placeholder) and the documented release date of ``base_models.csv``
    (a re-upload such as huggyllama's Llama 1 is later than the release); without either,
    the first derivative's creation date (``derivatives``: every dated derivative, of any
    relation).
    """
    known = {b.key: b for b in lineage.bases}
    repos = {r.lower() for r in known[key].repo_ids} if key in known else {key}
    rows = selection.dated(snap.models.loc[lineage.frame["repo_key"].isin(repos)])
    candidates: list[tuple[dt.date, str]] = []
    if not rows.empty:
        first = rows.sort_values("created_at", kind="mergesort").iloc[0]
        candidates.append((first["created_at"].date(), f"{SOURCE_HUB}:{first['repo_id']}"))
    if key in known and known[key].release_date is not None:
        candidates.append((known[key].release_date, f"{SOURCE_RELEASE}:{known[key].source_url}"))
    if candidates:
        return min(candidates, key=lambda t: t[0])
    return derivatives["created_at"].min().date(), SOURCE_FIRST


def staircase(derivatives: pd.DataFrame, score: str = selection.SCORE_AVERAGE) -> pd.DataFrame:
    """The derivatives that beat every earlier one on ``score``, in creation order.

    Ordered by creation time; among models created at the same moment the best comes
    first, so a tie in time gives one step. A step needs a strictly higher score.
    """
    ordered = derivatives.sort_values(["created_at", score, "repo_id"], ascending=[True, False, True],
                                      kind="mergesort")
    previous = ordered[score].cummax().shift(1)
    keep = previous.isna() | (ordered[score] > previous)
    out = ordered.loc[keep].copy()
    out["previous_best"] = previous.loc[keep]
    return out


def base_score(snap, lineage: lin.Lineage, key: str, score: str = selection.SCORE_AVERAGE) -> tuple[float, str | None]:
    """The base model's own ``score`` on the board and the repository it is of: the best of
    the base's repositories, else (the base is not on the board) the best of its re-uploads
    (``TheBloke/Llama-2-70B-fp16`` for Llama 2 70B on v1); NaN and None when neither is on
    the board."""
    known = {b.key: b for b in lineage.bases}
    repos = {r.lower() for r in known[key].repo_ids} if key in known else {key}
    scored = snap.models[score].notna()
    for mask in (lineage.frame["repo_key"].isin(repos), lin.reupload_mask(lineage, key)):
        rows = snap.models.loc[mask & scored]
        if not rows.empty:
            best = rows.sort_values([score, "repo_id"], ascending=[False, True], kind="mergesort").iloc[0]
            return float(best[score]), str(best["repo_id"])
    return float("nan"), None


def base_label(lineage: lin.Lineage, key: str) -> str:
    """A base model's name in the legend: its label in ``base_models.csv``, else its id."""
    known = {b.key: b for b in lineage.bases}
    return known[key].label if key in known else lineage.display_id(key)


def descendant_mask(snap, lineage: lin.Lineage, key: str) -> pd.Series:
    """Every model deriving from a base (a CSV key or a lower-cased repo id), of any relation:
    on the hub board every model with the base on its chain; on v1 and v2 the models the
    lineage ties to it (its own repositories and its re-uploads left out)."""
    hit = lin.descends_from(lineage, key)
    return hit if _hub(snap) else hit & ~lineage.frame["is_reupload"]


def relations(snap, lineage: lin.Lineage, rows: pd.Index) -> pd.Series:
    """The relation of each model (``rows``: index labels of the board) to its base: the Hub's
    on the hub board (unknown where its tags did not say), the lineage's on v1 and v2."""
    models = snap.models
    if _hub(snap):
        return models.loc[rows, "relation"].astype(object).where(models.loc[rows, "relation"].notna(),
                                                                 RELATION_UNKNOWN)
    merge = lineage.frame.loc[rows, "is_merge"].to_numpy(dtype=bool)
    adapter = (models.loc[rows, "weight_type"].astype("string").str.lower() == "adapter").fillna(False) \
        .to_numpy(dtype=bool) if "weight_type" in models.columns else np.zeros(len(rows), dtype=bool)
    return pd.Series(np.where(merge, "merge", np.where(adapter, "adapter", "finetune")), index=rows, dtype=object)


@selection.per_board
def base_derivatives(snap, key: str) -> tuple[pd.DataFrame, frozenset] | None:
    """One base's ``derivatives`` rows (one per day and relation, days from its release, in
    ``CSV_COLUMNS``' columns that apply) and the models they count (index labels of the
    board); None when it has no dated derivative. Once per board and base; callers must not
    change the frame."""
    lineage = lineage_of(snap)
    # only the columns read here: a board's rows copy every column they keep
    ders = selection.dated(selection.rows(snap.models, descendant_mask(snap, lineage, key),
                          ("repo_id", "created_at", "created_at_placeholder", "relation", "weight_type")))
    if ders.empty:
        return None
    day0, source = release_day(snap, lineage, key, ders)
    ders = ders.loc[ders["created_at"].dt.normalize() >= pd.Timestamp(day0)]
    if ders.empty:
        return None
    day = ders["created_at"].dt.normalize()
    rel = relations(snap, lineage, ders.index)
    counts = (pd.DataFrame({"created_at": day.to_numpy(), "relation": rel.to_numpy()})
              .groupby(["created_at", "relation"]).size().rename("new_derivatives").reset_index())
    counts["_r"] = selection.level_codes(counts["relation"], RELATIONS)
    counts = counts.sort_values(["created_at", "_r"], kind="mergesort").drop(columns="_r").reset_index(drop=True)
    out = counts.assign(series="derivatives", base_key=key, base_label=base_label(lineage, key),
                        release_day=pd.Timestamp(day0), release_source=source,
                        days_since_release=(counts["created_at"] - pd.Timestamp(day0)).dt.days)
    return out, frozenset(ders.index)


@selection.per_board
def base_steps(snap, key: str, score: str) -> pd.DataFrame | None:
    """The staircase rows of one base model on ``score`` (``CSV_COLUMNS`` but ``gain``), with
    its number of dated, scored derivatives in ``derivatives``; None when it has none to plot.

    Day 0 is the family's (:func:`base_derivatives`). Computed once per board, base and score
    (``selection.per_board``), so adding a base to the selection computes only that one; callers
    must not change the frame.
    """
    found = base_derivatives(snap, key)
    if found is None or score not in snap.models.columns:
        return None
    family = found[0]
    lineage = lineage_of(snap)
    models = snap.models
    mask = lin.derivative_mask(models, lineage, key)
    ders = _dated_scored(models.loc[mask], score)
    day0 = family["release_day"].iloc[0]
    ders = ders.loc[ders["created_at"].dt.normalize() >= day0]
    if ders.empty:
        return None
    steps = staircase(ders.assign(lineage=lineage.frame.loc[ders.index, "via"]), score)
    base_avg, base_repo = base_score(snap, lineage, key, score)
    return pd.DataFrame({
        "series": "step",
        "base_key": key,
        "base_label": base_label(lineage, key),
        "release_day": day0,
        "release_source": family["release_source"].iloc[0],
        "base_average": base_avg,
        "base_repo": base_repo,
        "step": np.arange(1, len(steps) + 1),
        "repo_id": steps["repo_id"].to_numpy(),
        "type": steps["type"].to_numpy(),
        "lineage": steps["lineage"].fillna(lin.VIA_DECLARED).to_numpy(),
        "created_at": steps["created_at"].dt.normalize().to_numpy(),
        "days_since_release": (steps["created_at"].dt.normalize() - day0).dt.days.to_numpy(),
        score: steps[score].to_numpy(),
        "previous_best": steps["previous_best"].to_numpy(),
        "derivatives": len(ders),
    })


def table(snap, params: Params) -> pd.DataFrame:
    """The staircase steps, then the derivatives per day, of every chosen base model (see
    ``CSV_COLUMNS``)."""
    lineage = lineage_of(snap)
    score = params.score if params.score in snap.models.columns else None
    columns = selection.score_columns(CSV_COLUMNS, score or selection.SCORE_AVERAGE)
    families, stair_parts, no_family, no_steps, shown = [], [], [], [], set()
    for key in params.bases:
        found = base_derivatives(snap, key)
        if found is None:
            no_family.append(base_label(lineage, key))
            continue
        families.append(found[0])
        shown |= found[1]
        part = base_steps(snap, key, score) if score else None
        if part is None:
            no_steps.append(base_label(lineage, key))
        else:
            stair_parts.append(part)
    if not families:
        raise inputs.EmptySelection(f"None of the chosen base models has a dated derivative on {selection.board_name(snap.board)}.")
    skipped_base = []
    if stair_parts:
        stairs = pd.concat(stair_parts, ignore_index=True)  # a new frame: the memoized parts stay as they are
        if params.y_axis == Y_GAIN:
            no_base = stairs["base_average"].isna()
            skipped_base = list(dict.fromkeys(stairs.loc[no_base, "base_label"]))
            stairs = stairs.loc[~no_base].reset_index(drop=True)
        stairs["gain"] = stairs[score] - stairs["previous_best"]
        stairs["gain_over_base"] = stairs[score] - stairs["base_average"]
        # labels unambiguous over the whole figure: a name shared by two repositories gets its namespace
        stairs["label"] = look.unique_labels(stairs["repo_id"].tolist(), LABEL_MAX_CHARS)
        parts = [stairs] if not stairs.empty else []
    else:
        parts = []
    out = pd.concat([*parts, *families], ignore_index=True).reindex(columns=columns)
    for col in ("step", "derivatives", "new_derivatives"):
        out[col] = out[col].astype("Int64")
    out.attrs["no_derivatives"] = no_family
    out.attrs["skipped"] = no_steps if score else []
    out.attrs["skipped_no_base"] = skipped_base
    return provenance.record_shown(out, len(shown))


def steps(tbl: pd.DataFrame) -> pd.DataFrame:
    """The staircase rows of the table (``series == "step"``)."""
    return tbl.loc[tbl["series"] == "step"].reset_index(drop=True)


def derivative_rows(tbl: pd.DataFrame) -> pd.DataFrame:
    """The derivatives-per-day rows of the table (``series == "derivatives"``)."""
    return tbl.loc[tbl["series"] == "derivatives"].reset_index(drop=True)


def note(tbl: pd.DataFrame | None) -> str | None:
    """A sentence naming the chosen bases that had nothing to plot (None when all had)."""
    attrs = {} if tbl is None else tbl.attrs
    none, skipped, no_base = (attrs.get(k, []) for k in ("no_derivatives", "skipped", "skipped_no_base"))
    parts = []
    if none:
        parts.append("No dated derivative on this board for: " + ", ".join(none) + ".")
    if skipped:
        parts.append("No dated derivative with a score on this board for: " + ", ".join(skipped) + ".")
    if no_base:
        parts.append("No score of the base model itself (nor of a re-upload) on this board, so no gain "
                     "over the base, for: " + ", ".join(no_base) + ".")
    return " ".join(parts) or None


def day_breaks(max_days: float) -> int:
    """Tick spacing in days for an x axis reaching ``max_days``: 30, 60, 90 or 180."""
    for step, limit in ((30, 240), (60, 480), (90, 900)):
        if max_days <= limit:
            return step
    return 180


def place_labels(points: pd.DataFrame, x_per_in: float, y_per_in: float,
                 fontsize: float = 7.0, max_tries: int = 6,
                 bounds: tuple[float, float, float, float] | None = None,
                 obstacles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Greedy, deterministic label placement without overlaps (a small adjustText).

    ``points`` has ``x``, ``y`` and ``label``. Each label is tried just above its point,
    just below, on its right then on its left, then a line further up and down
    (staggered), up to ``max_tries`` lines away; the
    first box that overlaps no placed label, no point and no ``obstacles`` point (x, y:
    e.g. samples along the drawn lines), and stays inside ``bounds`` (x0, x1, y0, y1)
    when given, wins. A label with no free slot
    is left out rather than drawn over another. Returns the placed labels (indexed like
    ``points``) with their anchor (``lx``, ``ly`` = the box's vertical middle), alignment
    (``ha``) and whether they moved away from their point (``moved``: draw a leader line).
    """
    char_w = fontsize * 0.6 / 72 * x_per_in
    line_h = fontsize * 1.35 / 72 * y_per_in
    pad_x = 0.04 * x_per_in
    boxes: list[tuple[float, float, float, float]] = []
    pts = points[["x", "y"]].to_numpy(dtype=float)
    if obstacles is not None and len(obstacles):
        pts = np.vstack([pts, obstacles[["x", "y"]].to_numpy(dtype=float)])
    rows = []

    def free(box):
        x0, y0, x1, y1 = box
        if bounds is not None and (x0 < bounds[0] or x1 > bounds[1] or y0 < bounds[2] or y1 > bounds[3]):
            return False
        for b in boxes:
            if x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1:
                return False
        inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        return not inside.any()

    candidates = []  # (alignment, vertical offset in lines): nearest slots first
    for k in range(max_tries):
        for ha in ("left", "right"):
            candidates += [(ha, 0.15 + 1.1 * k), (ha, -1.15 - 1.1 * k)]
    for idx, x, y, text in zip(points.index, points["x"], points["y"], points["label"]):
        width = len(str(text)) * char_w
        placed = None
        for ha, off in candidates:
            ly = y + off * line_h
            lx = x + pad_x if ha == "left" else x - pad_x
            box = (lx, ly, lx + width, ly + line_h) if ha == "left" else (lx - width, ly, lx, ly + line_h)
            if free(box):
                placed = (lx, ly, ha, box)
                break
        if placed is None:
            continue
        boxes.append(placed[3])
        rows.append({"index": idx, "x": x, "y": y, "label": text, "lx": placed[0], "ly": placed[1] + line_h / 2,
                     "ha": placed[2], "moved": abs(placed[1] + line_h / 2 - y) > 1.2 * line_h})
    out = pd.DataFrame(rows, columns=["index", "x", "y", "label", "lx", "ly", "ha", "moved"])
    return out.set_index("index").rename_axis(points.index.name)


def step_path_samples(tbl: pd.DataFrame, dx: float, dy: float, y: str = "average") -> pd.DataFrame:
    """Points every ``dx`` / ``dy`` along each family's drawn staircase (label obstacles)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for _, fam in tbl.groupby("base_key", sort=False):
        x = fam["days_since_release"].to_numpy(dtype=float)
        yv = fam[y].to_numpy(dtype=float)
        for i in range(len(x) - 1):
            n = max(2, int(abs(x[i + 1] - x[i]) / dx) + 1)
            xs.append(np.linspace(x[i], x[i + 1], n))
            ys.append(np.full(n, yv[i]))
            n = max(2, int(abs(yv[i + 1] - yv[i]) / dy) + 1)
            xs.append(np.full(n, x[i + 1]))
            ys.append(np.linspace(yv[i], yv[i + 1], n))
    if not xs:
        return pd.DataFrame({"x": [], "y": []})
    return pd.DataFrame({"x": np.concatenate(xs), "y": np.concatenate(ys)})


def reference_lines(tbl: pd.DataFrame, params: Params, x_max: float) -> pd.DataFrame:
    """What the figure draws as each family's reference: the base model's own score from
    day 0 to the family's last step (``x``, ``xend``, ``y``, ``base_label``); with the gain
    axis one line at 0 across the plot (``base_label`` empty). No row for a family without
    a base score."""
    if params.y_axis == Y_GAIN:
        return pd.DataFrame({"x": [0.0], "xend": [x_max], "y": [0.0], "base_label": [""]})
    last = tbl.groupby("base_key", sort=False)["days_since_release"].max()
    bases = tbl.drop_duplicates("base_key").dropna(subset=["base_average"])
    return pd.DataFrame({"x": 0.0, "xend": bases["base_key"].map(last).astype(float).to_numpy(),
                         "y": bases["base_average"].astype(float).to_numpy(),
                         "base_label": bases["base_label"].to_numpy()})


def caption(tbl: pd.DataFrame, params: Params) -> str:
    """What the reference lines are, and which families have none."""
    if params.y_axis == Y_GAIN:
        return ("0 = the base model's own score on this board (a re-upload's where the base itself is not "
                "on it); below 0, a derivative scored less than its base.")
    text = ("Dashed lines: each base model's own score on this board (a re-upload's where the base itself is "
            "not on it); a step below its line scored less than the base.")
    missing = list(dict.fromkeys(tbl.loc[tbl["base_average"].isna(), "base_label"]))
    if missing:
        text += " No base score on this board for " + ", ".join(missing) + "."
    return text


FIG_SIZE = (11.0, 7.0)
_PANEL_IN = (9.6, 5.0)  # the plotting area inside FIG_SIZE, for label placement


@provenance.figure_rows
def step_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """What the staircase draws: the step rows."""
    return provenance.drawn(steps(tbl), "")


@provenance.figure_rows
def family_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """What the derivatives figure draws: the derivatives-per-day rows."""
    return provenance.drawn(derivative_rows(tbl), "")


# what a figure worker is sent: the rows each plot draws (provenance.figure_table)
FIGURE_ROWS = {"evolution": step_rows, "derivatives": family_rows}
STAIRCASE_TITLE = "Best derivative so far, by days since the base model's release"


def empty_staircase(params: Params) -> str:
    """Why the staircase is blank while the derivatives are not."""
    if params.score is None:
        return selection.no_scores_message(params.board)
    label = selection.score_label(params.score)
    if params.y_axis == Y_GAIN:
        return (f"No gain over the base to draw: none of the chosen base models has both a derivative with a "
                f"{label} and a {label} of its own on {selection.board_name(params.board)}; choose the score axis.")
    return f"None of the chosen base models has a dated derivative with a {label} on {selection.board_name(params.board)}."


def empty_figure(tbl: pd.DataFrame, params: Params, which: str) -> str | None:
    """Why figure ``which`` has nothing to draw for this table (None when it has): the
    staircase needs scored derivatives; the derivatives are there whenever the table is."""
    if which == "evolution" and not (tbl["series"] == "step").any():
        return empty_staircase(params)
    return None


def figure(tbl: pd.DataFrame, params: Params, which: str = "evolution") -> ggplot:
    """``evolution``: step lines per family, points at each step, each base's own score,
    optional labels (a figure saying why, :func:`empty_figure`, when it has none);
    ``derivatives``: derivatives per day since the release, by relation."""
    if which == "evolution":
        return _evolution(step_rows(tbl, params), params)
    if which == "derivatives":
        return _derivatives(family_rows(tbl, params), params)
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")


RELATION_CAPTIONS = {
    True: "Relation: the Hub's model tree (a quantized model is a copy of its base in fewer bits; unknown: the "
          "Hub's tags were cut before saying). A derivative of a derivative counts for the base at the root.",
    False: "Relation as the lineage tells it (this board has no model tree): merge for merges and the models built "
           "on them, adapter for adapter weights, finetune for the others; re-uploads of the base left out.",
}


def _derivatives(data: pd.DataFrame, params: Params) -> ggplot:
    """Stacked bars of each base's new derivatives per day since its release, one panel per base."""
    from plotnine import (aes, element_text, facet_wrap, geom_rect, ggplot, labs, scale_fill_manual,
                          scale_x_continuous, scale_y_continuous, theme)
    order = list(dict.fromkeys(data["base_label"]))
    totals = data.groupby("base_label", sort=False)["new_derivatives"].sum()
    panel = {b: f"{b} ({int(totals[b]):,} derivative{'s' if int(totals[b]) != 1 else ''})" for b in order}
    levels = selection.kept_levels(RELATIONS, data["relation"])
    data = data.assign(_x=data["base_label"].astype(str) + "|" + data["days_since_release"].astype(str),
                       new_derivatives=data["new_derivatives"].astype(float))
    bars = periods.stacked(data, "_x", "new_derivatives", "relation", levels)
    bars = bars.assign(xmin=bars["days_since_release"] - 0.45, xmax=bars["days_since_release"] + 0.45,
                       relation=pd.Categorical(bars["relation"], categories=levels),
                       base_label=pd.Categorical(bars["base_label"].map(panel), categories=[panel[b] for b in order]))
    x_max = float(max(data["days_since_release"].max(), 1))
    step = day_breaks(x_max)
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    return ggplot(bars, aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax", fill="relation")) + [
        geom_rect(),
        facet_wrap("base_label", ncol=1 if len(order) <= 3 else 2, scales="free_y"),
        scale_fill_manual(values=RELATION_COLORS, name="Relation", breaks=levels),
        # room right of the last day, so that a break there is not a label at the figure's edge
        scale_x_continuous(breaks=list(range(0, int(x_max) + step, step)), limits=(-0.5, x_max + max(0.5, step / 4))),
        scale_y_continuous(expand=(0, 0, 0.08, 0)),
        labs(x="Days since the base model's release", y="New derivatives per day",
             title="Derivatives per day since the base model's release, by relation",
             # the caption starts at the panel's left edge, right of the axis titles
             caption=look.wrap_text(RELATION_CAPTIONS[params.board == schema.HUB_BOARD], width_in=FIG_SIZE[0] - 1.6)),
        look.theme_study(),
        theme(figure_size=FIG_SIZE, axis_text_x=element_text(rotation=0, ha="center"))]


def _evolution(tbl: pd.DataFrame, params: Params) -> ggplot:
    """Step lines per family, points at each step, each base's own score, optional labels."""
    from plotnine import (aes, element_text, geom_point, geom_segment, geom_step, geom_text, ggplot,
                          labs, scale_color_manual, scale_x_continuous, scale_y_continuous, theme)
    if tbl.empty:
        return look.message_figure(empty_staircase(params), STAIRCASE_TITLE, *FIG_SIZE)
    order = list(dict.fromkeys(tbl["base_label"]))
    y = "gain_over_base" if params.y_axis == Y_GAIN else params.score
    data = tbl.assign(base_label=pd.Categorical(tbl["base_label"], categories=order))
    x_max = float(max(tbl["days_since_release"].max(), 1))
    x_hi = x_max * 1.04
    refs = reference_lines(tbl, params, x_hi)
    values = np.concatenate([tbl[y].to_numpy(dtype=float), refs["y"].to_numpy(dtype=float)])
    y_lo, y_hi = float(np.nanmin(values)), float(np.nanmax(values))
    y_pad = max((y_hi - y_lo) * 0.06, 0.5)
    step = day_breaks(x_max)
    colors = look.color_map(order)
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    fig = ggplot(data, aes("days_since_release", y, color="base_label", group="base_label")) + [
        geom_step(direction="hv", size=0.9),
        geom_point(size=2.2),
        scale_color_manual(values=colors, name="Base model",
                           guide=look.legend_guide(order, "Base model", FIG_SIZE[0])),
        scale_x_continuous(breaks=list(range(0, int(x_max) + step, step)),
                           limits=(min(0, float(tbl["days_since_release"].min())), x_hi)),
        labs(x="Days since the base model's release",
             y=selection.score_label(params.score) if params.y_axis == Y_SCORE else "Score gained over the base model",
             title=STAIRCASE_TITLE,
             caption=look.wrap_text(caption(tbl, params), width_in=FIG_SIZE[0])),
        look.theme_study(),
        theme(figure_size=FIG_SIZE, axis_text_x=element_text(rotation=0, ha="center"))]
    if params.y_axis == Y_GAIN:
        fig += geom_segment(aes(x="x", xend="xend", y="y", yend="y"), data=refs, inherit_aes=False,
                            color="#5d6066", size=0.6)
    elif not refs.empty:
        refs = refs.assign(base_label=pd.Categorical(refs["base_label"], categories=order))
        fig += geom_segment(aes(x="x", xend="xend", y="y", yend="y", color="base_label"), data=refs,
                            inherit_aes=False, linetype="dashed", size=0.6, show_legend=False)
        fig += geom_point(aes(x="x", y="y", color="base_label"), data=refs, inherit_aes=False, shape="D",
                          fill="white", size=2.6, show_legend=False)
    if params.labels:
        x_lo = min(0.0, float(tbl["days_since_release"].min()))
        x_span = x_hi - x_lo
        y_span = (y_hi - y_lo) + 2 * y_pad
        pts = pd.DataFrame({"x": tbl["days_since_release"].astype(float), "y": tbl[y].astype(float),
                            "label": tbl["label"], "base_label": tbl["base_label"]})
        # the best steps first, so the labels that matter most get the free slots
        pts = pts.iloc[np.argsort(-pts["y"].to_numpy(), kind="stable")]
        ref_pts = [pd.DataFrame({"x": np.linspace(r.x, r.xend, 150), "y": r.y}) for r in refs.itertuples()]
        ref_pts = ref_pts or [pd.DataFrame({"x": [], "y": []})]
        placed = place_labels(pts, x_span / _PANEL_IN[0], y_span / _PANEL_IN[1],
                              bounds=(x_lo - 0.03 * x_span, x_hi + 0.03 * x_span, y_lo - y_pad, y_hi + y_pad),
                              obstacles=pd.concat([step_path_samples(tbl, x_span / 150, y_span / 60, y),
                                                   *ref_pts], ignore_index=True))
        placed["base_label"] = pd.Categorical(pts.loc[placed.index, "base_label"], categories=order)
        moved = placed.loc[placed["moved"]]
        if not moved.empty:
            fig += geom_segment(aes(x="x", y="y", xend="lx", yend="ly", color="base_label"), data=moved,
                                inherit_aes=False, size=0.3, alpha=0.6, show_legend=False)
        for ha in ("left", "right"):
            part = placed.loc[placed["ha"] == ha]
            if not part.empty:
                fig += geom_text(aes(x="lx", y="ly", label="label", color="base_label"), data=part,
                                 inherit_aes=False, ha=ha, va="center", size=7, show_legend=False)
    # fixed limits, so that the label placement (in data units) matches the drawing
    fig += scale_y_continuous(limits=(y_lo - y_pad, y_hi + y_pad))
    return fig
