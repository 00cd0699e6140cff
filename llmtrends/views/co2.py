"""CO₂ Cost: what the leaderboard's evaluation emitted, and how much score each kg bought.

Only leaderboard v2 reports a CO₂ cost (``co2_kg``: the estimated emissions of evaluating
the model); on v1 and the hub board (the Hub reports no emissions of evaluations) the table
raises :class:`~llmtrends.views.inputs.EmptySelection` with a sentence that names the board and says so. The table has one row per model with its provider group (official provider or
community, see :mod:`llmtrends.pipeline.providers`) and its score per kg CO₂, with the median of its
(type, size class) cell broadcast onto it:

* ``cost`` -- the score (``Params.score``: v2's average, or one of its benchmarks) against
  CO₂ cost, official providers vs community, each with a linear trend (log x when the log
  scale is on);
* ``efficiency`` -- median score per kg CO₂ for each model type and size class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from llmtrends.pipeline import providers
from . import inputs, look, periods, provenance, selection

ID = "co2"
TITLE = "CO₂ Cost"
DESCRIPTION = ("Score (the board's average, or the benchmark chosen in the sidebar) against the CO₂ cost of "
               "evaluating each model, for official providers and the community, with a linear trend for each "
               "(top), and the median score per kg CO₂ by "
               "model type and size class (bottom). Only leaderboard v2 reports CO₂ costs. A model is from an "
               "official provider when the leaderboard flags it so (where the flag is missing: when its "
               "namespace is on the curated list of official providers). Models whose size is unknown are "
               "left out of the bottom plot.")
FIGURES = ("cost", "efficiency")
CSV_COLUMNS = {
    "repo_id": "model repository (namespace/name)",
    "type": "model type",
    "size_class": "Small (<= 9B), Medium (9-40B), Large (> 40B); empty when parameters are unknown",
    "provider": "Official provider or Community",
    "official_source": "board (the leaderboard's flag) or provider list (llmtrends/official_providers.csv)",
    "co2_kg": "CO2 cost of the evaluation in kg (the leaderboard's estimate)",
    "average": "the model's score, the column named after the score chosen: average (the leaderboard's average, "
               "the default) or a benchmark's column such as ifeval",
    "score_per_kg": "the score / co2_kg",
    "cell_models": "models of the same type and size class",
    "cell_median_score_per_kg": "median score_per_kg of the same type and size class",
}
NO_SIZE = "None of the selected models has a known size class."


def no_co2_message(board: str) -> str:
    """Why the view has nothing to show on a board without CO₂ costs (naming the board)."""
    return f"{selection.board_subject(board)} has no CO₂ data: CO₂ costs are reported on Leaderboard v2 only."


@dataclass(frozen=True)
class Params:
    types: tuple[str, ...]
    log_scale: bool = True
    score: str | None = selection.SCORE_AVERAGE  # a column of selection.score_choices (None: the board has none)

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        return cls(types=tuple(selection.present_types(snap.models)), score=selection.default_score(snap))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        types = inputs.parse_types(inputs.raw_get(raw, "types", d.types), d.types)
        log_scale = inputs.parse_bool(inputs.raw_get(raw, "log_scale", d.log_scale), "log scale")
        if not has_co2(snap.models):  # said before anything about scores: there is nothing to score
            raise inputs.EmptySelection(no_co2_message(snap.board))
        return cls(types=types, log_scale=log_scale, score=selection.parse_score(raw.get("score"), snap))


def has_co2(models: pd.DataFrame) -> bool:
    """True when the board reports a CO₂ cost for at least one model."""
    return "co2_kg" in models.columns and bool(models["co2_kg"].notna().any())


@selection.per_board
def _board_rows(board: pd.DataFrame, score: str) -> periods.Presorted:
    """Every model with a CO₂ cost and a ``score``, with its columns, in the table's order
    (once per board and score)."""
    models = selection.rows(board, board[score].notna() & (board["co2_kg"] > 0),
                    ("type", score, "co2_kg", "size_class", *providers.OFFICIAL_COLUMNS))
    who = providers.resolve_official(models)
    size = models["size_class"] if "size_class" in models.columns else pd.Series(None, index=models.index)
    rows = pd.DataFrame({
        "repo_id": models["repo_id"].astype(str),
        "type": models["type"].astype(str),
        "size_class": size.astype("string"),
        "provider": providers.provider_group(who["official"]),
        "official_source": who["official_source"],
        "co2_kg": models["co2_kg"].astype(float),
        score: models[score].astype(float),
    }).reset_index(drop=True)
    rows["score_per_kg"] = rows[score] / rows["co2_kg"]
    # a code per (type, size class) cell, a missing size class being a cell of its own
    type_code = pd.factorize(models["type"])[0]
    size_code = pd.factorize(size, use_na_sentinel=False)[0]
    keys = {"type": pd.Categorical(models["type"]), "cell": type_code * (int(size_code.max(initial=0)) + 1) + size_code}
    return periods.presort(rows, keys, models["co2_kg"], selection.ranks_of(board, models))


def table(snap, params: Params) -> pd.DataFrame:
    """One row per model with a CO₂ cost: provider group, cost, score and score per kg."""
    if not has_co2(snap.models):
        raise inputs.EmptySelection(no_co2_message(snap.board))
    board = _board_rows(snap.models, selection.need_score(params.score, snap.board))
    keep = board.is_in("type", params.types)
    if not keep.any():
        raise inputs.EmptySelection("No models of the selected types have a CO₂ cost.")
    out = board.pick(keep)
    cellcode = board.keys["cell"].to_numpy()[keep]
    out["cell_models"] = periods.group_sizes(cellcode)
    out["cell_median_score_per_kg"] = out.groupby(cellcode)["score_per_kg"].transform("median")
    return provenance.record_shown(out, len(out))


def efficiency(tbl: pd.DataFrame) -> pd.DataFrame:
    """One row per (type, size class) with a known size: models and median score per kg."""
    known = tbl.loc[tbl["size_class"].notna()]
    return (known.drop_duplicates(["type", "size_class"])
            [["type", "size_class", "cell_models", "cell_median_score_per_kg"]]
            .rename(columns={"cell_models": "models", "cell_median_score_per_kg": "median_score_per_kg"})
            .reset_index(drop=True))


def figure(tbl: pd.DataFrame, params: Params, which: str = "cost") -> ggplot:
    """``cost``: score vs CO₂ with trends per provider group; ``efficiency``: score per kg."""
    if which == "cost":
        return _cost(tbl, params)
    if which == "efficiency":
        return _efficiency(tbl, params)
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")


@provenance.figure_rows
def cost_points(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The models the cost plot draws (a sample on a large board) and each provider group's
    count of all of them (the legend's)."""
    groups = list(providers.PROVIDER_GROUPS)
    n = tbl["provider"].value_counts()
    data, caption = provenance.thin_points(tbl[["provider", "co2_kg", params.score]])
    data = data.assign(provider=pd.Categorical(data["provider"], categories=groups))
    return provenance.drawn(data, caption, counts={g: int(n.get(g, 0)) for g in groups})


def cell_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per (type, size class) cell with its summary columns: all that ``efficiency`` reads."""
    return tbl[["type", "size_class", "cell_models", "cell_median_score_per_kg"]].drop_duplicates(
        ["type", "size_class"])


# what a figure worker is sent: the rows each plot draws (provenance.figure_table)
FIGURE_ROWS = {"cost": cost_points, "efficiency": cell_rows}


def _cost(tbl: pd.DataFrame, params: Params) -> ggplot:
    """The score against CO₂ cost, coloured by provider group, with a linear trend each."""
    from plotnine import (aes, element_text, geom_point, ggplot, labs, scale_color_manual,
                          scale_x_continuous, scale_x_log10, theme)
    data = cost_points(tbl, params)
    facts = provenance.drawn_facts(data)
    caption = facts["caption"]
    legend = {g: f"{g} ({n:,})" for g, n in facts["counts"].items()}
    fit = data.groupby("provider", observed=True).filter(lambda g: len(g) >= 3 and g["co2_kg"].nunique() >= 2)
    x = (scale_x_log10(labels=look.number_labels) if params.log_scale else scale_x_continuous())
    word = " (log scale)" if params.log_scale else ""
    trend = [look.smooth(data=fit, method=look.linear_trend, se=False, size=1.2)] if not fit.empty else []
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    label = selection.score_label(params.score)
    return ggplot(data, aes("co2_kg", params.score, color="provider")) + [
        geom_point(alpha=0.4, size=1.4),
        x,
        scale_color_manual(values=look.PROVIDER_COLORS, name="Provider (models)",
                           labels=lambda ks: [legend[k] for k in ks], drop=False),
        labs(x=f"CO₂ cost of the evaluation (kg){word}", y=label,
             title=f"{label} against CO₂ cost, linear trend per provider group",
             caption=caption and caption + provenance.TRENDS_ON_SAMPLE),
        look.theme_study(), theme(axis_text_x=element_text(rotation=0, ha="center")),
        *trend]


def _efficiency(tbl: pd.DataFrame, params: Params) -> ggplot:
    """Median score per kg as dots per type, one colour per size class."""
    from plotnine import (aes, coord_flip, element_text, geom_point, ggplot, guide_legend, guides, labs,
                          position_dodge, scale_color_manual, scale_x_discrete, scale_y_continuous,
                          scale_y_log10, theme)
    data = efficiency(tbl)
    if data.empty:
        # the cost plot above still has models to show, so the table is not empty: say why
        # this plot is blank in the figure itself (on the page and in its downloads)
        return look.message_figure(NO_SIZE, "Score per kg CO₂ by model type and size class")
    types = selection.kept_levels(params.types, data["type"])
    sizes = selection.kept_levels(schema.SIZE_CLASSES, data["size_class"])
    # coord_flip draws the first level at the bottom: reverse so the legend order reads top-down
    data = data.assign(type=pd.Categorical(data["type"], categories=types[::-1]),
                       size_class=pd.Categorical(data["size_class"], categories=sizes[::-1]))
    y = (scale_y_log10(labels=look.number_labels) if params.log_scale else scale_y_continuous())
    word = " (log scale)" if params.log_scale else ""
    # a dot plot, not bars: on a log axis a bar has no natural base
    return ggplot(data, aes("type", "median_score_per_kg", color="size_class")) + [
        geom_point(position=position_dodge(width=0.6), size=3.2),
        coord_flip(),
        y,
        scale_x_discrete(),
        scale_color_manual(values=look.SIZE_COLORS, labels=lambda ks: [look.SIZE_LABELS[k] for k in ks],
                           name="Size class"),
        guides(color=guide_legend(reverse=True)),
        labs(x="", y=f"Median {selection.score_label(params.score, lower=True)} per kg CO₂{word}",
             title="Score per kg CO₂ by model type and size class"),
        look.theme_study(), theme(axis_text_x=element_text(rotation=0, ha="center"))]
