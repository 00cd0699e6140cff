"""What changed on a board between two dates, as a report researchers can publish (no Shiny).

A report is a folder written through exactly the functions of the What Changed tab
(:mod:`llmtrends.views.changes`: ``Params.from_inputs``, ``table``, ``summary_lines``,
``section_cells``, ``figure``) and :func:`llmtrends.serving.render.figure_bytes`, so it says what the
tab says:

* ``report.md`` -- a dated heading, the bullet list of what changed, the tables (the long
  ones cut at ``ENTERED_SHOWN`` rows, all rows in their CSV) and the two figures;
* ``board_size.png``, ``frontier.png`` -- the tab's figures;
* ``<section>.csv`` -- each section of the tab's table with its own columns (``entered.csv``,
  ``left.csv``, ``leader.csv``, ``mover.csv``, ``new_by_type.csv``, ``board_size.csv``,
  ``frontier.csv``, ``summary.csv``) and ``changes.csv``, the tab's whole CSV;
* ``run.json`` -- when the report was written and how long it took: the only file that
  differs between two runs on the same snapshots and code.

:func:`write_every_week` writes one report per snapshot of the history (each compared with
the snapshot a week before it, as the tab's default) into ``OUT/<date>/`` and an ``index.md``
linking them. Every file is written to a temporary name and renamed.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.figures import _json_bytes, write_atomic
from llmtrends.views import changes as view
from llmtrends.views import inputs, provenance

REPORT_FILE = "report.md"
RUN_FILE = "run.json"
INDEX_FILE = "index.md"
DEFAULT_DPI = 150
CSV_SECTIONS = ("summary", "entered", "left", "leader", "mover", "new_by_type", "board_size", "frontier")
FIGURE_TITLES = {"board_size": "Models on the board at each snapshot, by type",
                 "frontier": "Best average score of each size class at each snapshot"}


class ReportError(RuntimeError):
    """A report could not be written; the message is one line for the user."""


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (``|`` in a cell escaped)."""
    lines = ["| " + " | ".join(map(_md_escape, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(_md_escape, row)) + " |" for row in rows]
    return "\n".join(lines)


def params_for(snap: store.Snapshot, start: str | None, end: str | None) -> view.Params:
    """The tab's parameters for two dates (ISO days of the board's history; None: the tab's
    default), validated as the tab validates them; ReportError with the days available."""
    d = view.Params.defaults(snap)
    days = [day.isoformat() for day in view.history_of(snap).days]
    for option, day in (("--from", start), ("--to", end)):
        if day is not None and day not in days:
            shown = ", ".join(days) if len(days) <= 20 else f"{', '.join(days[:3])}, ..., {days[-1]}"
            raise ReportError(f"{option} {day[:40]}: not a day of the {snap.board} history ({shown})")
    raw = {"first": start or d.start.isoformat(), "second": end or d.end.isoformat()}
    try:
        return view.Params.from_inputs(raw, snap)
    except inputs.ViewError as exc:
        raise ReportError(str(exc)) from None


def render_markdown(snap: store.Snapshot, params: view.Params, tbl) -> str:
    """The report's text (the figures and CSV files it names are written beside it)."""
    hist = view.history_of(snap)
    first, last = hist.days[0], hist.days[-1]
    later = hist.entry(params.end)
    out = [f"# Leaderboard {snap.board}: what changed from {params.start} to {params.end}", "",
           f"*Snapshots of {params.start} and {params.end}, out of {len(hist.days)} from {first} to {last}. "
           f"The later one: {provenance.provenance(later.manifest, snap.board, later.models_count or 0, None)}. "
           f"llmtrends {store.code_version()}.*", "",
           "## What changed", ""]
    out += [f"- {line}" for line in view.summary_lines(tbl)]
    for name, title in view.SECTION_TITLES.items():
        header, rows, note = view.section_cells(tbl, name)
        out += ["", f"## {title}", ""]
        if rows:
            out.append(markdown_table(header, rows))
        if note:
            out += ["", note.replace("the table's CSV", f"{name}.csv") if rows else note]
    out += ["", "## The board over its history", ""]
    out += [f"![{title}]({which}.png)\n" for which, title in FIGURE_TITLES.items()]
    out += ["Dashed lines mark the two snapshots compared. Tables: "
            + ", ".join(f"[{s}.csv]({s}.csv)" for s in CSV_SECTIONS)
            + "; [changes.csv](changes.csv) holds them all (the What Changed tab's CSV).", ""]
    return "\n".join(out)


def write(snap: store.Snapshot, out: str | Path, start: str | None = None, end: str | None = None,
          dpi: int = DEFAULT_DPI) -> dict:
    """Write the report comparing ``start`` with ``end`` (ISO days; None: the tab's default)
    into ``out``; returns what ``run.json`` records."""
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.timezone.utc)
    params = params_for(snap, start, end)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    try:
        tbl = view.table(snap, params)
    except inputs.ViewError as exc:
        raise ReportError(str(exc)) from None
    files = {REPORT_FILE: render_markdown(snap, params, tbl).encode("utf-8"),
             "changes.csv": provenance.table_csv(tbl).encode("utf-8")}
    for name in CSV_SECTIONS:
        files[f"{name}.csv"] = provenance.table_csv(view.section(tbl, name)).encode("utf-8")
    for which in view.FIGURES:
        files[f"{which}.png"] = render.figure_bytes(view.figure(tbl, params, which), "png", dpi=dpi)
    for name, data in files.items():
        write_atomic(out / name, data)
    run = {"started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "seconds": round(time.perf_counter() - t0, 2),
           "board": snap.board, "from": params.start.isoformat(), "to": params.end.isoformat(),
           "files": sorted(files)}
    write_atomic(out / RUN_FILE, _json_bytes(run))
    return run


def weekly_pairs(days) -> list[tuple[dt.date, dt.date]]:
    """Each snapshot after the first, with the one a week before it (the tab's default pair
    on the history up to that snapshot)."""
    days = sorted(days)
    return [view.default_pair(days[:i + 1]) for i in range(1, len(days))]


def write_every_week(snap: store.Snapshot, out: str | Path, dpi: int = DEFAULT_DPI, progress=None) -> list[dict]:
    """One report per snapshot of the history into ``out/<date>/`` and an ``index.md`` listing them."""
    days = view.history_of(snap).days
    pairs = weekly_pairs(days)
    if not pairs:
        raise ReportError(view.single_message(snap.board, days[-1]))
    out = Path(out)
    runs = []
    for n, (start, end) in enumerate(pairs, start=1):
        runs.append(write(snap, out / end.isoformat(), start.isoformat(), end.isoformat(), dpi))
        if progress:
            progress(f"[{n}/{len(pairs)}] {start} -> {end}")
    index = [f"# Leaderboard {snap.board}: what changed, week by week", ""]
    index += [f"- [{end}]({end}/{REPORT_FILE}): from {start} to {end}" for start, end in reversed(pairs)]
    write_atomic(out / INDEX_FILE, ("\n".join(index) + "\n").encode("utf-8"))
    return runs
