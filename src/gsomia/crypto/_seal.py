"""Sealing items into envelope-v1, one at a time or in batches, and granting one more holder.

A batch is sealed column by column: every item's fresh data key, content encryption, wrap
for each holder and data reference is computed in one pass over the batch with the keyring's
cached pairwise KEKs, so the interpreter does little per item beyond the AES-GCM and SHA-256
calls themselves. The checks are the same as for a single item; a refused item refuses the
batch.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import repeat

from gsomia.core.labels import Label
from gsomia.crypto import _primitives as prim
from gsomia.crypto._envelope import (
    ENVELOPE_MAGIC,
    WRAP_AAD,
    Envelope,
    WrappedKey,
    check_holders,
    new_envelope,
    open_content,
    unwrap_data_key,
)
from gsomia.crypto._keys import Keyring, epoch_of
from gsomia.errors import InputError

__all__ = ["grant", "grant_at", "seal", "seal_at", "seal_batch"]

_logger = logging.getLogger(__name__)

_sha256 = hashlib.sha256
_AEAD = prim.AEAD
_KEY, _NONCE = prim.KEY_SIZE, prim.NONCE_SIZE
_U32 = struct.Struct(">I")


def _check_labels(keyring: Keyring, labels: Sequence[Label], holders: tuple[str, ...]) -> None:
    """Refuse the batch unless this node made every label and each allows every holder."""
    party = keyring.party
    seen: set[tuple[object, ...]] = set()
    for label in labels:
        shape = (label.originator, label.marked_by, label.releasable_to, label.equivalents)
        if shape in seen:
            continue
        check_holders(label, holders)
        if label.marker != party:
            raise InputError(f"{party} did not make this label and cannot seal under it")
        seen.add(shape)


def _check_contents(labels: Sequence[Label], plaintexts: Sequence[bytes]) -> None:
    digests = map(_sha256, plaintexts)
    for label, digest in zip(labels, digests, strict=True):
        if "sha256:" + digest.hexdigest() != label.content_digest:
            raise InputError(f"item {label.item_id}: content does not match the label's digest")


def _seal_columns(
    keyring: Keyring,
    *,
    labels: Sequence[Label],
    plaintexts: Sequence[bytes],
    holders: tuple[str, ...],
    epoch: int,
    keys: Sequence[bytes],
    nonces: Sequence[bytes],
    wrap_nonces: Sequence[Sequence[bytes]],
) -> list[Envelope]:
    """Seal every item; ``wrap_nonces[h][i]`` is the nonce of holder h's wrap of item i."""
    _check_labels(keyring, labels, holders)
    _check_contents(labels, plaintexts)
    aads = [label.canonical_bytes() for label in labels]
    ciphertexts = list(map(_AEAD.encrypt, map(_AEAD, keys), nonces, plaintexts, aads))
    prefixes = [WRAP_AAD + label.digest_bytes() for label in labels]
    agreements = {label.agreement_id for label in labels}
    columns, encoded = [], []
    for holder, column_nonces in zip(holders, wrap_nonces, strict=True):
        plans = {a: keyring._wrapping(a, epoch, holder) for a in agreements}
        column, wire = _wrap_column(
            keyring,
            holder,
            labels=labels,
            prefixes=prefixes,
            keys=keys,
            nonces=column_nonces,
            epoch=epoch,
            plans=plans,
        )
        columns.append(column)
        encoded.append(wire)
    references = [_sha256(n + c).digest() for n, c in zip(nonces, ciphertexts, strict=True)]
    count = bytes((len(holders),))
    wires = [
        b"".join((ENVELOPE_MAGIC, _U32.pack(len(a)), a, n, count, *w, _U32.pack(len(c)), c))
        for a, n, w, c in zip(aads, nonces, zip(*encoded, strict=True), ciphertexts, strict=True)
    ]
    return list(
        map(
            new_envelope,
            labels,
            nonces,
            ciphertexts,
            zip(*columns, strict=True),
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
    epoch: int,
    plans: dict[str, tuple[prim.AEAD, bytes, bytes, bytes]],
) -> tuple[list[WrappedKey], list[bytes]]:
    """One holder's wraps of every item's data key, as values and as envelope-v1 bytes."""
    if len(plans) == 1:
        ((kek, header, wrapper_kid, holder_kid),) = plans.values()
        headers: Sequence[bytes] = [header] * len(labels)
        wrapped = list(map(kek.encrypt, nonces, keys, [p + header for p in prefixes]))
        entries = list(
            map(
                WrappedKey,
                repeat(holder),
                repeat(keyring.party),
                repeat(wrapper_kid),
                repeat(holder_kid),
                repeat(epoch),
                nonces,
                wrapped,
            )
        )
    else:
        headers, wrapped, entries = [], [], []
        for label, prefix, key, nonce in zip(labels, prefixes, keys, nonces, strict=True):
            kek, header, wrapper_kid, holder_kid = plans[label.agreement_id]
            headers.append(header)
            wrapped.append(kek.encrypt(nonce, key, prefix + header))
            entries.append(
                WrappedKey(
                    holder, keyring.party, wrapper_kid, holder_kid, epoch, nonce, wrapped[-1]
                )
            )
    wire = [h + n + w for h, n, w in zip(headers, nonces, wrapped, strict=True)]
    return entries, wire


def seal_at(
    *,
    keyring: Keyring,
    plaintext: bytes,
    label: Label,
    holders: Iterable[str],
    now: datetime,
    data_key: bytes,
    nonce: bytes,
    wrap_nonces: Sequence[bytes],
) -> Envelope:
    """:func:`seal` with the time, data key and nonces given (for test vectors).

    Raises :class:`InputError` if the node did not make the label, the content does not
    match the label's digest, a holder is not allowed, or a key or nonce has the wrong size;
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
        epoch=epoch_of(now),
        keys=[data_key],
        nonces=[nonce],
        wrap_nonces=[[n] for n in wrap_nonces],
    )
    return envelope


def seal(
    *,
    keyring: Keyring,
    plaintext: bytes,
    label: Label,
    holders: Iterable[str],
    now: datetime | None = None,
) -> Envelope:
    """Seal ``plaintext`` under ``label`` for ``holders`` (envelope-v1).

    A fresh data key encrypts the content (AES-256-GCM, the label's canonical bytes as
    associated data) and is wrapped for each holder with the pairwise KEK of this epoch.
    Raises as :func:`seal_at` does.
    """
    return seal_batch(keyring=keyring, items=[(label, plaintext)], holders=holders, now=now)[0]


def seal_batch(
    *,
    keyring: Keyring,
    items: Sequence[tuple[Label, bytes]],
    holders: Iterable[str],
    now: datetime | None = None,
) -> list[Envelope]:
    """:func:`seal` for many items with the same holders, checking shared things once.

    Each item still gets its own fresh data key and nonces. Raises as :func:`seal_at` does;
    nothing is returned if any item is refused.
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
        epoch=epoch_of(datetime.now(UTC) if now is None else now),
        keys=[randomness[i : i + _KEY] for i in starts],
        nonces=[randomness[i + _KEY : i + _KEY + _NONCE] for i in starts],
        wrap_nonces=[
            [randomness[i + offset : i + offset + _NONCE] for i in starts]
            for offset in range(_KEY + _NONCE, width, _NONCE)
        ],
    )


def grant_at(
    *, keyring: Keyring, envelope: Envelope, holder: str, now: datetime, nonce: bytes
) -> Envelope:
    """:func:`grant` with the time and wrap nonce given (for test vectors)."""
    label = envelope.label
    check_holders(label, [holder])
    if len(nonce) != _NONCE:
        raise InputError("grant: a wrap nonce is 12 bytes")
    data_key = unwrap_data_key(keyring, envelope)
    open_content(envelope, data_key)
    epoch = epoch_of(now)
    kek, header, wrapper_kid, holder_kid = keyring._wrapping(label.agreement_id, epoch, holder)
    wrapped = kek.encrypt(nonce, data_key, WRAP_AAD + label.digest_bytes() + header)
    entry = WrappedKey(holder, keyring.party, wrapper_kid, holder_kid, epoch, nonce, wrapped)
    kept = tuple(w for w in envelope.wrapped_keys if w.holder != holder)
    return replace(envelope, wrapped_keys=(*kept, entry))


def grant(
    *, keyring: Keyring, envelope: Envelope, holder: str, now: datetime | None = None
) -> Envelope:
    """The envelope with the data key wrapped for one more holder, by a node that holds it.

    This is how a hub that is itself a holder forwards an item once the originator consents
    (TI-3), and how a holder's wrap is renewed after that holder rotates its keys. Any
    earlier wraps for ``holder`` are replaced. The binding stays valid: it covers the label
    and the ciphertext, not the wraps. Raises :class:`InputError` if the label does not allow
    ``holder``, and the opaque IntegrityError if this node cannot open the item.
    """
    return grant_at(
        keyring=keyring,
        envelope=envelope,
        holder=holder,
        now=datetime.now(UTC) if now is None else now,
        nonce=prim.random_bytes(_NONCE),
    )
