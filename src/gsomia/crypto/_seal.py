"""Sealing items into envelope-v2, one at a time or in batches, and granting one more holder.

A batch is sealed column by column: every item's fresh data key, key commitment, content
encryption and data reference, and each holder's wrap of it, are computed in one pass over
the batch. Each holder gets one fresh wrap key per batch, sent to its X25519 key by HPKE
(RFC 9180), so the public-key work is one HPKE operation per holder and batch, and the
sealer keeps nothing that opens its wraps once the call returns. The checks are the same as
for a single item; a refused item refuses the batch. Only label-v2 labels are sealed.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import repeat

from gsomia.core.labels import Label
from gsomia.crypto import _primitives as prim
from gsomia.crypto._envelope import (
    COMMIT_PREFIX,
    ENVELOPE_MAGIC,
    WRAP_AAD,
    Envelope,
    SealedKey,
    check_holders,
    new_envelope,
    open_content,
    unwrap_data_key,
)
from gsomia.crypto._keys import Keyring
from gsomia.errors import InputError

__all__ = ["grant", "grant_at", "seal", "seal_at", "seal_batch"]

_logger = logging.getLogger(__name__)

_sha256 = hashlib.sha256
_AEAD = prim.AEAD
_KEY, _NONCE = prim.KEY_SIZE, prim.NONCE_SIZE
_U32 = struct.Struct(">I")


def _check_labels(keyring: Keyring, labels: Sequence[Label], holders: tuple[str, ...]) -> None:
    """Refuse the batch unless this node made every label, each is a label-v2, and each
    allows every holder."""
    party = keyring.party
    seen: set[tuple[object, ...]] = set()
    for label in labels:
        if label.content_digest is not None:
            raise InputError(
                f"item {label.item_id}: a label-v1 carries a digest of the content; "
                "items are sealed under label-v2 only"
            )
        shape = (label.originator, label.marked_by, label.releasable_to, label.equivalents)
        if shape in seen:
            continue
        check_holders(label, holders)
        if label.marker != party:
            raise InputError(f"{party} did not make this label and cannot seal under it")
        seen.add(shape)


def _seal_columns(
    keyring: Keyring,
    *,
    labels: Sequence[Label],
    plaintexts: Sequence[bytes],
    holders: tuple[str, ...],
    keys: Sequence[bytes],
    nonces: Sequence[bytes],
    wrap_nonces: Sequence[Sequence[bytes]],
) -> list[Envelope]:
    """Seal every item; ``wrap_nonces[h][i]`` is the nonce of holder h's wrap of item i."""
    _check_labels(keyring, labels, holders)
    aads = [label.canonical_bytes() for label in labels]
    ciphertexts = list(map(_AEAD.encrypt, map(_AEAD, keys), nonces, plaintexts, aads))
    commitments = [_sha256(COMMIT_PREFIX + key).digest() for key in keys]
    prefixes = [WRAP_AAD + label.digest_bytes() for label in labels]
    agreements = {label.agreement_id for label in labels}
    columns, encoded = [], []
    for holder, column_nonces in zip(holders, wrap_nonces, strict=True):
        plans = {a: keyring._sealing(a, holder) for a in agreements}
        column, wire = _wrap_column(
            keyring,
            holder,
            labels=labels,
            prefixes=prefixes,
            keys=keys,
            nonces=column_nonces,
            plans=plans,
        )
        columns.append(column)
        encoded.append(wire)
    references = [_sha256(n + c).digest() for n, c in zip(nonces, ciphertexts, strict=True)]
    count = bytes((len(holders),))
    wires = [
        b"".join((ENVELOPE_MAGIC, _U32.pack(len(a)), a, k, n, count, *w, _U32.pack(len(c)), c))
        for a, k, n, w, c in zip(
            aads, commitments, nonces, zip(*encoded, strict=True), ciphertexts, strict=True
        )
    ]
    return list(
        map(
            new_envelope,
            labels,
            nonces,
            ciphertexts,
            zip(*columns, strict=True),
            commitments,
            references,
            wires,
        )
    )


def _wrap_column(
    keyring: Keyring,
    holder: str,
    *,
    labels: Sequence[Label],
    prefixes: Sequence[bytes],
    keys: Sequence[bytes],
    nonces: Sequence[bytes],
    plans: dict[str, tuple[prim.AEAD, bytes, bytes]],
) -> tuple[list[SealedKey], list[bytes]]:
    """One holder's wraps of every item's data key, as values and as envelope-v2 bytes."""
    party = keyring.party
    if len(plans) == 1:
        ((aead, header, sealed),) = plans.values()
        headers: Sequence[bytes] = [header] * len(labels)
        sealeds: Sequence[bytes] = [sealed] * len(labels)
        wrapped = list(map(aead.encrypt, nonces, keys, [p + header for p in prefixes]))
        holder_kid = header[6:]
        entries = list(
            map(
                SealedKey,
                repeat(holder),
                repeat(party),
                repeat(holder_kid),
                sealeds,
                nonces,
                wrapped,
            )
        )
    else:
        headers, sealeds, wrapped, entries = [], [], [], []
        for label, prefix, key, nonce in zip(labels, prefixes, keys, nonces, strict=True):
            aead, header, sealed = plans[label.agreement_id]
            headers.append(header)
            sealeds.append(sealed)
            wrapped.append(aead.encrypt(nonce, key, prefix + header))
            entries.append(SealedKey(holder, party, header[6:], sealed, nonce, wrapped[-1]))
    wire = [h + s + n + w for h, s, n, w in zip(headers, sealeds, nonces, wrapped, strict=True)]
    return entries, wire


def seal_at(
    *,
    keyring: Keyring,
    plaintext: bytes,
    label: Label,
    holders: Iterable[str],
    data_key: bytes,
    nonce: bytes,
    wrap_nonces: Sequence[bytes],
) -> Envelope:
    """:func:`seal` with the data key and nonces given (for test vectors; the HPKE
    encapsulation still draws its own ephemeral key, RFC 9180 §4.1).

    Raises :class:`InputError` if the node did not make the label, the label is a label-v1,
    a holder is not allowed, or a key or nonce has the wrong size;
    :class:`~gsomia.errors.UnknownName` if a holder has no registered encryption key.
    """
    holder_list = check_holders(label, holders)
    if (
        len(data_key) != _KEY
        or len(nonce) != _NONCE
        or len(wrap_nonces) != len(holder_list)
        or any(len(n) != _NONCE for n in wrap_nonces)
    ):
        raise InputError("seal: wrong size of data key, nonce or wrap nonces")
    (envelope,) = _seal_columns(
        keyring,
        labels=[label],
        plaintexts=[plaintext],
        holders=holder_list,
        keys=[data_key],
        nonces=[nonce],
        wrap_nonces=[[n] for n in wrap_nonces],
    )
    return envelope


def seal(*, keyring: Keyring, plaintext: bytes, label: Label, holders: Iterable[str]) -> Envelope:
    """Seal ``plaintext`` under ``label`` for ``holders`` (envelope-v2).

    A fresh data key encrypts the content (AES-256-GCM, the label's canonical bytes as
    associated data), its commitment goes beside it, and it is wrapped for each holder under
    a fresh wrap key sent to that holder by HPKE. Raises as :func:`seal_at` does.
    """
    return seal_batch(keyring=keyring, items=[(label, plaintext)], holders=holders)[0]


def seal_batch(
    *, keyring: Keyring, items: Sequence[tuple[Label, bytes]], holders: Iterable[str]
) -> list[Envelope]:
    """:func:`seal` for many items with the same holders, checking shared things once.

    Each item still gets its own fresh data key and nonces; each holder one wrap key per
    call. Raises as :func:`seal_at` does; nothing is returned if any item is refused.
    """
    holder_list = tuple(holders)
    if not items:
        return []
    count, width = len(items), _KEY + _NONCE * (1 + len(holder_list))
    randomness = prim.random_bytes(width * count)
    starts = range(0, width * count, width)
    return _seal_columns(
        keyring,
        labels=[label for label, _ in items],
        plaintexts=[plaintext for _, plaintext in items],
        holders=check_holders(items[0][0], holder_list),
        keys=[randomness[i : i + _KEY] for i in starts],
        nonces=[randomness[i + _KEY : i + _KEY + _NONCE] for i in starts],
        wrap_nonces=[
            [randomness[i + offset : i + offset + _NONCE] for i in starts]
            for offset in range(_KEY + _NONCE, width, _NONCE)
        ],
    )


def grant_at(*, keyring: Keyring, envelope: Envelope, holder: str, nonce: bytes) -> Envelope:
    """:func:`grant` with the wrap nonce given (for test vectors)."""
    label = envelope.label
    check_holders(label, [holder])
    if len(nonce) != _NONCE:
        raise InputError("grant: a wrap nonce is 12 bytes")
    if envelope.version != 2:
        raise InputError("grant: an envelope-v1 item must be sealed again as envelope-v2 first")
    data_key = unwrap_data_key(keyring, envelope)
    open_content(envelope, data_key)
    aead, header, sealed = keyring._sealing(label.agreement_id, holder)
    wrapped = aead.encrypt(nonce, data_key, WRAP_AAD + label.digest_bytes() + header)
    entry = SealedKey(holder, keyring.party, header[6:], sealed, nonce, wrapped)
    kept = tuple(w for w in envelope.wrapped_keys if w.holder != holder)
    return replace(envelope, wrapped_keys=(*kept, entry))


def grant(*, keyring: Keyring, envelope: Envelope, holder: str) -> Envelope:
    """The envelope with the data key wrapped for one more holder, by a node that holds it.

    This is how a hub that is itself a holder forwards an item once the originator consents
    (TI-3), and how a holder's wrap is renewed after that holder rotates its keys. Any
    earlier wraps for ``holder`` are replaced. The binding stays valid: it covers the label,
    the ciphertext and the key commitment, not the wraps. Raises :class:`InputError` if the
    label does not allow ``holder`` or the item is an envelope-v1, and the opaque
    IntegrityError if this node cannot open the item.
    """
    return grant_at(
        keyring=keyring, envelope=envelope, holder=holder, nonce=prim.random_bytes(_NONCE)
    )
