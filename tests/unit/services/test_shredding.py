"""Crypto review H2: destroying or returning an item leaves nothing on the node that opens
it, and nothing of it is delivered afterwards, whatever state its outgoing release is in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from gsomia.crypto import Envelope
from gsomia.crypto._envelope import unwrap_data_key
from gsomia.errors import IntegrityError, UnknownName
from gsomia.formats.messages import decode
from gsomia.ports.store import OutboxState
from gsomia.services.node import Node
from tests.support.workflows import World, officer, official

#: What is left of an item is looked for in the database itself.
pytestmark = pytest.mark.parametrize("world", ["sqlite"], indirect=True)


def outbox_row(node: Node, message_id: str) -> tuple[str, bytes]:
    engine = node.ctx.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        state, body = conn.execute(
            text("SELECT state, body FROM outbox WHERE id = :id"), {"id": message_id}
        ).one()
    return str(state), bytes(body)


def released(world: World, item: str) -> str:
    """KOR asks JPN, JPN consents, KOR releases ``item`` to USA while USA is offline."""
    kor = world["KOR"]
    request = kor.consent.request(
        item_id=item, to_party="USA", by=official("KOR"), reason="coordination"
    )
    world.drain()
    world["JPN"].consent.grant(request_id=request.id, by=officer("JPN"), note="ok")
    world.drain()
    world.network.down("USA")
    return kor.release.release(item_id=item, to_party="USA", by=official("KOR"))


def release_envelope(world: World, body: bytes) -> Envelope:
    message = decode(world["USA"].ctx.keyring, body, now=world.clock.now())
    return Envelope.from_bytes(message.parts[0] if message.parts else _v1_envelope(message))


def _v1_envelope(message: object) -> bytes:
    import base64

    items = message.body["items"]  # type: ignore[attr-defined]
    return base64.b64decode(items[0]["envelope"])


def test_the_releasing_node_cannot_open_its_own_release(world: World, item: str) -> None:
    """The wrapper of a release keeps no key that opens it (HPKE wraps), even before any
    destruction: the outbox copy is not an openable copy on the releasing node."""
    transfer = released(world, item)
    _, body = outbox_row(world["KOR"], transfer)
    envelope = release_envelope(world, body)
    assert envelope.holders == ("USA",) and envelope.wrapped_keys[0].wrapper == "KOR"
    for party in ("KOR", "JPN"):
        with pytest.raises(IntegrityError):
            unwrap_data_key(world[party].ctx.keyring, envelope)
    assert len(unwrap_data_key(world["USA"].ctx.keyring, envelope)) == 32


@pytest.mark.parametrize("state", ["pending", "dead", "delivered"])
@pytest.mark.parametrize("act", ["destroy", "return"])
def test_every_release_of_a_shredded_item_is_withdrawn(
    world: World, item: str, state: str, act: str
) -> None:
    kor = world["KOR"]
    transfer = released(world, item)
    if state == "dead":
        with kor.ctx.store.unit_of_work() as uow:
            uow.mark_retry(
                transfer,
                attempts=1000,
                next_attempt_at=world.clock.now() + timedelta(days=1),
                error="gave up",
                dead=True,
            )
    elif state == "delivered":
        world.network.up("USA")
        world.drain()
    assert outbox_row(kor, transfer) == (state, outbox_row(kor, transfer)[1])
    assert outbox_row(kor, transfer)[1]
    if act == "destroy":
        assert kor.handling.destroy(item_id=item, by=official("KOR")) == [item]
    else:
        kor.handling.return_item(item_id=item, by=official("KOR"))
    assert outbox_row(kor, transfer) == (OutboxState.WITHDRAWN.value, b"")
    with kor.ctx.store.read() as uow:
        with pytest.raises(UnknownName):
            uow.keys.get(item)
        assert all(m.id != transfer for m in uow.due_messages(now=world.clock.now(), limit=100))
        assert all(m.id != transfer for m in uow.dead_letters())
    world.network.up("USA")
    world.later(days=2)
    world.drain()
    assert outbox_row(kor, transfer) == (OutboxState.WITHDRAWN.value, b"")
    with world["USA"].ctx.store.read() as uow:
        assert uow.has_item(item) is (state == "delivered")


def test_a_withdrawn_message_stays_withdrawn_if_a_delivery_was_in_flight(
    world: World, item: str
) -> None:
    """A pump that read the release before it was withdrawn cannot mark it delivered or
    schedule it again afterwards."""
    kor = world["KOR"]
    transfer = released(world, item)
    kor.handling.destroy(item_id=item, by=official("KOR"))
    with kor.ctx.store.unit_of_work() as uow:
        uow.mark_delivered([transfer])
        uow.mark_retry(
            transfer, attempts=2, next_attempt_at=world.clock.now(), error="late", dead=False
        )
    assert outbox_row(kor, transfer) == (OutboxState.WITHDRAWN.value, b"")
