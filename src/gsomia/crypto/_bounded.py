"""A cache of at most a fixed number of entries, forgetting the least recently used first.

The keyring keeps derived keys and checked signatures so that a batch of items costs one
key agreement and one signature check. A node runs for months: a cache that only grows,
or that is emptied whole when full, holds far more than the work in hand needs and lets the
process's memory creep (measured in ``docs/scaling.md``). Each cache is therefore bounded
by the entries its work in hand needs, and keeps those that are used again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import TypeVar

__all__ = ["Bounded"]

K = TypeVar("K")
V = TypeVar("V")


class Bounded(Mapping[K, V]):
    """A mapping of at most ``limit`` entries; adding one more forgets the entry used least
    recently. Safe to share between threads. Raises ValueError for a limit below 1."""

    __slots__ = ("_entries", "_limit", "_lock")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a bounded cache holds at least 1 entry, not {limit}")
        self._limit = limit
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        """The most entries the cache holds."""
        return self._limit

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        """The value for ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                return default
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key``, forgetting the least recently used entry when
        full; returns ``value``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return value

    def __getitem__(self, key: K) -> V:
        with self._lock:
            return self._entries[key]

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
