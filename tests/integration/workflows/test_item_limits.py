"""``max_item_bytes`` on provision and on receipt, and transfers refused for good
(security review M1, L8): the service refuses an oversized item before anything is
stored; a partner with a lower limit refuses the whole transfer, stores nothing, and the
sender keeps it as a dead letter after one attempt instead of retrying it a thousand times.
"""

from __future__ import annotations

import pytest

from gsomia.errors import InputError
from gsomia.ports.store import OutboxState
from gsomia.ports.transport import PeerTransport
from gsomia.services.acts.custody import Provision
from tests.support.workflows import LEVEL, World, officer

KIB = 1024


def _counts(world: World, party: str) -> dict[str, int]:
    node = world[party]
    with node.ctx.store.read() as uow:
        out = {"items": uow.count_items(), "inbox": uow.inbox_count()}
    out["ledger"] = node.ctx.store.ledger.size()
    return out


@pytest.mark.parametrize(
    ("sender", "recipient", "agreement"),
    [("JPN", "KOR", "jpn-kor-gsomia"), ("KOR", "USA", "kor-usa-gsomia"), ("USA", "JPN", None)],
)
def test_the_service_refuses_an_item_over_its_limit_before_storing_anything(
    world: World, sender: str, recipient: str, agreement: str | None
) -> None:
    node = world[sender]
    node.custody.max_item_bytes = 4 * KIB
    before = _counts(world, sender)
    with pytest.raises(InputError, match=r"contents\[1\] is 4097 bytes"):
        node.custody.provide(
            contents=[b"x" * 10, b"y" * (4 * KIB + 1)],
            provision=Provision(
                recipient=recipient,
                level=LEVEL[sender],
                topic="nk-missile",
                purpose="w",
                agreement_id=agreement,
            ),
            by=officer(sender),
        )
    assert _counts(world, sender) == before
    exact = node.custody.provide(
        contents=[b"z" * (4 * KIB)],
        provision=Provision(
            recipient=recipient, level=LEVEL[sender], topic="nk-missile", purpose="w"
        ),
        by=officer(sender),
    )
    assert len(exact.item_ids) == 1


@pytest.mark.parametrize(("recipient", "agreement"), [("KOR", "jpn-kor-gsomia"), ("USA", None)])
def test_a_partner_with_a_lower_limit_refuses_the_transfer_and_it_is_dead_lettered_at_once(
    world: World, recipient: str, agreement: str | None
) -> None:
    world[recipient].custody.max_item_bytes = 2 * KIB
    before = _counts(world, recipient)
    result = world.provide(
        "JPN", recipient, agreement=agreement, contents=(b"small", b"L" * (3 * KIB))
    )
    world.drain()
    assert _counts(world, recipient) == before  # nothing stored, not even the inbox record
    with world["JPN"].ctx.store.read() as uow:
        (dead,) = uow.dead_letters()
        counts = uow.outbox_counts()
    assert dead.id == result.transfer_ids[0]
    assert dead.attempts == 1
    assert dead.state is OutboxState.DEAD
    assert "holds 3072 bytes" in dead.last_error and "at most 2048" in dead.last_error
    assert counts.get("pending", 0) == 0
    # Within the limit, the same partner takes the items.
    fine = world.provide("JPN", recipient, agreement=agreement, contents=(b"s" * (2 * KIB),))
    world.drain()
    with world[recipient].ctx.store.read() as uow:
        assert uow.has_item(fine.item_ids[0])


class _RefusingOnce:
    """A transport whose partner refuses each message for good the first time (400)."""

    def __init__(self, inner: PeerTransport) -> None:
        self.inner = inner
        self.refused: set[bytes] = set()

    def send(self, destination: str, payload: bytes) -> bytes:
        if payload not in self.refused:
            self.refused.add(payload)
            raise InputError(f"{destination}'s node answered 400: refused")
        return self.inner.send(destination, payload)


def test_only_a_transfer_is_dead_lettered_at_once_other_kinds_may_be_early(world: World) -> None:
    provided = world.provide("JPN", "KOR")
    world.drain()
    kor = world["KOR"]
    assert kor.delivery.transport is not None
    kor.delivery.transport = _RefusingOnce(kor.delivery.transport)
    # A return may arrive before what it refers to (another message still on its way), so
    # a refusal is retried; here the retry goes through.
    kor.handling.return_item(item_id=provided.item_ids[0], by=officer("KOR"))
    kor.delivery.pump()
    with kor.ctx.store.read() as uow:
        counts = uow.outbox_counts()
        assert not uow.dead_letters()
    assert counts.get("pending") == 1
    world.later(seconds=1)
    kor.delivery.pump()
    with kor.ctx.store.read() as uow:
        assert uow.outbox_counts().get("pending", 0) == 0
        assert not uow.dead_letters()
    # A transfer is whole in itself: refused for good, it is set aside at once.
    sent = world.provide("KOR", "JPN", agreement="jpn-kor-gsomia")
    kor.delivery.pump()
    world.later(seconds=30)
    kor.delivery.pump()
    with kor.ctx.store.read() as uow:
        (dead,) = uow.dead_letters()
    assert (dead.id, dead.kind, dead.attempts) == (sent.transfer_ids[0], "transfer", 1)
