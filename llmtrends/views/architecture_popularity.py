"""Models Architecture Popularity: how each architecture family gains or loses new models.

Per family and period the table holds the count of new models ``n_t`` and two changes, as
in the study: against the family's previous period (``n_t - n_{t-1}``) and against the mean
over the selected families in that period (``n_t - mean_f n_t``). The study drew these as
loess-smoothed areas; here each change is smoothed with a centred rolling mean of a few
periods (``SMOOTH_PERIODS``) -- light enough to keep release-driven bumps visible, and
simple enough to recompute by hand. The CSV keeps the raw values beside the smoothed ones.

A first or last period the range covers only in part (a range ending on a Monday has a
one-day last week) is counted but left out of both changes and of the smoothing: its
count is not comparable with a whole period's, and a one-day week's drop would otherwise
set the y scale every panel shares. With the study's rules (``Params.rules``, for
``scripts/figures.py --study-way``) the weeks start on Sunday, the first period's change is
its count (R's ``lag(default = 0)``), partial periods count like any other and the smoothing
is the study's loess (span 0.75, degree 2) over each family's periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot, scale_x_datetime

from llmtrends import schema
from . import inputs, look, periods, provenance, selection

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
    "partial": "true when the date range covers only part of the period: left out of the changes and the smoothing",
    "change_vs_previous": "new_models minus the family's new_models in the previous period "
                          "(empty for the first period of the range, and where either period is partial)",
    "change_vs_previous_smooth": "change_vs_previous, centred rolling mean over SMOOTH_PERIODS periods",
    "period_mean": "mean of new_models over the selected families in the period",
    "change_vs_mean": "new_models minus period_mean (empty for a partial period)",
    "change_vs_mean_smooth": "change_vs_mean, centred rolling mean over SMOOTH_PERIODS periods",
}


# Families ticked by default: the largest ones, as many as the study showed (nine, plus
# Other). Both real boards have no more; a larger board offers the rest in the control.
DEFAULT_FAMILIES = 9


@selection.per_board
def family_choices(snap) -> tuple[str, ...]:
    """Every family of the board, largest first, Other last (what the control offers)."""
    return tuple(selection.present_families(snap.models))


def default_families(present: Sequence[str]) -> tuple[str, ...]:
    """The ``DEFAULT_FAMILIES`` largest of the board's families (largest first), then Other."""
    named = [f for f in present if f != schema.FAMILY_OTHER][:DEFAULT_FAMILIES]
    return tuple(named + [f for f in present if f == schema.FAMILY_OTHER])


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    families: tuple[str, ...]
    aggregation: str = inputs.DEFAULT_AGGREGATION
    rules: str = inputs.RULES_OURS  # the study's rules only from scripts/figures.py --study-way

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        start, end = selection.date_bounds(snap.models)
        return cls(start=start, end=end, families=default_families(family_choices(snap)))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        start, end = inputs.parse_board_range(inputs.raw_get(raw, "dates", (d.start, d.end)), (d.start, d.end))
        families = inputs.parse_choices(inputs.raw_get(raw, "families", d.families), family_choices(snap), "families",
                                   empty_message="Tick at least one architecture family.")
        agg = inputs.parse_aggregation(inputs.raw_get(raw, "aggregation", d.aggregation))
        return cls(start=start, end=end, families=families, aggregation=agg)


def table(snap, params: Params) -> pd.DataFrame:
    """Per (family, period): new models, change vs previous period and vs the period's mean."""
    models = selection.in_range(snap.models, params.start, params.end, columns=("created_at", "architecture_family"))
    models = models.loc[models["architecture_family"].isin(params.families)]
    if models.empty:
        raise inputs.EmptySelection("No models of the selected architecture families were created in this date range.")
    study = params.rules == inputs.RULES_STUDY
    first_weekday = periods.week_start(params.rules)
    if len(periods.all_periods(params.start, params.end, params.aggregation, first_weekday)) < 2:
        raise inputs.EmptySelection(f"The range covers a single {params.aggregation}: widen it or pick a "
                               "finer aggregation to see changes between periods.")
    out = periods.period_counts(models["created_at"], models["architecture_family"], params.families,
                          params.start, params.end, params.aggregation, "family", first_weekday)
    if study:
        out["partial"] = False
    else:
        out["partial"] = periods.partial_periods(out["period"], params.start, params.end, params.aggregation,
                                           selection.date_bounds(snap.models)[0])
    # a partial period's count takes part in no comparison (it is still in the CSV)
    whole = out["new_models"].where(~out["partial"])
    by_family = whole.groupby(out["family"], sort=False)
    # the first period has no previous one in the range: empty here, the count itself in the study's code
    out["change_vs_previous"] = by_family.diff() if not study else \
        out["new_models"] - out.groupby("family", sort=False)["new_models"].shift(1, fill_value=0)
    out["period_mean"] = out.groupby("period")["new_models"].transform("mean")
    out["change_vs_mean"] = whole - out["period_mean"]
    for col in ("change_vs_previous", "change_vs_mean"):
        out[f"{col}_smooth"] = smoothed(out, col, params)
        out.loc[out[col].isna(), f"{col}_smooth"] = float("nan")
    out = out[list(CSV_COLUMNS)]
    # every family of the board, so a family keeps its colour when others are unticked
    out.attrs["family_levels"] = selection.present_families(snap.models)
    return provenance.record_shown(out, len(models))


def smoothed(out: pd.DataFrame, col: str, params: Params) -> pd.Series:
    """Each family's ``col`` smoothed over its periods: a centred rolling mean of
    ``SMOOTH_PERIODS`` periods (fewer at the edges; empty values skipped), or with the study's
    rules its loess."""
    if params.rules == inputs.RULES_STUDY:
        return out.groupby("family", sort=False)[col].transform(lambda s: study_loess(out.loc[s.index, "period"], s))
    window = SMOOTH_PERIODS[params.aggregation]
    return out.groupby("family", sort=False)[col].transform(
        lambda s: s.rolling(window, center=True, min_periods=1).mean())


def study_loess(periods: pd.Series, values: pd.Series) -> pd.Series:
    """The study's smoother of one family's changes: R's ``loess`` defaults (span 0.75,
    degree 2, gaussian), which ``stat_smooth(method = "loess")`` fits, evaluated at each
    period (scikit-misc wraps the same Fortran code as R). Missing values are left out of the fit."""
    from skmisc.loess import loess

    x = (pd.to_datetime(periods) - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    y = values.to_numpy(dtype=float)
    ok = ~np.isnan(y)
    out = np.full(len(y), np.nan)
    if ok.sum() < 5:  # loess needs a few points per local fit; fewer: the raw values
        out[ok] = y[ok]
        return pd.Series(out, index=values.index)
    fit = loess(x[ok], y[ok], span=0.75, degree=2)
    fit.fit()
    out[ok] = fit.predict(x[ok], stderror=False).values
    return pd.Series(out, index=values.index)


def empty_figure(tbl: pd.DataFrame, params: Params, which: str) -> str | None:
    """Why figure ``which`` has nothing to draw for this table (None when it has): partial
    periods take part in no change, so a short range (the hub board's days of new models, a
    range of two partial weeks) can leave one plot or both without a value."""
    col = {"vs_previous": "change_vs_previous", "vs_mean": "change_vs_mean"}.get(which)
    if col is None or tbl[col].notna().any():
        return None
    agg = params.aggregation
    if which == "vs_previous":
        return (f"No whole {agg} of this range follows another whole {agg} (a {agg} the range covers only in "
                f"part is left out): widen the range or pick a finer aggregation.")
    return (f"The range holds no whole {agg} (a {agg} it covers only in part is left out): widen it or pick a "
            "finer aggregation.")


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
        raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
    if (why := empty_figure(tbl, params, which)) is not None:
        return look.message_figure(why, title)
    families = list(params.families)
    colors = look.color_map(tbl.attrs.get("family_levels") or families)
    data = tbl.loc[tbl[col].notna(), ["period", "family", col]].rename(columns={col: "value"})
    data = data.assign(family=pd.Categorical(data["family"], categories=families))
    ncol = min(len(families), 5 if len(families) > 4 else len(families))
    word = periods.aggregation_word(params.aggregation)
    # one list: plotnine copies the whole plot on every "+", once for a list
    return ggplot(data, aes("period", "value", fill="family")) + [
        labs(caption=look.wrap_text(caption(tbl, params))),
        geom_area(aes(color="family"), position="identity", alpha=0.75, outline_type="upper", size=0.4),
        facet_wrap("family", ncol=max(ncol, 1)),
        scale_fill_manual(values=colors, name="Architecture family"),
        scale_color_manual(values=colors, guide=None),
        _panel_month_axis(params.start, params.end, ncol),
        scale_y_continuous(minor_breaks=[]),
        labs(x="", y=f"Change in new models ({word}, smoothed)", title=title),
        look.theme_study(),
        theme(strip_text=element_text(size=10, weight="bold"), legend_position="none",
              panel_grid_minor=element_blank(), axis_text_x=element_text(rotation=45, ha="right", size=7)),
    ]


def caption(tbl: pd.DataFrame, params: Params) -> str:
    """What was smoothed how, and which partial periods were left out."""
    if params.rules == inputs.RULES_STUDY:
        text = "Smoothed with the study's loess (span 0.75, degree 2) over each family's periods."
    else:
        n = SMOOTH_PERIODS[params.aggregation]
        text = f"Smoothed with a centred rolling mean of {n} {params.aggregation}s (fewer at the range's edges)."
    partial = tbl.loc[tbl["partial"].astype(bool)].groupby("period", sort=True)["new_models"].sum()
    note = periods.partial_note(partial, params.aggregation, "counts", lead="Left out")
    return f"{text} {note}".strip()


def _panel_month_axis(start: dt.date, end: dt.date, ncol: int) -> scale_x_datetime:
    """Month labels thinned for small panels: about 14 / ncol + 1 ticks per panel; no minor breaks."""
    from plotnine import scale_x_datetime
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months <= 2:
        if ncol <= 2:
            return look.month_axis(start, end, minor=False)
        return scale_x_datetime(date_breaks="2 weeks", date_labels="%d %b", minor_breaks=[])
    per_panel = max(3, 14 // max(ncol, 1) + 1)
    step = max(1, -(-months // per_panel))
    return scale_x_datetime(date_breaks=f"{step} months", date_labels="%b %Y", minor_breaks=[])
