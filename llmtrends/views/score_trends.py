"""Total Models and Average Score: every model's score over time, and the running total per type.

Two plots from one long table with a ``series`` column:

* ``series == "model"`` -- one row per model of the selected types created in the range:
  its creation day and score (``Params.score``: the board's average, or one benchmark on a
  board whose models are scored on different benchmarks). The score plot draws these as points and fits a
  loess trend per type on the same rows, for the types with at least ``MIN_TREND_MODELS``
  models (a loess through a few dozen models swings with every one of them); the caption
  says which types have a line and which have none.
* ``series == "cumulative"`` -- one row per (period, type) for every period of the range:
  the models of that type created in the period and the running total since the range's
  start. The aggregation only applies to these rows.

Models without a real creation date (missing, or the Hub's 2022-03-02 placeholder, which
means "on or before") are left out of both series.

With the study's rules (``Params.rules``, for ``scripts/figures.py --study-way``) the trend
is what the study's ``geom_smooth()`` drew -- loess when every type has fewer than 1,000
models, else the GAM for every type (here :func:`look.penalized_spline`: plotnine has no
GAM) -- for every type with at least ``MIN_SMOOTH_MODELS`` models, and weeks start on Sunday.
"""

from __future__ import annotations
from typing import TYPE_CHECKING


import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from . import inputs, look, periods, provenance, selection

ID = "score_trends"
TITLE = "Total Models and Average Score"
DESCRIPTION = ("Each model's score (the board's average, or the benchmark chosen in the sidebar) by the day "
               "its repository was created on the Hub, with a "
               "loess trend for each type with enough models (top; the caption says which), and the "
               "running total of models per type since the start of the date range (bottom; the "
               "aggregation applies to this plot). Models without a real creation date (missing, or the "
               "Hub's 2022-03-02 placeholder) are left out.")
FIGURES = ("scores", "totals")
# A type needs at least this many models for its loess trend line: with span 0.75 each local
# fit then rests on 75 models or more; on v1 the 26 continuously pretrained models gave a
# line swinging 54 -> 65 -> 46 within three months.
MIN_TREND_MODELS = 100
LOESS_SPAN = 0.75  # plotnine's (and R's) default
# The study's rules fit every type with at least this many models (fewer: the smoothers fail).
MIN_SMOOTH_MODELS = 10
SERIES = ("model", "cumulative")
CSV_COLUMNS = {
    "series": "'model' (one row per model: the score plot) or 'cumulative' (one row per period and type: the totals plot)",
    "type": "model type (the leaderboard's label without emoji)",
    "repo_id": "model rows: the model's repository id; empty on cumulative rows",
    "created_at": "model rows: creation of the repository on the Hub (ISO date); empty on cumulative rows",
    "average": "model rows: the model's score; the column is named after the score chosen: average (the "
               "board's average over its benchmarks, the default on v1 and v2) or a benchmark's column such as "
               "ce_mmlu_pro; empty on cumulative rows",
    "period": "cumulative rows: first day of the period (ISO date; weeks start on Monday); empty on model rows",
    "new_models": "cumulative rows: models of the type created in the period",
    "total_models": "cumulative rows: models of the type created from the range's start to the period's end",
}


# date range, types (multi), aggregation, score
Params = selection.RangeTypesScoreParams


@selection.per_board
def _board_rows(board: pd.DataFrame, score: str) -> periods.Presorted:
    """Every model with a real date and a ``score``, as a model row, in the table's order
    (once per board and score)."""
    models = selection.rows(board, selection.real_days(board).notna() & board[score].notna(),
                    columns=("repo_id", "type", score, "created_at", "created_at_placeholder"))
    rows = pd.DataFrame({
        "series": "model",
        "type": models["type"].astype(str),
        "repo_id": models["repo_id"].astype(str),
        "created_at": models["created_at"].dt.normalize(),
        score: models[score].astype(float),
    }).reset_index(drop=True)
    keys = {"day": selection.real_days(models), "type": pd.Categorical(models["type"])}
    return periods.presort(rows, keys, rows["created_at"], selection.ranks_of(board, models))


def table(snap, params: Params) -> pd.DataFrame:
    """The per-model rows and the per-(period, type) running totals, stacked (see module doc)."""
    score = selection.need_score(params.score, snap.board)
    board = _board_rows(snap.models, score)
    keep = board.in_days(params.start, params.end) & board.is_in("type", params.types)
    if not keep.any():
        selection.typed_in_range(snap.models, params.start, params.end, params.types, columns=())  # raises if none
        raise inputs.EmptySelection("No model of the selected types in this date range has a score "
                               f"({selection.score_label(score)}).")
    points = board.pick(keep)
    totals = periods.period_counts(points["created_at"], points["type"], params.types,
                             params.start, params.end, params.aggregation, "type", periods.week_start(params.rules))
    totals["total_models"] = totals.groupby("type")["new_models"].cumsum()  # rows are in period order
    totals.insert(0, "series", "cumulative")
    out = pd.concat([points, totals], ignore_index=True)[selection.score_columns(CSV_COLUMNS, score)]
    out["new_models"] = out["new_models"].astype("Int64")
    out["total_models"] = out["total_models"].astype("Int64")
    return provenance.record_shown(out, len(points))


@provenance.figure_rows
def score_points(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The models the score plot draws (a sample on a large board), types as categories."""
    pts, caption = provenance.thin_points(tbl.loc[tbl["series"] == "model", ["type", "created_at", params.score]])
    return provenance.drawn(pts.assign(type=pd.Categorical(pts["type"], categories=list(params.types))), caption)


@provenance.figure_rows
def total_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The running totals the totals plot draws (the cumulative rows, not the models')."""
    return provenance.drawn(tbl.loc[tbl["series"] == "cumulative", ["type", "period", "total_models"]], "")


# what a figure worker is sent: the rows each plot draws (provenance.figure_table)
FIGURE_ROWS = {"scores": score_points, "totals": total_rows}


def trend_plan(sizes: pd.Series, params: Params) -> tuple[list[str], object, str]:
    """Which types get a trend line, with which ``geom_smooth`` method, and the caption
    saying so. ``sizes``: models per type in the plot."""
    if params.rules == inputs.RULES_STUDY:
        fitted = [t for t in params.types if sizes.get(t, 0) >= MIN_SMOOTH_MODELS]
        method = look.study_smoother(sizes.get(t, 0) for t in fitted)
        what = ("the study's GAM (a penalized cubic spline; plotnine has no GAM), a type having 1,000 models "
                "or more" if method is look.penalized_spline else "loess (span 0.75), every type having fewer "
                "than 1,000 models")
        text = f"Trend lines as the study's geom_smooth() drew them: {what}."
    else:
        fitted = [t for t in params.types if sizes.get(t, 0) >= MIN_TREND_MODELS]
        method = "loess"
        text = (f"Trend lines: loess (span {LOESS_SPAN:g}) for each type with at least {MIN_TREND_MODELS} models"
                + ("" if fitted else " (none here)") + ".")
    left = [t for t in params.types if 0 < sizes.get(t, 0) and t not in fitted]
    if left:
        text += " No line for " + ", ".join(f"{t} ({int(sizes[t]):,} models)" for t in left) + "."
    return fitted, method, text


def figure(tbl: pd.DataFrame, params: Params, which: str = "scores") -> ggplot:
    """``scores``: points per model with a trend per type; ``totals``: running totals per type."""
    from plotnine import aes, geom_line, geom_point, ggplot, labs, scale_color_manual
    # as many legend rows as the type labels need to fit the figure's width
    colors = scale_color_manual(values=look.TYPE_COLORS, name="Model type",
                                guide=look.legend_guide(params.types, "Model type",
                                                     override_aes={"alpha": 1, "size": 2}))
    xaxis = look.month_axis(params.start, params.end)
    if which == "scores":
        pts = score_points(tbl, params)
        sample = provenance.drawn_facts(pts)["caption"]
        fitted, method, about = trend_plan(pts["type"].value_counts(), params)
        smooth = pts.loc[pts["type"].isin(fitted)]
        if params.rules == inputs.RULES_STUDY:
            # the study's points (and fits) are at the start of their period (default: the day)
            smooth = smooth.assign(created_at=periods.period_start(smooth["created_at"], params.aggregation,
                                                             periods.week_start(params.rules)))
        trend = [look.smooth(data=smooth, method=method, se=False, size=1.2, span=LOESS_SPAN)] \
            if not smooth.empty else []
        caption = about + (f" {sample}{provenance.TRENDS_ON_SAMPLE}." if sample else "")
        label = selection.score_label(params.score)
        return ggplot(pts, aes("created_at", params.score, color="type")) + [
            geom_point(alpha=0.4, size=1.1, stroke=0), *trend, colors, xaxis, look.theme_study(),
            labs(x="", y=label, title=f"{label} of each model, with a trend per type",
                 caption=look.wrap_text(caption))]
    if which == "totals":
        tot = total_rows(tbl, params)
        tot = tot.assign(type=pd.Categorical(tot["type"], categories=list(params.types)),
                         total_models=tot["total_models"].astype(int))
        word = periods.aggregation_word(params.aggregation)
        return ggplot(tot, aes("period", "total_models", color="type")) + [
            geom_line(size=1.1), colors, xaxis, look.theme_study(),
            labs(x="", y=f"Total models ({word})", title="Total models per type since the start of the range")]
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
