"""Where Cursor-on-Target events go: a TAK server's streaming input.

Contract for every adapter: ``send`` MUST NOT return before the event is written to the
connection (or raise :class:`~gsomia.errors.TransportError`); events keep their order;
``close`` is idempotent. CoT is superseding, so a caller drops an event that failed and
sends the next one.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["CotSink"]


class CotSink(Protocol):
    """A connection to a TAK server (or any CoT router)."""

    def send(self, event: bytes) -> None:
        """Write one CoT event (a UTF-8 XML document)."""

    def close(self) -> None:
        """Close the connection."""
