"""The outbox's batches (issue 14), on memory, SQLite and PostgreSQL: joining queued transfers into
a batch, delivering them with it, sending them back alone, and withdrawing a member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_store import store  # noqa: F401 - the store fixture: memory, sqlite and postgres

from gsomia.errors import ConflictError
from gsomia.ports.store import OutboxMessage, OutboxState, Store

T = datetime(2019, 10, 2, 9, 0, tzinfo=UTC)


def _message(n: int, to: str = "KOR") -> OutboxMessage:
    return OutboxMessage(
        id=f"{n:032x}", destination=to, kind="transfer", body=b"m%d" % n, created_at=T
    )


def test_members_join_a_batch_and_are_delivered_with_it(store: Store) -> None:  # noqa: F811
    with store.unit_of_work() as uow:
        uow.enqueue_many([_message(n) for n in range(1, 4)])
    batch = _message(9)
    with store.unit_of_work() as uow:
        uow.join_batch(batch, [_message(1).id, _message(2).id])
    with store.read() as uow:
        assert [m.id for m in uow.due_messages(now=T, limit=10)] == [_message(3).id, batch.id]
        assert [m.id for m in uow.batch_members(batch.id)] == [_message(1).id, _message(2).id]
        assert uow.outbox_depth() == {"KOR": {"pending": 2, "batched": 2}}
    # A member already batched cannot join another batch: nothing changes.
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.join_batch(_message(10), [_message(2).id, _message(3).id])
    with store.unit_of_work() as uow:
        uow.mark_delivered([batch.id])
    with store.read() as uow:
        assert uow.outbox_counts() == {"delivered": 3, "pending": 1}
        assert uow.outbox_depth() == {"KOR": {"pending": 1}}


def test_a_batch_sent_back_leaves_its_members_to_travel_alone(store: Store) -> None:  # noqa: F811
    with store.unit_of_work() as uow:
        uow.enqueue_many([_message(1), _message(2)])
        uow.join_batch(_message(9), [_message(1).id, _message(2).id])
        uow.release_batch(_message(9).id, alone=True)
    with store.read() as uow:
        alone = {m.id: m.batch for m in uow.due_messages(now=T, limit=10)}
    assert alone[_message(1).id] == _message(1).id and alone[_message(2).id] == _message(2).id


def test_withdrawing_a_member_withdraws_its_batch_and_requeues_the_others(
    store: Store,  # noqa: F811
) -> None:
    with store.unit_of_work() as uow:
        uow.enqueue_many([_message(n) for n in range(1, 4)])
        uow.join_batch(_message(9), [_message(n).id for n in range(1, 4)])
        uow.withdraw([_message(2).id])
    with store.read() as uow:
        due = {m.id: (m.state, m.batch) for m in uow.due_messages(now=T, limit=10)}
        counts = uow.outbox_counts()
    assert due == {
        _message(1).id: (OutboxState.PENDING, None),
        _message(3).id: (OutboxState.PENDING, None),
    }
    assert counts == {"pending": 2, "withdrawn": 2}
