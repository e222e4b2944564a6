"""How a node reaches its partners: one request, one reply, both opaque bytes.

Contract for every adapter (in-process, HTTPS with mutual TLS):

* ``send(destination, payload)`` delivers ``payload`` (a signed message, see
  ``docs/formats/message-v1.md``) to the node of party ``destination`` and returns that
  node's signed reply bytes. It MUST raise :class:`~gsomia.errors.TransportError` when the
  peer cannot be reached or answers with a failure the sender may retry, and
  :class:`~gsomia.errors.IntegrityError` / :class:`~gsomia.errors.InputError` when the peer
  refuses the message for good.
* Delivery is at-least-once: a ``send`` that raised may still have been processed, so the
  caller retries with the same message id and the receiver answers a duplicate with its
  stored reply (exactly-once effect).
* Adapters MUST NOT interpret payloads: items travel already sealed; the channel is a
  second layer of protection, not the only one.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["PeerTransport"]


class PeerTransport(Protocol):
    """A node's way to its partners."""

    def send(self, destination: str, payload: bytes) -> bytes: ...
