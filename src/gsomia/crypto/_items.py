"""Opening items, keeping them at rest, and the item-key-v1 record that makes shredding work.

A node that receives an item verifies its binding, unwraps its data key with the pairwise
KEK, and keeps two things apart: the envelope **without** any wrapped key (the at-rest
form) in its item store, and the data key re-wrapped under its own at-rest key in an
item-key record (:class:`ItemKey`) in a separate key store. Destroying an item deletes its
item-key record; what is left in the database is ciphertext that no key the node holds can
open (crypto-shredding). The byte layout is ``docs/formats/keyring-v1.md``.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from gsomia.crypto import _primitives as prim
from gsomia.crypto._binding import Binding, verify, verify_batch
from gsomia.crypto._envelope import Envelope, open_content, open_contents, unwrap_data_key
from gsomia.crypto._keys import KeyKind, Keyring
from gsomia.crypto._wire import builder, fail
from gsomia.errors import InputError

__all__ = [
    "AT_REST_BUDGET",
    "ITEM_KEY_MAGIC",
    "ItemKey",
    "keep",
    "keep_at",
    "keep_batch",
    "keep_batch_at",
    "open_batch",
    "open_item",
    "open_stored",
    "rewrap_item_key",
    "rewrap_item_key_at",
]

_logger = logging.getLogger(__name__)

ITEM_KEY_MAGIC = b"GSK\x01"
#: Data keys one at-rest key may wrap: with random 96-bit nonces, NIST SP 800-38D §8.3 allows
#: 2**32 invocations per key; this keeps a margin below it. A store refuses past it, and a
#: node rotates its at-rest key at half of it.
AT_REST_BUDGET = 2**32 - 2**24
_RECORD = struct.Struct(">4s8s32s12s48s")
_HEADER_SIZE = 44
_ITEM = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemKey:
    """An item's data key wrapped under one of the node's at-rest keys (item-key-v1).

    Raises :class:`InputError` on a malformed item id or field size.
    """

    item_id: str
    key_id: bytes
    label_digest: bytes
    nonce: bytes
    wrapped: bytes

    def __post_init__(self) -> None:
        sizes = (len(self.key_id), len(self.label_digest), len(self.nonce), len(self.wrapped))
        if not _ITEM.fullmatch(self.item_id) or sizes != (8, 32, 12, 48):
            raise InputError("item key: malformed item id or field")

    def to_bytes(self) -> bytes:
        """The 104-byte item-key-v1 record."""
        return _RECORD.pack(
            ITEM_KEY_MAGIC, self.key_id, self.label_digest, self.nonce, self.wrapped
        )

    @classmethod
    def from_bytes(cls, *, item_id: str, data: bytes) -> ItemKey:
        """Parse a record kept for ``item_id``; malformation raises the opaque IntegrityError."""
        if len(data) != _RECORD.size or data[:4] != ITEM_KEY_MAGIC:
            fail()
        _, key_id, label_digest, nonce, wrapped = _RECORD.unpack(data)
        try:
            return cls(
                item_id=item_id,
                key_id=key_id,
                label_digest=label_digest,
                nonce=nonce,
                wrapped=wrapped,
            )
        except InputError:
            fail()


def _aad(key_id: bytes, label_digest: bytes) -> bytes:
    return ITEM_KEY_MAGIC + key_id + label_digest


def open_item(*, keyring: Keyring, envelope: Envelope, binding: Binding) -> bytes:
    """Verify an item's binding, unwrap its data key for this node and return the content.

    Raises the one opaque IntegrityError whatever fails: a binding that does not verify, no
    wrap for this node's party (a non-holder, a relaying hub), a bad tag, a wrong digest.
    """
    verify(keyring=keyring, envelope=envelope, binding=binding)
    return open_content(envelope, unwrap_data_key(keyring, envelope))


def open_batch(*, keyring: Keyring, items: Sequence[tuple[Envelope, Binding]]) -> list[bytes]:
    """:func:`open_item` for many items at once, with their bindings checked by
    :func:`~gsomia.crypto.verify_batch` (one signature check per whole batch).

    Raises the opaque IntegrityError if any item fails; open them one by one to find which.
    """
    verify_batch(keyring=keyring, items=items)
    envelopes = [envelope for envelope, _ in items]
    return open_contents(envelopes, [unwrap_data_key(keyring, e) for e in envelopes])


def _wrap_at_rest(keyring: Keyring, envelope: Envelope, data_key: bytes, nonce: bytes) -> ItemKey:
    if len(nonce) != prim.NONCE_SIZE:
        raise InputError("an item-key nonce is 12 bytes")
    key_id = keyring.newest(KeyKind.AT_REST).key_id
    label_digest = envelope.label.digest_bytes()
    wrapped = keyring._at_rest(key_id).encrypt(nonce, data_key, _aad(key_id, label_digest))
    return ItemKey(
        item_id=envelope.label.item_id,
        key_id=key_id,
        label_digest=label_digest,
        nonce=nonce,
        wrapped=wrapped,
    )


def keep_at(
    *, keyring: Keyring, envelope: Envelope, binding: Binding, nonce: bytes
) -> tuple[Envelope, ItemKey]:
    """:func:`keep` with the item-key nonce given (for test vectors)."""
    verify(keyring=keyring, envelope=envelope, binding=binding)
    data_key = unwrap_data_key(keyring, envelope)
    open_content(envelope, data_key)
    return envelope.without_keys(), _wrap_at_rest(keyring, envelope, data_key, nonce)


def keep(*, keyring: Keyring, envelope: Envelope, binding: Binding) -> tuple[Envelope, ItemKey]:
    """Verify and open-check an item, and split it into its at-rest form and its item key.

    Store the returned envelope (no wrapped keys) with the item and the :class:`ItemKey` in
    the node's :class:`~gsomia.ports.keys.ItemKeyStore`; never store the envelope as
    received. Raises the opaque IntegrityError if the item does not verify or open here.
    """
    return keep_at(
        keyring=keyring,
        envelope=envelope,
        binding=binding,
        nonce=prim.random_bytes(prim.NONCE_SIZE),
    )


def keep_batch_at(
    *, keyring: Keyring, items: Sequence[tuple[Envelope, Binding]], nonces: Sequence[bytes]
) -> list[tuple[Envelope, ItemKey]]:
    """:func:`keep_batch` with the item-key nonces given (for test vectors)."""
    if len(nonces) != len(items) or any(len(n) != prim.NONCE_SIZE for n in nonces):
        raise InputError("one 12-byte item-key nonce per item is needed")
    verify_batch(keyring=keyring, items=items)
    envelopes = [envelope for envelope, _ in items]
    data_keys = [unwrap_data_key(keyring, e) for e in envelopes]
    open_contents(envelopes, data_keys)
    key_id = keyring.newest(KeyKind.AT_REST).key_id
    aead = keyring._at_rest(key_id)
    labels = [e.label for e in envelopes]
    digests = [label.digest_bytes() for label in labels]
    aads = [ITEM_KEY_MAGIC + key_id + digest for digest in digests]
    wrapped = list(map(aead.encrypt, nonces, data_keys, aads))
    return [
        (e.without_keys(), _new_item_key(label.item_id, key_id, digest, nonce, w))
        for e, label, digest, nonce, w in zip(
            envelopes, labels, digests, nonces, wrapped, strict=True
        )
    ]


def keep_batch(
    *, keyring: Keyring, items: Sequence[tuple[Envelope, Binding]]
) -> list[tuple[Envelope, ItemKey]]:
    """:func:`keep` for many items, their bindings checked by
    :func:`~gsomia.crypto.verify_batch` (one signature check per whole signed batch).

    Raises the opaque IntegrityError if any item fails; keep them one by one to find which.
    """
    block = prim.random_bytes(prim.NONCE_SIZE * len(items))
    nonces = [block[i : i + prim.NONCE_SIZE] for i in range(0, len(block), prim.NONCE_SIZE)]
    return keep_batch_at(keyring=keyring, items=items, nonces=nonces)


# The item ids come from labels, which were validated, and the other fields have their sizes
# by construction, so the batch path builds item keys without re-checking them.
_new_item_key = builder(ItemKey)


def _unwrap_at_rest(keyring: Keyring, item_key: ItemKey) -> bytes:
    aead = keyring._at_rest(item_key.key_id)
    try:
        return aead.decrypt(
            item_key.nonce, item_key.wrapped, _aad(item_key.key_id, item_key.label_digest)
        )
    except prim.InvalidTag:
        fail()


def open_stored(*, keyring: Keyring, envelope: Envelope, item_key: ItemKey) -> bytes:
    """The content of an item kept at rest, from its envelope and its item-key record.

    Raises the opaque IntegrityError if the record is not this item's, its at-rest key is not
    held (retired), or anything fails to verify.
    """
    label = envelope.label
    if item_key.item_id != label.item_id or item_key.label_digest != label.digest_bytes():
        fail()
    return open_content(envelope, _unwrap_at_rest(keyring, item_key))


def rewrap_item_key_at(*, keyring: Keyring, item_key: ItemKey, nonce: bytes) -> ItemKey:
    """:func:`rewrap_item_key` with the nonce given (for test vectors)."""
    data_key = _unwrap_at_rest(keyring, item_key)
    if len(nonce) != prim.NONCE_SIZE:
        raise InputError("an item-key nonce is 12 bytes")
    key_id = keyring.newest(KeyKind.AT_REST).key_id
    wrapped = keyring._at_rest(key_id).encrypt(nonce, data_key, _aad(key_id, item_key.label_digest))
    return ItemKey(
        item_id=item_key.item_id,
        key_id=key_id,
        label_digest=item_key.label_digest,
        nonce=nonce,
        wrapped=wrapped,
    )


def rewrap_item_key(*, keyring: Keyring, item_key: ItemKey) -> ItemKey:
    """The item key re-wrapped under the node's newest at-rest key (MultiFernet.rotate).

    Returns ``item_key`` itself when it already uses the newest key. Raises the opaque
    IntegrityError if the record does not unwrap.
    """
    if item_key.key_id == keyring.newest(KeyKind.AT_REST).key_id:
        return item_key
    return rewrap_item_key_at(
        keyring=keyring, item_key=item_key, nonce=prim.random_bytes(prim.NONCE_SIZE)
    )
