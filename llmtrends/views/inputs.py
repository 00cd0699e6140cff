"""A view's raw input values, checked: dates, ranges, choices, booleans, sizes.

Every ``Params.from_inputs`` parses what a session sent (possibly forged) with these, and
raises :class:`InvalidInput` (a value no control can send) or :class:`EmptySelection`
(valid, but nothing to plot). Also the rules a figure follows (``RULES_OURS`` or the
study's) and the periods a view can aggregate by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from llmtrends import schema


AGGREGATIONS = ("day", "week", "month")
DEFAULT_AGGREGATION = "week"


class ViewError(ValueError):
    """A selection the view cannot plot; the message is shown in place of the plot."""


class InvalidInput(ViewError):
    """An input value that no control can produce (forged, or from an old session)."""


class EmptySelection(ViewError):
    """A valid selection that leaves nothing to plot (no types ticked, an empty range)."""


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


# Which rules a figure follows: llmtrends' own (the default, documented in docs/views.md)
# or the study's where the two differ only by a rule (week start, smoother, author
# ranking): ``scripts/figures.py --study-way`` draws the study's, to compare side by side.
RULES_OURS = "llmtrends"
RULES_STUDY = "study"


def parse_sizes(values: object, name: str = "size classes") -> tuple[str, ...]:
    """A subset of the size classes (Small, Medium, Large) in their order."""
    return parse_choices(values, schema.SIZE_CLASSES, name, empty_message="Tick at least one size class.")
