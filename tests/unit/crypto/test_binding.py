"""Bindings: batches under one signature, audit paths, who may sign, batch verification."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia import crypto
from gsomia.crypto._binding import audit_paths
from gsomia.errors import InputError, IntegrityError
from gsomia.ledger.merkle import all_inclusion_proofs, leaf_hash, levels
from tests.support.crypto import World, make_label, sealed


def batch(world: World, size: int) -> list[tuple[crypto.Envelope, crypto.Binding]]:
    contents = [f"report {i}".encode() for i in range(size)]
    labels = [make_label(c, item=i) for i, c in enumerate(contents)]
    envelopes = crypto.seal_batch(
        keyring=world.jpn, items=list(zip(labels, contents, strict=True)), holders=["KOR"]
    )
    return list(zip(envelopes, crypto.bind(keyring=world.jpn, envelopes=envelopes), strict=True))


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 100])
def test_every_item_of_a_batch_verifies_on_its_own(world: World, size: int) -> None:
    items = batch(world, size)
    assert len({b.signature for _, b in items}) == 1
    for index, (envelope, binding) in enumerate(items):
        assert (binding.index, binding.tree_size) == (index, size)
        crypto.verify(keyring=world.kor, envelope=envelope, binding=binding)


def test_a_batch_of_one_has_an_empty_audit_path(world: World) -> None:
    ((envelope, binding),) = batch(world, 1)
    assert binding.proof == b""
    crypto.verify(keyring=world.jpn, envelope=envelope, binding=binding)


@given(size=st.integers(min_value=1, max_value=70))
@settings(max_examples=40, deadline=None)
def test_audit_paths_are_the_ledgers_inclusion_proofs(size: int) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    expected = [b"".join(proof) for proof in all_inclusion_proofs(leaves)]
    assert audit_paths(levels(leaves)) == expected


def test_verify_batch_accepts_whole_batches_and_stragglers(world: World) -> None:
    whole = batch(world, 9)
    partial = batch(world, 5)[1:4]
    crypto.verify_batch(keyring=world.kor, items=whole + partial)
    crypto.verify_batch(keyring=world.kor, items=list(reversed(whole)))


@pytest.mark.parametrize("victim", [0, 4, 8])
def test_verify_batch_refuses_a_whole_batch_with_one_bad_path(world: World, victim: int) -> None:
    items = batch(world, 9)
    envelope, binding = items[victim]
    last = bytes([binding.proof[-1] ^ 1])
    items[victim] = (envelope, dataclasses.replace(binding, proof=binding.proof[:-1] + last))
    with pytest.raises(IntegrityError):
        crypto.verify_batch(keyring=world.kor, items=items)


def test_verify_batch_checks_each_item_of_an_incomplete_batch(world: World) -> None:
    items = batch(world, 4)
    crypto.verify_batch(keyring=world.kor, items=[*items[:3], items[2]])
    envelope, binding = items[3]
    items[3] = (envelope, dataclasses.replace(binding, index=2))
    with pytest.raises(IntegrityError):
        crypto.verify_batch(keyring=world.kor, items=items)


def test_a_binding_belongs_to_one_envelope(world: World) -> None:
    (one, one_binding), (_, two_binding) = batch(world, 2)
    with pytest.raises(IntegrityError):
        crypto.verify(keyring=world.kor, envelope=one, binding=two_binding)
    forged = dataclasses.replace(
        two_binding, label_digest=one_binding.label_digest, data_reference=one.data_reference
    )
    with pytest.raises(IntegrityError):
        crypto.verify(keyring=world.kor, envelope=one, binding=forged)


def test_only_the_party_that_made_the_label_may_sign(world: World) -> None:
    envelope, _ = sealed(world)
    # KOR signs a batch over JPN's item by building the binding itself.
    kor_key = world.kor.newest(crypto.KeyKind.SIGNING)
    root = leaf_hash(crypto._binding.statement(envelope))
    message = crypto._binding._signed_message("KOR", kor_key.key_id, 1, root, True)
    binding = crypto.Binding(
        signer="KOR",
        signer_key_id=kor_key.key_id,
        label_digest=envelope.label.digest_bytes(),
        data_reference=envelope.data_reference,
        tree_size=1,
        index=0,
        proof=b"",
        signature=world.kor._sign(message),
        commitment=envelope.commitment,
    )
    with pytest.raises(IntegrityError):
        crypto.verify(keyring=world.jpn, envelope=envelope, binding=binding)


def test_a_revoked_or_unknown_signing_key_does_not_verify(world: World) -> None:
    envelope, binding = sealed(world)
    revoked = world.kor.unregister(
        agreement_id="jpn-kor-gsomia", party="JPN", key_id=binding.signer_key_id
    )
    with pytest.raises(IntegrityError):
        crypto.verify(keyring=revoked, envelope=envelope, binding=binding)
    with pytest.raises(IntegrityError):
        crypto.verify(
            keyring=world.kor,
            envelope=envelope,
            binding=dataclasses.replace(binding, signer_key_id=b"\x00" * 8),
        )


def test_a_key_registered_under_one_agreement_does_not_vouch_under_another(
    world: World,
) -> None:
    envelope, binding = sealed(world, agreement="tisa", releasable=("KOR",))
    only_jk = dataclasses.replace(
        world.kor, partners=tuple(p for p in world.kor.partners if p[0] == "jpn-kor-gsomia")
    )
    crypto.verify(keyring=world.kor, envelope=envelope, binding=binding)
    with pytest.raises(IntegrityError):
        crypto.verify(keyring=only_jk, envelope=envelope, binding=binding)


def test_bind_refuses_an_empty_batch_and_foreign_labels(world: World) -> None:
    with pytest.raises(InputError):
        crypto.bind(keyring=world.jpn, envelopes=[])
    envelope, _ = sealed(world)
    with pytest.raises(InputError):
        crypto.bind(keyring=world.kor, envelopes=[envelope])


def test_proof_hashes_split_the_path(world: World) -> None:
    items = batch(world, 5)
    _, binding = items[4]
    assert b"".join(binding.proof_hashes) == binding.proof
    assert all(len(h) == 32 for h in binding.proof_hashes)
