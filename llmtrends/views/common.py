"""What every view shares: input validation, periods, the study's look, provenance.

A view is a module in this package with:

* ``ID`` (the Shiny module id and the figure-file stem) and ``TITLE`` (the study's tab title);
* ``Params`` -- a frozen dataclass of the view's parameters with ``defaults(snap)`` and
  ``from_inputs(raw, snap)``; the latter validates raw (possibly forged) input values and
  raises :class:`InvalidInput` or :class:`EmptySelection`;
* ``table(snap, params) -> DataFrame`` -- the plotted table (``EmptySelection`` when there
  is nothing to plot); ``table.attrs["models_shown"]`` = how many models it covers;
* ``FIGURES`` -- names of the view's plots, and ``figure(table, params, which) -> ggplot``;
  optionally ``empty_figure(table, params, which) -> str | None``, why one figure has
  nothing to draw for a table the others can draw (shown in that figure's place);
* ``CSV_COLUMNS`` -- the documented columns of the table's CSV export.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import geom_smooth, scale_x_datetime, theme

from llmtrends import schema
from llmtrends.pipeline import providers

AGGREGATIONS = ("day", "week", "month")
DEFAULT_AGGREGATION = "week"
# ColorBrewer "Paired" (12 colours), the study's palette.
PAIRED = ("#A6CEE3", "#1F78B4", "#B2DF8A", "#33A02C", "#FB9A99", "#E31A1C",
          "#FDBF6F", "#FF7F00", "#CAB2D6", "#6A3D9A", "#FFFF99", "#B15928")
FIG_WIDTH_IN = 10.0
FIG_HEIGHT_IN = 5.5


class ViewError(ValueError):
    """A selection the view cannot plot; the message is shown in place of the plot."""


class InvalidInput(ViewError):
    """An input value that no control can produce (forged, or from an old session)."""


class EmptySelection(ViewError):
    """A valid selection that leaves nothing to plot (no types ticked, an empty range)."""


# --------------------------------------------------------------------------- per board


def per_board(fn: Callable) -> Callable:
    """Memoize ``fn`` per board: a snapshot argument counts by the identity of its models
    table and of its commit authors (a board loaded once per process keeps them), a
    DataFrame argument (a board's models table itself) by its identity; the other arguments
    count by value.

    For what every control change would otherwise recompute from the whole board (a view's
    defaults: date bounds, present types, top authors; the lineage of base models). The
    last 64 results are kept, each holding its tables so that an identity is never reused
    while cached. Results are shared: they must not be changed by callers (frozen params,
    tuples, or objects the callers only read); and a board's tables must not be changed in
    place once loaded, or results computed before would no longer match them.
    """
    memo: OrderedDict[tuple, tuple[object, list]] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key, held = [], []
        for a in args:
            if isinstance(a, pd.DataFrame):
                key.append(("table", id(a)))
                held.append(a)
            elif isinstance(getattr(a, "models", None), pd.DataFrame):
                commits = getattr(a, "commit_authors", None)
                key.append(("board", id(a.models), id(commits)))
                held.extend((a.models, commits))
            else:
                key.append(a)
        key = (tuple(key), tuple(sorted(kwargs.items())))
        with lock:
            if key in memo:
                memo.move_to_end(key)
                return memo[key][0]
        result = fn(*args, **kwargs)
        with lock:
            memo[key] = (result, held)
            while len(memo) > 64:
                memo.popitem(last=False)
        return result

    return wrapper


# --------------------------------------------------------------------------- points

# A scatter plot draws at most this many models; more only blot the figure out (and take
# seconds each to draw): a board 100x the size of v2 draws a random sample instead.
MAX_POINTS = 10_000


TRENDS_ON_SAMPLE = "; trend lines fitted on the same sample"


def thin_points(data: pd.DataFrame, what: str = "models", max_points: int | None = None) -> tuple[pd.DataFrame, str]:
    """At most ``max_points`` rows of ``data``: all of them, or a reproducible random sample
    (seed 0, rows in their order). Also returns a caption for the figure ("10,000 of 402,782
    models drawn (a random sample)"), empty when no row was left out. The CSV always holds
    every row; only what is drawn is thinned. ``max_points`` defaults to ``MAX_POINTS``."""
    max_points = MAX_POINTS if max_points is None else max_points
    if len(data) <= max_points:
        return data, ""
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(data), size=max_points, replace=False))
    return data.iloc[keep], f"{max_points:,} of {len(data):,} {what} drawn (a random sample)"


# --------------------------------------------------------------------------- inputs


def parse_date(value: object, name: str) -> dt.date:
    """A date from a control (``date``, ``datetime`` or ``'YYYY-MM-DD'``); InvalidInput otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise InvalidInput(f"{name}: {str(value)[:40]!r} is not a date (expected YYYY-MM-DD)")


def parse_date_range(value: object, name: str = "date range") -> tuple[dt.date, dt.date]:
    """A (start, end) pair; EmptySelection when the end is before the start."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidInput(f"{name}: expected a start and an end date")
    start, end = parse_date(value[0], f"{name} start"), parse_date(value[1], f"{name} end")
    if end < start:
        raise EmptySelection(f"The end date ({end}) is before the start date ({start}).")
    return start, end


def parse_board_range(value: object, bounds: tuple[dt.date, dt.date],
                      name: str = "date range") -> tuple[dt.date, dt.date]:
    """A (start, end) pair inside the board's first and last dates; InvalidInput outside.

    The date pickers are limited to the board's dates (``date_bounds``), so a date outside
    them is forged; rejecting it also stops a range of centuries from building millions of
    empty periods (or dates pandas cannot hold).
    """
    start, end = parse_date_range(value, name)
    first, last = bounds
    for which, day in (("start", start), ("end", end)):
        if not first <= day <= last:
            raise InvalidInput(f"{name} {which}: {day} is outside the board's dates ({first} to {last})")
    return start, end


def carried_range(picked: tuple[dt.date, dt.date], picked_default: tuple[dt.date, dt.date],
                  bounds: tuple[dt.date, dt.date], default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The date range a view shows after a board switch: the range ``picked`` on the board
    before, clamped to this board's first and last dates (``bounds``), when someone picked
    it (it is not that board's ``picked_default``) and it overlaps this board; otherwise
    this board's ``default``. A range valid on both boards is kept as it is."""
    if tuple(picked) == tuple(picked_default):
        return default
    start, end = max(picked[0], bounds[0]), min(picked[1], bounds[1])
    return (start, end) if start <= end else default


def parse_choice(value: object, allowed: Sequence[str], name: str) -> str:
    """One value out of ``allowed``; InvalidInput otherwise."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{name}: {str(value)[:40]!r} is not one of {', '.join(allowed)}")
    return value


def parse_choices(values: object, allowed: Iterable[str], name: str, *, empty_message: str) -> tuple[str, ...]:
    """A subset of ``allowed`` in the given order; EmptySelection when nothing is ticked."""
    allowed = list(allowed)
    if values is None:
        values = ()
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, (tuple, list)):
        raise InvalidInput(f"{name}: expected a list of values")
    if len(values) > len(allowed):  # a control sends each of its choices at most once
        raise InvalidInput(f"{name}: {len(values):,} values for {len(allowed)} choices")
    bad = [v for v in values if not isinstance(v, str) or v not in allowed]
    if bad:
        raise InvalidInput(f"{name}: unknown value {str(bad[0])[:40]!r}")
    if not values:
        raise EmptySelection(empty_message)
    return tuple(v for v in allowed if v in values)


def parse_aggregation(value: object) -> str:
    """The aggregation control's value: day, week or month."""
    return parse_choice(value, AGGREGATIONS, "aggregation")


def parse_types(values: object, allowed: Sequence[str]) -> tuple[str, ...]:
    """Ticked model types out of the board's (``allowed``), in legend order."""
    return parse_choices(values, allowed, "types", empty_message="Tick at least one model type.")


def parse_bool(value: object, name: str) -> bool:
    """A checkbox value; InvalidInput for anything but a bool."""
    if isinstance(value, bool):
        return value
    raise InvalidInput(f"{name}: expected true or false")


def raw_get(raw: Mapping[str, object], key: str, default: object) -> object:
    """``raw[key]`` or the default when the control has not reported yet (None)."""
    value = raw.get(key)
    return default if value is None else value


# --------------------------------------------------------------------------- boards and scores


def board_name(board: str) -> str:
    """How a message names a board: 'Leaderboard v1', 'the Hub today board'."""
    label = schema.BOARD_LABELS.get(board, board)
    return label if label.lower().startswith("leaderboard") else f"the {label} board"


def board_subject(board: str) -> str:
    """:func:`board_name` at the start of a sentence."""
    name = board_name(board)
    return name[:1].upper() + name[1:]


# The score a score view plots: the board's average over its benchmarks (v1, v2) or one
# benchmark's column. The hub board's average is always empty: its models are scored on
# different subsets of its benchmarks, and an average over different subsets would rank a
# model by which benchmarks it was run on (docs/views.md, "The score").
SCORE_AVERAGE = "average"


def _score_label(column: str) -> str:
    # benchmark columns are named apart on every board (arc, ifeval, ce_mmlu_pro, ...)
    if column == SCORE_AVERAGE:
        return "Average"
    for board in schema.BOARDS:
        label = schema.benchmark_labels(board).get(column)
        if label is not None:
            return label
    return column


@per_board
def score_counts(snap) -> dict[str, int]:
    """The scores a board's views can plot, column -> number of models scored: the average
    first where the board has one, then each benchmark in the board's order; a score no
    model has is left out."""
    models = snap.models
    counts = {}
    for col in (SCORE_AVERAGE, *schema.benchmark_columns(snap.board)):
        if col in models.columns:
            n = int(pd.to_numeric(models[col], errors="coerce").notna().sum())
            if n:
                counts[col] = n
    return counts


def score_choices(snap) -> dict[str, str]:
    """:func:`score_counts` as a control's choices, column -> label with the number of models
    scored ('MMLU-Pro (1,234 models)')."""
    return {col: f"{'Average of the benchmarks' if col == SCORE_AVERAGE else _score_label(col)} "
                 f"({n:,} model{'s' if n != 1 else ''})" for col, n in score_counts(snap).items()}


def default_score(snap) -> str | None:
    """The score a view plots by default: the board's average where it has one (v1, v2, as
    before the choice existed), else the benchmark with the most scored models (ties: the
    board's order); None when no model has a score."""
    counts = score_counts(snap)
    if not counts:
        return None
    if SCORE_AVERAGE in counts:
        return SCORE_AVERAGE
    return max(counts, key=counts.__getitem__)  # max keeps the first of equal counts


def no_scores_message(board: str) -> str:
    """Why a score view has nothing to plot on a board without any score."""
    names = list(schema.benchmark_labels(board).values())
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
    return f"{board_subject(board)} has no scores yet: none of its models has a result on {listed}."


def parse_score(value: object, snap, required: bool = True) -> str | None:
    """The chosen score column (None from a control that has not reported: the default).

    On a board without any score: EmptySelection saying so (``required``), or None for a view
    that has more to show than scores (whatever the control sent: no control offers one).
    """
    counts = score_counts(snap)
    if not counts:
        if required:
            raise EmptySelection(no_scores_message(snap.board))
        return None
    if value is None:
        return default_score(snap)
    return parse_choice(value, tuple(counts), "score")


def need_score(score: str | None, board: str) -> str:
    """``score``, or EmptySelection on a board without scores (parameters made in code)."""
    if score is None:
        raise EmptySelection(no_scores_message(board))
    return score


@per_board
def has_sizes(models: pd.DataFrame) -> bool:
    """Whether any model of a board has a known parameter count (once per board)."""
    return bool((pd.to_numeric(models["params_b"], errors="coerce") > 0).any()) if "params_b" in models.columns \
        else False


def no_sized_message(snap, score: str | None = None) -> str:
    """Why a view of sizes has nothing to plot: the board knows no model's parameter count,
    or the selection holds none (with a score: none that has one)."""
    if not has_sizes(snap.models):
        return (f"{board_subject(snap.board)} knows no model's parameter count (the Hub counts the "
                "parameters of safetensors weights only, and this snapshot has none).")
    with_score = f" and a score ({score_label(score)})" if score else ""
    return f"No models with a known parameter count{with_score} match this selection."


def score_label(score: str, lower: bool = False) -> str:
    """A score's name on an axis: 'Average score', 'MMLU-Pro score' ('average score' with
    ``lower``: a benchmark's name keeps its capitals)."""
    name = _score_label(score)
    return f"{name.lower() if lower and score == SCORE_AVERAGE else name} score"


def score_columns(columns: Iterable[str], score: str | None) -> list[str]:
    """A view's documented columns with ``average`` named after the chosen score (a table
    names its per-model score column after what it holds: ``average``, ``ce_mmlu_pro``, ...)."""
    return [score if (c == SCORE_AVERAGE and score) else c for c in columns]


# --------------------------------------------------------------------------- data


@per_board
def date_bounds(models: pd.DataFrame, column: str = "created_at") -> tuple[dt.date, dt.date]:
    """First and last real dates of a board (the Hub's placeholder date left out); once per board."""
    dates = models[column].loc[_dated_mask(models, column)]
    if dates.empty:
        today = dt.date.today()
        return today, today
    return dates.min().date(), dates.max().date()


def _dated_mask(models: pd.DataFrame, column: str) -> pd.Series:
    keep = models[column].notna()
    if column == "created_at" and "created_at_placeholder" in models.columns:
        keep &= ~models["created_at_placeholder"].fillna(False).astype(bool)
    return keep


def dated(models: pd.DataFrame, column: str = "created_at") -> pd.DataFrame:
    """Models with a real date: no missing date, not the Hub's 2022-03-02 placeholder."""
    return models.loc[_dated_mask(models, column)]


def in_range(models: pd.DataFrame, start: dt.date, end: dt.date, column: str = "created_at",
             columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Dated models whose date falls in [start, end] (whole days).

    ``columns`` (optional): only these columns are kept, as in :func:`rows`.
    """
    return rows(models, range_mask(models, start, end, column), columns)


def range_mask(models: pd.DataFrame, start: dt.date, end: dt.date, column: str = "created_at") -> pd.Series:
    """True for the dated models whose date falls in [start, end] (whole days).

    A time's day is on or after ``start`` exactly when the time is, and on or before
    ``end`` exactly when the time is before the next midnight: compared so, the board's
    times need no rounding to their day (no ``dt.normalize`` of every row on every control
    change).
    """
    times = models[column]
    after_end = pd.Timestamp(end) + pd.Timedelta(days=1)
    return _dated_mask(models, column) & (times >= pd.Timestamp(start)) & (times < after_end)


def rows(models: pd.DataFrame, keep: pd.Series, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of ``models`` where ``keep`` is true, with only ``columns`` (optional; names
    absent from the table are left out). Selecting columns copies nothing (copy on write);
    selecting rows copies every column kept, so a caller reading a few columns names them."""
    frame = models if columns is None else models[[c for c in dict.fromkeys(columns) if c in models.columns]]
    return frame.loc[keep]


def figure_table(view, which: str, tbl: pd.DataFrame, params=None) -> pd.DataFrame:
    """What a view's figure ``which`` draws from its table: the view's
    ``FIGURE_ROWS[which](tbl, params)`` when it has one, else the whole table. Figure workers
    are sent this; the figure drawn from it is the same as from the whole table (tested).

    A per-model table has hundreds of thousands of rows on a large board, which a worker
    would only thin out or summarize: a scatter plot is sent the sample it draws
    (``MAX_POINTS``) with its caption and legend counts, a summary plot its summary rows.
    """
    rows = getattr(view, "FIGURE_ROWS", {}).get(which)
    return tbl if rows is None else rows(tbl, params)


_DRAWN = "llmtrends_drawn"


def drawn(data: pd.DataFrame, caption: str, **facts) -> pd.DataFrame:
    """``data`` marked as the rows a figure draws, with its ``caption`` and whatever else the
    figure says of the rows left out (``facts``: counts for a legend, say). A view's
    ``FIGURE_ROWS`` function returns this and, decorated with :func:`figure_rows`, returns
    a frame so marked as it is, so the figure comes out the same whether it is drawn from
    the whole table or from what a worker was sent. Read back with :func:`drawn_facts`."""
    out = data.copy(deep=False)
    out.attrs = {_DRAWN: {"caption": caption, **facts}}
    return out


def drawn_facts(data: pd.DataFrame) -> dict | None:
    """The caption and facts :func:`drawn` put on ``data``; None for any other frame."""
    return data.attrs.get(_DRAWN)


def figure_rows(fn: Callable[[pd.DataFrame, object], pd.DataFrame]) -> Callable[[pd.DataFrame, object], pd.DataFrame]:
    """Decorate a view's ``FIGURE_ROWS`` function that returns a :func:`drawn` frame: given
    such a frame (what a worker was sent), it returns it as it is; given the whole table,
    it computes the rows. The figure calls it either way."""
    @functools.wraps(fn)
    def rows_of(tbl: pd.DataFrame, params) -> pd.DataFrame:
        return tbl if drawn_facts(tbl) is not None else fn(tbl, params)
    return rows_of


# Which rules a figure follows: llmtrends' own (the default, documented in docs/views.md)
# or the study's where the two differ only by a rule (week start, smoother, author
# ranking): ``scripts/figures.py --study-way`` draws the study's, to compare side by side.
RULES_OURS = "llmtrends"
RULES_STUDY = "study"
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


@dataclass(frozen=True)
class RangeTypesParams:
    """Date range, model types and aggregation: the parameters of the views that count or
    plot the models of some types created in a range (each such view uses it as ``Params``)."""

    start: dt.date
    end: dt.date
    types: tuple[str, ...]
    aggregation: str = DEFAULT_AGGREGATION
    rules: str = RULES_OURS  # the study's rules only from scripts/figures.py --study-way

    @classmethod
    @per_board
    def defaults(cls, snap) -> "RangeTypesParams":
        start, end = date_bounds(snap.models)
        return cls(start=start, end=end, types=tuple(present_types(snap.models)))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "RangeTypesParams":
        d = cls.defaults(snap)
        start, end = parse_board_range(raw_get(raw, "dates", (d.start, d.end)), (d.start, d.end))
        types = parse_types(raw_get(raw, "types", d.types), d.types)
        agg = parse_aggregation(raw_get(raw, "aggregation", d.aggregation))
        return cls(start=start, end=end, types=types, aggregation=agg)


@dataclass(frozen=True)
class RangeTypesScoreParams(RangeTypesParams):
    """:class:`RangeTypesParams` and the score plotted (``score``: a column of
    :func:`score_choices`, the average unless given; None on a board without scores, where
    the table says so)."""

    score: str | None = SCORE_AVERAGE

    @classmethod
    @per_board
    def defaults(cls, snap) -> "RangeTypesScoreParams":
        start, end = date_bounds(snap.models)
        return cls(start=start, end=end, types=tuple(present_types(snap.models)), score=default_score(snap))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "RangeTypesScoreParams":
        base = RangeTypesParams.from_inputs(raw, snap)
        score = parse_score(raw.get("score"), snap)
        return cls(start=base.start, end=base.end, types=base.types, aggregation=base.aggregation, score=score)


def typed_in_range(models: pd.DataFrame, start: dt.date, end: dt.date, types: Sequence[str],
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Dated models of the given types created in [start, end]; EmptySelection when none.

    ``columns`` as in :func:`in_range` (``type`` and ``created_at`` are always kept)."""
    if columns is not None:
        columns = ["type", "created_at", *columns]
    chosen = rows(models, range_mask(models, start, end) & models["type"].isin(types), columns)
    if chosen.empty:
        raise EmptySelection("No models of the selected types were created in this date range.")
    return chosen


def bar_width(aggregation: str) -> float:
    """Bar width in days, so bars of adjacent periods nearly touch."""
    return {"day": 0.9, "week": 6.0, "month": 27.0}[aggregation]


def kept_levels(levels: Iterable[str], values: pd.Series) -> list[str]:
    """The ``levels`` (in their order) that occur in ``values`` (scanned once)."""
    seen = set(values.dropna().unique())
    return [v for v in levels if v in seen]


@per_board
def repo_rank(models: pd.DataFrame) -> pd.Series:
    """Each model's position when the board is sorted by repo id (stable; index: the board's).

    A numeric stand-in for the repo id as a sort key: ordering hundreds of thousands of
    strings at every control change is slow; looking up their precomputed ranks is not.
    Sorted by pandas itself, so ranks follow its order (missing ids last).
    """
    return pd.Series(_sort_positions(models["repo_id"]), index=models.index)


def _sort_positions(values: pd.Series) -> np.ndarray:
    # each value's position in the stable ascending order of values (missing ones last)
    order = values.reset_index(drop=True).sort_values(kind="stable", na_position="last").index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def ranks_of(snap_models: pd.DataFrame, selected: pd.DataFrame) -> np.ndarray:
    """Sort keys of ``selected`` (rows of the board ``snap_models``, same index) in repo id
    order: their :func:`repo_rank`. A board whose index repeats labels (not a real one)
    gets the ranks of the rows among themselves, which sort the same way."""
    if not snap_models.index.is_unique:
        return _sort_positions(selected["repo_id"])
    return repo_rank(snap_models).loc[selected.index].to_numpy()


def sort_rows(frame: pd.DataFrame, *keys: Sequence) -> pd.DataFrame:
    """``frame`` ordered by the ``keys`` (arrays as long as it, the first the primary one),
    ascending and stable like ``sort_values(kind="stable")``; the index is reset."""
    order = np.lexsort(tuple(np.asarray(k) for k in reversed(keys)))
    return frame.take(order).reset_index(drop=True)


def level_codes(values: pd.Series, levels: Sequence[str]) -> np.ndarray:
    """Each value's position in ``levels`` (-1 when absent): a sort key in the levels' order."""
    return pd.Categorical(values, categories=list(levels)).codes


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


def real_days(models: pd.DataFrame, column: str = "created_at") -> pd.Series:
    """Each model's creation day (midnight), NaT when it has no real date (missing, or the
    Hub's placeholder): the ``day`` key of a :class:`Presorted` table."""
    return models[column].dt.normalize().where(_dated_mask(models, column))


def group_sizes(codes: np.ndarray) -> np.ndarray:
    """For each row, how many rows share its group code (small non-negative integers): a
    ``groupby(...).transform("size")`` on integer codes instead of strings."""
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(codes)[codes]


def present_types(models: pd.DataFrame) -> list[str]:
    """The type labels a board has, in the canonical legend order."""
    return kept_levels(schema.TYPE_LABELS, models["type"])


def present_families(models: pd.DataFrame) -> list[str]:
    """The board's architecture families, largest first, Other last."""
    return list(_present_families(models))


@per_board
def _present_families(models: pd.DataFrame) -> tuple[str, ...]:
    # counted once per board: the architecture and releases views ask at every change
    counts = models["architecture_family"].value_counts()
    fams = [f for f in counts.index if f != schema.FAMILY_OTHER]
    return tuple(fams + ([schema.FAMILY_OTHER] if schema.FAMILY_OTHER in counts.index else []))


def color_map(levels: Sequence[str]) -> dict[str, str]:
    """Stable Paired colours for a list of levels (cycled past twelve)."""
    return {lvl: PAIRED[i % len(PAIRED)] for i, lvl in enumerate(levels)}


TYPE_COLORS = color_map(schema.TYPE_LABELS)

# Size classes with their bounds, for legends and axes (bounds from schema, one source).
SIZE_LABELS: dict[str, str] = {
    schema.SIZE_SMALL: f"Small (≤ {schema.SIZE_SMALL_MAX_B:g}B)",
    schema.SIZE_MEDIUM: f"Medium ({schema.SIZE_SMALL_MAX_B:g}–{schema.SIZE_MEDIUM_MAX_B:g}B)",
    schema.SIZE_LARGE: f"Large (> {schema.SIZE_MEDIUM_MAX_B:g}B)",
}
# The dark members of three Paired pairs, so the three classes stay apart.
SIZE_COLORS: dict[str, str] = dict(zip(schema.SIZE_CLASSES, (PAIRED[1], PAIRED[3], PAIRED[5])))
# Two contrasting Paired colours for two-group comparisons (MoE vs dense, official vs community).
TWO_GROUP_COLORS: tuple[str, str] = (PAIRED[7], PAIRED[1])
# Official providers vs community, the same colours in every view that splits them.
PROVIDER_COLORS: dict[str, str] = dict(zip(providers.PROVIDER_GROUPS, TWO_GROUP_COLORS))


def parse_sizes(values: object, name: str = "size classes") -> tuple[str, ...]:
    """A subset of the size classes (Small, Medium, Large) in their order."""
    return parse_choices(values, schema.SIZE_CLASSES, name, empty_message="Tick at least one size class.")


def number_labels(values: Sequence[float]) -> list[str]:
    """Short tick labels for log axes: 0.01, 0.1, 1, 10, 100, 1k (no scientific notation)."""
    out = []
    for v in values:
        if v >= 1000:
            out.append(f"{v / 1000:g}k")
        else:
            out.append(f"{v:g}")
    return out


# --------------------------------------------------------------------------- look


def theme_study(legend: str = "bottom") -> theme:
    """The study's minimal look, with room for legends and rotated month labels."""
    from plotnine import element_text, theme, theme_minimal
    return theme_minimal(base_size=11) + theme(
        figure_size=(FIG_WIDTH_IN, FIG_HEIGHT_IN),
        legend_position=legend,
        legend_title=element_text(size=10),
        axis_text_x=element_text(rotation=45, ha="right"),
        plot_title=element_text(size=13, weight="bold"),
    )


# Text sizes of theme_study (theme_minimal(base_size=11): legend text and caption 0.8 x 11).
LEGEND_TEXT_PT = 8.8
LEGEND_TITLE_PT = 10.0
CAPTION_PT = 8.8
# A legend entry besides its text: the key (17.3 pt) and the gaps around it (measured on
# drawn legends, rounded up); the figure's margins on each side.
_LEGEND_ENTRY_PT = 27.0
_LEGEND_TITLE_GAP_PT = 12.0
_FIGURE_MARGIN_PT = 14.0
# Agg draws hinted text up to ~9 % wider than the outlines' width: estimates add 12 %.
_RASTER_WIDEN = 1.12


@functools.lru_cache(maxsize=4096)
def text_width_pt(text: str, size_pt: float) -> float:
    """How wide ``text`` is drawn in the figures' font at ``size_pt`` points (a little more,
    never less: see ``_RASTER_WIDEN``). For laying out legends and captions so that none
    is wider than its figure."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size_pt), ismath=False)
    return float(width) * _RASTER_WIDEN


def legend_rows(labels: Sequence[str], title: str = "", width_in: float = FIG_WIDTH_IN) -> int:
    """The fewest rows a legend under the plot needs to fit the figure's width.

    plotnine lays a legend of ``nrow`` rows out column by column, its title on the left,
    and never wraps it by itself: a row wider than the figure is cut at both edges (seven
    type labels in one row need ~12 in on a 10 in figure).
    """
    labels = [str(x) for x in labels]
    if not labels:
        return 1
    room = width_in * 72.0 - 2 * _FIGURE_MARGIN_PT
    room -= text_width_pt(title, LEGEND_TITLE_PT) + _LEGEND_TITLE_GAP_PT if title else 0.0
    widths = [_LEGEND_ENTRY_PT + text_width_pt(x, LEGEND_TEXT_PT) for x in labels]
    for nrow in range(1, len(labels)):
        columns = [max(widths[i:i + nrow]) for i in range(0, len(widths), nrow)]
        if sum(columns) <= room:
            return nrow
    return len(labels)


def legend_guide(labels: Sequence[str], title: str = "", width_in: float = FIG_WIDTH_IN, **kwargs):
    """``guide_legend`` with as many rows as :func:`legend_rows` says (other arguments as given)."""
    from plotnine import guide_legend
    return guide_legend(nrow=legend_rows(labels, title, width_in), **kwargs)


def wrap_text(text: str, size_pt: float = CAPTION_PT, width_in: float = FIG_WIDTH_IN) -> str:
    """``text`` broken into lines (at spaces; its own line breaks kept) that fit the figure's
    width at ``size_pt``: plotnine draws a caption on one line, however long."""
    room = width_in * 72.0 - 2 * _FIGURE_MARGIN_PT
    out: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width_pt(candidate, size_pt) > room:
                out.append(line)
                line = word
            else:
                line = candidate
        out.append(line)
    return "\n".join(out)


def middle_cut(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` in the middle (head … tail), so that names sharing a
    long prefix (``Mixtral-8x7B-Instruct-v0.1`` and ``...-v0.1-DPO``) keep their ends apart."""
    if len(text) <= max_chars:
        return text
    tail = (max_chars - 1) // 3
    head = max_chars - 1 - tail
    return text[:head] + "…" + text[len(text) - tail:]


def unique_labels(repo_ids: Sequence[str], max_chars: int) -> list[str]:
    """Short, unambiguous labels of repositories: the name without its namespace, cut in the
    middle to ``max_chars``; where two different repositories would get the same label,
    both get their whole name, and where even those are the same (one name in two
    namespaces), their whole id."""
    ids = [str(r) for r in repo_ids]
    stages = (lambda r: middle_cut(r.split("/", 1)[-1], max_chars),
              lambda r: r.split("/", 1)[-1],
              lambda r: r)
    labels = [stages[0](r) for r in ids]
    for stage in stages[1:]:
        owners: dict[str, set[str]] = {}
        for r, lab in zip(ids, labels):
            owners.setdefault(lab, set()).add(r)
        clash = {lab for lab, rs in owners.items() if len(rs) > 1}
        if not clash:
            break
        labels = [stage(r) if lab in clash else lab for r, lab in zip(ids, labels)]
    return labels


def smooth(**kwargs) -> geom_smooth:
    """``geom_smooth(**kwargs)`` with a ``method_args`` dict of its own.

    plotnine's loess writes its span into ``method_args``, whose default is one dict shared
    by every ``geom_smooth``: after a loess trend, a linear one drawn later in the same
    process fails ("method arguments could not be recognised: ['span']"). Copying the
    plot on every "+" used to hide this; figures are now built with one copy.
    """
    from plotnine import geom_smooth
    kwargs.setdefault("method_args", {})
    return geom_smooth(**kwargs)


def linear_trend(data: pd.DataFrame, xseq, params=None, **kwargs) -> pd.DataFrame:
    """A straight line fitted by least squares, as a ``geom_smooth`` method (plotnine 0.15
    passes the stat's parameters as one dict, 0.14 as keywords).

    The same line as plotnine's ``method="lm"`` without a confidence band (ordinary least
    squares of ``y`` on ``x`` with an intercept; that method ignores the weights too), but
    fitted with numpy: ``"lm"`` imports ``statsmodels.api`` and with it most of scipy,
    about a second of a figure worker's start and tens of MB, for two coefficients.
    """
    params = kwargs if params is None else params
    if params.get("se"):
        raise ValueError("linear_trend draws no confidence band: use se=False")
    x = data["x"].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    (intercept, slope), *_ = np.linalg.lstsq(design, data["y"].to_numpy(dtype=float), rcond=None)
    xs = np.asarray(xseq, dtype=float)
    return pd.DataFrame({"x": xs, "y": intercept + slope * xs})


# ggplot2's geom_smooth() without a method (the study's) fits loess when every group has
# fewer than 1,000 points and otherwise a GAM, y ~ s(x, bs = "cs"), for all groups alike.
STUDY_GAM_FROM = 1000
SPLINE_BASIS = 10  # mgcv's default basis dimension (k = 10)


def study_smoother(group_sizes: Iterable[int]) -> object:
    """The ``geom_smooth`` method ggplot2 would pick for groups of these sizes: ``"loess"``,
    or :func:`penalized_spline` (plotnine has no GAM) when a group has 1,000 points or more."""
    return penalized_spline if max(group_sizes, default=0) >= STUDY_GAM_FROM else "loess"


def penalized_spline(data: pd.DataFrame, xseq, params) -> pd.DataFrame:
    """A penalized cubic regression spline, as a ``geom_smooth`` method: the study's GAM.

    ggplot2 fits ``mgcv::gam(y ~ s(x, bs = "cs"), method = "REML")`` to groups of 1,000
    points or more. plotnine offers no GAM (its methods are lm, ols, wls, rlm, glm, gls,
    lowess, loess, mavg and gpr), so this fits the closest thing numpy and scipy give: the
    same basis size (10 cubic B-splines on equally spaced knots),
    a second-difference penalty on their coefficients (a P-spline, the discrete form of
    mgcv's curvature penalty) and the smoothing weight that minimises generalized
    cross-validation (mgcv's other criterion) over a grid of 10^-4 ... 10^8. No band.
    """
    from scipy.interpolate import BSpline

    if params.get("se"):
        raise ValueError("penalized_spline draws no confidence band: use se=False")
    x = data["x"].to_numpy(dtype=float)
    y = data["y"].to_numpy(dtype=float)
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        raise ValueError("penalized_spline needs at least two distinct x values")
    # equally spaced knots running past the data's range (Eilers and Marx's P-splines): the
    # coefficients of a straight line then have no second differences, so it is not penalised
    degree = 3
    segments = SPLINE_BASIS - degree
    step = (hi - lo) / segments
    knots = lo + step * np.arange(-degree, segments + degree + 1)
    basis = BSpline.design_matrix(np.clip(x, lo, hi), knots, degree).toarray()
    diff = np.diff(np.eye(SPLINE_BASIS), n=2, axis=0)
    penalty = diff.T @ diff
    gram, rhs, n = basis.T @ basis, basis.T @ y, len(y)
    best = None
    for lam in 10.0 ** np.arange(-4.0, 8.5, 0.5):
        inv = np.linalg.pinv(gram + lam * penalty)
        coef = inv @ rhs
        rss = float(np.sum((y - basis @ coef) ** 2))
        edf = float(np.trace(inv @ gram))  # trace of the hat matrix
        if edf >= n:
            continue
        gcv = n * rss / (n - edf) ** 2
        if best is None or gcv < best[0]:
            best = (gcv, coef)
    if best is None:
        raise ValueError("penalized_spline: too few points for the basis")
    xs = np.asarray(xseq, dtype=float)
    ys = BSpline.design_matrix(np.clip(xs, lo, hi), knots, degree).toarray() @ best[1]
    return pd.DataFrame({"x": xs, "y": ys})


def message_figure(text: str, title: str, width_in: float = FIG_WIDTH_IN, height_in: float = FIG_HEIGHT_IN):
    """A blank figure with a title and one sentence, for a plot with nothing to draw while
    the view's other plot has (the page and the downloads show why it is blank)."""
    from plotnine import annotate, ggplot, labs, theme, theme_void
    return (ggplot() + annotate("text", x=0, y=0, label=wrap_text(text, 12.0, width_in * 0.9), size=12,
                                color="#555555")
            + labs(title=title) + theme_void()
            + theme(figure_size=(width_in, height_in)))


def month_axis(start: dt.date, end: dt.date, minor: bool = True) -> scale_x_datetime:
    """Month labels on the x axis, thinned so that at most ~14 ticks show (``minor=False``:
    no minor breaks, for small panels)."""
    from plotnine import scale_x_datetime
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = max(1, -(-months // 14))
    extra = {} if minor else {"minor_breaks": []}
    if months <= 2:
        return scale_x_datetime(date_breaks="1 week", date_labels="%d %b %Y", **extra)
    return scale_x_datetime(date_breaks=f"{step} months", date_labels="%b %Y", **extra)


def aggregation_word(aggregation: str) -> str:
    """'week' -> 'weekly' (for titles and axis labels)."""
    return {"day": "daily", "week": "weekly", "month": "monthly"}[aggregation]


def shown(table: pd.DataFrame, n_models: int) -> pd.DataFrame:
    """Record on the table how many models it covers (for the provenance line)."""
    table.attrs["models_shown"] = int(n_models)
    return table


def provenance(snap_manifest: Mapping, board: str, models_total: int, models_shown: int | None) -> str:
    """The line under the plots: board, source, build time, models shown / total."""
    source = str(snap_manifest.get("source", "?"))
    if source.startswith("hub:"):
        rev = snap_manifest.get("source_revision")
        src = f"{source[4:]} on the Hub" + (f" @ {str(rev)[:10]}" if rev else "")
    else:
        sha = snap_manifest.get("source_sha256")
        src = source.replace("\\", "/").rsplit("/", 1)[-1] + (f" (sha256 {str(sha)[:10]})" if sha else "")
    enrich = (snap_manifest.get("enrichment") or {}).get("method", "none")
    built = str(snap_manifest.get("built_at", "?")).replace("T", " ").replace("Z", " UTC")
    part = f"{models_shown:,} of {models_total:,} models shown" if models_shown is not None else f"{models_total:,} models"
    return f"{schema.BOARD_LABELS.get(board, board)} · source {src} · enrichment {enrich} · snapshot built {built} · {part}"


# A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV
# Injection": = + - @ tab CR; ASVS 1.2.10 adds NUL): an id such as =HYPERLINK(...) would
# run when the export is opened. Such cells get a leading ' (shown by no spreadsheet).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def spreadsheet_safe(value: object) -> object:
    """A text value that a spreadsheet would take for a formula, prefixed with ``'``;
    anything else (numbers, dates, other text) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_csv(tbl: pd.DataFrame) -> str:
    """The plotted table as CSV text: ISO dates, no index, text cells spreadsheet-safe
    (:func:`spreadsheet_safe`; numbers stay numbers) -- the documented export."""
    text_columns = [c for c in tbl.columns if not (pd.api.types.is_numeric_dtype(tbl[c])
                                                   or pd.api.types.is_datetime64_any_dtype(tbl[c]))]
    if text_columns:
        tbl = tbl.copy(deep=False)  # the caller's table (often a cached one) stays as it is
        for c in text_columns:
            tbl[c] = tbl[c].astype(object).map(spreadsheet_safe)
    return tbl.to_csv(index=False, date_format="%Y-%m-%d")


def csv_columns(view, board: str) -> list[str]:
    """A view's CSV columns on a board: its ``csv_columns(board)`` when they depend on the
    board (the explorer's benchmarks), else its documented ``CSV_COLUMNS``."""
    per_board = getattr(view, "csv_columns", None)
    return list(per_board(board)) if per_board is not None else list(view.CSV_COLUMNS)


def csv_header(view, board: str) -> str:
    """The CSV of a selection with nothing in it: the view's columns and no rows."""
    return table_csv(pd.DataFrame(columns=csv_columns(view, board)))
