"""Give memory the app no longer uses back to the system (issue 8: memory flat under load).

Drawing a figure allocates and frees tens of MB (matplotlib artists, plotnine's frames,
the image). CPython hands freed blocks back to C's ``malloc``, and glibc's ``malloc``
keeps most of them, in the middle of its heaps, for the next allocation: a figure
worker's resident memory grows over its first hundred figures and stays there
(benchmarks/README.md). glibc's ``malloc_trim(0)`` returns every free page of every heap to the system.
It takes a few milliseconds, so :class:`IdleTrimmer` calls it from a thread once the
process has been idle for a moment after some work, never while a figure is drawn.
(Measured on the app process too, it gave back nothing worth a thread: its memory is
Python objects held by its caches.)

Elsewhere than glibc (macOS, musl) :func:`trim` does nothing and says so (``False``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import threading
import time

log = logging.getLogger("llmtrends.serving.memory")


def _libc():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return lib if hasattr(lib, "malloc_trim") else None


_LIBC = _libc()


def available() -> bool:
    """Whether this C library can trim its heaps (glibc)."""
    return _LIBC is not None


def trim() -> bool:
    """Return the free pages of every ``malloc`` heap to the system; whether any were."""
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(0))


class IdleTrimmer:
    """Trims (:func:`trim`) once the process has done some work and then been idle for
    ``idle_s``. Work is marked with :meth:`busy` (a context manager; nests, any thread).
    One daemon thread polls every ``poll_s``."""

    def __init__(self, idle_s: float = 1.0, poll_s: float = 0.5, name: str = "llmtrends-trim"):
        self.idle_s, self.poll_s = idle_s, poll_s
        self._lock = threading.Lock()
        self._running = 0  # units of work under way
        self._last = 0.0  # when the last one ended (time.monotonic())
        self._dirty = False  # work since the last trim
        self.trims = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def busy(self):
        with self._lock:
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                self._last, self._dirty = time.monotonic(), True

    def due(self, now: float | None = None) -> bool:
        """Whether a trim is due now: work since the last one, none under way, idle long enough."""
        with self._lock:
            return self._due(time.monotonic() if now is None else now)

    def _due(self, now: float) -> bool:
        return self._dirty and not self._running and now - self._last >= self.idle_s

    def _run(self) -> None:
        while True:
            time.sleep(self.poll_s)
            # Trims holding the lock: work that starts meanwhile waits these few ms in
            # busy(), so a trim never runs beside a figure.
            with self._lock:
                if not self._due(time.monotonic()):
                    continue
                self._dirty = False
                try:
                    trim()
                    self.trims += 1
                except Exception:  # noqa: BLE001 -- never take the process down for this
                    log.exception("trimming the heap failed")
