"""Each view's default figures, drawn when a snapshot is built and stored beside it (issue 25).

What a new session shows first is every view at its defaults on a board. A build draws
those figures once (:func:`draw`, called by ``scripts/preprocess.py`` before the snapshot
becomes current) into ``<snapshot>/figures/``, with ``index.json`` saying, per view, the
parameters they were drawn for, the number of models the default table shows (the
provenance line) and each image's SHA-256. The app reads them when it loads a snapshot
(:func:`stored`): a start or a new snapshot serves them at once, with nothing to render.

A stored figure is used only for what it was drawn for: the index names the code that drew
it (:func:`code_fingerprint`: the package's source and data files and the drawing
libraries' versions) and each view's parameters (their ``repr``), and every image is
checked against its hash. Anything else (an upgrade, a history added since) is a miss: the
figure is drawn when a session asks for it, and ``python scripts/preprocess.py --figures
--out DATA`` draws the current snapshots' figures again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from llmtrends.figures import sha256_hex, write_atomic

log = logging.getLogger("llmtrends.serving.default_figures")

FOLDER = "figures"
INDEX = "index.json"
# The libraries whose versions change how a figure looks (their own code draws it).
DRAWING_LIBRARIES = ("plotnine", "matplotlib", "mizani", "pandas", "numpy", "pillow", "scikit-misc")

_FINGERPRINT: list[str] = []
_FINGERPRINT_LOCK = threading.Lock()


def code_fingerprint() -> str:
    """A hash of the package's source and data files and of the drawing libraries' versions
    (computed once per process)."""
    with _FINGERPRINT_LOCK:
        if not _FINGERPRINT:
            h = hashlib.sha256()
            root = Path(__file__).resolve().parent
            for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".csv") and p.is_file()):
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
            for name in DRAWING_LIBRARIES:
                try:
                    version = metadata.version(name)
                except metadata.PackageNotFoundError:
                    version = "-"
                h.update(f"{name}={version};".encode())
            _FINGERPRINT.append(h.hexdigest())
        return _FINGERPRINT[0]


def draw(snap, views, render: Callable[..., bytes] | None = None,
         on_view: Callable[[str], None] | None = None) -> int:
    """Draw every view's default figures of ``snap`` into ``<snap.path>/figures``; returns
    how many were drawn.

    ``render(view_id, which, params, table, "png")`` draws one (default: in this process,
    as the app's workers do). A view that cannot be drawn at its defaults (an empty board,
    a figure the view says has nothing to show) is left out; the index is written last, so
    a build stopped midway leaves no index and nothing is read back.
    """
    from llmtrends.views import inputs

    if render is None:
        from llmtrends.serving.render import view_figure_bytes as render
    folder = Path(snap.path) / FOLDER
    folder.mkdir(exist_ok=True)
    os.chmod(folder, 0o755)
    index: dict = {"code": code_fingerprint(), "views": {}}
    for view in views:
        if on_view is not None:
            on_view(view.ID)
        try:
            params = view.Params.defaults(snap)
            tbl = view.table(snap, params)
            empty = getattr(view, "empty_figure", None)
            entry = {"params": repr(params), "shown": tbl.attrs.get("models_shown"), "figures": {}}
            for which in view.FIGURES:
                if empty is not None and empty(tbl, params, which) is not None:
                    continue
                data = render(view.ID, which, params, tbl, "png")
                name = f"{view.ID}.{which}.png"
                write_atomic(folder / name, data)
                entry["figures"][which] = {"file": name, "sha256": sha256_hex(data)}
        except inputs.ViewError:
            continue
        except Exception:  # noqa: BLE001 -- the snapshot is good; that view's figures are drawn when asked for
            log.exception("%s/%s: default figures not drawn", snap.board, view.ID)
            continue
        index["views"][view.ID] = entry
    write_atomic(folder / INDEX, (json.dumps(index, indent=1, sort_keys=True) + "\n").encode())
    return sum(len(e["figures"]) for e in index["views"].values())


def draw_folder(folder: Path, board: str, on_view: Callable[[str], None] | None = None) -> int:
    """:func:`draw` for the snapshot stored in ``folder`` (``<out>/<board>/snapshots/<id>``),
    every view; how the build calls it, before the snapshot becomes current."""
    from llmtrends.pipeline import store
    from llmtrends.views import VIEWS

    folder = Path(folder)
    snap = store.read_snapshot(folder.parent.parent.parent, board, folder.name)
    return draw(snap, VIEWS, on_view=on_view)


def draw_current(out: Path, boards: Iterable[str] | None = None,
                 on_view: Callable[[str], None] | None = None) -> dict[str, int]:
    """Draw the default figures of each board's current snapshot in ``out`` again (after an
    upgrade: their index names other code); returns how many per board."""
    from llmtrends import schema
    from llmtrends.pipeline import store
    from llmtrends.views import VIEWS

    drawn = {}
    for board in boards or schema.BOARDS:
        if store.snapshot_path(out, board) is not None:
            drawn[board] = draw(store.read_snapshot(out, board), VIEWS, on_view=on_view)
    return drawn


@dataclass(frozen=True)
class Stored:
    """One view's default figures as a build stored them, checked against this code."""

    view: object
    params: object
    shown: int | None  # the number of models the default table shows
    figures: dict[str, bytes]


def _index(snap) -> dict | None:
    if getattr(snap, "path", None) is None:
        return None
    path = Path(snap.path) / FOLDER / INDEX
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable (%s); its figures are drawn when asked for", path, exc)
        return None
    if not isinstance(index, dict) or not isinstance(index.get("views"), dict):
        log.warning("%s: not an index of figures; its figures are drawn when asked for", path)
        return None
    if index.get("code") != code_fingerprint():
        log.info("%s: drawn by other code; its figures are drawn when asked for (redraw them with "
                 "python scripts/preprocess.py --figures --out DATA)", path)
        return None
    return index


def stored(snap, views: Iterable) -> Iterator[Stored]:
    """The default figures stored beside ``snap`` that this code would draw the same: for
    each view whose index entry names its current default parameters, the images whose
    bytes match their hashes (a damaged or missing file is left out, with a log line)."""
    from llmtrends.views import inputs

    index = _index(snap)
    if index is None:
        return
    folder = Path(snap.path) / FOLDER
    for view in views:
        entry = index["views"].get(view.ID)
        if not isinstance(entry, dict) or not isinstance(entry.get("figures"), dict):
            continue
        try:
            params = view.Params.defaults(snap)
        except inputs.ViewError:
            continue
        if entry.get("params") != repr(params):  # other defaults now (a history built since)
            continue
        figures = {}
        for which, meta in entry["figures"].items():
            if which not in view.FIGURES or not isinstance(meta, dict):
                continue
            try:
                data = (folder / Path(str(meta.get("file"))).name).read_bytes()
            except OSError:
                data = b""
            if sha256_hex(data) != meta.get("sha256"):
                log.warning("%s/%s: stored figure %s is missing or damaged; drawn when asked for",
                            snap.board, view.ID, which)
                continue
            figures[which] = data
        shown = entry.get("shown")
        yield Stored(view, params, shown if isinstance(shown, int) else None, figures)
