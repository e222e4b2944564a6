"""Sealing and opening items: holders, hubs, label binding, refusals."""

from __future__ import annotations

import dataclasses

import pytest

from gsomia import crypto
from gsomia.core.labels import content_digest
from gsomia.crypto._envelope import commitment_of
from gsomia.crypto._wire import OPAQUE
from gsomia.errors import InputError, IntegrityError, UnknownName
from tests.support.crypto import JK, TISA, World, make_label, sealed

CONTENT = b"launch detected 38.9N 125.6E"


def test_each_holder_opens_what_the_originator_sealed(world: World) -> None:
    envelope, binding = sealed(world, CONTENT)
    for keyring in (world.jpn, world.kor):
        assert crypto.open(keyring=keyring, envelope=envelope, binding=binding) == CONTENT


def test_a_party_that_is_not_a_holder_cannot_open(world: World) -> None:
    envelope, binding = sealed(world, CONTENT, agreement=TISA, releasable=("KOR", "USA"))
    assert envelope.holders == ("JPN", "KOR")
    with pytest.raises(IntegrityError, match=OPAQUE):
        crypto.open(keyring=world.usa, envelope=envelope, binding=binding)


def test_a_relaying_hub_verifies_the_binding_but_cannot_open(world: World) -> None:
    envelope, binding = sealed(
        world, CONTENT, agreement=TISA, releasable=("KOR",), route=("JPN", "USA", "KOR")
    )
    relayed = crypto.Envelope.from_bytes(envelope.to_bytes())
    crypto.verify(keyring=world.usa, envelope=relayed, binding=binding)
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.usa, envelope=relayed, binding=binding)
    assert crypto.open(keyring=world.kor, envelope=relayed, binding=binding) == CONTENT


def test_a_hub_that_is_a_holder_opens_and_grants_after_consent(world: World) -> None:
    envelope, binding = sealed(
        world,
        CONTENT,
        agreement=TISA,
        releasable=("KOR", "USA"),
        route=("JPN", "USA", "KOR"),
        holders=("JPN", "USA"),
    )
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.kor, envelope=envelope, binding=binding)
    assert crypto.open(keyring=world.usa, envelope=envelope, binding=binding) == CONTENT
    forwarded = crypto.grant(keyring=world.usa, envelope=envelope, holder="KOR")
    assert forwarded.holders == ("JPN", "USA", "KOR")
    assert crypto.open(keyring=world.kor, envelope=forwarded, binding=binding) == CONTENT


def test_grant_refuses_a_party_the_label_does_not_allow(world: World) -> None:
    envelope, _ = sealed(world, CONTENT, agreement=TISA, releasable=("KOR",), holders=("JPN",))
    with pytest.raises(InputError, match="may not hold"):
        crypto.grant(keyring=world.jpn, envelope=envelope, holder="USA")


def test_grant_needs_the_granting_node_to_hold_the_item(world: World) -> None:
    envelope, _ = sealed(world, CONTENT, agreement=TISA, releasable=("KOR", "USA"))
    with pytest.raises(IntegrityError):
        crypto.grant(keyring=world.usa, envelope=envelope, holder="USA")


@pytest.mark.parametrize(
    ("holders", "problem"),
    [
        ((), "at least one holder"),
        (("JPN", "JPN"), "twice"),
        (("USA",), "may not hold"),
    ],
)
def test_seal_refuses_holders_the_label_does_not_allow(
    world: World, holders: tuple[str, ...], problem: str
) -> None:
    label = make_label(CONTENT)
    with pytest.raises(InputError, match=problem):
        crypto.seal(keyring=world.jpn, plaintext=CONTENT, label=label, holders=holders)


def test_only_the_party_that_made_the_label_seals_under_it(world: World) -> None:
    label = make_label(CONTENT)
    with pytest.raises(InputError, match="did not make"):
        crypto.seal(keyring=world.kor, plaintext=CONTENT, label=label, holders=["KOR"])


def test_seal_refuses_a_label_v1_which_carries_a_digest_of_the_content(world: World) -> None:
    label = dataclasses.replace(make_label(CONTENT), content_digest=content_digest(CONTENT))
    with pytest.raises(InputError, match="label-v2 only"):
        crypto.seal(keyring=world.jpn, plaintext=CONTENT, label=label, holders=["KOR"])


def test_seal_names_a_holder_without_a_registered_key(world: World) -> None:
    label = make_label(CONTENT, agreement=TISA, releasable=("KOR",))
    lonely = dataclasses.replace(world.jpn, partners=())
    with pytest.raises(UnknownName):
        crypto.seal(keyring=lonely, plaintext=CONTENT, label=label, holders=["KOR"])


def test_a_label_cannot_be_moved_onto_another_items_ciphertext(world: World) -> None:
    first, _ = sealed(world, CONTENT, item=1)
    second, second_binding = sealed(world, b"another report", item=2)
    swapped = dataclasses.replace(second, label=first.label)
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.kor, envelope=swapped, binding=second_binding)
    data_key = crypto._envelope.unwrap_data_key(world.kor, second)
    with pytest.raises(IntegrityError):
        crypto._envelope.open_content(swapped, data_key)


def test_a_wrapped_key_cannot_be_moved_to_another_item(world: World) -> None:
    first, _ = sealed(world, CONTENT, item=1)
    second, second_binding = sealed(world, b"another report", item=2)
    moved = dataclasses.replace(second, wrapped_keys=first.wrapped_keys)
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.kor, envelope=moved, binding=second_binding)


def test_bytes_round_trip_and_equal_values(world: World) -> None:
    envelope, binding = sealed(world, CONTENT)
    again = crypto.Envelope.from_bytes(envelope.to_bytes())
    assert again == envelope
    assert again.to_bytes() == envelope.to_bytes()
    assert crypto.Binding.from_bytes(binding.to_bytes()) == binding


def test_every_failure_reads_the_same(world: World) -> None:
    envelope, binding = sealed(world, CONTENT)
    other, other_binding = sealed(world, b"x", item=9)
    failures = [
        lambda: crypto.Envelope.from_bytes(b"GSE\x03" + envelope.to_bytes()[4:]),
        lambda: crypto.Envelope.from_bytes(b"GSE\x01" + envelope.to_bytes()[4:]),
        lambda: crypto.Envelope.from_bytes(envelope.to_bytes()[:-1]),
        lambda: crypto.open(keyring=world.usa, envelope=envelope, binding=binding),
        lambda: crypto.open(keyring=world.kor, envelope=envelope, binding=other_binding),
        lambda: crypto.open(keyring=world.kor, envelope=other, binding=binding),
    ]
    messages = set()
    for attempt in failures:
        with pytest.raises(IntegrityError) as caught:
            attempt()
        messages.add(str(caught.value))
    assert messages == {OPAQUE}


def test_seal_at_is_deterministic_and_uses_the_given_inputs(world: World) -> None:
    label = make_label(CONTENT)
    args = {
        "keyring": world.jpn,
        "plaintext": CONTENT,
        "label": label,
        "holders": ("KOR",),
        "data_key": bytes(range(32)),
        "nonce": bytes(12),
        "wrap_nonces": [b"\x01" * 12],
    }
    one = crypto.seal_at(**args)  # type: ignore[arg-type]
    two = crypto.seal_at(**args)  # type: ignore[arg-type]
    # The content part is determined by the inputs; the HPKE encapsulation of the wrap key
    # draws a fresh ephemeral key every time (RFC 9180 §4.1).
    assert (one.ciphertext, one.commitment) == (two.ciphertext, two.commitment)
    assert one.commitment == commitment_of(bytes(range(32)))
    assert one.nonce == bytes(12)
    assert one.wrapped_keys[0].nonce == b"\x01" * 12
    assert one.wrapped_keys[0].sealed_wrap_key != two.wrapped_keys[0].sealed_wrap_key
    with pytest.raises(InputError, match="wrong size"):
        crypto.seal_at(**{**args, "wrap_nonces": []})  # type: ignore[arg-type]


def test_seal_draws_a_fresh_data_key_and_nonces_per_item(world: World) -> None:
    label = make_label(CONTENT)
    one, two = (
        crypto.seal(keyring=world.jpn, plaintext=CONTENT, label=label, holders=["KOR"])
        for _ in range(2)
    )
    assert one.ciphertext != two.ciphertext
    assert one.nonce != two.nonce
    assert one.wrapped_keys[0].wrapped != two.wrapped_keys[0].wrapped


def test_seal_batch_seals_each_item_like_seal(world: World) -> None:
    contents = [bytes([i]) * (i + 1) for i in range(5)]
    labels = [make_label(c, item=i) for i, c in enumerate(contents)]
    envelopes = crypto.seal_batch(
        keyring=world.jpn, items=list(zip(labels, contents, strict=True)), holders=["KOR"]
    )
    bindings = crypto.bind(keyring=world.jpn, envelopes=envelopes)
    opened = crypto.open_batch(keyring=world.kor, items=list(zip(envelopes, bindings, strict=True)))
    assert opened == contents
    assert len({e.nonce for e in envelopes}) == 5


def test_a_re_marked_label_is_sealed_and_bound_by_the_party_that_re_marked_it(
    world: World,
) -> None:
    original = make_label(CONTENT)
    remarked = original.remark(by="KOR", level="JPN:HI", equivalents=(("KOR", "KOR:GUNSA_III"),))
    envelope = crypto.seal(keyring=world.kor, plaintext=CONTENT, label=remarked, holders=["KOR"])
    (binding,) = crypto.bind(keyring=world.kor, envelopes=[envelope])
    assert binding.signer == "KOR"
    assert crypto.open(keyring=world.kor, envelope=envelope, binding=binding) == CONTENT
    with pytest.raises(InputError):
        crypto.bind(keyring=world.jpn, envelopes=[envelope])


def test_wrapped_keys_carry_holder_wrapper_and_holder_key_id(world: World) -> None:
    envelope, _ = sealed(world, CONTENT)
    kor_wrap = next(w for w in envelope.wrapped_keys if w.holder == "KOR")
    assert isinstance(kor_wrap, crypto.SealedKey)
    assert kor_wrap.wrapper == "JPN"
    assert kor_wrap.holder_key_id == world.kor.newest(crypto.KeyKind.ENCRYPTION).key_id
    assert len(kor_wrap.to_bytes()) == 154


def test_pairwise_keys_differ_per_agreement(world: World) -> None:
    jk, _ = sealed(world, CONTENT, agreement=JK)
    tisa, _ = sealed(world, CONTENT, agreement=TISA)
    moved = dataclasses.replace(tisa, wrapped_keys=jk.wrapped_keys)
    with pytest.raises(IntegrityError):
        crypto._envelope.unwrap_data_key(world.kor, moved)


def test_malformed_envelope_fields_are_refused_on_construction(world: World) -> None:
    envelope, _ = sealed(world, CONTENT)
    with pytest.raises(InputError):
        dataclasses.replace(envelope, nonce=b"short")
    bad = envelope.wrapped_keys[0]._replace(holder="kor")
    with pytest.raises(InputError):
        dataclasses.replace(envelope, wrapped_keys=(bad,))


@pytest.mark.parametrize(
    ("agreement", "releasable", "holders"),
    [(JK, ("KOR",), ("KOR",)), (TISA, ("KOR", "USA"), ("KOR", "USA"))],
)
def test_the_wrapper_cannot_open_what_it_wrapped(
    world: World, agreement: str, releasable: tuple[str, ...], holders: tuple[str, ...]
) -> None:
    """Crypto review H2: a wrap opens only with the holder's private key. The sealer (and a
    holder that granted) keeps no key that re-derives it, unlike a static pairwise KEK."""
    envelope, binding = sealed(
        world, CONTENT, agreement=agreement, releasable=releasable, holders=holders
    )
    assert all(w.wrapper == "JPN" for w in envelope.wrapped_keys)
    with pytest.raises(IntegrityError):
        crypto._envelope.unwrap_data_key(world.jpn, envelope)
    # With the right HPKE info, every secret JPN holds fails; the holder's own key works.
    for wrap in envelope.wrapped_keys:
        info = crypto._keys._wrap_info(agreement, "JPN", wrap.holder) + wrap.holder_key_id
        for key in world.jpn.own:
            with pytest.raises(IntegrityError):
                crypto._primitives.hpke_open(
                    secret=key.secret, sealed=wrap.sealed_wrap_key, info=info
                )
        holder_key = world.of(wrap.holder).newest(crypto.KeyKind.ENCRYPTION)
        opened = crypto._primitives.hpke_open(
            secret=holder_key.secret, sealed=wrap.sealed_wrap_key, info=info
        )
        assert len(opened) == 32
    for party in holders:
        assert crypto.open(keyring=world.of(party), envelope=envelope, binding=binding) == CONTENT
    if agreement == TISA:
        granted = crypto.grant(keyring=world.kor, envelope=envelope, holder="JPN")
        kor_wrap = next(w for w in granted.wrapped_keys if w.holder == "JPN")
        assert kor_wrap.wrapper == "KOR"
        assert crypto.open(keyring=world.jpn, envelope=granted, binding=binding) == CONTENT
        usa_only = dataclasses.replace(
            granted, wrapped_keys=tuple(w for w in granted.wrapped_keys if w.holder == "USA")
        )
        with pytest.raises(IntegrityError):
            crypto._envelope.unwrap_data_key(world.kor, usa_only)
