"""Effects of Important Models Release: new models per period by family, with release lines.

New models per period are stacked by architecture family; dashed vertical lines mark the
major base-model releases of ``llmtrends/releases.csv`` (see :mod:`llmtrends.pipeline.releases`) that
fall inside the date range and matter for the board. Labels sit above the bars at staggered
heights, computed by :func:`label_layout` so that no two labels overlap at the default size.
A first or last period the range covers only in part is drawn faded (its ``partial`` flag
in the CSV), and the caption says so. With the study's rules (``Params.rules``, for
``scripts/figures.py --study-way``) weeks start on Sunday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends.pipeline import releases as rel
from llmtrends import schema
from . import inputs, look, periods, provenance, selection

ID = "releases"
TITLE = "Effects of Important Models Release"
DESCRIPTION = (
    "New models per period stacked by architecture family; dashed lines mark the releases of "
    "major base models (date of the vendor's announcement; list and sources in llmtrends/releases.csv). "
    "A model counts in the period its repository was created on the Hub; models carrying the Hub's "
    "2022-03-02 placeholder date are left out. Faded bars: a first or last period the date range covers "
    "only in part.")
FIGURES = ("counts",)
# The study opened this tab on 2023-01-01 (the months before hold few models).
DEFAULT_START = dt.date(2023, 1, 1)
CSV_COLUMNS = {
    "period": "first day of the period (ISO date; weeks start on Monday)",
    "family": "architecture family (LLama, Mistral, ...; Other = families with few models, and on a board "
              "with more than 12 families all but the 11 largest)",
    "new_models": "models of this family whose repository was created in the period",
    "period_total": "models of all families created in the period",
    "releases": "major releases (llmtrends/releases.csv) dated in this period, '; '-separated",
    "partial": "true when the date range covers only part of the period (its bars are drawn faded)",
}
# Label placement: the panel is ~8.8 in wide and a label character ~0.075 in at size 8, so
# about 117 characters span the x axis; labels are given one character of padding each side.
_CHARS_ACROSS = 117.0
_LEVEL_STEP = 0.075  # height of one label level as a share of the bars' maximum
# At most this many families are stacked, Other included: the palette has 12 colours, and
# past them colours would repeat in the stack and its legend. A board with more (the real
# ones have 7 to 10) folds the smaller ones into Other.
MAX_FAMILIES = len(look.PAIRED)
PARTIAL_ALPHA = 0.35  # bars of a period the range covers only in part


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    aggregation: str = inputs.DEFAULT_AGGREGATION
    board: str = "v1"  # which releases to draw; from the snapshot, never from the browser
    rules: str = inputs.RULES_OURS  # the study's rules only from scripts/figures.py --study-way

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        first, last = selection.date_bounds(snap.models)
        start = DEFAULT_START if first < DEFAULT_START <= last else first
        return cls(start=start, end=last, board=snap.board)

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        start, end = inputs.parse_board_range(inputs.raw_get(raw, "dates", (d.start, d.end)), selection.date_bounds(snap.models))
        agg = inputs.parse_aggregation(inputs.raw_get(raw, "aggregation", d.aggregation))
        return cls(start=start, end=end, aggregation=agg, board=snap.board)


def table(snap, params: Params) -> pd.DataFrame:
    """New models per (period, family), the period's total, and the releases dated in it."""
    models = selection.in_range(snap.models, params.start, params.end, columns=("created_at", "architecture_family"))
    models = models.loc[models["architecture_family"].notna()]
    if models.empty:
        raise inputs.EmptySelection("No models were created in this date range.")
    families = drawn_families(snap)
    named = [f for f in families if f != schema.FAMILY_OTHER]
    family = models["architecture_family"].where(models["architecture_family"].isin(named), schema.FAMILY_OTHER)
    first_weekday = periods.week_start(params.rules)
    out = periods.period_counts(models["created_at"], family, families, params.start, params.end, params.aggregation,
                          "family", first_weekday)
    out["period_total"] = out.groupby("period")["new_models"].transform("sum").astype(int)
    lines = release_lines(params)
    names = (pd.DataFrame({"period": periods.period_start(lines["date"], params.aggregation, first_weekday),
                           "model": lines["model"]})
             .groupby("period")["model"].agg("; ".join))
    out["releases"] = [names.get(period, "") for period in out["period"]]
    out["partial"] = periods.partial_periods(out["period"], params.start, params.end, params.aggregation,
                                       selection.date_bounds(snap.models)[0])
    return provenance.record_shown(out[list(CSV_COLUMNS)], len(models))


@selection.per_board
def drawn_families(snap) -> list[str]:
    """The families stacked, largest first: all of the board's, or when it has more than
    ``MAX_FAMILIES`` the ``MAX_FAMILIES - 1`` largest named ones and Other (which then also
    holds the rest)."""
    present = selection.present_families(snap.models)
    if len(present) <= MAX_FAMILIES:
        return present
    return [f for f in present if f != schema.FAMILY_OTHER][:MAX_FAMILIES - 1] + [schema.FAMILY_OTHER]


def release_lines(params: Params) -> pd.DataFrame:
    """The board's releases inside [start, end] (``model``, ``date``, ``organization``, ...)."""
    return rel.releases_for(rel.load_releases(), params.board, params.start, params.end)


def label_layout(lines: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One label per release day: its text, x anchor, alignment and stagger level (0, 1, ...).

    Releases on the same day share a label ("Mixtral 8x7B / Mistral 7B v0.2"). A label starts
    at its line and runs right (or ends at it and runs left in the last quarter of the range,
    so it is not cut at the edge); each label takes the lowest level whose previous label it
    does not overlap, with widths estimated from the text length and the range's span.
    """
    cols = ["date", "label", "ha", "level", "left", "right"]
    if lines.empty:
        return pd.DataFrame(columns=cols)
    days = lines.groupby(lines["date"].dt.normalize(), sort=True)["model"].agg(" / ".join)
    span = max((pd.Timestamp(end) - pd.Timestamp(start)).days, 1)
    per_char = span / _CHARS_ACROSS
    right_from = pd.Timestamp(start) + pd.Timedelta(days=0.75 * span)
    rows, level_ends = [], []  # level_ends[k]: right edge (in days) of the last label on level k
    for day, label in days.items():
        width = (len(label) + 2) * per_char
        x = (day - pd.Timestamp(start)).days
        ha = "right" if day > right_from else "left"
        left, right = (x - width, x) if ha == "right" else (x, x + width)
        level = next((k for k, e in enumerate(level_ends) if e < left), len(level_ends))
        if level == len(level_ends):
            level_ends.append(right)
        else:
            level_ends[level] = right
        rows.append({"date": day, "label": label, "ha": ha, "level": level, "left": left, "right": right})
    return pd.DataFrame(rows, columns=cols)


def figure(tbl: pd.DataFrame, params: Params, which: str = "counts") -> ggplot:
    """Stacked bars of new models by family, dashed release lines, staggered labels."""
    from plotnine import (aes, geom_label, geom_rect, geom_segment, ggplot, labs, scale_fill_manual,
                          scale_y_continuous)
    if which != "counts":
        raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
    families = list(dict.fromkeys(tbl["family"]))
    data = tbl.assign(family=pd.Categorical(tbl["family"], categories=families))
    top = max(float(tbl.groupby("period")["new_models"].sum().max()), 1.0)
    layout = label_layout(release_lines(params), params.start, params.end)
    word = periods.aggregation_word(params.aggregation)
    # geom_col's stacking, done once
    bars = periods.stacked_bars(data, "period", "new_models", "family", families, params.aggregation)
    partial = bars["partial"].astype(bool)
    faded = tbl.loc[tbl["partial"].astype(bool)].groupby("period", sort=True)["period_total"].first()
    caption = periods.partial_note(faded[faded > 0], params.aggregation, "counts")  # an empty period draws nothing
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    fig = ggplot(bars.loc[~partial], aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax", fill="family")) + [
        geom_rect(),
        scale_fill_manual(values=look.color_map(families), name="Architecture family", drop=False, limits=families,
                          guide=look.legend_guide(families, "Architecture family")),
        look.month_axis(params.start, params.end),
        labs(x="", y=f"New models ({word})", title="New models by architecture family and major releases",
             caption=caption and look.wrap_text(caption)),
        look.theme_study()]
    if partial.any():
        fig += geom_rect(data=bars.loc[partial], alpha=PARTIAL_ALPHA)
    levels = int(layout["level"].max()) + 1 if not layout.empty else 0
    ymax = top * (1.06 + _LEVEL_STEP * levels)
    if not layout.empty:
        layout = layout.assign(y=top * (1.06 + _LEVEL_STEP * layout["level"] + _LEVEL_STEP / 2))
        fig += geom_segment(aes(x="date", xend="date", y=0, yend="y"), data=layout, inherit_aes=False,
                            linetype="dashed", color="#5d6066", size=0.4)
        for ha in ("left", "right"):
            part = layout.loc[layout["ha"] == ha]
            if not part.empty:
                fig += geom_label(aes(x="date", y="y", label="label"), data=part, inherit_aes=False, ha=ha,
                                  size=8, color="#33363b", fill="white", label_size=0, label_padding=0.15)
    fig += scale_y_continuous(limits=(0, ymax), expand=(0, 0, 0.02, 0))
    return fig
