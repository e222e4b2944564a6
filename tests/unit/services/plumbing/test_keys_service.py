"""The key lifecycle on a node (crypto review M4, M5, L6, L7, H1's migration): at-rest epochs
that make old copies of destroyed records unreadable, rotation, unregistering, the at-rest
nonce budget, retried purges, and items kept under label-v1 sealed again."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3

import pytest

from gsomia.core.labels import content_digest
from gsomia.crypto import Envelope, KeyKind, open_stored
from gsomia.crypto._items import _wrap_at_rest
from gsomia.crypto._primitives import AEAD, random_bytes
from gsomia.errors import ConflictError, IntegrityError, UnknownName
from gsomia.ledger.entries import LedgerEntry
from gsomia.services.node import Node
from tests.support.workflows import World, ledger_events, official

CONTENT = b"launch point 39.0N 125.7E"


def events(node: Node) -> list[str]:
    return ledger_events(node)


def at_rest_epoch_leaves_old_records_unopenable(world: World, item: str) -> None:
    """What a database, WAL or replica copy kept of a destroyed item's record opens with the
    keyring until the at-rest epoch changes, and with nothing after."""
    kor = world["KOR"]
    other = world.provide("JPN", "KOR", contents=(b"another report",)).item_ids[0]
    world.drain()
    with kor.ctx.store.read() as uow:
        copied = uow.keys.get(item)  # the bytes a WAL copy keeps after destruction
        envelope = Envelope.from_bytes(uow.item(item).ciphertext)
    old = kor.ctx.keyring.newest(KeyKind.AT_REST).key_id
    kor.handling.destroy(item_id=item, by=official("KOR"))
    assert open_stored(keyring=kor.ctx.keyring, envelope=envelope, item_key=copied) == CONTENT
    change = kor.keys.rotate(kinds=[KeyKind.AT_REST])
    with pytest.raises(IntegrityError):
        open_stored(keyring=kor.ctx.keyring, envelope=envelope, item_key=copied)
    assert [k.kind for k in kor.ctx.keyring.own].count(KeyKind.AT_REST) == 1
    assert kor.ctx.keyring.newest(KeyKind.AT_REST).key_id.hex() == change.keys[0] != old.hex()
    with kor.ctx.store.read() as uow:
        assert uow.keys.count_under_key(old) == 0
        assert uow.keys.get(other).key_id.hex() == change.keys[0]
    assert kor.custody.open(item_id=other, person_id=official("KOR")) == b"another report"
    assert {"key.rotated", "key.rewrapped", "key.retired"} <= set(events(kor))


def test_an_at_rest_epoch_leaves_old_copies_of_destroyed_records_unopenable(
    world: World, item: str
) -> None:
    at_rest_epoch_leaves_old_records_unopenable(world, item)


def test_an_at_rest_key_still_in_use_is_not_retired(world: World, item: str) -> None:
    kor = world["KOR"]
    old = kor.ctx.keyring.newest(KeyKind.AT_REST).key_id
    kor.keys.rotate(kinds=[KeyKind.AT_REST], retire_old_at_rest=False)
    assert kor.custody.open(item_id=item, person_id=official("KOR")) == CONTENT
    with kor.ctx.store.read() as uow:
        assert uow.keys.count_under_key(old) == 0  # the rotation re-wrapped them
    world.provide("JPN", "KOR")
    world.drain()
    kor.keys.retire(key_id=old)
    with pytest.raises(ConflictError):
        kor.keys.retire(key_id=kor.ctx.keyring.newest(KeyKind.AT_REST).key_id)
    with pytest.raises(ConflictError):
        kor.keys.retire(key_id=kor.ctx.keyring.newest(KeyKind.SIGNING).key_id)
    with pytest.raises(UnknownName):
        kor.keys.retire(key_id=bytes(8))


def test_a_rotation_is_registered_by_partners_before_it_is_trusted(world: World, item: str) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    before = {k.kind: k.key_id for k in jpn.ctx.keyring.own}
    jpn.keys.rotate()
    assert all(jpn.ctx.keyring.newest(kind).key_id != kid for kind, kid in before.items())
    assert kor.custody.open(item_id=item, person_id=official("KOR")) == CONTENT
    result = world.provide("JPN", "KOR", contents=(b"after the rotation",))
    world.drain()
    with kor.ctx.store.read() as uow:
        assert not uow.has_item(result.item_ids[0])  # KOR does not know the new keys yet
    from gsomia.bootstrap import exchange_keys

    exchange_keys([jpn, kor])
    world.later(seconds=20)
    world.drain()
    opened = kor.custody.open(item_id=result.item_ids[0], person_id=official("KOR"))
    assert opened == b"after the rotation"
    rotated = [
        LedgerEntry.from_bytes(e)
        for e in jpn.ctx.store.ledger.iter_entries(0, jpn.ctx.store.ledger.size())
    ]
    kinds = {e.details.get("method") for e in rotated if e.event.value == "key.rotated"}
    assert kinds == {k.value for k in KeyKind}


@pytest.mark.parametrize("kind", [KeyKind.SIGNING, KeyKind.DOCUMENT])
def test_after_unregistering_a_partner_key_nothing_it_signs_is_accepted(
    world: World, item: str, kind: KeyKind
) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    kid = jpn.ctx.keyring.newest(kind).key_id
    kor.keys.unregister(party="JPN", agreement_id="jpn-kor-gsomia", key_id=kid)
    assert "key.unregistered" in events(kor)
    result = world.provide("JPN", "KOR", agreement="jpn-kor-gsomia", contents=(b"new",))
    world.drain()
    with kor.ctx.store.read() as uow:
        assert not uow.has_item(result.item_ids[0])
    with pytest.raises(UnknownName):
        kor.keys.unregister(party="JPN", agreement_id="jpn-kor-gsomia", key_id=kid)


def test_after_unregistering_a_partner_encryption_key_nothing_is_wrapped_to_it(
    world: World,
) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    kid = jpn.ctx.keyring.newest(KeyKind.ENCRYPTION).key_id
    kor.keys.unregister(party="JPN", agreement_id="jpn-kor-gsomia", key_id=kid)
    with pytest.raises(UnknownName):
        kor.ctx.keyring._newest_public("jpn-kor-gsomia", "JPN")


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)  # looks at the database
def test_the_at_rest_key_is_rotated_before_its_nonce_budget(
    world: World, item: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crypto review L7: the node rotates at half the budget; the store refuses past it."""
    import gsomia.adapters.storage.sql.keys as sql_keys
    import gsomia.services.plumbing.keys as keys_service

    kor = world["KOR"]
    first = kor.ctx.keyring.newest(KeyKind.AT_REST).key_id
    monkeypatch.setattr(keys_service, "AT_REST_BUDGET", 4)
    assert not kor.keys.ensure_at_rest_budget()
    world.provide("JPN", "KOR", contents=(b"a", b"b"))
    world.drain()
    kor.maintain()
    second = kor.ctx.keyring.newest(KeyKind.AT_REST).key_id
    assert second != first and "key.rotated" in events(kor)
    monkeypatch.setattr(sql_keys, "budget", lambda: 2)
    sent = world.provide("JPN", "KOR", contents=(b"c", b"d", b"e"))
    world.drain()
    with kor.ctx.store.read() as uow:
        assert not uow.has_item(sent.item_ids[0])  # refused: past the (lowered) budget
        assert uow.keys.uses(second) == 3  # the items the rotation re-wrapped, no more


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)  # looks at the database
def test_a_purge_that_cannot_run_is_retried_later(world: World, item: str) -> None:
    """Crypto review L6: the destruction stands; the purge is owed and retried."""
    kor = world["KOR"]
    store = kor.ctx.store
    path = store.engine.url.database  # type: ignore[attr-defined]
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM item_keys").fetchone()
    world.provide("JPN", "KOR")
    world.drain()
    assert kor.handling.destroy(item_id=item, by=official("KOR")) == [item]
    assert store.purge_pending
    reader.rollback()
    reader.close()
    kor.maintain()
    assert not store.purge_pending


def test_items_held_under_label_v1_are_sealed_again(world: World, item: str) -> None:
    """H1's migration: an item kept as an envelope-v1 (its label carrying a digest of the
    content) is sealed again under a label-v2 re-marking with a fresh data key."""
    kor = world["KOR"]
    with kor.ctx.store.read() as uow:
        record = uow.item(item)
        received = Envelope.from_bytes(record.ciphertext).label
    old_label = dataclasses.replace(received, content_digest=content_digest(CONTENT))
    data_key, nonce = random_bytes(32), random_bytes(12)
    ciphertext = AEAD(data_key).encrypt(nonce, CONTENT, old_label.canonical_bytes())
    old = Envelope(label=old_label, nonce=nonce, ciphertext=ciphertext)
    with kor.ctx.store.unit_of_work() as uow:
        uow.keys.reseal(_wrap_at_rest(kor.ctx.keyring, old, data_key, random_bytes(12)))
        uow.reseal_item(item, ciphertext=old.to_bytes(), binding=record.binding)
    assert kor.custody.open(item_id=item, person_id=official("KOR")) == CONTENT
    assert kor.keys.reseal().count == 1
    assert kor.keys.reseal().count == 0
    with kor.ctx.store.read() as uow:
        kept = uow.item(item)
        label = Envelope.from_bytes(kept.ciphertext).label
        versions = uow.labels(item)
    assert kept.ciphertext[:4] == b"GSE\x02" and label.content_digest is None
    assert label.marked_by == "KOR" and kept.label_digest == label.digest()
    assert versions[-1].digest == label.digest()
    digest = hashlib.sha256(CONTENT).hexdigest().encode()
    assert digest not in kept.ciphertext and digest not in versions[-1].label
    assert kor.custody.open(item_id=item, person_id=official("KOR")) == CONTENT
    assert events(kor)[-1] in ("item.marked", "item.opened")
