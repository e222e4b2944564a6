"""RFC 9162 tree, proofs and verifiers: edge cases and corrupted proofs (after the probes of
transparency-dev/merkle's verifier tests)."""

from __future__ import annotations

import hashlib

import pytest

from gsomia.errors import IntegrityError
from gsomia.ledger import merkle

LEAVES = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(40)]
SOME = hashlib.sha256(b"some other hash").digest()


def root(n: int) -> bytes:
    return merkle.root(LEAVES[:n])


def test_hashes_use_the_domain_prefixes() -> None:
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        merkle.node_hash(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert merkle.root([]) == merkle.EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert merkle.root(LEAVES[:1]) == LEAVES[0]


def test_levels_carry_a_lone_node_up_unchanged() -> None:
    tree = merkle.levels(LEAVES[:5])
    assert [len(level) for level in tree] == [5, 3, 2, 1]
    assert tree[1][2] == LEAVES[4]
    assert merkle.levels([]) == [[]]


def test_all_inclusion_proofs_equal_one_at_a_time() -> None:
    for n in (1, 2, 7, 16, 33):
        assert merkle.all_inclusion_proofs(LEAVES[:n]) == [
            merkle.inclusion_proof(LEAVES[:n], i) for i in range(n)
        ]


@pytest.mark.parametrize("index", [-1, 5, 6])
def test_inclusion_proof_of_a_missing_leaf_is_an_index_error(index: int) -> None:
    with pytest.raises(IndexError):
        merkle.inclusion_proof(LEAVES[:5], index)


@pytest.mark.parametrize("old", [-1, 6])
def test_consistency_proof_outside_the_tree_is_an_index_error(old: int) -> None:
    with pytest.raises(IndexError):
        merkle.consistency_proof(LEAVES[:5], old)


def inclusion_probes(index: int, size: int) -> list[tuple[str, dict[str, object]]]:
    proof = merkle.inclusion_proof(LEAVES[:size], index)
    good = {
        "leaf_hash": LEAVES[index],
        "index": index,
        "tree_size": size,
        "proof": proof,
        "root": root(size),
    }
    probes = [
        ("index - 1", {**good, "index": index - 1}),
        ("index + 1", {**good, "index": index + 1}),
        ("index ^ 2", {**good, "index": index ^ 2}),
        ("size * 2", {**good, "tree_size": size * 2}),
        ("size // 2", {**good, "tree_size": size // 2}),
        ("wrong leaf", {**good, "leaf_hash": SOME}),
        ("empty root", {**good, "root": merkle.EMPTY_ROOT}),
        ("other root", {**good, "root": SOME}),
        ("trailing garbage", {**good, "proof": [*proof, b""]}),
        ("trailing root", {**good, "proof": [*proof, root(size)]}),
        ("preceding garbage", {**good, "proof": [b"", *proof]}),
        ("preceding root", {**good, "proof": [root(size), *proof]}),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        probes.append((f"proof[{i}] bit flipped", {**good, "proof": flipped}))
    if proof:
        probes.append(("removed component", {**good, "proof": proof[:-1]}))
        probes.append(("inserted component", {**good, "proof": [proof[0], SOME, *proof[1:]]}))
    return probes


@pytest.mark.parametrize(
    ("index", "size"), [(0, 1), (0, 8), (5, 8), (2, 3), (1, 5), (38, 39), (17, 40)]
)
def test_inclusion_verifier_accepts_the_proof_and_rejects_every_corruption(
    index: int, size: int
) -> None:
    merkle.verify_inclusion(
        leaf_hash=LEAVES[index],
        index=index,
        tree_size=size,
        proof=merkle.inclusion_proof(LEAVES[:size], index),
        root=root(size),
    )
    for name, probe in inclusion_probes(index, size):
        with pytest.raises(IntegrityError):
            merkle.verify_inclusion(**probe)  # type: ignore[arg-type]
            pytest.fail(f"verified a corrupted proof: {name}")


@pytest.mark.parametrize(("old", "new"), [(1, 8), (6, 8), (2, 5), (6, 7), (3, 7), (4, 7), (13, 40)])
def test_consistency_verifier_accepts_the_proof_and_rejects_every_corruption(
    old: int, new: int
) -> None:
    proof = merkle.consistency_proof(LEAVES[:new], old)
    good = {
        "old_size": old,
        "new_size": new,
        "old_root": root(old),
        "new_root": root(new),
        "proof": proof,
    }
    merkle.verify_consistency(**good)  # type: ignore[arg-type]
    probes = [
        {**good, "old_size": old - 1},
        {**good, "old_size": old + 1},
        {**good, "old_size": old ^ 2},
        {**good, "new_size": new * 2},
        {**good, "new_size": new // 2},
        {**good, "old_root": SOME},
        {**good, "new_root": SOME},
        {**good, "old_root": root(new), "new_root": root(old)},
        {**good, "proof": []},
        {**good, "proof": [*proof, b""]},
        {**good, "proof": [*proof, root(old)]},
        {**good, "proof": [b"", *proof]},
        {**good, "proof": [root(new), *proof]},
        {**good, "proof": [proof[0], *proof]},
        {**good, "proof": proof[:-1]},
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes.append({**good, "proof": flipped})
    for probe in probes:
        with pytest.raises(IntegrityError):
            merkle.verify_consistency(**probe)  # type: ignore[arg-type]


def test_trivial_consistency_cases() -> None:
    merkle.verify_consistency(
        old_size=0, new_size=5, old_root=merkle.EMPTY_ROOT, new_root=root(5), proof=[]
    )
    merkle.verify_consistency(old_size=5, new_size=5, old_root=root(5), new_root=root(5), proof=[])
    with pytest.raises(IntegrityError):
        merkle.verify_consistency(old_size=0, new_size=5, old_root=SOME, new_root=root(5), proof=[])
    with pytest.raises(IntegrityError):
        merkle.verify_consistency(old_size=5, new_size=5, old_root=root(5), new_root=SOME, proof=[])
    with pytest.raises(IntegrityError):
        merkle.verify_consistency(
            old_size=5, new_size=5, old_root=root(5), new_root=root(5), proof=[SOME]
        )
    with pytest.raises(IntegrityError):
        merkle.verify_consistency(
            old_size=6, new_size=5, old_root=root(6), new_root=root(5), proof=[]
        )


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 3)])
def test_inclusion_outside_the_tree_never_verifies(index: int, size: int) -> None:
    with pytest.raises(IntegrityError):
        merkle.verify_inclusion(leaf_hash=SOME, index=index, tree_size=size, proof=[], root=SOME)
