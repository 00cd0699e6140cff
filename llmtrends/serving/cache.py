"""The app's caches: least-recently-used maps bounded by size (cachetools), shared by every session.

A view's table and figures depend only on the snapshot and the view's parameters, so every
session that selects the same parameters on the same snapshot shares one computation. Keys
are tuples such as ``(view_id, board, snapshot_version, params)`` (params are frozen
dataclasses). The caches do not wait for each other's computations: the one place where
sessions share a render under way is ``modules.serving.figure_future``.

* :class:`TableCache`: DataFrames, bounded by their deep memory; callers get a copy, so
  nothing a session does to its table reaches the cache (cheap under copy-on-write).
* :class:`FigureCache`: figure bytes, bounded by their length. A PNG is also found by its
  content key (``figure_urls.content_key``, computed once when it is kept), which is how
  the app's ``figures/<key>.png`` route serves it.
* :class:`ValueCache`: small values (a table's model count), bounded by their number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

import cachetools
import pandas as pd

from llmtrends.serving.figure_urls import content_key


def frame_bytes(frame: pd.DataFrame) -> int:
    """Memory a table holds (deep: strings and objects included)."""
    return int(frame.memory_usage(index=True, deep=True).sum())


class _LRU(cachetools.LRUCache):
    """cachetools' LRU, telling its owner what it evicts (cachetools' documented way:
    overriding ``popitem``)."""

    def __init__(self, maxsize, getsizeof, evicted: Callable[[Hashable, object], None]):
        super().__init__(maxsize, getsizeof=getsizeof)
        self._evicted = evicted

    def popitem(self):
        key, value = super().popitem()
        self._evicted(key, value)
        return key, value


class BoundedCache:
    """A thread-safe LRU map whose values' total ``size`` stays within ``max_size``; a value
    larger than the bound is not kept. Counts hits and misses."""

    def __init__(self, max_size: int, size: Callable[[object], int] | None = None):
        self.max_size = max_size
        self._items = _LRU(max_size, size, self._evicted)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _evicted(self, key: Hashable, value: object) -> None:
        """Called (lock held) for each value the bound pushes out."""

    def _get(self, key: Hashable) -> object | None:
        with self._lock:
            value = self._items.get(key)  # a hit moves the key to the most recent end
            self.hits += value is not None
            return value

    def _put(self, key: Hashable, value: object, miss: bool = True) -> bool:
        """Keep ``value`` unless ``key`` is kept already; whether it is kept now (call with
        the lock held)."""
        self.misses += miss
        if key not in self._items:
            try:
                self._items[key] = value
            except ValueError:  # larger than the whole cache: served, not kept
                return False
        return True

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (nothing happens if it is not kept)."""
        with self._lock:
            value = self._items.pop(key, None)
            if value is not None:
                self._evicted(key, value)

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` is kept (not counted as a hit, order unchanged)."""
        with self._lock:
            return key in self._items

    @property
    def size_bytes(self) -> int:
        return int(self._items.currsize)

    def __len__(self) -> int:
        return len(self._items)


class TableCache(BoundedCache):
    """DataFrames bounded by their total deep memory usage."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        super().__init__(max_bytes, lambda kept: kept[1])  # kept: (frame, its size)

    def get_or_compute(self, key: Hashable, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A copy of the cached table for ``key``; computed (outside the lock) on a miss.
        Exceptions from ``compute`` (an empty selection, say) propagate and are not cached."""
        kept = self._get(key)
        if kept is not None:
            return kept[0].copy()
        frame = compute()
        size = frame_bytes(frame)
        # a table larger than the whole cache is not kept: counted, but not copied for nothing
        with self._lock:
            self._put(key, (frame.copy() if size <= self.max_size else None, size))
        return frame


class FigureCache(BoundedCache):
    """Figure bytes bounded by their total length; PNGs are also found by content key."""

    PNG = b"\x89PNG\r\n\x1a\n"

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        super().__init__(max_bytes, lambda kept: len(kept[0]))  # kept: (bytes, content key or None)
        # content key -> the keys whose figure has those bytes (two selections may draw alike)
        self._by_content: dict[str, set[Hashable]] = {}

    def _evicted(self, key, kept) -> None:
        keys = self._by_content.get(kept[1], set())
        keys.discard(key)
        if not keys:
            self._by_content.pop(kept[1], None)

    def get(self, key: Hashable) -> bytes | None:
        """The cached bytes for ``key`` (counted as a hit), or None without rendering."""
        kept = self._get(key)
        return None if kept is None else kept[0]

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The cached bytes for ``key``, rendering (outside the lock) on a miss. A failed
        render raises and keeps nothing."""
        data = self.get(key)
        if data is None:
            data = render()
            self.put(key, data, miss=True)
        return data

    def put(self, key: Hashable, data: bytes, miss: bool = False) -> str | None:
        """Keep ``data`` for ``key`` (by default a figure drawn elsewhere: not counted as a
        miss); its content key when it is a PNG kept now."""
        content = content_key(data) if data[:8] == self.PNG else None
        with self._lock:
            if self._put(key, (data, content), miss) and content is not None:
                self._by_content.setdefault(content, set()).add(key)
                return content
        return None

    def address(self, key: Hashable, data: bytes) -> str:
        """The content key the PNG ``data`` drawn for ``key`` is served under, computed when
        it was kept; kept again if the bound pushed it out since."""
        with self._lock:
            kept = self._items.get(key)
        if kept is not None and kept[1] is not None:
            return kept[1]
        return self.put(key, data) or content_key(data)

    def by_content(self, content: str) -> bytes | None:
        """The PNG whose content key is ``content``, or None when none is kept."""
        with self._lock:
            for key in self._by_content.get(content, ()):
                kept = self._items.get(key)
                if kept is not None:
                    return kept[0]
        return None


class ValueCache(BoundedCache):
    """Small values (counts, flags) bounded by their number."""

    def __init__(self, max_items: int = 4096):
        super().__init__(max_items)

    def get(self, key: Hashable) -> object | None:
        """The value for ``key``, or None."""
        return self._get(key)

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key`` (a key already kept keeps its first value)."""
        with self._lock:
            self._put(key, value, miss=False)
