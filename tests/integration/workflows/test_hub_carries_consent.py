"""A hub carries the originator's signed consent with what it relays, and the recipient
checks it itself (TI-3; security review M4): a compromised hub that relays on its own say-so
is refused, the refusal recorded and an alarm raised for a person to see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gsomia.crypto import Envelope
from gsomia.formats.messages import Kind, b64
from gsomia.ports.store import ItemState
from gsomia.services.acts.consent import CONSENT_FORMAT
from tests.support.workflows import World, build, officer, refusals

TISA = "tisa"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build(tmp_path)
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


def _relaying(world: World) -> str:
    sent = world.provide("JPN", "KOR", agreement=TISA)
    world.drain()
    return sent.item_ids[0]


def _relay_by_hand(world: World, item: str, consents: dict[str, bytes] | None = None) -> bytes:
    """What a compromised hub could send: the envelope and binding it holds, as its own
    transfer, with whatever consent documents it chooses to attach."""
    usa = world["USA"]
    with usa.ctx.store.read() as uow:
        rec = uow.item(item)
    body: dict[str, object] = {"items": 1}
    if consents is not None:
        body["consents"] = {k: b64(v) for k, v in consents.items()}
    out = usa.ctx.outgoing(
        Kind.TRANSFER, "KOR", TISA, body, world.clock.now(), parts=(rec.ciphertext, rec.binding)
    )
    return world["KOR"].inbox(out.body, peer="USA")


def _forged(world: World, item: str, *, signer: str, **changes: object) -> bytes:
    body = {
        "format": CONSENT_FORMAT,
        "request": "e" * 32,
        "item": item,
        "kind": "release",
        "to_party": "KOR",
        "purpose": None,
        "originator": "JPN",
        "requester": "USA",
        "granted": True,
        "decided_at": world.clock.now().isoformat(),
        "by": "someone",
        "note": "",
        **changes,
    }
    return world[signer].notes.sign(TISA, body)


def _not_taken(world: World, item: str) -> None:
    kor = world["KOR"]
    with kor.ctx.store.read() as uow:
        assert item not in uow.existing_items([item])
    assert refusals(kor)[-1][:2] == (TISA, ("TI-3",))
    (alarm, *_) = kor.ctx.store.ledger.alarms()[-1:]
    assert alarm.finding == "relay-without-consent" and item in alarm.message


def test_a_hub_relaying_without_consent_is_refused_and_raises_an_alarm(world: World) -> None:
    item = _relaying(world)
    reply = _relay_by_hand(world, item)
    assert b"TI-3" in reply
    _not_taken(world, item)


@pytest.mark.parametrize(
    ("signer", "changes"),
    [
        ("USA", {}),  # signed by the hub, not the originator
        ("JPN", {"to_party": "USA"}),  # the originator's consent, for another recipient
        ("JPN", {"granted": False}),  # a refusal
    ],
)
def test_a_consent_that_is_not_the_originators_to_this_recipient_does_not_do(
    world: World, signer: str, changes: dict[str, object]
) -> None:
    item = _relaying(world)
    reply = _relay_by_hand(world, item, {item: _forged(world, item, signer=signer, **changes)})
    assert b"TI-3" in reply
    kor = world["KOR"]
    with kor.ctx.store.read() as uow:
        assert item not in uow.existing_items([item])


def test_another_items_consent_does_not_cover_this_one(world: World) -> None:
    item, other = _relaying(world), _relaying(world)
    reply = _relay_by_hand(world, item, {item: _forged(world, other, signer="JPN")})
    assert b"TI-3" in reply


def test_a_hub_forwarding_with_consent_carries_it_and_the_recipient_takes_the_item(
    world: World,
) -> None:
    item = _relaying(world)
    usa, jpn, kor = world["USA"], world["JPN"], world["KOR"]
    asked = usa.consent.request(item_id=item, to_party="KOR", by=officer("USA"), reason="x")
    world.drain()
    jpn.consent.grant(request_id=asked.id, by=officer("JPN"))
    world.drain()
    usa.release.forward(item_id=item, by=officer("USA"))
    world.drain()
    with kor.ctx.store.read() as uow:
        assert uow.item(item).state is ItemState.HELD
    assert not kor.ctx.store.ledger.alarms()


@pytest.mark.parametrize(("originator", "recipient"), [("JPN", "KOR"), ("KOR", "JPN")])
def test_a_hub_that_also_holds_the_item_keeps_only_the_at_rest_form_once_it_has_forwarded(
    world: World, originator: str, recipient: str
) -> None:
    """Until it forwards, the hub keeps the envelope with the other holders' wraps (it is
    what it sends on); afterwards a copy of its store must open nothing (threat model C7,
    "Transit copies")."""
    sent = world.provide(originator, recipient, agreement=TISA)
    world.drain()
    item = sent.item_ids[0]
    usa = world["USA"]
    with usa.ctx.store.read() as uow:
        before = Envelope.from_bytes(uow.item(item).ciphertext)
    assert before.wrapped_keys  # the originator's and the recipient's, to forward
    asked = usa.consent.request(item_id=item, to_party=recipient, by=officer("USA"), reason="x")
    world.drain()
    world[originator].consent.grant(request_id=asked.id, by=officer(originator))
    world.drain()
    usa.release.forward(item_id=item, by=officer("USA"))
    world.drain()
    with usa.ctx.store.read() as uow:
        record = uow.item(item)
        uow.keys.get(item)  # its own key, kept apart, is still there
    assert record.state is ItemState.HELD
    after = Envelope.from_bytes(record.ciphertext)
    assert after.wrapped_keys == ()
    assert after.to_bytes() == before.without_keys().to_bytes()
    with world[recipient].ctx.store.read() as uow:
        assert uow.item(item).state is ItemState.HELD
