"""Each view's default figures, drawn when a snapshot is built and stored beside it (issue 25).

What a new session shows first is every view at its defaults on a board. A build draws
those figures once (:func:`draw`, called by ``scripts/preprocess.py`` before the snapshot
becomes current) into ``<snapshot>/figures/``, with ``index.json`` saying, per view, the
parameters they were drawn for, the number of models the default table shows (the
provenance line) and each image's SHA-256. The app looks there when a session asks for a
figure it has not cached (:func:`figure`, :func:`models_shown`): a new session's first plots are
then served at once, with no table computed and nothing rendered, from the first start.

A stored figure is used only for what it was drawn for: the index names the code that drew
it (:func:`code_fingerprint`: the package's source and data files and the drawing
libraries' versions) and each view's parameters (their ``repr``), and every image is
checked against its hash. Anything else (an upgrade, a history added since) is a miss: the
figure is drawn when a session asks for it, and ``python scripts/preprocess.py --board B
--figures-only --out DATA`` draws the current snapshot's figures again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
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


PACKAGE = Path(__file__).resolve().parents[1]  # llmtrends/, not this sub-package


def fingerprinted_files() -> list[Path]:
    """The files whose content the fingerprint covers: every source and data file of the
    package, in every sub-package (a view, the look, the reference CSVs)."""
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".csv") and p.is_file())


def code_fingerprint() -> str:
    """A hash of the package's source and data files and of the drawing libraries' versions
    (computed once per process)."""
    with _FINGERPRINT_LOCK:
        if not _FINGERPRINT:
            h = hashlib.sha256()
            for path in fingerprinted_files():
                h.update(str(path.relative_to(PACKAGE)).encode())
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


def _index(snap) -> dict | None:
    """The snapshot's index of stored figures, if this code drew them (None otherwise)."""
    if getattr(snap, "path", None) is None:
        return None
    path = Path(snap.path) / FOLDER / INDEX
    try:
        st = path.stat()  # an index drawn again (a history build; written anew) is read again
    except OSError:
        return None
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    return _read_index(str(path), stamp, code_fingerprint())


@functools.lru_cache(maxsize=32)
def _read_index(path: str, stamp: tuple, code: str) -> dict | None:
    # read once per snapshot, index version and code: each warning below is logged once
    try:
        index = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable (%s); its figures are drawn when asked for", path, exc)
        return None
    if not isinstance(index, dict) or not isinstance(index.get("views"), dict):
        log.warning("%s: not an index of figures; its figures are drawn when asked for", path)
        return None
    if index.get("code") != code:
        log.info("%s: drawn by other code; its figures are drawn when asked for (redraw them with "
                 "python scripts/preprocess.py --board BOARD --figures-only --out DATA)", path)
        return None
    return index


def _entry(snap, view, params) -> dict | None:
    """The index entry of ``view`` if it was drawn for ``params`` (their ``repr``)."""
    index = _index(snap)
    entry = None if index is None else index["views"].get(view.ID)
    if not isinstance(entry, dict) or not isinstance(entry.get("figures"), dict):
        return None
    return entry if entry.get("params") == repr(params) else None


def figure(snap, view, which: str, params) -> bytes | None:
    """The figure ``which`` of ``view`` at ``params`` as the build stored it beside ``snap``,
    if this code drew it for these parameters and its bytes match their hash; None otherwise
    (a damaged or missing file is logged)."""
    entry = _entry(snap, view, params)
    meta = None if entry is None else entry["figures"].get(which)
    if not isinstance(meta, dict):
        return None
    try:
        data = (Path(snap.path) / FOLDER / Path(str(meta.get("file"))).name).read_bytes()
    except OSError:
        data = b""
    if sha256_hex(data) != meta.get("sha256"):
        log.warning("%s/%s: stored figure %s is missing or damaged; drawn when asked for", snap.board, view.ID, which)
        return None
    return data


def models_shown(snap, view, params) -> int | None:
    """The number of models the table of ``view`` at ``params`` shows, as the build stored it
    (its provenance line without the table); None when not stored for these parameters."""
    entry = _entry(snap, view, params)
    count = None if entry is None else entry.get("shown")
    return count if isinstance(count, int) and not isinstance(count, bool) else None
