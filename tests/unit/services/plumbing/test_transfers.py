"""Bulk transfers: message-v2 frames, and the batch paths of provide and receive, which must
store and record exactly what the item-by-item constructions give."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from gsomia.core.labels import Label
from gsomia.crypto import Binding, Envelope, open_stored
from gsomia.crypto._documents import DOCUMENT_MAGIC, sign_document
from gsomia.errors import InputError, IntegrityError
from gsomia.formats.messages import PARTS_FORMAT, Kind, Message, b64, decode, encode
from gsomia.ledger.entries import Actor, Event, LedgerEntry
from gsomia.ports.store import ItemState
from gsomia.services.acts.custody import TRANSFER_CHUNK
from gsomia.services.plumbing.transfers import transfer_items
from tests.support.workflows import World, acts, officer

ID = "1" * 32


def message(world: World, parts: tuple[bytes, ...], **body: Any) -> Message:
    return Message(
        id=ID,
        kind=Kind.TRANSFER,
        sender="JPN",
        recipient="KOR",
        agreement_id="jpn-kor-gsomia",
        sent_at=world.clock.now(),
        body=body,
        parts=parts,
    )


# message-v2 --------------------------------------------------------------------------------


def test_parts_round_trip_and_are_covered_by_the_signature(world: World) -> None:
    parts = (b"", b"\x00" * 5, bytes(range(256)) * 40)
    blob = encode(world["JPN"].ctx.keyring, message(world, parts, items=1))
    assert blob[:4] == b"GSM\x02"
    got = decode(world["KOR"].ctx.keyring, blob, now=world.clock.now())
    assert got.parts == parts and got.body == {"items": 1} and got.id == ID
    for where in (len(blob) - 1, len(blob) - 300, blob.index(b"\x00" * 5)):
        forged = bytearray(blob)
        forged[where] ^= 1
        with pytest.raises(IntegrityError):
            decode(world["KOR"].ctx.keyring, bytes(forged))
    for cut in (3, 7, 40, len(blob) - 1):
        with pytest.raises((IntegrityError, InputError)):
            decode(world["KOR"].ctx.keyring, blob[:cut])
    with pytest.raises(IntegrityError):
        decode(world["KOR"].ctx.keyring, blob + b"\x00\x00\x00\x00")


def test_a_message_without_parts_is_message_v1_as_before(world: World) -> None:
    blob = encode(world["JPN"].ctx.keyring, message(world, (), note="x"))
    assert blob.startswith(DOCUMENT_MAGIC) and b"gsomia/message-v1" in blob
    assert decode(world["KOR"].ctx.keyring, blob).parts == ()


@pytest.mark.parametrize(
    ("spec", "section"),
    [
        ({"count": 3}, b"\x00\x00\x00\x01a\x00\x00\x00\x01b"),
        ({"count": 2}, b"\x00\x00\x00\x01a\x00\x00\x00\x05b"),
        ({"count": 0}, b""),
        (None, b"\x00\x00\x00\x01a"),
    ],
)
def test_signed_but_malformed_parts_are_refused_as_input(
    world: World, spec: dict[str, Any] | None, section: bytes
) -> None:
    keyring = world["JPN"].ctx.keyring
    header: dict[str, Any] = {
        "format": PARTS_FORMAT,
        "id": ID,
        "kind": "transfer",
        "from": "JPN",
        "to": "KOR",
        "agreement": "jpn-kor-gsomia",
        "sent_at": world.clock.now().isoformat(),
        "body": {"items": 1},
    }
    if spec is not None:
        header["parts"] = {**spec, "sha256": hashlib.sha256(section).hexdigest()}
    document = sign_document(
        keyring=keyring, agreement_id="jpn-kor-gsomia", body=json.dumps(header).encode()
    )
    blob = b"GSM\x02" + len(document).to_bytes(4, "big") + document + section
    with pytest.raises(InputError):
        decode(world["KOR"].ctx.keyring, blob)


# Provide and receive in batches -------------------------------------------------------------


def contents(n: int) -> list[bytes]:
    return [f"track report {i}: launch detected 39.0N 125.7E".encode() for i in range(n)]


def ledger(world: World, party: str) -> list[LedgerEntry]:
    return acts(world[party])


def test_a_provision_records_what_item_by_item_construction_gives(world: World) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    sent = contents(TRANSFER_CHUNK + 7)
    before = len(ledger(world, "JPN"))
    result = world.provide(contents=tuple(sent), agreement="jpn-kor-gsomia")
    assert len(result.transfer_ids) == 2
    with jpn.ctx.store.read() as uow:
        queued = uow.due_messages(now=world.clock.now(), limit=10)
        records = [uow.item(i) for i in result.item_ids]
        rows = [uow.labels(i) for i in result.item_ids]
    assert [m.body[:4] for m in queued] == [b"GSM\x02"] * 2
    pairs = [p for m in queued for p in transfer_items(decode(kor.ctx.keyring, m.body))]
    assert [len(transfer_items(decode(kor.ctx.keyring, m.body))) for m in queued] == [
        TRANSFER_CHUNK,
        7,
    ]
    provided = ledger(world, "JPN")[before:]
    for i, (record, (envelope, binding), (row,), entry) in enumerate(
        zip(records, pairs, rows, provided, strict=True)
    ):
        label = Envelope.from_bytes(envelope).label
        plain = Label(
            item_id=result.item_ids[i],
            agreement_id=label.agreement_id,
            agreement_version=label.agreement_version,
            originator="JPN",
            level=label.level,
            equivalents=label.equivalents,
            releasable_to=label.releasable_to,
            topic=label.topic,
            purpose=label.purpose,
            created_at=label.created_at,
            review_on=label.review_on,
            route=label.route,
        )
        assert label == plain and row.label == plain.canonical_bytes()
        kept = Envelope.from_bytes(record.ciphertext)
        assert kept.wrapped_keys == () and record.binding == binding
        assert kept == Envelope.from_bytes(envelope).without_keys()
        assert record.label_digest == row.digest == plain.digest()
        assert record.state is ItemState.SENT
        assert entry == LedgerEntry(
            agreement_id="jpn-kor-gsomia",
            event=Event.ITEM_PROVIDED,
            actor=Actor(party="JPN", person=officer("JPN")),
            at=entry.at,
            item_id=plain.item_id,
            rule_ids=result.decision.rule_ids,
            details={"label": plain.digest(), "level": label.level, "counterparty": "KOR"},
        )
        assert entry.to_bytes() == LedgerEntry.from_bytes(entry.to_bytes()).to_bytes()


def test_a_receipt_records_what_item_by_item_construction_gives(world: World) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    sent = contents(25)
    result = world.provide(contents=tuple(sent), agreement="jpn-kor-gsomia")
    with jpn.ctx.store.read() as uow:
        (queued,) = uow.due_messages(now=world.clock.now(), limit=10)
    pairs = transfer_items(decode(kor.ctx.keyring, queued.body))
    before = len(ledger(world, "KOR"))
    world.drain()
    entries = ledger(world, "KOR")[before:]
    assert len(entries) == 2 * len(sent)
    with kor.ctx.store.read() as uow:
        for i, (envelope_bytes, binding_bytes) in enumerate(pairs):
            envelope = Envelope.from_bytes(envelope_bytes)
            label = envelope.label
            marked = label.remark(by="KOR")
            record = uow.item(label.item_id)
            assert [r.label for r in uow.labels(label.item_id)] == [
                label.canonical_bytes(),
                marked.canonical_bytes(),
            ]
            assert record.label_digest == marked.digest() and record.state is ItemState.HELD
            assert record.binding == binding_bytes
            assert Binding.from_bytes(record.binding).label_digest == label.digest_bytes()
            kept = Envelope.from_bytes(record.ciphertext)
            assert kept.wrapped_keys == () and kept.ciphertext == envelope.ciphertext
            key = uow.keys.get(label.item_id)
            assert open_stored(keyring=kor.ctx.keyring, envelope=kept, item_key=key) == sent[i]
            received, marking = entries[2 * i : 2 * i + 2]
            assert received == LedgerEntry(
                agreement_id="jpn-kor-gsomia",
                event=Event.ITEM_RECEIVED,
                actor=Actor(party="KOR", person="node"),
                at=received.at,
                item_id=label.item_id,
                rule_ids=received.rule_ids,
                details={
                    "label": label.digest(),
                    "counterparty": "JPN",
                    "transfer": queued.id,
                    "facility": "kor-hq",
                },
            )
            assert marking == LedgerEntry(
                agreement_id="jpn-kor-gsomia",
                event=Event.ITEM_MARKED,
                actor=Actor(party="KOR", person="node"),
                at=received.at,
                item_id=label.item_id,
                rule_ids=marking.rule_ids,
                details={
                    "label": marked.digest(),
                    "previous_label": label.digest(),
                    "equivalent_level": label.equivalent_for("KOR"),
                },
            )
    assert set(result.item_ids) == {Envelope.from_bytes(e).label.item_id for e, _ in pairs}


def test_refusals_keep_their_place_among_accepted_items(world: World) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    world.provide(contents=tuple(contents(3)), agreement="jpn-kor-gsomia")
    with jpn.ctx.store.read() as uow:
        (queued,) = uow.due_messages(now=world.clock.now(), limit=10)
    pairs = transfer_items(decode(kor.ctx.keyring, queued.body))
    ids = [Envelope.from_bytes(e).label.item_id for e, _ in pairs]

    def send(items: list[tuple[bytes, bytes]], message_id: str) -> Message:
        body = {"items": [{"envelope": b64(e), "binding": b64(b)} for e, b in items]}
        blob = encode(
            jpn.ctx.keyring,
            Message(
                id=message_id,
                kind=Kind.TRANSFER,
                sender="JPN",
                recipient="KOR",
                agreement_id="jpn-kor-gsomia",
                sent_at=world.clock.now(),
                body=body,
            ),
        )
        return decode(jpn.ctx.keyring, kor.inbox(blob, peer="JPN"))

    first = send([pairs[1]], "2" * 32)  # message-v1: one item of the batch, checked alone
    assert first.body["accepted"] == [ids[1]]
    before = len(ledger(world, "KOR"))
    reply = send(pairs, "3" * 32)
    assert reply.body["accepted"] == [ids[0], ids[2]]
    assert [r["item"] for r in reply.body["refused"]] == [ids[1]]
    events = [(e.event, e.item_id) for e in ledger(world, "KOR")[before:]]
    assert events == [
        (Event.ITEM_RECEIVED, ids[0]),
        (Event.ITEM_MARKED, ids[0]),
        (Event.ITEM_REFUSED, ids[1]),
        (Event.ITEM_RECEIVED, ids[2]),
        (Event.ITEM_MARKED, ids[2]),
    ]


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)  # looks at the database
def test_a_forged_item_in_a_batch_is_refused_and_the_others_kept(world: World) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    world.provide(contents=tuple(contents(4)), agreement="jpn-kor-gsomia")
    with jpn.ctx.store.read() as uow:
        (queued,) = uow.due_messages(now=world.clock.now(), limit=10)
    sent = decode(kor.ctx.keyring, queued.body)
    parts = list(sent.parts)
    envelope = bytearray(parts[4])  # item 2's envelope: flip a ciphertext byte
    envelope[-1] ^= 1
    parts[4] = bytes(envelope)
    forged = Message(
        id="4" * 32,
        kind=Kind.TRANSFER,
        sender="JPN",
        recipient="KOR",
        agreement_id="jpn-kor-gsomia",
        sent_at=world.clock.now() + timedelta(seconds=1),
        body=sent.body,
        parts=tuple(parts),
    )
    reply = decode(jpn.ctx.keyring, kor.inbox(encode(jpn.ctx.keyring, forged), peer="JPN"))
    assert len(reply.body["accepted"]) == 3
    assert reply.body["refused"][0]["rule_ids"] == ["JK-9.1"]
    with kor.ctx.store.read() as uow:
        assert uow.count_items() == 3
    engine = kor.ctx.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM item_keys")).scalar() == 3


def test_a_transfer_counts_its_parts(world: World) -> None:
    for body, parts in (
        ({"items": 2}, (b"e", b"b")),
        ({"items": 1}, (b"e", b"b", b"x")),
        ({"items": True}, (b"e", b"b")),
        ({"items": []}, ()),
    ):
        with pytest.raises(InputError):
            transfer_items(message(world, parts, **body))
