"""Signed documents (document-v1): node-to-node messages, receipts, consents, notices.

A document is opaque bytes signed by a node's newest document key (Ed25519, a key of that
purpose only) and checked against the signer's document key as registered under one
agreement. Layout (``docs/formats/message-v1.md``)::

    magic "GSD\\x01" | party (3 ASCII) | key id (8) | agreement id length (1) | agreement id
    | body length (u32) | body | signature (64)

The signature covers everything before it, so the agreement, the signer and the body
cannot be separated or swapped. Every failure raises the one opaque IntegrityError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gsomia.crypto import _primitives as prim
from gsomia.crypto._keys import KeyKind, Keyring
from gsomia.crypto._wire import fail
from gsomia.errors import InputError, IntegrityError

__all__ = ["DOCUMENT_MAGIC", "SignedDocument", "open_document", "peek_document", "sign_document"]

DOCUMENT_MAGIC = b"GSD\x01"
_U32 = struct.Struct(">I")
_MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedDocument:
    """A verified document: who signed it, with which key, under which agreement."""

    signer: str
    key_id: bytes
    agreement_id: str
    body: bytes


def sign_document(*, keyring: Keyring, agreement_id: str, body: bytes) -> bytes:
    """Sign ``body`` as this node under ``agreement_id`` (document-v1).

    Raises :class:`InputError` on an agreement id over 255 bytes or a body over 64 MiB.
    """
    agreement = agreement_id.encode("ascii")
    if not 0 < len(agreement) < 256 or len(body) > _MAX_BODY:
        raise InputError("document: agreement id or body out of range")
    key_id = keyring.newest(KeyKind.DOCUMENT).key_id
    head = (
        DOCUMENT_MAGIC
        + keyring.party.encode("ascii")
        + key_id
        + bytes([len(agreement)])
        + agreement
        + _U32.pack(len(body))
    )
    signed = head + body
    return signed + keyring._sign(signed, KeyKind.DOCUMENT)


def peek_document(blob: bytes) -> SignedDocument:
    """The claimed signer, key and agreement of ``blob`` WITHOUT checking the signature.

    For routing only (which agreement's keys to check against); never trust the body.
    Raises the opaque IntegrityError on a malformed blob.
    """
    try:
        if blob[:4] != DOCUMENT_MAGIC:
            fail()
        party = blob[4:7].decode("ascii")
        key_id = blob[7:15]
        n = blob[15]
        agreement = blob[16 : 16 + n].decode("ascii")
        (size,) = _U32.unpack_from(blob, 16 + n)
        start = 20 + n
        if len(blob) != start + size + prim.SIGNATURE_SIZE or not party.isalpha():
            fail()
        return SignedDocument(
            signer=party, key_id=key_id, agreement_id=agreement, body=blob[start : start + size]
        )
    except (IndexError, UnicodeDecodeError, struct.error):
        fail()


def open_document(
    *, keyring: Keyring, blob: bytes, agreement_id: str | None = None
) -> SignedDocument:
    """Verify ``blob`` against the signer's key registered under its agreement.

    With ``agreement_id`` given, a document signed under another agreement is refused.
    Raises the opaque IntegrityError on any failure.
    """
    doc = peek_document(blob)
    if agreement_id is not None and doc.agreement_id != agreement_id:
        fail()
    public = keyring._public(doc.agreement_id, doc.signer, KeyKind.DOCUMENT, doc.key_id)
    signed = blob[: -prim.SIGNATURE_SIZE]
    try:
        prim.verify_signature(prim.verify_key(public), blob[-prim.SIGNATURE_SIZE :], signed)
    except IntegrityError:
        fail()
    return doc
