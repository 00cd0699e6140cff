"""Reproduce every view's figures, tables and provenance into a folder (no Shiny).

For each view in :data:`llmtrends.views.VIEWS` (or a chosen subset) this takes the view's
default parameters (``Params.defaults(snap)``; for v1 these are the study's settings),
computes its table with ``table(snap, params)`` and renders each of its ``FIGURES`` with
:func:`llmtrends.serving.render.figure_bytes` -- exactly the functions the app calls, so a
reproduced figure and one downloaded from the app come out of the same code.

Outputs in ``OUT``:

* ``<view>_<which>.<fmt>`` for every figure and format;
* ``<view>.csv`` -- the plotted table (:func:`llmtrends.views.provenance.table_csv`); a view
  without figures (the explorer's table) gets its CSV and a ``"which": null`` entry;
* ``figures.json`` -- what was drawn from what: per figure the view, title, plot name,
  parameters, files with their sha256, plus the snapshot (board, models_sha256, built_at,
  source) and the code version. It holds **no run time**, so two runs on the same snapshot
  with the same code give byte-identical ``figures.json``;
* ``run.json`` -- when the run happened and how long it took (differs between runs; not
  part of the reproducible record).

With ``study_way=True`` (``scripts/figures.py --study-way``) each view's defaults are
turned into the study's choices where the two differ only by a rule (:func:`study_params`:
weeks from Sunday, the study's smoothers, its author ranking, the base models' score gained
over the base), so that the study's figures and llmtrends' can be put side by side.

Views whose defaults select nothing (``EmptySelection``, e.g. CO₂ on v1, which has no
emissions) are recorded as ``"status": "skipped"`` with the reason, not as errors; so is a
single figure its view says has nothing to draw (``empty_figure``, e.g. the base models'
staircase on a board without scores), its table written all the same.
Every file is written to a temporary name and renamed, so an interrupted run never leaves
a half-written file behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from llmtrends.pipeline import store
from llmtrends.serving import render, speedups
from llmtrends.views import VIEWS
from llmtrends.views import inputs, provenance

RECORD_FILE = "figures.json"
RUN_FILE = "run.json"
RECORD_VERSION = 1
DEFAULT_FORMATS = ("png", "svg", "pdf")
DEFAULT_DPI = 300
SNAPSHOT_FIELDS = ("board", "models_sha256", "built_at", "source", "source_revision", "source_sha256")

Progress = Callable[[str], None]


class FiguresError(RuntimeError):
    """The figures could not be reproduced; the message says which view or file and why."""


def to_jsonable(value: object) -> object:
    """A parameter value as plain JSON: dates ISO, tuples/sets as lists, dataclasses as dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_jsonable(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return to_jsonable(value.item())
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return str(value)


def select_views(ids: Sequence[str] | None) -> list:
    """The view modules to reproduce: all of VIEWS, or the named ones in VIEWS order."""
    if not ids:
        return list(VIEWS)
    known = [v.ID for v in VIEWS]
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise FiguresError(f"unknown view(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [v for v in VIEWS if v.ID in ids]


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats, validated against :data:`llmtrends.serving.render.FORMATS` (order kept, no repeats)."""
    bad = [f for f in formats if f not in render.FORMATS]
    if bad or not formats:
        raise FiguresError(f"unknown figure format(s) {', '.join(bad) or '(none)'}; "
                           f"expected some of {', '.join(render.FORMATS)}")
    return tuple(dict.fromkeys(formats))


def snapshot_record(snap: store.Snapshot) -> dict:
    """The snapshot's identity for the record (manifest fields; never the file paths on disk)."""
    record = {key: snap.manifest.get(key) for key in SNAPSHOT_FIELDS}
    record["board"] = snap.board
    record["models"] = int(len(snap.models))
    return record


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (readable by all)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_bytes(obj: object) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def default_jobs() -> int:
    """Worker processes for a run: the CPUs available, at most four."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def study_params(view, snap: store.Snapshot, params):
    """``params`` with the study's rules: the view's own ``study_params(snap, params)`` when
    it has one (author activity re-ranks its authors, base models plot the gain over the
    base), else ``rules="study"`` when its parameters have that field, else unchanged (a
    view the study did not have, or one whose rules the study shared)."""
    own = getattr(view, "study_params", None)
    if own is not None:
        return own(snap, params)
    if dataclasses.is_dataclass(params) and "rules" in {f.name for f in dataclasses.fields(params)}:
        return dataclasses.replace(params, rules=inputs.RULES_STUDY)
    return params


def _render_figure(view, snap: store.Snapshot, which: str | None, formats: tuple[str, ...], dpi: int,
                   out: Path, write_csv: bool, study_way: bool = False, size: str = "screen") -> dict:
    """One figure of one view in every format (and the view's CSV when asked): its record entry.

    ``which`` None: a view without figures (a table view such as the explorer) -- only its CSV.
    """
    t0 = time.perf_counter()
    params = view.Params.defaults(snap)
    if study_way:
        params = study_params(view, snap, params)
    entry = {"view": view.ID, "title": view.TITLE, "which": which, "params": to_jsonable(params)}
    try:
        tbl = view.table(snap, params)
    except inputs.EmptySelection as exc:
        return {**entry, "status": "skipped", "reason": str(exc), "files": [], "table": None}
    except Exception as exc:  # noqa: BLE001 -- reported with the view's name
        raise FiguresError(f"view {view.ID}: table failed: {type(exc).__name__}: {exc}") from None
    csv_bytes = provenance.table_csv(tbl).encode("utf-8")
    csv_name = f"{view.ID}.csv"
    if write_csv:
        write_atomic(out / csv_name, csv_bytes)
    table_info = {"file": csv_name, "sha256": sha256_hex(csv_bytes), "rows": int(len(tbl)),
                  "models_shown": to_jsonable(tbl.attrs.get("models_shown"))}
    empty = getattr(view, "empty_figure", None)
    why = empty(tbl, params, which) if empty is not None and which is not None else None
    if why is not None:  # this figure alone has nothing to draw (the view's others have): its reason
        return {**entry, "status": "skipped", "reason": why, "files": [], "table": table_info}
    files = []
    for fmt in (formats if which is not None else ()):
        try:
            data = render.figure_bytes(view.figure(tbl, params, which), fmt, dpi=dpi, size=size)
        except Exception as exc:  # noqa: BLE001 -- reported with the view's name
            raise FiguresError(f"view {view.ID}, figure {which} ({fmt}): {type(exc).__name__}: {exc}") from None
        name = f"{view.ID}_{which}.{fmt}" if size == "screen" else f"{view.ID}_{which}_{size}.{fmt}"
        write_atomic(out / name, data)
        files.append({"file": name, "format": fmt, "sha256": sha256_hex(data), "bytes": len(data)})
    return {**entry, "status": "ok", "files": files, "table": table_info,
            "_seconds": time.perf_counter() - t0}


_WORKER_SNAPSHOT: store.Snapshot | None = None


def _worker_init(snap: store.Snapshot) -> None:
    global _WORKER_SNAPSHOT
    speedups.install()  # as in the process that started the workers (scripts/figures.py)
    _WORKER_SNAPSHOT = snap


def _worker_figure(view_id: str, which: str | None, formats: tuple[str, ...], dpi: int, out: str, write_csv: bool,
                   study_way: bool, size: str = "screen") -> dict:
    view = select_views([view_id])[0]
    return _render_figure(view, _WORKER_SNAPSHOT, which, formats, dpi, Path(out), write_csv, study_way, size)


def reproduce(snap: store.Snapshot, out: str | Path, *, formats: Sequence[str] = DEFAULT_FORMATS,
              dpi: int = DEFAULT_DPI, views: Sequence[str] | None = None,
              progress: Progress | None = None, jobs: int = 1, study_way: bool = False,
              size: str = "screen") -> dict:
    """Write every selected view's figures, CSV and the ``figures.json`` record into ``out``.

    ``study_way``: the study's rules instead of llmtrends' (see :func:`study_params`).
    ``size``: "screen" (each figure's own size), or a paper's column width, "single"
    (3.5 in) or "double" (7 in), as ``render.SIZES`` (the files are then named
    ``<view>_<which>_<size>.<fmt>``).

    ``jobs`` > 1 renders figures in that many worker processes (the output is the same
    bytes: each figure is drawn on its own, and the record is assembled in VIEWS order).
    Returns the record (the content of ``figures.json``). Raises :class:`FiguresError` when a
    view fails for another reason than an empty selection, naming the view and plot.
    """
    formats = check_formats(formats)
    if not isinstance(dpi, int) or not 10 <= dpi <= 1200:
        raise FiguresError(f"dpi must be an integer between 10 and 1200, not {dpi!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise FiguresError(f"jobs must be a positive integer, not {jobs!r}")
    if size not in render.SIZES:
        raise FiguresError(f"unknown figure size {size!r}; expected one of {', '.join(render.SIZES)}")
    chosen = select_views(views)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FiguresError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    say = progress or (lambda _msg: None)
    started_at = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    # one task per figure; the view's first figure also writes the view's CSV; a view
    # without figures gets one table-only task (which = None)
    tasks = [(view, which, i == 0) for view in chosen
             for i, which in enumerate(tuple(view.FIGURES) or (None,))]
    entries: list[dict | None] = [None] * len(tasks)

    def report(index: int, entry: dict, done: int) -> None:
        entries[index] = entry
        label = f"[{done}/{len(tasks)}] {entry['view']}/{entry['which'] or 'table'}"
        if entry["status"] == "skipped":
            say(f"{label}: skipped ({entry['reason']})")
        elif entry["which"] is None:
            say(f"{label}: csv in {entry.pop('_seconds'):.1f}s")
        else:
            say(f"{label}: {', '.join(formats)} in {entry.pop('_seconds'):.1f}s")

    if jobs == 1 or len(tasks) < 2:
        for i, (view, which, write_csv) in enumerate(tasks):
            report(i, _render_figure(view, snap, which, formats, dpi, out, write_csv, study_way, size), i + 1)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: fresh interpreters, no inherited locks or thread pools (pyarrow, matplotlib)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                                 initializer=_worker_init, initargs=(snap,)) as pool:
            futures = {pool.submit(_worker_figure, view.ID, which, formats, dpi, str(out), write_csv, study_way,
                                   size): i
                       for i, (view, which, write_csv) in enumerate(tasks)}
            try:
                for done, fut in enumerate(as_completed(futures), start=1):
                    report(futures[fut], fut.result(), done)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    for entry in entries:
        entry.pop("_seconds", None)
    record = {
        "record_version": RECORD_VERSION,
        "snapshot": snapshot_record(snap),
        "code_version": store.code_version(),
        "formats": list(formats),
        "dpi": dpi,
        "rules": inputs.RULES_STUDY if study_way else inputs.RULES_OURS,
        **({} if size == "screen" else {"size": size}),
        "views": [v.ID for v in chosen],
        "figures": entries,
    }
    write_atomic(out / RECORD_FILE, _json_bytes(record))
    seconds = time.perf_counter() - t0
    run = {"started_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "seconds": round(seconds, 2),
           "jobs": jobs, "python": sys.version.split()[0], "platform": platform.platform(),
           "figures_written": sum(1 for e in entries if e["status"] == "ok"),
           "figures_skipped": sum(1 for e in entries if e["status"] == "skipped")}
    write_atomic(out / RUN_FILE, _json_bytes(run))
    return record
