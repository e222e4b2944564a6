"""binding-v2 (and binding-v1, as read): a label, a data reference and a key commitment
signed by the node that made the label.

In the spirit of STANAG 4778's metadata binding: the signed statement says "this label
belongs to this ciphertext, sealed under the data key this commitment names". Bindings are
made in batches: each item's statement is a leaf of an RFC 9162 Merkle tree, the node signs
the tree's size and root once with Ed25519 (RFC 8032), and each item carries its leaf index
and audit path. A single item is a batch of one. Any node, a relaying hub included, can
check a binding without opening the item. binding-v1 (no commitment: label-v1 carried a
content digest) is still verified. Layouts: ``docs/formats/binding-v2.md``,
``binding-v1.md``.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from gsomia.crypto import _primitives as prim
from gsomia.crypto._envelope import Envelope
from gsomia.crypto._keys import KeyKind, Keyring
from gsomia.crypto._wire import builder, fail
from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.merkle import HASH_SIZE, leaf_hash, levels, root_from_inclusion_proof

__all__ = [
    "BINDING_MAGIC",
    "BINDING_MAGIC_V1",
    "Binding",
    "audit_paths",
    "bind",
    "statement",
    "verify",
    "verify_batch",
]

_logger = logging.getLogger(__name__)

BINDING_MAGIC = b"GSB\x02"
BINDING_MAGIC_V1 = b"GSB\x01"
_SIGNED = struct.Struct(">23s3s8sQ32s")
_SIGNED_PREFIX = b"gsomia/binding-v2 tree\x00"
_SIGNED_PREFIX_V1 = b"gsomia/binding-v1 tree\x00"
_FIXED = struct.Struct(">4s3s8s32s32s32sQQB")
_FIXED_V1 = struct.Struct(">4s3s8s32s32sQQB")
_MAX_PROOF = 63
_MAX_BATCH = 2**32


def statement(envelope: Envelope) -> bytes:
    """The leaf a binding commits to: magic, label digest, data reference and (binding-v2,
    100 bytes) the key commitment; binding-v1's 68 bytes for an envelope-v1."""
    if envelope.commitment:
        return (
            BINDING_MAGIC
            + envelope.label.digest_bytes()
            + envelope.data_reference
            + envelope.commitment
        )
    return BINDING_MAGIC_V1 + envelope.label.digest_bytes() + envelope.data_reference


def _signed_message(signer: str, key_id: bytes, tree_size: int, root: bytes, v2: bool) -> bytes:
    prefix = _SIGNED_PREFIX if v2 else _SIGNED_PREFIX_V1
    return _SIGNED.pack(prefix, signer.encode("ascii"), key_id, tree_size, root)


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """One item's binding: its statement's place in a signed batch, and the signature.

    ``proof`` is the RFC 9162 audit path from the leaf upwards, its 32-byte hashes
    concatenated; :attr:`proof_hashes` splits it. ``commitment`` is the item's key
    commitment (binding-v2); it is empty in a binding-v1.
    """

    signer: str
    signer_key_id: bytes
    label_digest: bytes
    data_reference: bytes
    tree_size: int
    index: int
    proof: bytes
    signature: bytes
    commitment: bytes = b""

    @property
    def version(self) -> int:
        """2 for binding-v2, 1 for a binding-v1 read from an earlier item."""
        return 2 if self.commitment else 1

    @property
    def proof_hashes(self) -> list[bytes]:
        """The audit path as a list of 32-byte hashes, from the leaf upwards."""
        proof = self.proof
        return [proof[i : i + HASH_SIZE] for i in range(0, len(proof), HASH_SIZE)]

    def to_bytes(self) -> bytes:
        """The binding-v2 encoding (binding-v1 for an earlier item's binding)."""
        head = (self.signer.encode("ascii"), self.signer_key_id, self.label_digest)
        tail = (self.tree_size, self.index, len(self.proof) // HASH_SIZE)
        if self.commitment:
            fixed = _FIXED.pack(BINDING_MAGIC, *head, self.data_reference, self.commitment, *tail)
        else:
            fixed = _FIXED_V1.pack(BINDING_MAGIC_V1, *head, self.data_reference, *tail)
        return fixed + self.proof + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> Binding:
        """Parse binding-v2 or binding-v1 bytes; any malformation raises the opaque
        IntegrityError."""
        magic = data[:4]
        if magic == BINDING_MAGIC and len(data) >= _FIXED.size:
            fields = _FIXED.unpack_from(data)
            (_, signer, key_id, label_digest, reference, commitment, size, index, count) = fields
            start = _FIXED.size
        elif magic == BINDING_MAGIC_V1 and len(data) >= _FIXED_V1.size:
            _, signer, key_id, label_digest, reference, size, index, count = _FIXED_V1.unpack_from(
                data
            )
            commitment, start = b"", _FIXED_V1.size
        else:
            fail()
        end = start + count * HASH_SIZE
        if not (signer.isalpha() and signer.isupper()) or len(data) != end + prim.SIGNATURE_SIZE:
            fail()
        return _new_binding(
            signer.decode("ascii"),
            key_id,
            label_digest,
            reference,
            size,
            index,
            data[start:end],
            data[end:],
            commitment,
        )


_new_binding = builder(Binding)


def audit_paths(tree: Sequence[Sequence[bytes]]) -> list[bytes]:
    """Every leaf's audit path (RFC 9162 §2.1.3.1), hashes concatenated, from the tree levels.

    A node's path is its sibling, if it has one, followed by its parent's path; building
    the paths from the root down costs one concatenation per node instead of one list per
    leaf. ``tree`` is :func:`gsomia.ledger.merkle.levels` of the leaves.
    """
    paths = [b""]
    for level in reversed(tree[:-1]):
        width = len(level)
        paths = [
            level[j ^ 1] + paths[j >> 1] if j ^ 1 < width else paths[j >> 1] for j in range(width)
        ]
    return paths


def bind(*, keyring: Keyring, envelopes: Sequence[Envelope]) -> tuple[Binding, ...]:
    """Bind a batch of envelope-v2 items with one Ed25519 signature over their Merkle tree.

    The node must have made every item's label (the originator, or the re-marking party).
    Raises :class:`InputError` for an empty batch, one of 2**32 items or more, an
    envelope-v1, or a label the node did not make.
    """
    if not envelopes or len(envelopes) >= _MAX_BATCH:
        raise InputError("a binding batch holds 1 to 2**32 - 1 items")
    party = keyring.party
    if any(e.label.marker != party for e in envelopes):
        raise InputError(f"{party} did not make every label in the batch")
    if not all(e.commitment for e in envelopes):
        raise InputError("only envelope-v2 items are bound (binding-v2)")
    leaves = [
        leaf_hash(BINDING_MAGIC + e.label.digest_bytes() + e.data_reference + e.commitment)
        for e in envelopes
    ]
    tree = levels(leaves)
    size = len(leaves)
    key_id = keyring.newest(KeyKind.SIGNING).key_id
    signature = keyring._sign(_signed_message(party, key_id, size, tree[-1][0], True))
    return tuple(
        [
            _new_binding(
                party,
                key_id,
                e.label.digest_bytes(),
                e.data_reference,
                size,
                index,
                path,
                signature,
                e.commitment,
            )
            for index, (e, path) in enumerate(zip(envelopes, audit_paths(tree), strict=True))
        ]
    )


def _check_fields(envelope: Envelope, binding: Binding) -> None:
    label = envelope.label
    if (
        binding.label_digest != label.digest_bytes()
        or binding.data_reference != envelope.data_reference
        or binding.commitment != envelope.commitment
        or binding.signer != label.marker
        or len(binding.proof) > _MAX_PROOF * HASH_SIZE
    ):
        fail()


def verify(*, keyring: Keyring, envelope: Envelope, binding: Binding) -> None:
    """Check that ``binding`` binds this envelope's label to its ciphertext.

    The signer must be the party that made the label, with a signing key registered for the
    label's agreement (or the node's own key). The audit path must lead from the item's
    statement to a root the signer signed. Raises the opaque IntegrityError on any failure.
    """
    _check_fields(envelope, binding)
    public = keyring._public(
        envelope.label.agreement_id, binding.signer, KeyKind.SIGNING, binding.signer_key_id
    )
    try:
        tree_root = root_from_inclusion_proof(
            leaf_hash=leaf_hash(statement(envelope)),
            index=binding.index,
            tree_size=binding.tree_size,
            proof=binding.proof_hashes,
        )
    except IntegrityError:
        fail()
    message = _signed_message(
        binding.signer,
        binding.signer_key_id,
        binding.tree_size,
        tree_root,
        bool(binding.commitment),
    )
    keyring._verify(public, binding.signature, message)


def verify_batch(*, keyring: Keyring, items: Sequence[tuple[Envelope, Binding]]) -> None:
    """Check the bindings of many items; fastest when they arrive as whole batches.

    Items of one signed batch that are all present are checked together: the tree is
    rebuilt from their statements, its root's signature checked once, and every item's audit
    path compared with the rebuilt one, byte for byte. Other items are checked one by one
    as :func:`verify` does. Raises the opaque IntegrityError if any item fails; check the
    items one by one to find which.
    """
    groups: dict[tuple[str, str, bytes, int, bytes, int], list[tuple[Envelope, Binding]]] = {}
    for envelope, binding in items:
        _check_fields(envelope, binding)
        key = (
            envelope.label.agreement_id,
            binding.signer,
            binding.signer_key_id,
            binding.tree_size,
            binding.signature,
            binding.version,
        )
        groups.setdefault(key, []).append((envelope, binding))
    for (agreement_id, signer, key_id, size, signature, version), group in groups.items():
        ordered = sorted(group, key=lambda item: item[1].index)
        if len(group) != size or any(b.index != i for i, (_, b) in enumerate(ordered)):
            for envelope, binding in group:
                verify(keyring=keyring, envelope=envelope, binding=binding)
            continue
        public = keyring._public(agreement_id, signer, KeyKind.SIGNING, key_id)
        tree = levels([leaf_hash(statement(e)) for e, _ in ordered])
        message = _signed_message(signer, key_id, size, tree[-1][0], version == 2)
        keyring._verify(public, signature, message)
        for (_, binding), path in zip(ordered, audit_paths(tree), strict=True):
            if binding.proof != path:
                fail()
