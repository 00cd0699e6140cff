"""The board and what a view selects from it: scores, sizes, dates, types, ranks.

``per_board`` memoizes what is computed once per loaded board (its date bounds, its types,
its score columns). ``RangeTypesParams`` and ``RangeTypesScoreParams`` are the parameters
shared by the views that count the models of some types created in a date range.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from llmtrends import schema
from .inputs import DEFAULT_AGGREGATION, EmptySelection, RULES_OURS, parse_aggregation, parse_board_range, parse_choice, parse_types, raw_get


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


def real_days(models: pd.DataFrame, column: str = "created_at") -> pd.Series:
    """Each model's creation day (midnight), NaT when it has no real date (missing, or the
    Hub's placeholder): the ``day`` key of a :class:`Presorted` table."""
    return models[column].dt.normalize().where(_dated_mask(models, column))


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
