"""Rendered figures kept on disk between runs of the app (issue 8: cold start).

The app renders every view's default figures at start (``modules.common.prewarm``), so
that a new session's first plots are cache hits. Rendering them takes the two cores
several seconds, which is exactly when the first visitor arrives after a restart. The
store keeps those renders in a folder, so a restarted app reads them back in milliseconds.

A stored figure is only ever used for the key it was rendered for, under the code that
rendered it:

* the file name is a hash of the figure's key (view, plot, parameters, snapshot content,
  format, resolution) and of :func:`code_fingerprint` -- the source of the ``llmtrends``
  package and the versions of the libraries that draw (plotnine, matplotlib, ...). Other
  code or other data never find a file to read;
* files are written to a temporary name and renamed, and a read checks the PNG/SVG/PDF
  signature and end, so a half-written or damaged file is a miss, never a broken image;
* :meth:`FigureStore.prune` removes the files that the running app did not ask for, so
  the folder holds one app's default figures, not every version's.

Once it holds everything the first tab of a new session shows, prewarm leaves a marker
(:meth:`FigureStore.mark_first_tab`) named by the code and the snapshots' versions. The
next start checks it before it loads anything (:func:`holds_first_tab`, manifests only):
then the figure workers can wait until the first page is out (``app.py``).

An unwritable folder (a read-only deployment) turns the store off with one warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Hashable, Iterable, Mapping
from importlib import metadata
from pathlib import Path

from . import schema

log = logging.getLogger("llmtrends.figstore")

# The libraries whose versions change how a figure looks (their own code draws it).
DRAWING_LIBRARIES = ("plotnine", "matplotlib", "mizani", "pandas", "numpy", "pillow", "scikit-misc")
SUFFIX = ".fig"
FIRST_TAB = ".first-tab-"  # the marker's name: this prefix and a hash of code, board and data
# What a stored file must start and end with, by format (the end: PNG's IEND chunk, SVG's
# closing tag, PDF's end-of-file marker, allowing trailing whitespace).
SIGNATURES = {"png": (b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"), "svg": (b"<?xml", b"</svg>"),
              "pdf": (b"%PDF", b"%%EOF")}

_FINGERPRINT: list[str] = []
_FINGERPRINT_LOCK = threading.Lock()


def code_fingerprint() -> str:
    """A hash of the package's source and data files and of the drawing libraries' versions.

    Computed once per process (the package's files are read once)."""
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


def well_formed(data: bytes, fmt: str) -> bool:
    """Whether ``data`` starts and ends as a complete file of format ``fmt`` does."""
    head, tail = SIGNATURES.get(fmt, (b"", b""))
    return bool(data) and data.startswith(head) and data.rstrip().endswith(tail)


class FigureStore:
    """Figures on disk by key (see module doc). ``folder=None``: a store that keeps nothing."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._asked: set[str] = set()
        self._lock = threading.Lock()
        self.reads = 0
        self.writes = 0

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _name(self, key: Hashable) -> str:
        digest = hashlib.sha256(f"{code_fingerprint()}\n{key!r}".encode()).hexdigest()[:40]
        with self._lock:
            self._asked.add(digest + SUFFIX)
        return digest + SUFFIX

    def get(self, key: Hashable, fmt: str = "png") -> bytes | None:
        """The stored bytes for ``key``, or None (not stored, unreadable or damaged)."""
        if self.folder is None:
            return None
        path = self.folder / self._name(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not well_formed(data, fmt):
            log.warning("ignoring a damaged stored figure %s", path.name)
            return None
        self.reads += 1
        return data

    def _holds(self, name: str) -> bool:
        return self.folder is not None and (self.folder / name).is_file()

    def has(self, key: Hashable) -> bool:
        """Whether a file is stored for ``key`` (not read or checked)."""
        return self._holds(self._name(key))

    def get_count(self, key: Hashable) -> int | None:
        """The number stored for ``key`` by :meth:`put_count`, or None."""
        data = self.get(key, "count")
        return int(data) if data is not None and data.isdigit() else None

    def put_count(self, key: Hashable, n: int) -> None:
        """Store a number (a table's count of models) for ``key``."""
        self.put(key, str(int(n)).encode("ascii"))

    def put(self, key: Hashable, data: bytes) -> None:
        """Store ``data`` for ``key`` (temporary file, then rename); turns the store off when
        the folder cannot be written."""
        if self.folder is None:
            return
        name = self._name(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=SUFFIX)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.folder / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("figure store %s is not writable (%s); figures are not kept between runs",
                        self.folder, exc.strerror or exc)
            self.folder = None
            return
        self.writes += 1

    def _first_tab_name(self, versions: Mapping[str, str], board: str | None) -> str:
        text = f"{code_fingerprint()}\n{board}\n{sorted(versions.items())!r}"
        return FIRST_TAB + hashlib.sha256(text.encode()).hexdigest()[:24]

    def holds_first_tab(self, versions: Mapping[str, str], board: str | None) -> bool:
        """Whether prewarm marked the first tab of ``board`` stored, for this code and the
        snapshots of these ``versions`` (board -> version)."""
        return self._holds(self._first_tab_name(versions, board))

    def mark_first_tab(self, versions: Mapping[str, str], board: str | None) -> None:
        """Record that the store holds the first tab of ``board`` for this code and data (the
        marker of other code or data is removed)."""
        if self.folder is None:
            return
        name = self._first_tab_name(versions, board)
        if self._holds(name):  # marked by an earlier start: nothing to write
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).touch()
            for path in self.folder.glob(FIRST_TAB + "*"):
                if path.name != name:
                    path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("figure store %s: could not mark the first tab stored (%s)", self.folder,
                        exc.strerror or exc)

    def prune(self, keep: Iterable[Hashable] = ()) -> int:
        """Remove stored figures (and stray temporary files) this store was not asked for and
        that are not in ``keep``; returns how many files were removed."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        for key in keep:
            self._name(key)
        with self._lock:
            wanted = set(self._asked)
        removed = 0
        for path in self.folder.iterdir():
            if path.suffix == SUFFIX and path.name not in wanted:
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    pass
        return removed


def from_setting(value: str | None, data_dir: Path) -> FigureStore:
    """The store ``LLMTRENDS_FIGURE_STORE`` asks for: unset -> ``<data>/.figures``; ``0``,
    ``off``, ``no``, ``false`` -> none; anything else -> that folder."""
    value = (value or "").strip()
    if value.lower() in ("0", "off", "no", "false"):
        return FigureStore(None)
    return FigureStore(Path(value).expanduser() if value else data_dir / ".figures")


def manifest_versions(data_dir: Path) -> dict[str, str]:
    """Each board's snapshot version (``Snapshot.version``) read from its manifest alone:
    what :func:`holds_first_tab` checks before the app loads (and imports) anything else.
    A board without a readable manifest is left out."""
    from . import store  # reads paths and manifests only (no pandas)

    versions = {}
    for board in schema.BOARDS:
        manifest = store.current_manifest(data_dir, board)
        if manifest:
            versions[board] = schema.snapshot_version(manifest)
    return versions
