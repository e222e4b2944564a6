"""Time and identifiers, passed in so that every workflow can be replayed and tested."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["Clock", "IdSource"]


class Clock(Protocol):
    """The current instant. MUST return timezone-aware datetimes that never go backwards
    within one process."""

    def now(self) -> datetime: ...


class IdSource(Protocol):
    """Fresh identifiers. ``new_id`` MUST return 32 lower-case hex digits, unique with
    overwhelming probability (in production: 48 bits of time in milliseconds, then 80
    random bits)."""

    def new_id(self) -> str: ...
