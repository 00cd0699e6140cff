"""Periods and stacking: days, weeks and months, counts per period, stacked bars.

Also ``Presorted``: a board's rows sorted once, so that each control change takes a slice
instead of sorting again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .inputs import AGGREGATIONS, InvalidInput, RULES_STUDY


# Weeks start on Monday (ISO); the study's R code (lubridate's floor_date) started them on Sunday.
MONDAY, SUNDAY = 0, 6
_DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def week_start(rules: str) -> int:
    """The first day of a week under ``rules``: Monday (0), or Sunday (6) for the study's."""
    return SUNDAY if rules == RULES_STUDY else MONDAY


def period_start(dates: pd.Series, aggregation: str, first_weekday: int = MONDAY) -> pd.Series:
    """The first day of each date's period: the day, the week's first day (Monday unless
    ``first_weekday`` says otherwise: 0 = Monday ... 6 = Sunday), the month's 1st."""
    days = dates.dt.normalize()
    if aggregation == "day":
        return days
    if aggregation == "week":
        return days - pd.to_timedelta((days.dt.day_of_week - first_weekday) % 7, unit="D")
    if aggregation == "month":
        return days - pd.to_timedelta(days.dt.day - 1, unit="D")
    raise InvalidInput(f"aggregation: {aggregation!r} is not one of {', '.join(AGGREGATIONS)}")


def all_periods(start: dt.date, end: dt.date, aggregation: str, first_weekday: int = MONDAY) -> pd.DatetimeIndex:
    """Every period start between two dates, so empty periods show as zero."""
    first = period_start(pd.Series([pd.Timestamp(start)]), aggregation, first_weekday).iloc[0]
    freq = {"day": "D", "week": f"W-{_DAY_NAMES[first_weekday]}", "month": "MS"}[aggregation]
    return pd.date_range(first, pd.Timestamp(end), freq=freq)


def partial_periods(periods: Sequence, start: dt.date, end: dt.date, aggregation: str,
                    data_start: dt.date | None = None) -> np.ndarray:
    """True for each period (given by its first day) that the range [start, end] covers only
    in part, so that its count is not comparable with a whole period's: one that runs past
    ``end`` (a range ending on a Monday has a one-day last week; the board's last day is the
    day its data was collected), or one that begins before ``start`` when models were created
    before ``start`` (``data_start``, the board's first day: a period that begins before
    the board's first model holds all the models it can).
    """
    firsts = pd.DatetimeIndex(pd.to_datetime(pd.Series(periods)))
    lasts = firsts + _PERIOD_STEP[aggregation] - pd.Timedelta(days=1)
    runs_past_end = lasts > pd.Timestamp(end)
    cut_at_start = firsts < pd.Timestamp(start)
    if data_start is not None and start <= data_start:
        cut_at_start = np.zeros(len(firsts), dtype=bool)
    return np.asarray(runs_past_end | cut_at_start, dtype=bool)


def period_counts(dates: pd.Series, groups: pd.Series, levels: Sequence[str], start: dt.date, end: dt.date,
                  aggregation: str, group_name: str, first_weekday: int = MONDAY) -> pd.DataFrame:
    """New models per (period, group) for every period of [start, end] and every level.

    Zero-filled, so bars, areas and running totals have no gaps; rows are period-major,
    levels in the given order. Columns: ``period``, ``group_name``, ``new_models`` (int).
    """
    periods = all_periods(start, end, aggregation, first_weekday)
    names = pd.Index(list(levels))
    if not names.is_unique:
        raise ValueError(f"period_counts: levels named twice in {list(levels)}")
    # Counted with integers: each date's period is the last period start on or before it
    # (a binary search; dates before the first period or from the period after the last
    # one on are left out, as their period is not in the grid) and each group its level's
    # position; one bincount over the grid. The same frame as grouping by (period start,
    # group) and reindexing to the grid (tested), in less time on large boards.
    starts = periods.as_unit("ns").asi8
    times = dates.to_numpy(dtype="datetime64[ns]").view("i8")  # NaT: the smallest int64, before any period
    slot = np.searchsorted(starts, times, side="right") - 1
    if len(periods):
        slot[times >= (periods[-1] + _PERIOD_STEP[aggregation]).as_unit("ns").value] = -1
    codes, found = pd.factorize(groups)  # few distinct groups: look up each once, not each row
    level = np.where(codes >= 0, names.get_indexer(found)[codes], -1)
    ok = (slot >= 0) & (level >= 0)
    n = np.bincount(slot[ok] * len(names) + level[ok], minlength=len(periods) * len(names))
    return pd.DataFrame({"period": periods.repeat(len(names)),
                         group_name: names.take(np.tile(np.arange(len(names)), len(periods))),
                         "new_models": n.astype(int)})


def partial_note(models_per_period: pd.Series, aggregation: str, what: str, lead: str = "Faded") -> str:
    """The caption of a figure that draws partial periods apart (``lead``: faded, left out):
    which periods (by first day, with their number of models) and why (empty when there is
    none)."""
    if len(models_per_period) == 0:
        return ""
    fmt = "%b %Y" if aggregation == "month" else "%d %b %Y"
    parts = [f"{pd.Timestamp(day).strftime(fmt).lstrip('0')} ({int(n):,} model{'s' if int(n) != 1 else ''})"
             for day, n in models_per_period.items()]
    plural = "s" if len(parts) > 1 else ""
    unit = {"day": f"day{plural}", "week": f"week{plural} starting", "month": f"month{plural} of"}[aggregation]
    return (f"{lead}: the {unit} {' and '.join(parts)}, which the date range covers only in part: "
            f"{'their' if plural else 'its'} {what} are not comparable with a whole {aggregation}'s.")


# how far a period reaches past its start, for :func:`period_counts`
_PERIOD_STEP = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.offsets.MonthBegin(1)}


def stacked(data: pd.DataFrame, x: str, y: str, group: str, levels: Sequence[str]) -> pd.DataFrame:
    """``data`` with ``ymin``/``ymax`` stacked as plotnine's ``position_stack`` stacks them.

    Within each ``x`` the last level is at the bottom and the first on top (the legend's
    order), missing values count as 0; rows come sorted the same way (x, then level from
    last to first). Drawing the result with ``geom_rect``/``geom_ribbon`` gives the figure
    of ``geom_col``/``geom_area(position="stack")`` without plotnine stacking each x
    position in Python at every render. Values must not be negative (plotnine stacks
    negative ones apart).
    """
    values = pd.to_numeric(data[y]).fillna(0.0)
    if (values < 0).any():
        raise ValueError(f"stacked: negative values in {y!r}")
    level = pd.Categorical(data[group], categories=list(levels)).codes
    out = data.assign(_level=level, _v=values.astype(float))
    out = out.sort_values([x, "_level"], ascending=[True, False], kind="mergesort")
    top = out.groupby(x, sort=False)["_v"].cumsum()
    out["ymax"] = top
    out["ymin"] = top.groupby(out[x], sort=False).shift(1, fill_value=0.0)
    return out.drop(columns=["_level", "_v"])


def stacked_bars(data: pd.DataFrame, x: str, y: str, group: str, levels: Sequence[str],
                 aggregation: str) -> pd.DataFrame:
    """:func:`stacked` with each bar's ``xmin``/``xmax`` (its period's :func:`bar_width`,
    centred on ``x``): what ``geom_rect`` needs to draw ``geom_col``'s stacked bars."""
    bars = stacked(data, x, y, group, levels)
    half = pd.Timedelta(days=bar_width(aggregation) / 2)
    return bars.assign(xmin=bars[x] - half, xmax=bars[x] + half)


def bar_width(aggregation: str) -> float:
    """Bar width in days, so bars of adjacent periods nearly touch."""
    return {"day": 0.9, "week": 6.0, "month": 27.0}[aggregation]


@dataclass(frozen=True)
class Presorted:
    """A per-model table prepared once per board, so a control change only picks rows.

    ``rows`` holds the view's columns for every model the controls could ever select,
    already in the table's order (index 0..n-1); ``keys`` holds, row for row, what the
    controls select on: ``day`` (the creation day, NaT when the model has no real date) and
    categoricals such as ``type`` or ``size_class``. A change then costs a mask and one take
    of the columns (:meth:`pick`), not a copy of the board, string conversions and a sort
    of hundreds of thousands of rows. The order stays right because the sort is stable: the
    rows a mask keeps from a stably sorted table are those rows stably sorted.
    """

    rows: pd.DataFrame
    keys: pd.DataFrame

    def in_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """True for the rows whose creation day falls in [start, end] (no real date: False)."""
        day = self.keys["day"].to_numpy()
        return (day >= np.datetime64(start, "ns")) & (day <= np.datetime64(end, "ns"))

    def is_in(self, column: str, values: Iterable[str]) -> np.ndarray:
        """True for the rows whose ``keys[column]`` is one of ``values``."""
        return self.keys[column].isin(list(values)).to_numpy()

    def pick(self, keep: np.ndarray) -> pd.DataFrame:
        """The rows where ``keep`` is true, in order, index reset (a new frame: callers may
        add columns to it)."""
        return self.rows.take(np.flatnonzero(keep)).reset_index(drop=True)


def presort(rows: pd.DataFrame, keys: Mapping[str, object], *sort_keys: Sequence) -> Presorted:
    """``rows`` and ``keys`` (arrays or Series as long as ``rows``, in its order) ordered by
    ``sort_keys`` as :func:`sort_rows` orders them."""
    order = np.lexsort(tuple(np.asarray(k) for k in reversed(sort_keys)))
    # a Series' values by position (its index, the board's, must not realign them)
    keyframe = pd.DataFrame({k: v.array if isinstance(v, pd.Series) else v for k, v in keys.items()},
                            index=pd.RangeIndex(len(rows)))
    return Presorted(rows.take(order).reset_index(drop=True), keyframe.take(order).reset_index(drop=True))


def group_sizes(codes: np.ndarray) -> np.ndarray:
    """For each row, how many rows share its group code (small non-negative integers): a
    ``groupby(...).transform("size")`` on integer codes instead of strings."""
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(codes)[codes]


def aggregation_word(aggregation: str) -> str:
    """'week' -> 'weekly' (for titles and axis labels)."""
    return {"day": "daily", "week": "weekly", "month": "monthly"}[aggregation]
