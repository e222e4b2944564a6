"""Hostile messages between nodes: forged bindings, replays, wrong senders and recipients,
unknown items, malformed bodies. Each is refused with a clear error, and nothing is stored
(a transfer's refused items are only recorded as refusals in the ledger and the receipt)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gsomia.errors import InputError, IntegrityError, UnknownName
from gsomia.formats.messages import Kind, Message, b64, decode, encode, unb64
from gsomia.services.plumbing.transfers import transfer_items
from tests.support.workflows import World, counts, ledger_events, official


def send(
    world: World,
    sender: str,
    recipient: str,
    kind: Kind,
    body: dict[str, Any],
    *,
    agreement: str = "jpn-kor-gsomia",
    message_id: str = "1" * 32,
    at: Any = None,
    peer: str | None = None,
) -> bytes:
    message = Message(
        id=message_id,
        kind=kind,
        sender=sender,
        recipient=recipient,
        agreement_id=agreement,
        sent_at=at or world.clock.now(),
        body=body,
    )
    blob = encode(world[sender].ctx.keyring, message)
    return world[recipient].inbox(blob, peer=peer or sender)


def transfer_body(world: World) -> dict[str, Any]:
    """The body of a transfer JPN queued for KOR (taken from JPN's outbox, not delivered)."""
    world.provide(agreement="jpn-kor-gsomia")
    with world["JPN"].ctx.store.read() as uow:
        (queued,) = uow.due_messages(now=world.clock.now(), limit=1)
    message = decode(world["KOR"].ctx.keyring, queued.body)
    # As message-v1 base64 items, whichever form the sender used, so a test can alter them.
    return {
        "items": [
            {"envelope": b64(envelope), "binding": b64(binding)}
            for envelope, binding in transfer_items(message)
        ]
    }


def test_a_forged_binding_is_refused_and_nothing_is_kept(world: World) -> None:
    body = transfer_body(world)
    raw = bytearray(unb64(body["items"][0]["binding"], what="binding"))
    raw[-1] ^= 1
    body["items"][0]["binding"] = b64(bytes(raw))
    kor = world["KOR"]
    before = counts(kor)
    reply = decode(world["JPN"].ctx.keyring, send(world, "JPN", "KOR", Kind.TRANSFER, body))
    assert reply.body["accepted"] == [] and reply.body["refused"][0]["rule_ids"] == ["JK-9.1"]
    after = counts(kor)
    assert (after["items"], after["item_keys"], after["labels"]) == (0, 0, 0)
    assert after["ledger"] == before["ledger"] + 1 and ledger_events(kor)[-1] == "item.refused"


def test_a_replayed_transfer_has_no_second_effect(world: World) -> None:
    body = transfer_body(world)
    first = send(world, "JPN", "KOR", Kind.TRANSFER, body)
    kor = world["KOR"]
    before = counts(kor)
    assert send(world, "JPN", "KOR", Kind.TRANSFER, body) == first  # the same reply, stored
    assert counts(kor) == before
    # The same items under a new message id are duplicates.
    reply = decode(
        world["JPN"].ctx.keyring,
        send(world, "JPN", "KOR", Kind.TRANSFER, body, message_id="2" * 32),
    )
    assert reply.body["accepted"] == [] and "duplicate" in reply.body["refused"][0]["reason"]
    assert counts(kor)["items"] == before["items"]


def test_an_item_from_a_party_not_on_its_route_is_refused(world: World) -> None:
    body = transfer_body(world)  # route JPN → KOR
    kor = world["KOR"]
    before = counts(kor)
    reply = decode(
        world["USA"].ctx.keyring,
        send(world, "USA", "KOR", Kind.TRANSFER, body, agreement="kor-usa-gsomia"),
    )
    assert "must come from JPN" in reply.body["refused"][0]["reason"]
    assert counts(kor)["items"] == before["items"]


def test_channel_signer_recipient_and_time_are_checked(world: World, item: str) -> None:
    kor = world["KOR"]
    before = counts(kor)
    body = {"notice": "a" * 32, "document": b64(b"x")}
    with pytest.raises(IntegrityError):  # the TLS peer is not the signer
        send(world, "JPN", "KOR", Kind.RECLASSIFICATION, body, peer="USA")
    with pytest.raises(IntegrityError):  # outside the replay window
        send(
            world,
            "JPN",
            "KOR",
            Kind.RECLASSIFICATION,
            body,
            at=world.clock.now() - timedelta(days=2),
        )
    message = Message(
        id="3" * 32,
        kind=Kind.ACK,
        sender="JPN",
        recipient="USA",
        agreement_id="tisa",
        sent_at=world.clock.now(),
        body={},
    )
    with pytest.raises(IntegrityError):  # addressed to another party
        kor.inbox(encode(world["JPN"].ctx.keyring, message), peer="JPN")
    with pytest.raises(InputError):  # nobody handles ACK as a request
        send(world, "JPN", "KOR", Kind.ACK, {})
    assert counts(kor) == before


@pytest.mark.parametrize(
    ("sender", "kind", "body", "error"),
    [
        (
            "KOR",
            Kind.CONSENT_REQUEST,
            {
                "request": "a" * 32,
                "item": "0" * 32,
                "kind": "release",
                "to_party": "USA",
                "reason": "x",
            },
            UnknownName,
        ),
        ("KOR", Kind.CONSENT_REQUEST, {"request": "nope", "item": "0" * 32}, InputError),
        ("JPN", Kind.CONSENT_DECISION, {"request": "a" * 32, "document": "!!"}, UnknownName),
        ("JPN", Kind.RETURN, {"item": "0" * 32}, UnknownName),
        ("JPN", Kind.RETURN, {"item": 5}, InputError),
        ("JPN", Kind.INCIDENT, {"incident": "a" * 32, "phase": "gossip", "items": []}, InputError),
        ("JPN", Kind.NOTE, {"phase": "note", "document": "not base64!"}, InputError),
        ("JPN", Kind.NOTE, {"phase": "chat", "document": ""}, InputError),
        (
            "JPN",
            Kind.LAW_NOTICE,
            {"notice": "a" * 32, "title": "", "summary": "x", "effective_on": "2019-01-01"},
            InputError,
        ),
        ("JPN", Kind.VISIT, {"phase": "request", "visit": "a" * 32, "kind": "tourism"}, InputError),
        (
            "JPN",
            Kind.VISIT,
            {"phase": "decision", "visit": "a" * 32, "approved": True},
            UnknownName,
        ),
        (
            "JPN",
            Kind.TRANSFER,
            {"items": [{"envelope": b64(b"GSE\x01junk"), "binding": "AA=="}]},
            InputError,
        ),
        ("JPN", Kind.TRANSFER, {"items": []}, InputError),
    ],
)
def test_malformed_or_unknown_bodies_store_nothing(
    world: World, item: str, sender: str, kind: Kind, body: dict[str, Any], error: type[Exception]
) -> None:
    recipient = "JPN" if sender == "KOR" else "KOR"
    target = world[recipient]
    before = counts(target)
    with pytest.raises(error):
        send(world, sender, recipient, kind, body)
    assert counts(target) == before


def test_a_consent_decision_not_from_the_originator_stores_nothing(world: World, item: str) -> None:
    kor = world["KOR"]
    request = kor.consent.request(item_id=item, to_party="USA", by=official("KOR"), reason="x")
    # USA answers in JPN's place.
    document = world["USA"].consent.sign("kor-usa-gsomia", {"format": "gsomia/consent-v1"})
    before = counts(kor)
    with pytest.raises(InputError):
        send(
            world,
            "USA",
            "KOR",
            Kind.CONSENT_DECISION,
            {"request": request.id, "document": b64(document)},
            agreement="kor-usa-gsomia",
        )
    assert counts(kor) == before
    # JPN's own signature over a document that answers something else is refused too.
    wrong = world["JPN"].consent.sign(
        "jpn-kor-gsomia",
        {
            "format": "gsomia/consent-v1",
            "request": request.id,
            "item": item,
            "kind": "release",
            "to_party": "CHN",
            "purpose": None,
            "originator": "JPN",
            "requester": "KOR",
            "granted": True,
            "decided_at": world.clock.now().isoformat(),
        },
    )
    with pytest.raises(InputError):
        send(
            world,
            "JPN",
            "KOR",
            Kind.CONSENT_DECISION,
            {"request": request.id, "document": b64(wrong)},
        )
    assert counts(kor) == before
