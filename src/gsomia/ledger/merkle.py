"""RFC 9162 Merkle tree hashing, inclusion proofs and consistency proofs, as pure functions.

The tree is the one of RFC 6962 §2.1, kept unchanged by RFC 9162 §2.1 and profiled by C2SP
``merkle-tree``: SHA-256 throughout, a leaf is ``SHA-256(0x00 || data)``, an interior node
is ``SHA-256(0x01 || left || right)``, the empty tree hashes to ``SHA-256("")``, and a tree
of ``n`` leaves splits at the largest power of two strictly below ``n``.

Building a tree level by level, where a lone last node is carried up unchanged, gives the
same tree: the node at height ``h`` and position ``j`` covers leaves
``[j * 2**h, min((j + 1) * 2**h, n))``. The functions below use that form because it costs
one list per level and no recursion.

Proofs are lists of 32-byte hashes ordered from the leaf upwards, as RFC 9162 §2.1.3 and
§2.1.4 define them. The verifiers implement the algorithms of RFC 9162 §2.1.3.2 and
§2.1.4.2 and raise :class:`~gsomia.errors.IntegrityError` on any failure; they never return
a boolean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from gsomia.errors import IntegrityError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "all_inclusion_proofs",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "leaf_hash",
    "levels",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf (RFC 9162 §2.1.1)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node (RFC 9162 §2.1.1)."""
    return _sha256(b"\x01" + left + right).digest()


def levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree over ``leaf_hashes``, leaves first and the root level last.

    Level ``h`` holds ``ceil(n / 2**h)`` hashes; a lone last node is carried up unchanged,
    which yields the left-balanced tree of RFC 9162 §2.1.1. An empty input gives ``[[]]``.
    """
    level = list(leaf_hashes)
    out = [level]
    sha = _sha256
    while len(level) > 1:
        pairs = zip(level[0::2], level[1::2], strict=False)
        upper = [sha(b"\x01" + a + b).digest() for a, b in pairs]
        if len(level) % 2:
            upper.append(level[-1])
        out.append(upper)
        level = upper
    return out


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash MTH of the leaves (RFC 9162 §2.1.1); ``EMPTY_ROOT`` when empty."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return levels(leaf_hashes)[-1][0]


def _path(tree: list[list[bytes]], index: int) -> list[bytes]:
    proof = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index >>= 1
    return proof


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path PATH(index, D[n]) of RFC 9162 §2.1.3.1, from the leaf upwards.

    Raises :class:`IndexError` when ``index`` is not a leaf of the tree.
    """
    if not 0 <= index < len(leaf_hashes):
        raise IndexError(f"leaf {index} is not in a tree of size {len(leaf_hashes)}")
    return _path(levels(leaf_hashes), index)


def all_inclusion_proofs(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """The inclusion proof of every leaf, in O(n log n) (RFC 9162 §2.1.3.1)."""
    tree = levels(leaf_hashes)
    return [_path(tree, index) for index in range(len(leaf_hashes))]


def _largest_power_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(tree: list[list[bytes]], start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that is a node of the tree or runs to its right edge."""
    size = len(tree[0])
    width = end - start
    height = (width - 1).bit_length()
    if start % (1 << height) == 0 and (width == 1 << height or end == size):
        return tree[height][start >> height]
    split = start + _largest_power_below(width)
    return node_hash(_range_hash(tree, start, split), _range_hash(tree, split, end))


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose tree hashes make up PROOF(old_size, D[size]), in proof order.

    This is SUBPROOF of RFC 9162 §2.1.4.1 without the hashing, so that any store that can
    hash a range (a list of levels here, tiles in :mod:`gsomia.ledger.tiles`) can build the
    proof. Every range is either a perfect subtree or runs to the tree's right edge. Empty
    when ``old_size`` is 0 or ``size``; raises :class:`IndexError` when ``old_size`` is
    negative or larger than ``size``.
    """
    if not 0 <= old_size <= size:
        raise IndexError(f"old size {old_size} is not within a tree of size {size}")
    if old_size in (0, size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, size, True
    # The loop walks SUBPROOF(m, D[start:end], whole) down from the root; the ranges it
    # collects come out root-first, so they are reversed at the end.
    while old_size != end - start:
        split = _largest_power_below(end - start)
        if old_size <= split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            old_size -= split
            start += split
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1; empty when ``old_size`` is 0 or ``n``.

    Raises :class:`IndexError` when ``old_size`` is negative or larger than the tree.
    """
    ranges = consistency_ranges(old_size, len(leaf_hashes))
    if not ranges:
        return []
    tree = levels(leaf_hashes)
    return [_range_hash(tree, start, end) for start, end in ranges]


def root_from_inclusion_proof(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1 to 4).

    Raises :class:`IntegrityError` when the proof has the wrong length or shape.
    """
    if not 0 <= index < tree_size:
        raise IntegrityError(f"inclusion proof: leaf {index} is not in a tree of {tree_size}")
    fn, sn, r = index, tree_size - 1, leaf_hash
    sha = _sha256
    for p in proof:
        if sn == 0:
            raise IntegrityError("inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + p + r).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise IntegrityError("inclusion proof is shorter than the tree is high")
    return r


def verify_inclusion(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` sits at ``index`` of the tree with ``root`` (RFC 9162 §2.1.3.2).

    Raises :class:`IntegrityError` when it does not.
    """
    computed = root_from_inclusion_proof(
        leaf_hash=leaf_hash, index=index, tree_size=tree_size, proof=proof
    )
    if computed != root:
        raise IntegrityError(
            f"inclusion proof for leaf {index} leads to {computed.hex()}, not to {root.hex()}"
        )


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``old_root`` of ``old_size`` is a prefix of ``new_root``.

    Implements RFC 9162 §2.1.4.2. A tree of size 0 is a prefix of every tree when its root is
    ``EMPTY_ROOT`` and the proof is empty; equal sizes need equal roots and an empty proof.
    Raises :class:`IntegrityError` on any failure, including ``old_size > new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise IntegrityError(f"consistency: old size {old_size} is above new size {new_size}")
    if old_size in (0, new_size):
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if proof or old_root != expected:
            raise IntegrityError(f"consistency proof {old_size} -> {new_size} does not verify")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        raise IntegrityError(f"consistency proof {old_size} -> {new_size} is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    sha = _sha256
    for c in path[1:]:
        if sn == 0:
            raise IntegrityError(f"consistency proof {old_size} -> {new_size} is too long")
        if fn & 1 or fn == sn:
            fr = sha(b"\x01" + c + fr).digest()
            sr = sha(b"\x01" + c + sr).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise IntegrityError(f"consistency proof {old_size} -> {new_size} does not verify")
