"""Warnings fanned out to many consumers: console sessions, CoT bridges, analysts' tools.

A node publishes each warning it opens on its bus subject, sealed for itself alone, under
the warning frame's id (:func:`gsomia.services.feed.frame_id`). On NATS JetStream each
consumer reads through a durable consumer of its own: at least once, acknowledged, and
resumed where it stopped when it comes back. At-least-once means a message may come twice
(an acknowledgement lost, a consumer that died before it acknowledged): a
:class:`Deduplicator` keyed by the frame id hands each warning on once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from gsomia.errors import InputError
from gsomia.ports.bus import Subscription
from gsomia.services.feed import FeedService
from gsomia.warning.tracking.sharing import SharedWarning

__all__ = ["Deduplicator", "DurableBus", "follow_warnings"]

#: Frame ids a consumer remembers: far more than a JetStream stream redelivers at once.
DEFAULT_MEMORY = 100_000


class DurableBus(Protocol):
    """A bus with durable, acknowledged consumers (NATS JetStream)."""

    def consume(
        self,
        subject: str,
        handler: Callable[[str, bytes], None],
        *,
        durable: str,
        replay: bool = False,
        ack_wait: float = ...,
    ) -> Subscription: ...


class Deduplicator:
    """The ids seen lately (the last ``memory`` of them); thread-safe."""

    def __init__(self, memory: int = DEFAULT_MEMORY) -> None:
        if memory < 1:
            raise InputError("a deduplicator remembers at least one id")
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._memory = memory
        self._lock = threading.Lock()
        self.duplicates = 0

    def seen(self, message_id: str) -> bool:
        """Whether ``message_id`` was remembered (counted as a duplicate if so)."""
        with self._lock:
            if message_id in self._seen:
                self._seen.move_to_end(message_id)
                self.duplicates += 1
                return True
            return False

    def remember(self, message_id: str) -> None:
        """Remember ``message_id`` (once it was handled)."""
        with self._lock:
            self._seen[message_id] = None
            if len(self._seen) > self._memory:
                self._seen.popitem(last=False)

    def first(self, message_id: str) -> bool:
        """Whether ``message_id`` is new; remembers it."""
        if self.seen(message_id):
            return False
        self.remember(message_id)
        return True


def follow_warnings(
    feed: FeedService,
    bus: DurableBus,
    sink: Callable[[str, SharedWarning], None],
    *,
    consumer: str,
    replay: bool = False,
    dedup: Deduplicator | None = None,
) -> Subscription:
    """Hand each warning the node publishes to ``sink`` once, with its frame id, through
    the durable consumer named ``consumer`` (which resumes where it stopped)."""
    seen = dedup or Deduplicator()

    def handle(message_id: str, sealed: bytes) -> None:
        # Remembered only once handed on: a sink that fails gets the redelivery.
        if not seen.seen(message_id):
            sink(message_id, feed.open_published(sealed))
            seen.remember(message_id)

    return bus.consume(feed.subject, handle, durable=consumer, replay=replay)
