"""What a figure draws and where its numbers come from: drawn rows, captions, CSV.

``figure_table`` is what a figure worker is sent (a sample or a summary on a large board);
``provenance`` is the line under each figure; ``table_csv`` the download, safe to open in
a spreadsheet.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from llmtrends import schema


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


def record_shown(table: pd.DataFrame, n_models: int) -> pd.DataFrame:
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
