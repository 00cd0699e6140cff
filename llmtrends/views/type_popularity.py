"""Model Type Popularity: new models per period stacked by type, and each type's share.

The table has one row per (period, type) for every period of the range, zero-filled, so
that the stacked bars and the share areas have no gaps.
"""

from __future__ import annotations
from typing import TYPE_CHECKING


import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from . import common as c

ID = "type_popularity"
TITLE = "Model Type Popularity"
DESCRIPTION = ("New models per period stacked by type (top), and each type's share of the period's "
               "new models (bottom). A model counts in the period its repository was created on the Hub.")
FIGURES = ("counts", "shares")
CSV_COLUMNS = {
    "period": "first day of the period (ISO date; weeks start on Monday)",
    "type": "model type (the leaderboard's label without emoji)",
    "new_models": "models of this type whose repository was created in the period",
    "period_total": "models of the selected types created in the period",
    "share": "new_models / period_total (0 when the period has no models)",
}


# date range, types (multi), aggregation
Params = c.RangeTypesParams


def table(snap, params: Params) -> pd.DataFrame:
    """New models per (period, type) and each type's share of the period."""
    models = c.typed_in_range(snap.models, params.start, params.end, params.types, columns=())
    out = c.period_counts(models["created_at"], models["type"], params.types, params.start, params.end,
                          params.aggregation, "type")
    out["period_total"] = out.groupby("period")["new_models"].transform("sum")
    out["share"] = (out["new_models"] / out["period_total"].where(out["period_total"] > 0)).fillna(0.0)
    out["period_total"] = out["period_total"].astype(int)
    return c.shown(out, len(models))


def empty_figure(tbl: pd.DataFrame, params: Params, which: str) -> str | None:
    """Why figure ``which`` has nothing to draw for this table (None when it has): the
    shares are areas between periods, so a range of one period has none."""
    if which == "shares" and tbl["period"].nunique() < 2:
        by_day = params.aggregation != "day" and params.end > params.start  # days would make two periods
        return (f"The shares need a range of at least two {params.aggregation}s: widen the range"
                + (" or aggregate by day." if by_day else "."))
    return None


def figure(tbl: pd.DataFrame, params: Params, which: str = "counts") -> ggplot:
    """``counts``: stacked bars of new models; ``shares``: stacked areas of the shares.

    The stacking is done here (``common.stacked``), so that plotnine only draws rectangles
    and ribbons: the same figure as ``geom_col`` / ``geom_area(position="stack")``.
    """
    from plotnine import aes, geom_rect, geom_ribbon, ggplot, labs, scale_fill_manual, scale_y_continuous
    data = tbl.assign(type=pd.Categorical(tbl["type"], categories=list(params.types)))
    word = c.aggregation_word(params.aggregation)
    base = [scale_fill_manual(values=c.TYPE_COLORS, name="Model type"), c.month_axis(params.start, params.end),
            c.theme_study()]
    # each figure is one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    if which == "counts":
        bars = c.stacked_bars(data, "period", "new_models", "type", params.types, params.aggregation)
        return ggplot(mapping=aes(fill="type")) + [
            *base, geom_rect(aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax"), data=bars),
            labs(x="", y=f"New models ({word})", title="New models by type")]
    if which == "shares":
        if (why := empty_figure(tbl, params, which)) is not None:
            raise c.EmptySelection(why)
        areas = c.stacked(data, "period", "share", "type", params.types)
        return ggplot(mapping=aes(fill="type")) + [
            *base, geom_ribbon(aes(x="period", ymin="ymin", ymax="ymax"), data=areas),
            scale_y_continuous(labels=lambda xs: [f"{x:.0%}" for x in xs]),
            labs(x="", y=f"Share of new models ({word})", title="Share of new models by type")]
    raise c.InvalidInput(f"figure: unknown plot {which!r}")
