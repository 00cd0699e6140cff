"""The boards a running app serves, following the data folder as new snapshots are built.

A build makes its snapshot current by replacing ``<board>/CURRENT`` (``store``); the app
does not need a restart to serve it. :class:`LiveBoards` holds the current snapshot of
every board as one immutable :class:`Boards` value; a thread looks at the ``CURRENT``
files every ``check_every_s`` seconds (a few ``stat``/``read`` calls, no table read), and
when one names another snapshot it reads that snapshot, then swaps the value in. New
sessions take the value of the moment they start; a session keeps its own for its life
(its selections, figures and downloads stay consistent), and can tell from the
generation that newer data is there. A snapshot that cannot be read keeps the board on
the one it had (one log line), so a broken build never takes a board away.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from llmtrends import schema
from llmtrends.pipeline import store

log = logging.getLogger("llmtrends.serving.live")


@dataclass(frozen=True)
class Boards:
    """The boards served at one moment: each board's snapshot and the id it was read for."""

    snapshots: dict[str, store.Snapshot]
    ids: dict[str, str]
    generation: int = 0
    errors: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        """The boards with a snapshot, in ``schema.BOARDS`` order."""
        return [b for b in schema.BOARDS if b in self.snapshots]


def current_ids(data_dir: str | Path) -> dict[str, str]:
    """Each board's current snapshot id on disk (boards without one left out)."""
    ids = {}
    for board in schema.BOARDS:
        found = store.current_id(data_dir, board)
        if found is not None:
            ids[board] = found
    return ids


class LiveBoards:
    """The current :class:`Boards` of a data folder, kept up to date by :meth:`check`."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        ids = current_ids(self.data_dir)
        snapshots, errors = store.load_snapshots(self.data_dir)
        self._boards = Boards(snapshots, {b: ids[b] for b in snapshots if b in ids}, 0, tuple(errors))
        self._lock = threading.Lock()  # one check at a time
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def boards(self) -> Boards:
        """The boards as they are now (an immutable value: read it once per use)."""
        return self._boards

    def check(self) -> bool:
        """Read the snapshots made current since the last check; True when any was."""
        with self._lock:
            before = self._boards
            ids = current_ids(self.data_dir)
            changed = {b: i for b, i in ids.items() if before.ids.get(b) != i}
            if not changed:
                return False
            snapshots, kept = dict(before.snapshots), dict(before.ids)
            for board, snapshot_id in changed.items():
                try:
                    snapshots[board] = store.read_snapshot(self.data_dir, board)
                except store.SnapshotError as exc:
                    log.warning("new %s snapshot %s not served: %s", board, snapshot_id, exc)
                    continue
                kept[board] = snapshot_id
                log.info("serving the new %s snapshot %s to new sessions", board, snapshot_id)
            if kept == before.ids:
                return False
            self._boards = Boards(snapshots, kept, before.generation + 1, before.errors)
        return True

    def start(self, check_every_s: float) -> None:
        """Check every ``check_every_s`` seconds in a daemon thread (idempotent)."""
        if self._thread is not None or check_every_s <= 0:
            return

        def watch() -> None:
            while not self._stop.wait(check_every_s):
                try:
                    self.check()
                except Exception:  # noqa: BLE001 -- e.g. the data folder unmounted for a while
                    log.exception("checking %s for new snapshots failed", self.data_dir)

        self._thread = threading.Thread(target=watch, name="llmtrends-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
