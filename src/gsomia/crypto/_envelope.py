"""envelope-v2 (and envelope-v1, as read): an item's content under AES-256-GCM, its label as
associated data, a commitment to its data key, and that data key wrapped for each holder.

The content is encrypted under a fresh 256-bit data key with the label's canonical bytes as
associated data, so a label cannot be moved onto other ciphertext. envelope-v2 carries a
**key commitment**, ``SHA-256("gsomia/commit-v2" 0x00 || data key)``, which the binding signs:
every holder checks the key it unwrapped against it before decrypting, so one ciphertext
cannot open to two contents under two keys, and nothing in the envelope is a hash of the
plaintext. Its data key is wrapped for each holder with a key that the sealer sends to that
holder by HPKE (RFC 9180): the sealer keeps no key that opens the wrap once the batch is
sealed. envelope-v1 (a plaintext digest in the label, pairwise static KEKs) is still read
and opened. The byte layouts are ``docs/formats/envelope-v2.md`` and ``envelope-v1.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
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
    "COMMIT_PREFIX",
    "ENVELOPE_MAGIC",
    "ENVELOPE_MAGIC_V1",
    "WRAP_AAD",
    "WRAP_AAD_V1",
    "Envelope",
    "SealedKey",
    "WrappedKey",
    "check_holders",
    "commitment_of",
    "new_envelope",
    "open_content",
    "open_contents",
    "unwrap_data_key",
]

_logger = logging.getLogger(__name__)

ENVELOPE_MAGIC = b"GSE\x02"
ENVELOPE_MAGIC_V1 = b"GSE\x01"
WRAP_AAD = b"GSW\x02"
WRAP_AAD_V1 = b"GSW\x01"
COMMIT_PREFIX = b"gsomia/commit-v2\x00"
_WRAP_V1 = struct.Struct(">3s3s8s8sI12s48s")
_WRAP_HEADER_V1 = struct.Struct(">3s3s8s8sI")
_WRAP = struct.Struct(f">3s3s8s{prim.HPKE_SEALED_KEY_SIZE}s12s48s")
_WRAP_HEADER_SIZE = 14
_MAX_WRAPS = 255
_U32 = struct.Struct(">I")
_HEAD = struct.Struct(">4sI")
_sha256 = hashlib.sha256


def commitment_of(data_key: bytes) -> bytes:
    """The 32-byte key commitment of a data key (envelope-v2)."""
    return _sha256(COMMIT_PREFIX + data_key).digest()


class WrappedKey(NamedTuple):
    """envelope-v1: a data key wrapped for one holder with a pairwise static epoch KEK."""

    holder: str
    wrapper: str
    wrapper_key_id: bytes
    holder_key_id: bytes
    epoch: int
    nonce: bytes
    wrapped: bytes

    def header(self) -> bytes:
        """The 26 header bytes: holder, wrapper, their key ids and the epoch."""
        return _WRAP_HEADER_V1.pack(
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
        _check_codes(self.holder, self.wrapper)
        if not 0 <= self.epoch < 2**32:
            raise InputError("wrapped key: epoch out of range")


class SealedKey(NamedTuple):
    """envelope-v2: a data key wrapped for one holder under a wrap key that the wrapper sent
    to the holder's X25519 key by HPKE (``sealed_wrap_key``, one per holder and batch)."""

    holder: str
    wrapper: str
    holder_key_id: bytes
    sealed_wrap_key: bytes
    nonce: bytes
    wrapped: bytes

    def header(self) -> bytes:
        """The 14 header bytes: holder, wrapper and the holder's key id."""
        return self.holder.encode("ascii") + self.wrapper.encode("ascii") + self.holder_key_id

    def to_bytes(self) -> bytes:
        """The 154-byte encoding of this wrap in envelope-v2."""
        return self.header() + self.sealed_wrap_key + self.nonce + self.wrapped

    def check(self) -> None:
        """Raise :class:`InputError` unless every field has its envelope-v2 shape."""
        sizes = (len(self.holder_key_id), len(self.sealed_wrap_key), len(self.nonce))
        if sizes != (8, prim.HPKE_SEALED_KEY_SIZE, prim.NONCE_SIZE) or (
            len(self.wrapped) != prim.KEY_SIZE + prim.TAG_SIZE
        ):
            raise InputError("sealed key: malformed key id, sealed wrap key, nonce or wrap")
        _check_codes(self.holder, self.wrapper)


def _check_codes(holder: str, wrapper: str) -> None:
    codes = holder + wrapper
    if not (len(codes) == 6 and codes.isascii() and codes.isalpha() and codes.isupper()):
        raise InputError("wrapped key: holder and wrapper are three-letter party codes")


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """A sealed item: label, key commitment, content nonce and ciphertext, wrapped data keys.

    ``commitment`` is empty for an envelope-v1, which commits through its label's content
    digest instead. ``data_reference`` is SHA-256 over the nonce and the ciphertext: what a
    binding signs beside the label digest (and the commitment). With no wrapped keys it is
    the at-rest form, opened only with an item-key record. Raises :class:`InputError` on a
    malformed field, or a label of the other format version.
    """

    label: Label
    nonce: bytes
    ciphertext: bytes
    wrapped_keys: tuple[WrappedKey | SealedKey, ...] = ()
    commitment: bytes = b""
    data_reference: bytes = field(init=False, repr=False, compare=False)
    _wire: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.nonce) != prim.NONCE_SIZE or len(self.ciphertext) < prim.TAG_SIZE:
            raise InputError("envelope: malformed nonce or ciphertext")
        if len(self.wrapped_keys) > _MAX_WRAPS:
            raise InputError(f"envelope: at most {_MAX_WRAPS} wrapped keys")
        v2 = bool(self.commitment)
        if v2 and len(self.commitment) != 32:
            raise InputError("envelope: a key commitment is 32 bytes")
        if v2 != (self.label.content_digest is None):
            raise InputError("envelope: envelope-v2 takes a label-v2, envelope-v1 a label-v1")
        kind = SealedKey if v2 else WrappedKey
        for entry in self.wrapped_keys:
            if not isinstance(entry, kind):
                raise InputError("envelope: a wrapped key of the other format version")
            entry.check()
        reference = _sha256(self.nonce + self.ciphertext).digest()
        object.__setattr__(self, "data_reference", reference)

    @property
    def version(self) -> int:
        """2 for envelope-v2, 1 for an envelope-v1 read from an earlier item."""
        return 2 if self.commitment else 1

    @property
    def holders(self) -> tuple[str, ...]:
        """The parties the data key is wrapped for, in order, without repeats."""
        return tuple(dict.fromkeys(w.holder for w in self.wrapped_keys))

    def without_keys(self) -> Envelope:
        """The same item with every wrapped key removed: the form kept at rest.

        When this envelope's encoding is known (it was parsed or encoded), the at-rest form's
        is that encoding with the wraps cut out and their count set to 0, the same bytes as
        encoding the at-rest form anew, without encoding the label and content again.
        """
        wire = self._wire
        if wire:
            size = (_WRAP if self.commitment else _WRAP_V1).size * len(self.wrapped_keys)
            tail = len(wire) - 4 - len(self.ciphertext)
            wire = wire[: tail - size - 1] + b"\x00" + wire[tail:]
        return new_envelope(
            self.label,
            self.nonce,
            self.ciphertext,
            (),
            self.commitment,
            self.data_reference,
            wire,
        )

    def to_bytes(self) -> bytes:
        """The envelope-v2 (or, for an earlier item, envelope-v1) encoding."""
        if self._wire:
            return self._wire
        label = self.label.canonical_bytes()
        wraps = self.wrapped_keys
        head: tuple[bytes, ...] = (ENVELOPE_MAGIC, _U32.pack(len(label)), label, self.commitment)
        if not self.commitment:
            head = (ENVELOPE_MAGIC_V1, _U32.pack(len(label)), label)
        wire = b"".join(
            (
                *head,
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
        """Parse envelope-v2 or envelope-v1 bytes; any malformation raises the opaque
        IntegrityError."""
        try:
            magic, label_size = _HEAD.unpack_from(data)
            end = 8 + label_size
            label = Label.from_bytes(data[8:end])
        except (struct.error, UnicodeDecodeError, InputError):
            fail()
        if magic == ENVELOPE_MAGIC and label.content_digest is None:
            commitment, end = data[end : end + 32], end + 32
            wrap = _WRAP
        elif magic == ENVELOPE_MAGIC_V1 and label.content_digest is not None:
            commitment, wrap = b"", _WRAP_V1
        else:
            fail()
        try:
            nonce, count = data[end : end + 12], data[end + 12]
            wraps = _parse_wraps(data, end + 13, count, wrap)
            ciphertext_at = end + 17 + count * wrap.size
            (ciphertext_size,) = _U32.unpack_from(data, ciphertext_at - 4)
        except (struct.error, IndexError, UnicodeDecodeError):
            fail()
        ciphertext = data[ciphertext_at:]
        if len(ciphertext) != ciphertext_size or ciphertext_size < prim.TAG_SIZE:
            fail()
        reference = _sha256(nonce + ciphertext).digest()
        return new_envelope(label, nonce, ciphertext, wraps, commitment, reference, data)


new_envelope = builder(Envelope)
_tuple_new = tuple.__new__


def _parse_wraps(
    data: bytes, pos: int, count: int, layout: struct.Struct
) -> tuple[WrappedKey | SealedKey, ...]:
    """``count`` wraps from ``pos``; a short field or a bad party code fails opaquely."""
    block = data[pos : pos + layout.size * count]
    if len(block) != layout.size * count:
        fail()
    kind = SealedKey if layout is _WRAP else WrappedKey
    # The values come from a fixed-layout unpack, so the NamedTuple is built directly.
    wraps: tuple[WrappedKey | SealedKey, ...] = tuple(
        [
            _tuple_new(kind, (h.decode("ascii"), w.decode("ascii"), *rest))  # type: ignore[misc]
            for h, w, *rest in layout.iter_unpack(block)
        ]
    )
    codes = "".join([w.holder + w.wrapper for w in wraps])
    if count and not (codes.isascii() and codes.isalpha() and codes.isupper()):
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

    An envelope-v2 wrap opens only with the holder's private key (the wrapper kept none);
    an envelope-v1 wrap with the pairwise KEK. Raises the opaque IntegrityError if no wrap
    is for this node or none unwraps.
    """
    label = envelope.label
    party = keyring.party
    prefix = (WRAP_AAD if envelope.commitment else WRAP_AAD_V1) + label.digest_bytes()
    for entry in envelope.wrapped_keys:
        if entry.holder != party or keyring._own(KeyKind.ENCRYPTION, entry.holder_key_id) is None:
            continue
        if isinstance(entry, SealedKey):
            aead = keyring._unsealed_wrap_key(label.agreement_id, entry)
        else:
            aead = keyring._kek(entry.context(label.agreement_id))
        if aead is None:
            continue
        try:
            return aead.decrypt(entry.nonce, entry.wrapped, prefix + entry.header())
        except prim.InvalidTag:
            continue
    fail()


def open_content(envelope: Envelope, data_key: bytes) -> bytes:
    """Check ``data_key`` against the envelope's commitment, decrypt the content, and (for
    an envelope-v1) check it against the label's digest.

    Raises the opaque IntegrityError on a key that is not the committed one, a bad tag or a
    digest mismatch: either check makes the content key-committing.
    """
    label = envelope.label
    if envelope.commitment and not hmac.compare_digest(
        commitment_of(data_key), envelope.commitment
    ):
        fail()
    try:
        plaintext = prim.AEAD(data_key).decrypt(
            envelope.nonce, envelope.ciphertext, label.canonical_bytes()
        )
    except (prim.InvalidTag, ValueError):
        fail()
    if not envelope.commitment and "sha256:" + _sha256(plaintext).hexdigest() != (
        label.content_digest
    ):
        fail()
    return plaintext


def open_contents(envelopes: Sequence[Envelope], data_keys: Sequence[bytes]) -> list[bytes]:
    """:func:`open_content` for many items in one pass; any failure fails them all opaquely."""
    committed = [e.commitment for e in envelopes]
    if any(committed):
        computed = [_sha256(COMMIT_PREFIX + key).digest() for key in data_keys]
        for given, made in zip(committed, computed, strict=True):
            if given and not hmac.compare_digest(given, made):
                fail()
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
    for label, plaintext in zip(labels, plaintexts, strict=True):
        if label.content_digest is not None and (
            "sha256:" + _sha256(plaintext).hexdigest() != label.content_digest
        ):
            fail()
    return plaintexts
