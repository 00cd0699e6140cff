"""Curated release dates of major open base models, read from ``llmtrends/releases.csv``.

The CSV is data, not code (one source of truth for release dates): one row per release with
``model``, ``date`` (YYYY-MM-DD, the vendor's announcement of open weights), ``organization``,
``board_relevance`` (on which boards' charts the release is drawn: ``v1``, ``v2``, ``hub``, or
several joined by ``;`` such as ``v2;hub``; ``both`` is ``v1;v2``) and ``source_url`` (the announcement or model card the date was checked
against). :func:`load_releases` validates every row, so a typo in the file fails loudly with
the file, the row and the column instead of silently dropping a line from a chart.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from pathlib import Path

import pandas as pd

RELEASES_FILE = Path(__file__).parents[1] / "releases.csv"  # the package's reference tables sit at its top
RELEASE_COLUMNS: tuple[str, ...] = ("model", "date", "organization", "board_relevance", "source_url")
RELEVANCE = ("v1", "v2", "hub", "both")
RELEVANCE_SEPARATOR = ";"
# ``both``: the two leaderboards (the file's word from before the hub board)
_BOTH = ("v1", "v2")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReleasesError(ValueError):
    """The releases file is malformed; the message names the file, the row and the column."""


def load_releases(path: str | Path | None = None) -> pd.DataFrame:
    """The validated release table (``date`` as ``datetime64``), sorted by date then model.

    ``path`` defaults to the packaged ``releases.csv`` (parsed once per process). Raises
    :class:`ReleasesError` for a missing file or column, an empty field, a date that is not a
    real ``YYYY-MM-DD`` day, an unknown ``board_relevance``, a ``source_url`` that is not
    http(s), or a model listed twice. Row numbers are the file's line numbers (header = 1).
    """
    if path is None:
        return _default_releases().copy()
    return _read(Path(path))


@functools.lru_cache(maxsize=1)
def _default_releases() -> pd.DataFrame:
    return _read(RELEASES_FILE)


def _read(path: Path) -> pd.DataFrame:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [col for col in RELEASE_COLUMNS if col not in header]
            if missing:
                raise ReleasesError(f"{path}: missing column(s) {', '.join(missing)} "
                                    f"(expected {', '.join(RELEASE_COLUMNS)})")
            rows = []
            seen: dict[str, int] = {}
            for line, rec in enumerate(reader, start=2):
                rows.append(_check_row(path, line, rec, seen))
    except OSError as exc:
        raise ReleasesError(f"{path}: cannot read releases file ({exc.strerror or exc})") from None
    if not rows:
        raise ReleasesError(f"{path}: no releases listed")
    out = pd.DataFrame(rows, columns=list(RELEASE_COLUMNS))
    out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d")
    return out.sort_values(["date", "model"], kind="stable").reset_index(drop=True)


def _check_row(path: Path, line: int, rec: dict, seen: dict[str, int]) -> dict:
    """One validated row; ReleasesError naming the line, the model and the column otherwise."""
    if None in rec:  # more fields than header columns
        raise ReleasesError(f"{path} row {line}: more fields than the {len(RELEASE_COLUMNS)} columns")
    vals = {col: (rec.get(col) or "").strip() for col in RELEASE_COLUMNS}
    where = f"{path} row {line}" + (f" ({vals['model']})" if vals["model"] else "")
    for col in RELEASE_COLUMNS:
        if not vals[col]:
            raise ReleasesError(f"{where}: column {col!r} is empty")
    if not _DATE.match(vals["date"]):
        raise ReleasesError(f"{where}: date {vals['date']!r} is not YYYY-MM-DD")
    try:
        dt.date.fromisoformat(vals["date"])
    except ValueError:
        raise ReleasesError(f"{where}: date {vals['date']!r} is not a real day") from None
    boards = vals["board_relevance"].split(RELEVANCE_SEPARATOR)
    if any(b.strip() not in RELEVANCE for b in boards) or len(set(boards)) != len(boards):
        raise ReleasesError(f"{where}: board_relevance {vals['board_relevance']!r} is not one of "
                            f"{', '.join(RELEVANCE)} (or several joined by {RELEVANCE_SEPARATOR!r})")
    if not re.match(r"^https?://\S+$", vals["source_url"]):
        raise ReleasesError(f"{where}: source_url {vals['source_url']!r} is not an http(s) URL")
    key = vals["model"].casefold()
    if key in seen:
        raise ReleasesError(f"{where}: model {vals['model']!r} is already listed in row {seen[key]}")
    seen[key] = line
    return vals


def relevant_boards(value: str) -> frozenset[str]:
    """The boards a ``board_relevance`` value names (``both``: v1 and v2)."""
    out: set[str] = set()
    for part in str(value).split(RELEVANCE_SEPARATOR):
        part = part.strip()
        out.update(_BOTH if part == "both" else (part,))
    return frozenset(out)


def releases_for(releases: pd.DataFrame, board: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Releases relevant to ``board`` whose date lies in [start, end] (both edges included)."""
    keep = releases["board_relevance"].map(lambda v: board in relevant_boards(v)).astype(bool)
    day = releases["date"].dt.normalize()
    keep &= (day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))
    return releases.loc[keep].reset_index(drop=True)
