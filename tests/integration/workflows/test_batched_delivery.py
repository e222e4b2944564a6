"""Batched delivery (issue 14): what is queued for one partner under one agreement travels
in one transfer, exactly once, across a partner that dies after taking it and restarts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from gsomia.adapters.storage.sql import tables
from gsomia.bootstrap import fresh_node
from gsomia.errors import TransportError
from gsomia.formats.messages import Kind
from gsomia.ledger.entries import Event
from gsomia.ports.store import OutboxState
from gsomia.services.node import Node
from tests.support.workflows import World, library


def _outbox(node: Node) -> list[tuple[str, str, str | None]]:
    store = node.ctx.store
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(tables.outbox.c.id, tables.outbox.c.state, tables.outbox.c.batch).order_by(
                tables.outbox.c.seq
            )
        )
        return [(r.id, r.state, r.batch) for r in rows]


def _received(node: Node) -> Counter[str]:
    entries = node.audit.show()
    return Counter(e.item_id for _, e in entries if e.event == Event.ITEM_RECEIVED)


def test_a_lone_item_travels_at_once_in_its_own_transfer(world: World) -> None:
    result = world.provide(contents=(b"one launch",))
    moved = world["JPN"].delivery.pump()
    assert moved.delivered == 1
    assert [(i, s) for i, s, _ in _outbox(world["JPN"])] == [
        (result.transfer_ids[0], OutboxState.DELIVERED.value)
    ]
    assert set(_received(world["KOR"])) == set(result.item_ids)


def test_queued_transfers_travel_batched_exactly_once_across_a_partner_restart(
    world: World, tmp_path: Path
) -> None:
    jpn = world["JPN"]
    provided = [world.provide(contents=(f"track {i}".encode(),)) for i in range(30)]
    items = {i for r in provided for i in r.item_ids}
    members = {r.transfer_ids[0] for r in provided}
    assert jpn.delivery.depth()["KOR"] == {"pending": 30}

    # KOR takes the batch and commits it, then dies before its reply leaves.
    kor = world["KOR"]
    world.network.attach("KOR", lambda payload, peer: _dies_after(kor, payload, peer))
    first = jpn.delivery.pump()
    assert (first.delivered, first.failed) == (0, 1)
    depth = jpn.delivery.depth()["KOR"]
    assert depth == {"batched": 30, "pending": 1}, depth
    assert set(_received(kor)) == items
    kor.ctx.store.close()

    # KOR restarts on the same store; JPN resends the same batch, once the retry is due.
    again = fresh_node(
        f"sqlite:///{tmp_path / 'kor.db'}",
        party="KOR",
        library=library(),
        clock=world.clock,
        default_facility="kor-hq",
        keyring=kor.ctx.keyring,
    )
    world.nodes["KOR"] = again
    world.network.attach("KOR", again.inbox)
    world.later(seconds=5)
    second = jpn.delivery.pump()
    assert (second.delivered, second.failed) == (1, 0)

    rows = _outbox(jpn)
    batches = [(i, s) for i, s, b in rows if i not in members]
    assert len(batches) == 1 and batches[0][1] == OutboxState.DELIVERED.value
    batch_id = batches[0][0]
    assert {(i, s, b) for i, s, b in rows if i in members} == {
        (m, OutboxState.DELIVERED.value, batch_id) for m in members
    }
    assert jpn.delivery.depth() == {}
    # Each item received once, in one transfer: the batch, remembered once by KOR.
    received = _received(again)
    assert set(received) == items and set(received.values()) == {1}
    with again.ctx.store.read() as uow:
        assert uow.inbox_count() == 1
        assert uow.inbox_reply(batch_id, sender="JPN") is not None
        assert len(uow.existing_items(sorted(items))) == 30


def test_a_batch_refused_for_good_sends_its_members_alone(world: World) -> None:
    jpn = world["JPN"]
    provided = [world.provide(contents=(f"track {i}".encode(),)) for i in range(3)]
    kor = world["KOR"]
    refusals = Counter[str]()

    def refuse_batches(payload: bytes, peer: str | None) -> bytes:
        from gsomia.errors import InputError
        from gsomia.formats.messages import decode

        message = decode(kor.ctx.keyring, payload)
        if message.kind is Kind.TRANSFER and message.body.get("items", 0) > 1:
            refusals["batch"] += 1
            raise InputError("too large")
        return kor.inbox(payload, peer=peer)

    world.network.attach("KOR", refuse_batches)
    jpn.delivery.pump()
    assert refusals["batch"] == 1
    jpn.delivery.drain()
    assert refusals["batch"] == 1
    items = {i for r in provided for i in r.item_ids}
    assert set(_received(kor)) == items
    states = Counter(s for _, s, _ in _outbox(jpn))
    assert states == {OutboxState.DELIVERED.value: 3, OutboxState.DEAD.value: 1}


def _dies_after(node: Node, payload: bytes, peer: str | None) -> bytes:
    node.inbox(payload, peer=peer)
    raise TransportError("connection reset: KOR died before it answered")
