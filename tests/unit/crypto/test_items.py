"""Items at rest: keep, open stored, and crypto-shredding.

The contract of the item-key store itself (idempotent put, tombstones, re-wrapping under
a new at-rest key) is checked on every adapter by ``tests/conformance/test_store.py``.
"""

from __future__ import annotations

import pytest

from gsomia import crypto
from gsomia.errors import InputError, IntegrityError, UnknownName
from tests.support.crypto import LATER, MemoryItemKeyStore, World, sealed

CONTENT = b"impact area predicted: sea, 300 km west of Oki"


def receive(
    world: World, item_keys: MemoryItemKeyStore, database: dict[str, bytes], item: int = 0
) -> str:
    """KOR receives, verifies and keeps one item as a node does; returns its id."""
    envelope, binding = sealed(world, CONTENT, item=item)
    stored, item_key = crypto.keep(keyring=world.kor, envelope=envelope, binding=binding)
    database[stored.label.item_id] = stored.to_bytes()
    item_keys.put(item_key)
    return stored.label.item_id


def test_a_kept_item_opens_from_its_stored_form(
    world: World, item_keys: MemoryItemKeyStore
) -> None:
    database: dict[str, bytes] = {}
    item_id = receive(world, item_keys, database)
    stored = crypto.Envelope.from_bytes(database[item_id])
    assert stored.wrapped_keys == ()
    assert (
        crypto.open_stored(keyring=world.kor, envelope=stored, item_key=item_keys.get(item_id))
        == CONTENT
    )


def test_keep_refuses_an_item_that_does_not_verify_or_open(world: World) -> None:
    envelope, binding = sealed(world, CONTENT)
    other, _ = sealed(world, CONTENT, item=5)
    with pytest.raises(IntegrityError):
        crypto.keep(keyring=world.kor, envelope=other, binding=binding)
    with pytest.raises(IntegrityError):
        crypto.keep(keyring=world.usa, envelope=envelope, binding=binding)


def test_after_destruction_nothing_opens_even_with_database_and_keyring(
    world: World, item_keys: MemoryItemKeyStore
) -> None:
    database: dict[str, bytes] = {}
    victim = receive(world, item_keys, database, item=1)
    survivor = receive(world, item_keys, database, item=2)
    item_keys.destroy(victim)

    stored = crypto.Envelope.from_bytes(database[victim])
    with pytest.raises(UnknownName):
        item_keys.get(victim)
    # Everything left: the database, every surviving key record, every keyring.
    records = [item_keys.get(survivor)]
    for keyring in (world.kor, world.jpn, world.usa, crypto.rotate(world.kor, now=LATER)):
        for record in records:
            with pytest.raises(IntegrityError):
                crypto.open_stored(keyring=keyring, envelope=stored, item_key=record)
            retargeted = crypto.ItemKey(
                item_id=victim,
                key_id=record.key_id,
                label_digest=stored.label.digest_bytes(),
                nonce=record.nonce,
                wrapped=record.wrapped,
            )
            with pytest.raises(IntegrityError):
                crypto.open_stored(keyring=keyring, envelope=stored, item_key=retargeted)
        with pytest.raises(IntegrityError):
            crypto._envelope.unwrap_data_key(keyring, stored)
    # The survivor is untouched.
    survivor_stored = crypto.Envelope.from_bytes(database[survivor])
    assert (
        crypto.open_stored(keyring=world.kor, envelope=survivor_stored, item_key=records[0])
        == CONTENT
    )


def test_an_item_key_names_its_item_and_label(world: World, item_keys: MemoryItemKeyStore) -> None:
    database: dict[str, bytes] = {}
    first = receive(world, item_keys, database, item=1)
    second = receive(world, item_keys, database, item=2)
    with pytest.raises(IntegrityError):
        crypto.open_stored(
            keyring=world.kor,
            envelope=crypto.Envelope.from_bytes(database[first]),
            item_key=item_keys.get(second),
        )


def test_item_key_records_round_trip_and_refuse_malformation(
    world: World, item_keys: MemoryItemKeyStore
) -> None:
    item_id = receive(world, item_keys, {})
    record = item_keys.get(item_id)
    data = record.to_bytes()
    assert len(data) == 104
    assert data[:4] == b"GSK\x01"
    assert crypto.ItemKey.from_bytes(item_id=item_id, data=data) == record
    with pytest.raises(IntegrityError):
        crypto.ItemKey.from_bytes(item_id=item_id, data=data[:-1])
    with pytest.raises(IntegrityError):
        crypto.ItemKey.from_bytes(item_id="not-an-item", data=data)
    with pytest.raises(InputError):
        crypto.ItemKey(item_id=item_id, key_id=b"", label_digest=b"", nonce=b"", wrapped=b"")
