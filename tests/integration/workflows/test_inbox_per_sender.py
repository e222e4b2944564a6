"""Crypto review L3: a partner that presents another partner's message id gets nothing of
theirs, whatever the kind of message, and the genuine sender is still answered."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gsomia.crypto._documents import peek_document
from gsomia.errors import GsomiaError
from gsomia.formats.messages import Kind, Message, decode, encode
from tests.support.workflows import World

PROBES = [
    (Kind.NOTE, {}),
    (Kind.ACK, {}),
    (Kind.TRANSFER, {"items": []}),
    (Kind.INCIDENT, {"item": "0" * 32}),
]


def _probe(world: World, prober: str, victim_id: str, kind: Kind, body: dict[str, object]) -> bytes:
    prober_node = world[prober]
    agreement = next(iter(prober_node.ctx.files.between(prober, "KOR"))).id
    probe = Message(
        id=victim_id,
        kind=kind,
        sender=prober,
        recipient="KOR",
        agreement_id=agreement,
        sent_at=world.clock.now(),
        body=body,
    )
    return world.network.deliver(prober, "KOR", encode(prober_node.ctx.keyring, probe))


@pytest.mark.parametrize(("kind", "body"), PROBES)
def test_another_partners_message_id_answers_with_nothing_of_theirs(
    world: World, kind: Kind, body: dict[str, object]
) -> None:
    result = world.provide("JPN", "KOR")
    world.drain()
    (transfer,) = result.transfer_ids
    with world["KOR"].ctx.store.read() as uow:
        genuine = uow.inbox_reply(transfer, sender="JPN")
    assert genuine is not None
    try:
        reply = _probe(world, "USA", transfer, kind, body)
    except GsomiaError:
        return  # refused outright: nothing answered
    assert reply != genuine
    doc = peek_document(reply)
    answer = decode(world["USA"].ctx.keyring, reply, now=world.clock.now())
    assert answer.recipient == "USA" and doc.signer == "KOR"
    assert "accepted" not in answer.body and result.item_ids[0] not in reply.decode("latin-1")
    # The genuine sender's redelivery is still answered with its own receipt.
    again = world.network.deliver("JPN", "KOR", _outbox_body(world, transfer))
    assert again == genuine


def _outbox_body(world: World, message_id: str) -> bytes:
    """The signed bytes JPN queued for ``message_id`` (read as a delivered row)."""
    store = world["JPN"].ctx.store
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        (body,) = conn.execute(
            text("SELECT body FROM outbox WHERE id = :id"), {"id": message_id}
        ).one()
    return bytes(body)
