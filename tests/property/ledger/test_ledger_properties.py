"""Laws of the ledger: every proof of every tree verifies; any change to a leaf, a proof or a
checkpoint is rejected; integration in any batches and proofs from tiles agree with the tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.crypto.signed_notes import generate_signer_key, parse_signer_key, parse_verifier_key
from gsomia.errors import IntegrityError
from gsomia.ledger import merkle
from gsomia.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from gsomia.ledger.tiles import CompactRange, TileProofs, integrate

MAX = 1024
LEAVES = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(MAX)]
ROOTS = [merkle.root(LEAVES[:n]) for n in range(MAX + 1)]


@pytest.mark.slow
def test_every_leaf_of_every_tree_up_to_1024_proves_its_inclusion() -> None:
    verify = merkle.verify_inclusion
    for size in range(1, MAX + 1):
        root = ROOTS[size]
        for index, proof in enumerate(merkle.all_inclusion_proofs(LEAVES[:size])):
            verify(leaf_hash=LEAVES[index], index=index, tree_size=size, proof=proof, root=root)


@pytest.mark.slow
def test_prefixes_of_every_tree_up_to_1024_prove_consistency() -> None:
    tiles = {(0, i): b"".join(LEAVES[256 * i : 256 * i + 256]) for i in range(4)}
    tiles[(1, 0)] = b"".join(merkle.root(LEAVES[256 * i : 256 * i + 256]) for i in range(4))
    proofs = TileProofs(lambda level, index: tiles.get((level, index), b""))
    for size in range(1, MAX + 1):
        for old in {*range(0, size + 1, 7), size - 1, size}:
            merkle.verify_consistency(
                old_size=old,
                new_size=size,
                old_root=ROOTS[old],
                new_root=ROOTS[size],
                proof=proofs.consistency_proof(old, size),
            )


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX))
    return size, draw(st.integers(0, size - 1))


def mutate(value: bytes, data: st.DataObject) -> bytes:
    position = data.draw(st.integers(0, len(value) - 1))
    bit = data.draw(st.integers(0, 7))
    return value[:position] + bytes([value[position] ^ (1 << bit)]) + value[position + 1 :]


@given(where=leaf_in_tree(), data=st.data())
@settings(deadline=None)
def test_a_changed_leaf_or_proof_is_rejected(where: tuple[int, int], data: st.DataObject) -> None:
    size, index = where
    proof = merkle.inclusion_proof(LEAVES[:size], index)
    kind = data.draw(st.sampled_from(["leaf", "hash", "drop", "add", "index", "size", "root"]))
    leaf, root = LEAVES[index], ROOTS[size]
    if kind == "leaf":
        leaf = mutate(leaf, data)
    elif kind == "hash" and proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = mutate(proof[i], data)
    elif kind == "drop" and proof:
        del proof[data.draw(st.integers(0, len(proof) - 1))]
    elif kind == "index":
        index = data.draw(st.integers(0, MAX).filter(lambda i: i != where[1]))
    elif kind == "size":
        # The root moves with the size: a proof is checked against a (size, root) pair.
        size = data.draw(st.integers(0, MAX).filter(lambda s: s != where[0]))
        root = ROOTS[size]
    elif kind == "root":
        root = mutate(root, data)
    else:
        proof.insert(
            data.draw(st.integers(0, len(proof))), data.draw(st.binary(min_size=32, max_size=32))
        )
    with pytest.raises(IntegrityError):
        merkle.verify_inclusion(leaf_hash=leaf, index=index, tree_size=size, proof=proof, root=root)


@given(sizes=st.tuples(st.integers(1, MAX), st.integers(1, MAX)), data=st.data())
@settings(deadline=None)
def test_a_changed_consistency_proof_is_rejected(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    old, new = sorted(sizes)
    if old == new:
        new = min(new + 1, MAX) if new < MAX else new
        old = min(old, new - 1)
    proof = merkle.consistency_proof(LEAVES[:new], old)
    i = data.draw(st.integers(0, len(proof) - 1))
    proof[i] = mutate(proof[i], data)
    with pytest.raises(IntegrityError):
        merkle.verify_consistency(
            old_size=old, new_size=new, old_root=ROOTS[old], new_root=ROOTS[new], proof=proof
        )


SKEY, VKEY = generate_signer_key("jpn.gsomia.example/ledger", seed=b"\x05" * 32)
NOTE = (
    sign_checkpoint(
        Checkpoint(origin="jpn.gsomia.example/ledger", size=77, root=ROOTS[77]),
        parse_signer_key(SKEY),
    )
    .to_text()
    .encode()
)


@given(data=st.data())
@settings(max_examples=300, deadline=None)
def test_any_changed_byte_of_a_signed_checkpoint_is_rejected(data: st.DataObject) -> None:
    changed = mutate(NOTE, data)
    with pytest.raises(IntegrityError):
        open_checkpoint(changed, verifiers=[parse_verifier_key(VKEY)])


@given(batches=st.lists(st.integers(1, 700), min_size=1, max_size=8), data=st.data())
@settings(max_examples=40, deadline=None)
def test_integration_in_any_batches_matches_the_tree(
    batches: list[int], data: st.DataObject
) -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(sum(batches))]
    tiles: dict[tuple[int, int], bytes] = {}
    compact, at = CompactRange(), 0
    for size in batches:
        result = integrate(compact, hashes[at : at + size])
        for level, tile, _, chunk in result.tile_writes():
            tiles[(level, tile)] = tiles.get((level, tile), b"") + chunk
        compact, at = result.compact, at + size
    assert compact.root() == merkle.root(hashes)
    proofs = TileProofs(lambda level, index: tiles.get((level, index), b""), cache_tiles=2)
    size = data.draw(st.integers(1, len(hashes)))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert proofs.inclusion_proof(index, size) == merkle.inclusion_proof(hashes[:size], index)
    assert proofs.consistency_proof(old, size) == merkle.consistency_proof(hashes[:size], old)
    assert proofs.root(size) == merkle.root(hashes[:size])
