"""Nodes in one process: the transport calls the destination's inbox directly.

Messages still go through the same outbox, signature, inbox and receipt code as over the
network; only the socket is missing. Parties can be taken down and brought back to
simulate partitions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gsomia.errors import TransportError

__all__ = ["InProcessNetwork", "InProcessTransport"]

Inbox = Callable[..., bytes]


class InProcessNetwork:
    """A switchboard of node inboxes by party."""

    def __init__(self) -> None:
        self._inboxes: dict[str, Inbox] = {}
        self._down: set[str] = set()
        self._lock = threading.Lock()

    def attach(self, party: str, inbox: Inbox) -> None:
        with self._lock:
            self._inboxes[party] = inbox

    def down(self, party: str) -> None:
        """Make ``party`` unreachable until :meth:`up`."""
        with self._lock:
            self._down.add(party)

    def up(self, party: str) -> None:
        with self._lock:
            self._down.discard(party)

    def transport(self, sender: str) -> InProcessTransport:
        return InProcessTransport(self, sender)

    def deliver(self, sender: str, destination: str, payload: bytes) -> bytes:
        with self._lock:
            inbox = self._inboxes.get(destination)
            reachable = destination not in self._down
        if inbox is None or not reachable:
            raise TransportError(f"{destination} cannot be reached from {sender}")
        return inbox(payload, peer=sender)


class InProcessTransport:
    """:class:`gsomia.ports.transport.PeerTransport` over an :class:`InProcessNetwork`."""

    def __init__(self, network: InProcessNetwork, sender: str) -> None:
        self._network = network
        self._sender = sender

    def send(self, destination: str, payload: bytes) -> bytes:
        return self._network.deliver(self._sender, destination, payload)
