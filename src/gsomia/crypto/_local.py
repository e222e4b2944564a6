"""local-v1: data a node seals for itself alone, such as the warnings it fans out on its
message bus to its own consumers.

A message bus (NATS JetStream) keeps what is published on it, in files and for a while; what
a node publishes there must therefore be no plainer than what it keeps in its own store. A
local seal is AES-256-GCM under a key derived with HKDF-SHA-256 (RFC 5869) from the node's
newest at-rest key and the purpose (the bus subject), so only processes holding the node's
keyring open it, and a message cannot be moved to another subject. Layout::

    "GSL" 0x01 | at-rest key id (8) | nonce (12) | AES-256-GCM(payload), tag at the end
    aad = the first 24 bytes || purpose (UTF-8)
"""

from __future__ import annotations

import logging

from gsomia.crypto import _primitives as prim
from gsomia.crypto._keys import KeyKind, Keyring
from gsomia.crypto._wire import fail

__all__ = ["LOCAL_MAGIC", "open_local", "seal_local", "seal_local_at"]

_logger = logging.getLogger(__name__)

LOCAL_MAGIC = b"GSL\x01"
_HEADER = 4 + 8 + prim.NONCE_SIZE


def _aead(keyring: Keyring, key_id: bytes, purpose: str) -> prim.AEAD:
    own = keyring._own(KeyKind.AT_REST, key_id)
    if own is None:
        fail()
    info = b"gsomia/local-v1 " + purpose.encode("utf-8")
    return prim.AEAD(prim.hkdf(secret=own.secret, salt=b"", info=info))


def seal_local_at(*, keyring: Keyring, purpose: str, payload: bytes, nonce: bytes) -> bytes:
    """:func:`seal_local` with the nonce given (for test vectors)."""
    key_id = keyring.newest(KeyKind.AT_REST).key_id
    header = LOCAL_MAGIC + key_id + nonce
    return header + _aead(keyring, key_id, purpose).encrypt(
        nonce, payload, header + purpose.encode("utf-8")
    )


def seal_local(*, keyring: Keyring, purpose: str, payload: bytes) -> bytes:
    """``payload`` sealed for this node alone, bound to ``purpose`` (local-v1)."""
    return seal_local_at(
        keyring=keyring, purpose=purpose, payload=payload, nonce=prim.random_bytes(prim.NONCE_SIZE)
    )


def open_local(*, keyring: Keyring, purpose: str, sealed: bytes) -> bytes:
    """The payload :func:`seal_local` sealed for ``purpose``; raises the opaque
    IntegrityError on any failure (another node, another purpose, a retired key, tampering)."""
    if len(sealed) < _HEADER + prim.TAG_SIZE or sealed[:4] != LOCAL_MAGIC:
        fail()
    header = sealed[:_HEADER]
    try:
        return _aead(keyring, header[4:12], purpose).decrypt(
            header[12:], sealed[_HEADER:], header + purpose.encode("utf-8")
        )
    except prim.InvalidTag:
        fail()
