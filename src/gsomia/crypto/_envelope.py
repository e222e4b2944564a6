"""envelope-v1: an item's content under AES-256-GCM, its label as associated data, and its
data key wrapped for each holder party.

The content is encrypted under a fresh 256-bit data key with the label's canonical bytes as
associated data, so a label cannot be moved onto other ciphertext. The data key is wrapped
for each holder with the pairwise KEK of (wrapper, holder, agreement, epoch); each wrap is
authenticated together with the label digest and its own header, so a wrapped key cannot be
moved to another item or holder either. The byte layout is ``docs/formats/envelope-v1.md``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from gsomia.core.labels import Label
from gsomia.crypto import _primitives as prim
from gsomia.crypto._keys import KeyKind, Keyring
from gsomia.crypto._wire import builder, fail
from gsomia.errors import InputError

__all__ = [
    "ENVELOPE_MAGIC",
    "WRAP_AAD",
    "Envelope",
    "WrappedKey",
    "check_holders",
    "new_envelope",
    "open_content",
    "open_contents",
    "unwrap_data_key",
]

_logger = logging.getLogger(__name__)

ENVELOPE_MAGIC = b"GSE\x01"
WRAP_AAD = b"GSW\x01"
_WRAP = struct.Struct(">3s3s8s8sI12s48s")
_WRAP_HEADER = struct.Struct(">3s3s8s8sI")
_MAX_WRAPS = 255
_U32 = struct.Struct(">I")
_HEAD = struct.Struct(">4sI")
_PARTY = re.compile(r"^[A-Z]{3}$")
_sha256 = hashlib.sha256


class WrappedKey(NamedTuple):
    """An item's data key wrapped for one holder party with a pairwise epoch KEK."""

    holder: str
    wrapper: str
    wrapper_key_id: bytes
    holder_key_id: bytes
    epoch: int
    nonce: bytes
    wrapped: bytes

    def header(self) -> bytes:
        """The 26 header bytes: holder, wrapper, their key ids and the epoch."""
        return _WRAP_HEADER.pack(
            self.holder.encode("ascii"),
            self.wrapper.encode("ascii"),
            self.wrapper_key_id,
            self.holder_key_id,
            self.epoch,
        )

    def to_bytes(self) -> bytes:
        """The 86-byte encoding of this wrap in envelope-v1."""
        return self.header() + self.nonce + self.wrapped

    def context(self, agreement_id: str) -> tuple[str, int, str, bytes, str, bytes]:
        """The pairwise-key context this wrap was made under."""
        return (
            agreement_id,
            self.epoch,
            self.wrapper,
            self.wrapper_key_id,
            self.holder,
            self.holder_key_id,
        )

    def check(self) -> None:
        """Raise :class:`InputError` unless every field has its envelope-v1 shape."""
        sizes = (len(self.wrapper_key_id), len(self.holder_key_id), len(self.nonce))
        if sizes != (8, 8, prim.NONCE_SIZE) or len(self.wrapped) != prim.KEY_SIZE + prim.TAG_SIZE:
            raise InputError("wrapped key: malformed key id, nonce or wrapped key")
        if not (_PARTY.fullmatch(self.holder) and _PARTY.fullmatch(self.wrapper)):
            raise InputError("wrapped key: holder and wrapper are three-letter party codes")
        if not 0 <= self.epoch < 2**32:
            raise InputError("wrapped key: epoch out of range")


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """A sealed item: label, content nonce and ciphertext, and the wrapped data keys.

    ``data_reference`` is SHA-256 over the nonce and the ciphertext: what a binding signs.
    With no wrapped keys it is the at-rest form, opened only with an item-key record.
    Raises :class:`InputError` on a malformed field.
    """

    label: Label
    nonce: bytes
    ciphertext: bytes
    wrapped_keys: tuple[WrappedKey, ...] = ()
    data_reference: bytes = field(init=False, repr=False, compare=False)
    _wire: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.nonce) != prim.NONCE_SIZE or len(self.ciphertext) < prim.TAG_SIZE:
            raise InputError("envelope: malformed nonce or ciphertext")
        if len(self.wrapped_keys) > _MAX_WRAPS:
            raise InputError(f"envelope: at most {_MAX_WRAPS} wrapped keys")
        for entry in self.wrapped_keys:
            WrappedKey.check(entry)
        reference = _sha256(self.nonce + self.ciphertext).digest()
        object.__setattr__(self, "data_reference", reference)

    @property
    def holders(self) -> tuple[str, ...]:
        """The parties the data key is wrapped for, in order, without repeats."""
        return tuple(dict.fromkeys(w.holder for w in self.wrapped_keys))

    def without_keys(self) -> Envelope:
        """The same item with every wrapped key removed: the form kept at rest."""
        return new_envelope(self.label, self.nonce, self.ciphertext, (), self.data_reference, b"")

    def to_bytes(self) -> bytes:
        """The envelope-v1 encoding."""
        if self._wire:
            return self._wire
        label = self.label.canonical_bytes()
        wraps = self.wrapped_keys
        wire = b"".join(
            (
                ENVELOPE_MAGIC,
                _U32.pack(len(label)),
                label,
                self.nonce,
                bytes((len(wraps),)),
                *[w.to_bytes() for w in wraps],
                _U32.pack(len(self.ciphertext)),
                self.ciphertext,
            )
        )
        object.__setattr__(self, "_wire", wire)
        return wire

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse envelope-v1 bytes; any malformation raises the opaque IntegrityError."""
        try:
            magic, label_size = _HEAD.unpack_from(data)
            end = 8 + label_size
            label = Label.from_bytes(data[8:end])
            nonce, count = data[end : end + 12], data[end + 12]
            wraps = _parse_wraps(data, end + 13, count)
            ciphertext_at = end + 17 + count * _WRAP.size
            (ciphertext_size,) = _U32.unpack_from(data, ciphertext_at - 4)
        except (struct.error, IndexError, UnicodeDecodeError, InputError):
            fail()
        ciphertext = data[ciphertext_at:]
        if (
            magic != ENVELOPE_MAGIC
            or len(ciphertext) != ciphertext_size
            or ciphertext_size < prim.TAG_SIZE
        ):
            fail()
        reference = _sha256(nonce + ciphertext).digest()
        return new_envelope(label, nonce, ciphertext, wraps, reference, data)


new_envelope = builder(Envelope)
_tuple_new = tuple.__new__


def _parse_wraps(data: bytes, pos: int, count: int) -> tuple[WrappedKey, ...]:
    """``count`` wraps from ``pos``; a short field or a bad party code fails opaquely."""
    block = data[pos : pos + _WRAP.size * count]
    if len(block) != _WRAP.size * count:
        fail()
    # The values come from a fixed-layout unpack, so the NamedTuple is built directly.
    wraps = tuple(
        [
            _tuple_new(WrappedKey, (h.decode("ascii"), w.decode("ascii"), *rest))
            for h, w, *rest in _WRAP.iter_unpack(block)
        ]
    )
    codes = "".join([w[0] + w[1] for w in wraps])
    if count and not (codes.isalpha() and codes.isupper()):
        fail()
    return wraps


def check_holders(label: Label, holders: Iterable[str]) -> tuple[str, ...]:
    """The holders as a tuple, if the label allows each to hold the item.

    A holder is the originator, or a party the label makes releasable and gives an
    equivalent level (JK-4.2). Raises :class:`InputError` for an empty list (fail closed), a
    repeat, or a party the label does not allow.
    """
    result = tuple(holders)
    if not result:
        raise InputError("an item needs at least one holder")
    if len(set(result)) != len(result):
        raise InputError("a holder appears twice")
    for holder in result:
        allowed = holder == label.originator or (
            holder in label.releasable_to and label.equivalent_for(holder) is not None
        )
        if not allowed:
            raise InputError(
                f"{holder} may not hold item {label.item_id}: the label neither makes it "
                "releasable to them nor gives them an equivalent level"
            )
    return result


def unwrap_data_key(keyring: Keyring, envelope: Envelope) -> bytes:
    """The data key from a wrap addressed to this node's party.

    Raises the opaque IntegrityError if no wrap is for this node or none unwraps.
    """
    label = envelope.label
    party = keyring.party
    for entry in envelope.wrapped_keys:
        if entry.holder != party or keyring._own(KeyKind.ENCRYPTION, entry.holder_key_id) is None:
            continue
        kek = keyring._kek(entry.context(label.agreement_id))
        aad = WRAP_AAD + label.digest_bytes() + entry.header()
        try:
            return kek.decrypt(entry.nonce, entry.wrapped, aad)
        except prim.InvalidTag:
            continue
    fail()


def open_content(envelope: Envelope, data_key: bytes) -> bytes:
    """Decrypt the content with ``data_key`` and check it against the label's digest.

    Raises the opaque IntegrityError on a wrong key, a bad tag or a digest mismatch; the digest
    check also makes the content key-committing.
    """
    label = envelope.label
    try:
        plaintext = prim.AEAD(data_key).decrypt(
            envelope.nonce, envelope.ciphertext, label.canonical_bytes()
        )
    except (prim.InvalidTag, ValueError):
        fail()
    if "sha256:" + _sha256(plaintext).hexdigest() != label.content_digest:
        fail()
    return plaintext


def open_contents(envelopes: Sequence[Envelope], data_keys: Sequence[bytes]) -> list[bytes]:
    """:func:`open_content` for many items in one pass; any failure fails them all opaquely."""
    labels = [envelope.label for envelope in envelopes]
    try:
        plaintexts = list(
            map(
                prim.AEAD.decrypt,
                map(prim.AEAD, data_keys),
                [envelope.nonce for envelope in envelopes],
                [envelope.ciphertext for envelope in envelopes],
                [label.canonical_bytes() for label in labels],
            )
        )
    except (prim.InvalidTag, ValueError):
        fail()
    for label, digest in zip(labels, map(_sha256, plaintexts), strict=True):
        if "sha256:" + digest.hexdigest() != label.content_digest:
            fail()
    return plaintexts
