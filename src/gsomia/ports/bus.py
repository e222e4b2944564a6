"""The message bus: fan-out of a node's live picture to its own consumers.

A node publishes what changes fast and many want (warnings opened, picture updates) on
subjects ``gsomia.<party>.<topic>``; API workers, consoles and analysts subscribe. In one
process the in-process bus does it; at scale NATS JetStream does (a stream per deployment,
file storage, acknowledged publishes).

Contract for every adapter (in-process and NATS pass ``tests/conformance/test_bus.py``):

* ``publish`` MUST NOT return before the bus has accepted the message (JetStream: the
  publish acknowledgement); it raises :class:`~gsomia.errors.TransportError` otherwise.
* Messages on one subject reach each subscriber in publication order, at least once;
  payloads are opaque bytes, delivered unchanged.
* ``subscribe(..., replay=True)`` also delivers the messages the bus still holds for the
  subject, oldest first, before new ones; ``replay=False`` delivers only new ones.
* Handlers run on the bus's own thread; a handler that raises does not stop delivery to
  others (the error is logged).
* ``publish(..., msg_id=...)``: a message published again under an id the bus has seen
  lately (a warning frame's id, published by two workers or after a redelivery) is
  accepted and not delivered again (JetStream: ``Nats-Msg-Id`` in its duplicate window).
* ``close`` stops deliveries and releases connections; it is idempotent.

Durable consumers that resume where they stopped, with acknowledgements (at-least-once),
are JetStream's: :meth:`gsomia.adapters.bus.nats.NatsBus.consume`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["Bus", "Subscription"]


class Subscription(Protocol):
    """A live subscription; ``cancel`` stops its deliveries."""

    def cancel(self) -> None: ...


class Bus(Protocol):
    """Publish and subscribe by subject."""

    def publish(self, subject: str, payload: bytes, *, msg_id: str | None = None) -> None: ...

    def subscribe(
        self, subject: str, handler: Callable[[bytes], None], *, replay: bool = False
    ) -> Subscription: ...

    def close(self) -> None: ...
