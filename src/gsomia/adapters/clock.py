"""Clocks and id sources: the real ones, and a simulated clock for replays and tests."""

from __future__ import annotations

import secrets
import threading
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
    """128-bit random identifiers from the operating system's CSPRNG."""

    def new_id(self) -> str:
        return secrets.token_hex(16)
