"""A process-wide cache of view tables, bounded by memory (issue 8).

A view's table depends only on the snapshot and the view's parameters, so every session
that selects the same parameters on the same snapshot can share one computation. Keys
are ``(view_id, board, snapshot_version, params)`` (params are frozen dataclasses).
Callers get a copy, so that nothing a session does to its table reaches the cache; under
pandas' copy-on-write the copy is cheap.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd


def frame_bytes(frame: pd.DataFrame) -> int:
    """Memory a table holds (deep: strings and objects included)."""
    return int(frame.memory_usage(index=True, deep=True).sum())


class BoundedLRU:
    """A thread-safe least-recently-used map bounded by the total size of its values.

    ``_lookup`` and ``_store`` are the two halves every cache here needs: a hit moves the
    key to the most-recent end and counts; a store counts a miss, keeps a value no larger
    than the bound, and evicts the least recently used values until the total fits.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _lookup(self, key: Hashable) -> object | None:
        """The value for ``key`` (a hit), or None; call with ``self._lock`` held."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[0]

    def _store(self, key: Hashable, value: object, size: int, miss: bool = True) -> None:
        """Count a miss (unless ``miss`` is false) and keep ``value`` if it fits the bound;
        call with the lock held."""
        self.misses += miss
        if key in self._items or size > self.max_bytes:
            return
        self._items[key] = (value, size)
        self._size += size
        while self._size > self.max_bytes:
            _, (_, old) = self._items.popitem(last=False)
            self._size -= old

    def peek(self, key: Hashable) -> object | None:
        """The value for ``key``, or None, without counting a hit or changing the order."""
        with self._lock:
            item = self._items.get(key)
            return None if item is None else item[0]

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (nothing happens if it is not kept)."""
        with self._lock:
            item = self._items.pop(key, None)
            if item is not None:
                self._size -= item[1]

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` is cached (not counted as a hit, order unchanged)."""
        with self._lock:
            return key in self._items

    @property
    def size_bytes(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)


class TableCache(BoundedLRU):
    """An LRU cache of DataFrames bounded by their total deep memory usage."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        super().__init__(max_bytes)

    def get_or_compute(self, key: Hashable, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A copy of the cached table for ``key``; computed (outside the lock) on a miss.

        Exceptions from ``compute`` (an empty selection, say) propagate and are not cached.
        """
        with self._lock:
            cached = self._lookup(key)
        if cached is not None:
            return cached.copy()
        frame = compute()
        size = frame_bytes(frame)
        # a table larger than the whole cache is not kept: counted, but not copied for nothing
        with self._lock:
            self._store(key, frame.copy() if size <= self.max_bytes else None, size)
        return frame


class ValueCache(BoundedLRU):
    """An LRU cache of small values (counts, flags) bounded by their number."""

    def __init__(self, max_items: int = 4096):
        super().__init__(max_items)

    def get(self, key: Hashable) -> object | None:
        """The value for ``key``, or None."""
        with self._lock:
            return self._lookup(key)

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key`` (a key already kept keeps its first value)."""
        with self._lock:
            self._store(key, value, 1, miss=False)
