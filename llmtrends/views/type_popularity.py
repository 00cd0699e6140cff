"""Model Type Popularity: new models per period stacked by type, and each type's share.

The table has one row per (period, type) for every period of the range, zero-filled. Both
plots draw bars, as the study did: a period without models draws no share bar (stacked
areas drawn across empty weeks invented triangles), and a period the range covers only in
part -- a one-day last week -- is drawn faded and said so in the caption, since a share of
a handful of models (100 % of one day's two models) is not comparable with a whole week's.
"""

from __future__ import annotations
from typing import TYPE_CHECKING


import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from . import inputs, look, periods, provenance, selection

ID = "type_popularity"
TITLE = "Model Type Popularity"
DESCRIPTION = ("New models per period stacked by type (top), and each type's share of the period's "
               "new models (bottom). A model counts in the period its repository was created on the Hub. "
               "Faded bars: a first or last period the date range covers only in part.")
FIGURES = ("counts", "shares")
CSV_COLUMNS = {
    "period": "first day of the period (ISO date; weeks start on Monday)",
    "type": "model type (the leaderboard's label without emoji)",
    "new_models": "models of this type whose repository was created in the period",
    "period_total": "models of the selected types created in the period",
    "share": "new_models / period_total (0 when the period has no models)",
    "partial": "true when the date range covers only part of the period (its bars are drawn faded)",
}
PARTIAL_ALPHA = 0.35


# date range, types (multi), aggregation
Params = selection.RangeTypesParams


def table(snap, params: Params) -> pd.DataFrame:
    """New models per (period, type), each type's share of the period, and whether the
    range covers the period only in part."""
    models = selection.typed_in_range(snap.models, params.start, params.end, params.types, columns=())
    first_weekday = periods.week_start(params.rules)
    out = periods.period_counts(models["created_at"], models["type"], params.types, params.start, params.end,
                          params.aggregation, "type", first_weekday)
    out["period_total"] = out.groupby("period")["new_models"].transform("sum")
    out["share"] = (out["new_models"] / out["period_total"].where(out["period_total"] > 0)).fillna(0.0)
    out["period_total"] = out["period_total"].astype(int)
    out["partial"] = periods.partial_periods(out["period"], params.start, params.end, params.aggregation,
                                       selection.date_bounds(snap.models)[0])
    return provenance.record_shown(out, len(models))


def figure(tbl: pd.DataFrame, params: Params, which: str = "counts") -> ggplot:
    """``counts``: stacked bars of new models; ``shares``: stacked bars of the shares.

    The stacking is done here (``periods.stacked_bars``), so that plotnine only draws
    rectangles: the same figure as ``geom_col``. Periods the range covers only in part are
    drawn faded (``PARTIAL_ALPHA``), and the caption says so.
    """
    from plotnine import aes, geom_rect, ggplot, labs, scale_fill_manual, scale_y_continuous
    data = tbl.assign(type=pd.Categorical(tbl["type"], categories=list(params.types)))
    word = periods.aggregation_word(params.aggregation)
    if which == "counts":
        y, title, ylab, yscale = "new_models", "New models by type", f"New models ({word})", []
    elif which == "shares":
        y, title, ylab = "share", "Share of new models by type", f"Share of new models ({word})"
        yscale = [scale_y_continuous(labels=lambda xs: [f"{x:.0%}" for x in xs])]
    else:
        raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
    bars = periods.stacked_bars(data, "period", y, "type", params.types, params.aggregation)
    bars = bars.loc[bars["ymax"] > bars["ymin"]]  # nothing to draw for an empty period
    partial = bars["partial"].astype(bool)
    layers = [geom_rect(aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax"), data=bars.loc[~partial])]
    if partial.any():
        layers.append(geom_rect(aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax"), data=bars.loc[partial],
                                alpha=PARTIAL_ALPHA))
    caption = partial_caption(tbl, params.aggregation)
    # each figure is one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    return ggplot(mapping=aes(fill="type")) + [
        *layers,
        scale_fill_manual(values=look.TYPE_COLORS, name="Model type",
                          guide=look.legend_guide(params.types, "Model type"), drop=False, limits=list(params.types)),
        look.month_axis(params.start, params.end), *yscale, look.theme_study(),
        labs(x="", y=ylab, title=title, caption=caption and look.wrap_text(caption))]


def partial_caption(tbl: pd.DataFrame, aggregation: str) -> str:
    """The sentence naming the periods drawn faded (empty when there is none)."""
    faded = tbl.loc[tbl["partial"].astype(bool)].groupby("period", sort=True)["period_total"].first()
    return periods.partial_note(faded[faded > 0], aggregation, "counts and shares")  # an empty period draws nothing
