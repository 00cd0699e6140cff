"""Models Architecture Popularity: how each architecture family gains or loses new models.

Per family and period the table holds the count of new models ``n_t`` and two changes, as
in the study: against the family's previous period (``n_t - n_{t-1}``) and against the mean
over the selected families in that period (``n_t - mean_f n_t``). The study drew these as
loess-smoothed areas; here each change is smoothed with a centred rolling mean of a few
periods (``SMOOTH_PERIODS``) -- light enough to keep release-driven bumps visible, and
simple enough to recompute by hand. The CSV keeps the raw values beside the smoothed ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot, scale_x_datetime

from .. import schema
from . import common as c

ID = "architecture_popularity"
TITLE = "Models Architecture Popularity"
# Periods in the centred rolling mean, per aggregation (about a week, a month, a quarter).
SMOOTH_PERIODS = {"day": 7, "week": 5, "month": 3}
DESCRIPTION = (
    "How the number of new models of each architecture family changes: against the family's "
    "previous period (top) and against the mean over the selected families in the same period "
    "(bottom). Areas are smoothed with a centred rolling mean (day: {day}, week: {week}, month: {month} "
    "periods); the CSV also holds the raw values. A model counts in the period its repository was "
    "created on the Hub; models carrying the Hub's 2022-03-02 placeholder date are left out."
).format(**SMOOTH_PERIODS)
FIGURES = ("vs_previous", "vs_mean")
CSV_COLUMNS = {
    "period": "first day of the period (ISO date; weeks start on Monday)",
    "family": "architecture family (LLama, Mistral, ...; Other = families with few models)",
    "new_models": "models of this family whose repository was created in the period",
    "change_vs_previous": "new_models minus the family's new_models in the previous period "
                          "(empty for the first period of the range)",
    "change_vs_previous_smooth": "change_vs_previous, centred rolling mean over SMOOTH_PERIODS periods",
    "period_mean": "mean of new_models over the selected families in the period",
    "change_vs_mean": "new_models minus period_mean",
    "change_vs_mean_smooth": "change_vs_mean, centred rolling mean over SMOOTH_PERIODS periods",
}


# Families ticked by default: the largest ones, as many as the study showed (nine, plus
# Other). Both real boards have no more; a larger board offers the rest in the control.
DEFAULT_FAMILIES = 9


@c.per_board
def family_choices(snap) -> tuple[str, ...]:
    """Every family of the board, largest first, Other last (what the control offers)."""
    return tuple(c.present_families(snap.models))


def default_families(present: Sequence[str]) -> tuple[str, ...]:
    """The ``DEFAULT_FAMILIES`` largest of the board's families (largest first), then Other."""
    named = [f for f in present if f != schema.FAMILY_OTHER][:DEFAULT_FAMILIES]
    return tuple(named + [f for f in present if f == schema.FAMILY_OTHER])


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    families: tuple[str, ...]
    aggregation: str = c.DEFAULT_AGGREGATION

    @classmethod
    @c.per_board
    def defaults(cls, snap) -> "Params":
        start, end = c.date_bounds(snap.models)
        return cls(start=start, end=end, families=default_families(family_choices(snap)))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        start, end = c.parse_board_range(c.raw_get(raw, "dates", (d.start, d.end)), (d.start, d.end))
        families = c.parse_choices(c.raw_get(raw, "families", d.families), family_choices(snap), "families",
                                   empty_message="Tick at least one architecture family.")
        agg = c.parse_aggregation(c.raw_get(raw, "aggregation", d.aggregation))
        return cls(start=start, end=end, families=families, aggregation=agg)


def table(snap, params: Params) -> pd.DataFrame:
    """Per (family, period): new models, change vs previous period and vs the period's mean."""
    models = c.in_range(snap.models, params.start, params.end, columns=("created_at", "architecture_family"))
    models = models.loc[models["architecture_family"].isin(params.families)]
    if models.empty:
        raise c.EmptySelection("No models of the selected architecture families were created in this date range.")
    if len(c.all_periods(params.start, params.end, params.aggregation)) < 2:
        raise c.EmptySelection(f"The range covers a single {params.aggregation}: widen it or pick a "
                               "finer aggregation to see changes between periods.")
    out = c.period_counts(models["created_at"], models["architecture_family"], params.families,
                          params.start, params.end, params.aggregation, "family")
    by_family = out.groupby("family", sort=False)["new_models"]
    out["change_vs_previous"] = by_family.diff()  # NaN in the first period: no previous one in range
    out["period_mean"] = out.groupby("period")["new_models"].transform("mean")
    out["change_vs_mean"] = out["new_models"] - out["period_mean"]
    window = SMOOTH_PERIODS[params.aggregation]
    for col in ("change_vs_previous", "change_vs_mean"):
        out[f"{col}_smooth"] = out.groupby("family", sort=False)[col].transform(
            lambda s: s.rolling(window, center=True, min_periods=1).mean())
    out.loc[out["change_vs_previous"].isna(), "change_vs_previous_smooth"] = float("nan")
    out = out[list(CSV_COLUMNS)]
    # every family of the board, so a family keeps its colour when others are unticked
    out.attrs["family_levels"] = c.present_families(snap.models)
    return c.shown(out, len(models))


def figure(tbl: pd.DataFrame, params: Params, which: str = "vs_previous") -> ggplot:
    """One small area chart per family (so areas do not hide each other), smoothed change.

    Small multiples are kept light: each area draws its upper edge only (so a family with no
    change still shows a line at zero) and the panels have no minor grid. With ten panels a
    figure, the minor ticks and the lower edges were about a fifth of its drawing time, for
    lines too faint to read at this size.
    """
    from plotnine import (aes, element_blank, element_text, facet_wrap, geom_area, ggplot, labs,
                          scale_color_manual, scale_fill_manual, scale_y_continuous, theme)
    if which == "vs_previous":
        col, title = "change_vs_previous_smooth", "Change in new models against the previous period"
    elif which == "vs_mean":
        col, title = "change_vs_mean_smooth", "New models against the mean over the selected families"
    else:
        raise c.InvalidInput(f"figure: unknown plot {which!r}")
    families = list(params.families)
    colors = c.color_map(tbl.attrs.get("family_levels") or families)
    data = tbl.loc[tbl[col].notna(), ["period", "family", col]].rename(columns={col: "value"})
    data = data.assign(family=pd.Categorical(data["family"], categories=families))
    ncol = min(len(families), 5 if len(families) > 4 else len(families))
    word = c.aggregation_word(params.aggregation)
    # one list: plotnine copies the whole plot on every "+", once for a list
    return ggplot(data, aes("period", "value", fill="family")) + [
        geom_area(aes(color="family"), position="identity", alpha=0.75, outline_type="upper", size=0.4),
        facet_wrap("family", ncol=max(ncol, 1)),
        scale_fill_manual(values=colors, name="Architecture family"),
        scale_color_manual(values=colors, guide=None),
        _panel_month_axis(params.start, params.end, ncol),
        scale_y_continuous(minor_breaks=[]),
        labs(x="", y=f"Change in new models ({word}, smoothed)", title=title),
        c.theme_study(),
        theme(strip_text=element_text(size=10, weight="bold"), legend_position="none",
              panel_grid_minor=element_blank(), axis_text_x=element_text(rotation=45, ha="right", size=7)),
    ]


def _panel_month_axis(start: dt.date, end: dt.date, ncol: int) -> scale_x_datetime:
    """Month labels thinned for small panels: about 14 / ncol + 1 ticks per panel; no minor breaks."""
    from plotnine import scale_x_datetime
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months <= 2:
        if ncol <= 2:
            return c.month_axis(start, end, minor=False)
        return scale_x_datetime(date_breaks="2 weeks", date_labels="%d %b", minor_breaks=[])
    per_panel = max(3, 14 // max(ncol, 1) + 1)
    step = max(1, -(-months // per_panel))
    return scale_x_datetime(date_breaks=f"{step} months", date_labels="%b %Y", minor_breaks=[])
