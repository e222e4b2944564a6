"""``keep_batch``: the same at-rest envelopes and item keys as ``keep`` item by item, and the
one opaque failure when any item of the batch does not verify or open."""

from __future__ import annotations

import os

import pytest

from gsomia import crypto
from gsomia.errors import InputError, IntegrityError
from tests.support.crypto import make_label, make_world


def batch(
    count: int, holders: tuple[str, ...] = ("JPN", "KOR")
) -> list[tuple[crypto.Envelope, crypto.Binding]]:
    """``count`` items JPN sealed for ``holders`` and bound with one signature."""
    world = make_world()
    contents = [f"track {i}: launch detected".encode() for i in range(count)]
    labels = [make_label(c, item=i) for i, c in enumerate(contents)]
    envelopes = crypto.seal_batch(
        keyring=world.jpn, items=list(zip(labels, contents, strict=True)), holders=holders
    )
    bindings = crypto.bind(keyring=world.jpn, envelopes=envelopes)
    return list(zip(envelopes, bindings, strict=True))


def test_a_batch_keeps_exactly_what_keep_keeps() -> None:
    kor = make_world().kor
    items = batch(5)
    nonces = [os.urandom(12) for _ in items]
    kept = crypto.keep_batch_at(keyring=kor, items=items, nonces=nonces)
    for (envelope, binding), nonce, (at_rest, key) in zip(items, nonces, kept, strict=True):
        one, one_key = crypto.keep_at(keyring=kor, envelope=envelope, binding=binding, nonce=nonce)
        assert at_rest.to_bytes() == one.to_bytes() and at_rest.wrapped_keys == ()
        assert key == one_key and key.to_bytes() == one_key.to_bytes()
        assert crypto.open_stored(keyring=kor, envelope=at_rest, item_key=key) == (
            crypto.open(keyring=kor, envelope=envelope, binding=binding)
        )


def test_fresh_nonces_are_drawn_for_each_item() -> None:
    kept = crypto.keep_batch(keyring=make_world().kor, items=batch(3))
    assert len({key.nonce for _, key in kept}) == 3


def test_one_bad_item_fails_the_batch_opaquely() -> None:
    kor = make_world().kor
    items = batch(3)
    envelope, binding = items[1]
    forged = crypto.Binding.from_bytes(binding.to_bytes()[:-1] + bytes([binding.signature[-1] ^ 1]))
    with pytest.raises(IntegrityError):
        crypto.keep_batch(keyring=kor, items=[items[0], (envelope, forged), items[2]])


def test_a_holder_without_a_wrap_cannot_keep() -> None:
    kor = make_world().kor
    crypto.verify_batch(keyring=kor, items=batch(2, holders=("JPN",)))
    with pytest.raises(IntegrityError):
        crypto.keep_batch(keyring=kor, items=batch(2, holders=("JPN",)))


def test_one_nonce_of_the_right_size_per_item_is_needed() -> None:
    kor = make_world().kor
    with pytest.raises(InputError):
        crypto.keep_batch_at(keyring=kor, items=batch(2), nonces=[os.urandom(12)])
    with pytest.raises(InputError):
        crypto.keep_batch_at(keyring=kor, items=batch(1), nonces=[os.urandom(8)])


def test_an_empty_batch_keeps_nothing() -> None:
    assert crypto.keep_batch(keyring=make_world().kor, items=[]) == []
