"""Mixture of Experts: do MoE models score differently from dense models of their size?

The table has one row per model (MoE or dense, size class, total parameters, score -- the
board's average, or the benchmark chosen, ``Params.score``) with the number of models of its group broadcast onto it, overall and within its
size class, so one table feeds both figures and the CSV:

* ``distribution`` -- boxplots of the score of MoE and dense models, for all the
  selected sizes together and for each size class, with the number of models on each box;
* ``scatter`` -- the score against total parameters (log x), MoE models drawn over
  the dense ones.

Which models are MoE (``Params.rule``): by default those whose architecture is a mixture of
experts (``schema.MOE_ARCHITECTURES``, the pipeline's ``moe_architecture``); or the
leaderboard's own ``MoE`` flag, which on v1 (even with the source's inversion undone)
marks dense models such as 01-ai/Yi-6B as MoE. Both figures' captions say which rule is
used and for how many of the drawn models the other rule disagrees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from llmtrends.pipeline import prepare
from . import inputs, look, periods, provenance, selection

ID = "moe"
TITLE = "Mixture of Experts"
DESCRIPTION = ("Score (the board's average, or the benchmark chosen in the sidebar) of mixture-of-experts "
               "(MoE) and dense models, for all selected sizes and per size class, with the number of models "
               "on each box (top), and the score against total parameters on a log scale (bottom). MoE by "
               "architecture (Mixtral, Qwen2-MoE, DBRX, ...: "
               "the list in llmtrends/schema.py) or by the leaderboard's MoE flag, which marks some dense "
               "models MoE; the captions say which. An MoE model's size class is that of its total "
               "parameters. Models whose parameter count is unknown, and models without a real repository "
               "creation date (missing, or the Hub's 2022-03-02 placeholder), are left out.")
FIGURES = ("distribution", "scatter")
MOE, DENSE = "MoE", "Dense"
GROUPS = (MOE, DENSE)
ALL_SIZES = "All selected sizes"
# Which models count as MoE: by architecture (schema.MOE_ARCHITECTURES) or the leaderboard's flag.
RULE_ARCHITECTURE, RULE_FLAG = "architecture", "flag"
MOE_RULES = {RULE_ARCHITECTURE: "By architecture (Mixtral, Qwen2-MoE, ...)", RULE_FLAG: "The leaderboard's MoE flag"}
CSV_COLUMNS = {
    "repo_id": "model repository (namespace/name)",
    "type": "model type",
    "architecture_family": "architecture family",
    "experts": "MoE (mixture of experts) or Dense, by the chosen rule",
    "moe_flag": "the leaderboard's MoE flag (v1's inversion undone; empty when the board has none)",
    "moe_architecture": "whether the architecture is a mixture of experts (llmtrends/schema.py MOE_ARCHITECTURES; "
                        "empty when the architecture is unknown)",
    "size_class": "Small (<= 9B), Medium (9-40B) or Large (> 40B), from total parameters",
    "params_b": "total parameters in billions",
    "average": "the model's score, the column named after the score chosen: average (the board's average, the "
               "default on v1 and v2) or a benchmark's column such as ce_mmlu_pro",
    "group_models": "models of this group (MoE or Dense) in the selection",
    "group_class_models": "models of this group within the model's size class",
}
GROUP_COLORS = dict(zip(GROUPS, look.TWO_GROUP_COLORS))


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    sizes: tuple[str, ...] = schema.SIZE_CLASSES
    rule: str = RULE_ARCHITECTURE
    score: str | None = selection.SCORE_AVERAGE  # a column of selection.score_choices (None: the board has none)

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        start, end = selection.date_bounds(snap.models)
        return cls(start=start, end=end, score=selection.default_score(snap))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        start, end = inputs.parse_board_range(inputs.raw_get(raw, "dates", (d.start, d.end)), (d.start, d.end))
        sizes = inputs.parse_sizes(inputs.raw_get(raw, "sizes", d.sizes))
        rule = inputs.parse_choice(inputs.raw_get(raw, "rule", d.rule), tuple(MOE_RULES), "MoE rule")
        return cls(start=start, end=end, sizes=sizes, rule=rule, score=selection.parse_score(raw.get("score"), snap))


def moe_columns(board: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The board's MoE flag and MoE-by-architecture (computed from ``architecture`` for a
    snapshot built before the pipeline wrote ``moe_architecture``), both nullable booleans."""
    flag = board["moe"].astype("boolean") if "moe" in board.columns else pd.Series(pd.NA, index=board.index,
                                                                                   dtype="boolean")
    if "moe_architecture" in board.columns:
        arch = board["moe_architecture"].astype("boolean")
    else:
        arch = prepare.moe_by_architecture(board["architecture"])
    return flag, arch


@selection.per_board
def _board_rows(board: pd.DataFrame, rule: str, score: str) -> periods.Presorted:
    """Every model the view could show under ``rule`` on ``score``, with its columns, in the
    table's order (once per board, rule and score): models the rule cannot classify are left out."""
    flag, arch = moe_columns(board)
    experts = arch if rule == RULE_ARCHITECTURE else flag
    keep = (selection.real_days(board).notna() & board[score].notna() & experts.notna()
            & (board["params_b"] > 0) & board["size_class"].isin(schema.SIZE_CLASSES))
    models = selection.rows(board, keep, columns=(
        "repo_id", "type", "architecture_family", "size_class", "params_b", score, "created_at",
        "created_at_placeholder"))
    family = models["architecture_family"] if "architecture_family" in models.columns else pd.Series(
        pd.NA, index=models.index)
    is_moe = experts.loc[keep].astype(bool).to_numpy()
    size = selection.level_codes(models["size_class"], schema.SIZE_CLASSES)
    rows = pd.DataFrame({
        "repo_id": models["repo_id"].astype(str),
        "type": models["type"].astype("string"),
        "architecture_family": family.astype("string"),
        "experts": pd.Series(np.where(is_moe, MOE, DENSE), index=models.index, dtype="str"),
        "moe_flag": flag.loc[keep],
        "moe_architecture": arch.loc[keep],
        "size_class": models["size_class"].astype(str),
        "params_b": models["params_b"].astype(float),
        score: models[score].astype(float),
    }).reset_index(drop=True)
    group = np.where(is_moe, 0, 1)
    keys = {"day": selection.real_days(models), "size_class": pd.Categorical(models["size_class"]),
            "group": group, "group_class": group * len(schema.SIZE_CLASSES) + size}
    # MoE before dense, size classes in their order, then by size and name
    return periods.presort(rows, keys, group, size, models["params_b"], selection.ranks_of(board, models))


def table(snap, params: Params) -> pd.DataFrame:
    """One row per model: MoE or dense, size class, parameters, score and group counts."""
    score = selection.need_score(params.score, snap.board)
    board = _board_rows(snap.models, params.rule, score)
    keep = board.in_days(params.start, params.end) & board.is_in("size_class", params.sizes)
    if not keep.any():
        raise inputs.EmptySelection(selection.no_sized_message(snap, score))
    out = board.pick(keep)
    out["group_models"] = periods.group_sizes(board.keys["group"].to_numpy()[keep])
    out["group_class_models"] = periods.group_sizes(board.keys["group_class"].to_numpy()[keep])
    return provenance.record_shown(out, len(out))


def _panel_scores(tbl: pd.DataFrame, sizes: tuple[str, ...], score: str):
    """(panel, group, scores) for the ``All selected sizes`` panel and each size class."""
    # masks on the columns, not row selections of the table: a large board's table has
    # hundreds of thousands of rows, and this runs on every change
    average = tbl[score].to_numpy(dtype=float)
    of_group = {group: (tbl["experts"] == group).to_numpy(dtype=bool) for group in GROUPS}
    for panel in (ALL_SIZES, *sizes):
        in_panel = None if panel == ALL_SIZES else (tbl["size_class"] == panel).to_numpy(dtype=bool)
        for group in GROUPS:
            yield panel, group, average[of_group[group] if in_panel is None else of_group[group] & in_panel]


def counts(tbl: pd.DataFrame, sizes: tuple[str, ...], score: str = selection.SCORE_AVERAGE) -> pd.DataFrame:
    """Models per (panel, group): the ``All selected sizes`` panel and one per size class."""
    return pd.DataFrame([{"panel": panel, "experts": group, "models": int(len(y)),
                          "median_average": float(np.median(y)) if len(y) else float("nan")}
                         for panel, group, y in _panel_scores(tbl, sizes, score)])


def figure(tbl: pd.DataFrame, params: Params, which: str = "distribution") -> ggplot:
    """``distribution``: boxplots per panel; ``scatter``: score against total parameters."""
    if which == "distribution":
        return _distribution(tbl, params)
    if which == "scatter":
        return _scatter(tbl, params)
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")


def _panel_labels(sizes: tuple[str, ...]) -> list[str]:
    return [ALL_SIZES] + [look.SIZE_LABELS[s] for s in sizes]


BOX_WIDTH = 0.6


def box_stats(tbl: pd.DataFrame, sizes: tuple[str, ...], score: str = selection.SCORE_AVERAGE) -> pd.DataFrame:
    """Tukey boxplot statistics of the score per (panel, group), as the figure draws them.

    Quartiles are NumPy's linear percentiles; the whiskers reach the most extreme scores
    within 1.5 × IQR of the box; scores beyond are outliers (a list per row). Groups with
    no models are left out.
    """
    rows = []
    for panel, group, y in _panel_scores(tbl, sizes, score):
        if len(y) == 0:
            continue
        q1, med, q3 = np.percentile(y, (25, 50, 75))
        iqr = q3 - q1
        inside = y[(y >= q1 - 1.5 * iqr) & (y <= q3 + 1.5 * iqr)]
        rows.append({"panel": panel, "experts": group, "n": len(y), "q1": q1, "median": med, "q3": q3,
                     "whislo": float(inside.min()), "whishi": float(inside.max()),
                     "outliers": sorted(y[(y < q1 - 1.5 * iqr) | (y > q3 + 1.5 * iqr)].tolist())})
    return pd.DataFrame(rows, columns=["panel", "experts", "n", "q1", "median", "q3", "whislo", "whishi", "outliers"])


def _distribution(tbl: pd.DataFrame, params: Params) -> ggplot:
    # Boxes drawn from box_stats with rectangles and segments (one collection per panel)
    # rather than geom_boxplot, which draws every box apart (most of the figure's time).
    from plotnine import (aes, element_text, facet_wrap, geom_point, geom_rect, geom_segment, geom_text,
                          ggplot, labs, scale_fill_manual, scale_x_continuous, scale_y_continuous, theme)
    sizes = params.sizes
    panels = _panel_labels(sizes)
    name = {ALL_SIZES: ALL_SIZES} | {s: look.SIZE_LABELS[s] for s in sizes}
    x_of = {g: i + 1 for i, g in enumerate(GROUPS)}
    stats = distribution_rows(tbl, params)
    facts = provenance.drawn_facts(stats)
    stats = stats.assign(panel=pd.Categorical(stats["panel"].map(name), categories=panels),
                         experts=pd.Categorical(stats["experts"], categories=list(GROUPS)),
                         x=stats["experts"].map(x_of).astype(float))
    stats = stats.assign(xmin=stats["x"] - BOX_WIDTH / 2, xmax=stats["x"] + BOX_WIDTH / 2)
    outliers = stats[["panel", "experts", "x", "outliers"]].explode("outliers").dropna(subset=["outliers"])
    outliers = outliers.assign(score=outliers["outliers"].astype(float))
    top = facts["top"]
    n = pd.DataFrame(facts["counts"])
    n = n.assign(panel=pd.Categorical(n["panel"].map(name), categories=panels),
                 x=n["experts"].map(x_of).astype(float), label=[f"n={m:,}" for m in n["models"]], y=top * 1.06)
    line = "#333333"
    points = ([geom_point(aes("x", "score"), data=outliers, size=0.8, alpha=0.4, color=line)]
              if not outliers.empty else [])
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    return ggplot(stats) + [
        geom_segment(aes(x="x", xend="x", y="whislo", yend="q1"), color=line, size=0.5),
        geom_segment(aes(x="x", xend="x", y="q3", yend="whishi"), color=line, size=0.5),
        geom_rect(aes(xmin="xmin", xmax="xmax", ymin="q1", ymax="q3", fill="experts"), color=line, size=0.5),
        geom_segment(aes(x="xmin", xend="xmax", y="median", yend="median"), color=line, size=1.0),
        *points,
        geom_text(aes("x", "y", label="label"), data=n, size=9),
        facet_wrap("panel", nrow=1),
        scale_x_continuous(breaks=[float(x_of[g]) for g in GROUPS], labels=list(GROUPS), limits=(0.4, 2.6),
                           expand=(0, 0)),  # what the discrete scale gave the boxes
        scale_fill_manual(values=GROUP_COLORS, name="", drop=False),
        scale_y_continuous(expand=(0.02, 0, 0.05, 0)),
        labs(x="", y=selection.score_label(params.score), title=f"{selection.score_label(params.score)} of MoE and dense models",
             caption=look.wrap_text(facts["caption"])),
        look.theme_study(legend="none"), theme(axis_text_x=element_text(rotation=0, ha="center"))]


def rule_caption(tbl: pd.DataFrame, params: Params) -> str:
    """Which rule decides MoE, and for how many of the models shown the other one disagrees."""
    flag = tbl["moe_flag"].astype("boolean")
    arch = tbl["moe_architecture"].astype("boolean")
    known = (flag.notna() & arch.notna()).to_numpy(dtype=bool)
    flag_only = int((known & flag.fillna(False).to_numpy(dtype=bool) & ~arch.fillna(False).to_numpy(dtype=bool)).sum())
    arch_only = int((known & ~flag.fillna(False).to_numpy(dtype=bool) & arch.fillna(False).to_numpy(dtype=bool)).sum())
    if params.rule == RULE_ARCHITECTURE:
        text = ("MoE = a mixture-of-experts architecture (Mixtral, Qwen2-MoE, DBRX, ...; the list in "
                "llmtrends/schema.py). The leaderboard's MoE flag disagrees for ")
    else:
        text = "MoE = the leaderboard's MoE flag. The architecture disagrees for "
    return text + (f"{flag_only + arch_only:,} of these {len(tbl):,} models ({flag_only:,} flagged MoE with a dense "
                   f"architecture, {arch_only:,} MoE architectures not flagged).")


@provenance.figure_rows
def scatter_points(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The dense then the MoE models the scatter plot draws (a sample of each on a board with
    more than ``MAX_POINTS`` of them), and the count of all of each (the legend's)."""
    part = tbl[["experts", "params_b", params.score]]
    dense, moe = part.loc[part["experts"] == DENSE], part.loc[part["experts"] == MOE]
    counts = {MOE: len(moe), DENSE: len(dense)}
    # at most MAX_POINTS models in all, as in every scatter plot: the MoE models (the rarer
    # ones, drawn on top) keep up to half of them, or more when there are few dense models
    moe_max = min(len(moe), max(provenance.MAX_POINTS - len(dense), provenance.MAX_POINTS // 2))
    dense, dense_caption = provenance.thin_points(dense, "dense models", provenance.MAX_POINTS - moe_max)  # the legend keeps the full counts
    moe, moe_caption = provenance.thin_points(moe, "MoE models", moe_max)
    caption = "; ".join(t for t in (moe_caption, dense_caption) if t)
    caption = rule_caption(tbl, params) + (f" {caption}." if caption else "")
    data = pd.concat([dense, moe])
    return provenance.drawn(data.assign(experts=pd.Categorical(data["experts"], categories=list(GROUPS))), caption,
                   counts=counts)


@provenance.figure_rows
def distribution_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """What the boxplots draw: :func:`box_stats`, with the counts on the boxes and the top
    score (where the counts go) of all the models."""
    return provenance.drawn(box_stats(tbl, params.sizes, params.score), rule_caption(tbl, params),
                   counts=counts(tbl, params.sizes, params.score).to_dict("records"), top=float(tbl[params.score].max()))


# what a figure worker is sent: the rows each plot draws (provenance.figure_table)
FIGURE_ROWS = {"distribution": distribution_rows, "scatter": scatter_points}


def _scatter(tbl: pd.DataFrame, params: Params) -> ggplot:
    from plotnine import aes, element_text, geom_point, ggplot, labs, scale_color_manual, scale_x_log10, theme
    data = scatter_points(tbl, params)
    facts = provenance.drawn_facts(data)
    caption, n = facts["caption"], facts["counts"]
    dense, moe = data.loc[data["experts"] == DENSE], data.loc[data["experts"] == MOE]
    legend = {MOE: f"MoE ({n[MOE]:,})", DENSE: f"Dense ({n[DENSE]:,})"}
    return ggplot(data, aes("params_b", params.score, color="experts")) + [
        geom_point(data=dense, alpha=0.35, size=1.3),
        geom_point(data=moe, alpha=0.85, size=1.8),
        scale_x_log10(labels=look.number_labels),
        scale_color_manual(values=GROUP_COLORS, name="Models", labels=lambda ks: [legend[k] for k in ks],
                           drop=False),
        labs(x="Total parameters (billions, log scale)", y=selection.score_label(params.score),
             title=f"{selection.score_label(params.score)} against total parameters", caption=look.wrap_text(caption)),
        look.theme_study(), theme(axis_text_x=element_text(rotation=0, ha="center"))]
