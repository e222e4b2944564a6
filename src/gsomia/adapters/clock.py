"""Clocks and id sources: the real ones, and a simulated clock for replays and tests."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

__all__ = ["RandomIds", "SimulatedClock", "SystemClock"]


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that moves only when told to; ``tick`` adds a microsecond per reading so
    that two readings never coincide."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a simulated clock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._now += timedelta(microseconds=1)
            return self._now

    def set(self, at: datetime) -> None:
        """Move to ``at``; refuses to go backwards."""
        with self._lock:
            if at < self._now:
                raise ValueError(f"the simulated clock cannot go back from {self._now} to {at}")
            self._now = at

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


class RandomIds:
    """Time-ordered identifiers: 48 bits of Unix time in milliseconds, then 80 random bits
    from the operating system's CSPRNG (the layout of a UUIDv7, RFC 9562, without its
    version bits).

    Ids made close together sort close together, so the database's indexes on them take
    new rows at their right-hand edge instead of all over the tree: a transfer of a
    thousand items touches a few index pages, not one page an item, however large the store
    has grown. The 80 random bits keep the ids unguessable; the time they reveal is no more
    than the label's own creation time.
    """

    def new_id(self) -> str:
        return f"{time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF:012x}{secrets.token_hex(10)}"
