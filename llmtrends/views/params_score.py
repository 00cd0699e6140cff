"""Parameters and Score: does a bigger model buy proportionally more score?

The table has one row per model (its score -- the board's average, or the benchmark chosen
(``Params.score``) --, parameters and score per billion parameters) with its size class's summary broadcast onto it (models, median and mean
score per billion, median score), so one table feeds both figures and the CSV:

* ``per_billion`` -- bars of the median and mean score per billion parameters for
  each size class: a falling bar from Small to Large is the diminishing return;
* ``scatter`` -- the score against parameters (log x) with a linear trend of score on
  log10(parameters) per model type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from . import inputs, look, periods, provenance, selection

ID = "params_score"
TITLE = "Parameters and Score"
DESCRIPTION = ("Score (the board's average, or the benchmark chosen in the sidebar) per billion parameters "
               "by size class (top: median and mean, with the number of models) and score against "
               "parameters on a log scale with a linear trend per model type (bottom). Models whose "
               "parameter count is unknown, and models "
               "without a real repository creation date (missing, or the Hub's 2022-03-02 placeholder), "
               "are left out. Leaderboard v1 gives parameters in whole billions.")
FIGURES = ("per_billion", "scatter")
MIN_PARAMS_B = 1.0  # "leave out models under 1B" keeps params_b >= 1
CSV_COLUMNS = {
    "repo_id": "model repository (namespace/name)",
    "type": "model type",
    "size_class": "Small (<= 9B), Medium (9-40B) or Large (> 40B)",
    "params_b": "parameters in billions",
    "average": "the model's score, the column named after the score chosen: average (the board's average, the "
               "default on v1 and v2) or a benchmark's column such as ce_mmlu_pro",
    "score_per_b": "the score / params_b",
    "class_models": "models of the size class in the selection",
    "class_median_score_per_b": "median of score_per_b over the size class",
    "class_mean_score_per_b": "mean of score_per_b over the size class",
    "class_median_average": "median score of the size class",
}
STATISTICS = {"median": "Median", "mean": "Mean"}


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    types: tuple[str, ...]
    exclude_small: bool = True
    score: str | None = selection.SCORE_AVERAGE  # a column of selection.score_choices (None: the board has none)

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        start, end = selection.date_bounds(snap.models)
        return cls(start=start, end=end, types=tuple(selection.present_types(snap.models)), score=selection.default_score(snap))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        start, end = inputs.parse_board_range(inputs.raw_get(raw, "dates", (d.start, d.end)), (d.start, d.end))
        types = inputs.parse_types(inputs.raw_get(raw, "types", d.types), d.types)
        exclude = inputs.parse_bool(inputs.raw_get(raw, "exclude_small", d.exclude_small), "exclude models under 1B")
        return cls(start=start, end=end, types=types, exclude_small=exclude, score=selection.parse_score(raw.get("score"), snap))


@selection.per_board
def _board_rows(board: pd.DataFrame, score: str) -> periods.Presorted:
    """Every model the view could show on ``score``, with its columns, in the table's order
    (once per board and score)."""
    models = selection.rows(board, selection.real_days(board).notna() & board[score].notna() & (board["params_b"] > 0)
                    & board["size_class"].isin(schema.SIZE_CLASSES),
                    columns=("repo_id", "type", "size_class", "params_b", score, "created_at",
                             "created_at_placeholder"))
    rows = pd.DataFrame({
        "repo_id": models["repo_id"].astype(str),
        "type": models["type"].astype(str),
        "size_class": models["size_class"].astype(str),
        "params_b": models["params_b"].astype(float),
        score: models[score].astype(float),
    }).reset_index(drop=True)
    rows["score_per_b"] = rows[score] / rows["params_b"]
    size = selection.level_codes(models["size_class"], schema.SIZE_CLASSES)
    keys = {"day": selection.real_days(models), "type": pd.Categorical(models["type"]), "size": size,
            "small": (models["params_b"] < MIN_PARAMS_B).to_numpy()}
    return periods.presort(rows, keys, size, models["params_b"], selection.ranks_of(board, models))


def table(snap, params: Params) -> pd.DataFrame:
    """One row per model with its score per billion parameters and its size class's summary."""
    score = selection.need_score(params.score, snap.board)
    board = _board_rows(snap.models, score)
    keep = board.in_days(params.start, params.end) & board.is_in("type", params.types)
    if params.exclude_small:
        keep &= ~board.keys["small"].to_numpy()
    if not keep.any():
        raise inputs.EmptySelection(selection.no_sized_message(snap, score))
    out = board.pick(keep)
    size = board.keys["size"].to_numpy()[keep]
    by_class = out.groupby(size)
    out["class_models"] = periods.group_sizes(size)
    out["class_median_score_per_b"] = by_class["score_per_b"].transform("median")
    out["class_mean_score_per_b"] = by_class["score_per_b"].transform("mean")
    out["class_median_average"] = by_class[score].transform("median")
    return provenance.record_shown(out, len(out))


def class_summary(tbl: pd.DataFrame) -> pd.DataFrame:
    """One row per (size class, statistic): the bar heights of ``per_billion``."""
    classes = tbl.drop_duplicates("size_class")
    rows = []
    for _, r in classes.iterrows():
        for stat, label in STATISTICS.items():
            rows.append({"size_class": r["size_class"], "statistic": label, "models": int(r["class_models"]),
                         "value": float(r[f"class_{stat}_score_per_b"])})
    return pd.DataFrame(rows)


def figure(tbl: pd.DataFrame, params: Params, which: str = "per_billion") -> ggplot:
    """``per_billion``: bars per size class; ``scatter``: score vs parameters with trends."""
    if which == "per_billion":
        return _per_billion(tbl, params)
    if which == "scatter":
        return _scatter(tbl, params)
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")


def _per_billion(tbl: pd.DataFrame, params: Params) -> ggplot:
    from plotnine import (aes, element_text, geom_col, geom_text, ggplot, labs, position_dodge,
                          scale_fill_manual, scale_x_discrete, scale_y_continuous, theme)
    data = class_summary(tbl)
    present = selection.kept_levels(schema.SIZE_CLASSES, data["size_class"])
    counts = data.drop_duplicates("size_class").set_index("size_class")["models"]
    axis = {s: f"{look.SIZE_LABELS[s]}\n{counts[s]:,} models" for s in present}
    data = data.assign(size_class=pd.Categorical(data["size_class"], categories=present),
                       statistic=pd.Categorical(data["statistic"], categories=list(STATISTICS.values())),
                       label=[f"{v:.2f}" for v in data["value"]])
    dodge = position_dodge(width=0.8)
    top = float(data["value"].max()) if len(data) else 1.0
    data["label_y"] = data["value"] + top * 0.015
    floor = "" if not params.exclude_small else " (models under 1B left out)"
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    return ggplot(data, aes("size_class", "value", fill="statistic")) + [
        geom_col(position=dodge, width=0.75),
        geom_text(aes(y="label_y", label="label"), position=dodge, va="bottom", size=9),
        scale_fill_manual(values=dict(zip(STATISTICS.values(), (look.PAIRED[1], look.PAIRED[0]))), name="Statistic"),
        scale_x_discrete(labels=lambda xs: [axis[x] for x in xs]),
        scale_y_continuous(expand=(0, 0, 0.08, 0)),
        labs(x="", y=f"{selection.score_label(params.score)} per billion parameters",
             title=f"Score per billion parameters by size class{floor}"),
        look.theme_study(), theme(axis_text_x=element_text(rotation=0, ha="center"))]


@provenance.figure_rows
def scatter_points(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The models the scatter plot draws (a sample on a large board), types as categories."""
    types = selection.kept_levels(params.types, tbl["type"])  # of all the models: a rare type keeps its legend entry
    data, caption = provenance.thin_points(tbl[["type", "params_b", params.score]])
    return provenance.drawn(data.assign(type=pd.Categorical(data["type"], categories=types)), caption)


def class_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per size class with its summary columns: all that ``class_summary`` reads."""
    return tbl[["size_class", "class_models", *(f"class_{s}_score_per_b" for s in STATISTICS)]].drop_duplicates(
        "size_class")


# what a figure worker is sent: the rows each plot draws (provenance.figure_table)
FIGURE_ROWS = {"per_billion": class_rows, "scatter": scatter_points}


def _scatter(tbl: pd.DataFrame, params: Params) -> ggplot:
    from plotnine import (aes, element_text, geom_point, ggplot, guide_legend, guides, labs,
                          scale_color_manual, scale_x_log10, theme)
    data = scatter_points(tbl, params)
    caption = provenance.drawn_facts(data)["caption"]
    # a trend needs a few models spread over more than one size
    fit = data.groupby("type", observed=True).filter(lambda g: len(g) >= 3 and g["params_b"].nunique() >= 2)
    trend = [look.smooth(data=fit, method=look.linear_trend, se=False, size=1.1)] if not fit.empty else []
    label = selection.score_label(params.score)
    return ggplot(data, aes("params_b", params.score, color="type")) + [
        geom_point(alpha=0.45, size=1.4),
        scale_x_log10(labels=look.number_labels),
        scale_color_manual(values=look.TYPE_COLORS, name="Model type"),
        guides(color=guide_legend(ncol=3)),
        labs(x="Parameters (billions, log scale)", y=label,
             title=f"{label} against parameters, linear trend per type",
             caption=caption and caption + provenance.TRENDS_ON_SAMPLE),
        look.theme_study(), theme(axis_text_x=element_text(rotation=0, ha="center")),
        *trend]
