"""The outbox and the inbox of the SQL store: messages queued in the unit of work of the act
they report, their delivery states, and the replies remembered per sender and message id.
Mixed into :class:`~gsomia.adapters.storage.sql.store.SqlUnitOfWork`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._rows import chunks
from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.errors import ConflictError
from gsomia.ports.store import InboxRecord, OutboxMessage, OutboxState

__all__ = ["OutboxMethods"]


class OutboxMethods(UnitParts):
    """Outbox and inbox operations inside the unit of work's transaction."""

    def enqueue(self, message: OutboxMessage) -> None:
        self.enqueue_many([message])

    def enqueue_many(self, messages: Sequence[OutboxMessage]) -> None:
        if messages:
            self.enqueued = True
            self._insert(
                t.outbox,
                [
                    {
                        "id": m.id,
                        "destination": m.destination,
                        "kind": m.kind,
                        "body": m.body,
                        "created_at": m.created_at,
                        "state": m.state.value,
                        "attempts": m.attempts,
                        "next_attempt_at": m.next_attempt_at or m.created_at,
                        "last_error": m.last_error,
                        "batch": m.batch,
                    }
                    for m in messages
                ],
                what="outbox message",
            )

    def due_messages(
        self, *, now: datetime, limit: int, destination: str | None = None
    ) -> list[OutboxMessage]:
        q = (
            select(t.outbox)
            .where(t.outbox.c.state == OutboxState.PENDING.value, t.outbox.c.next_attempt_at <= now)
            .order_by(t.outbox.c.seq)
            .limit(limit)
        )
        if destination is not None:
            q = q.where(t.outbox.c.destination == destination)
        return [_outbox(r) for r in self._conn.execute(q)]

    def mark_delivered(self, message_ids: Sequence[str]) -> None:
        for chunk in chunks(list(message_ids), 500):
            self._conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(chunk), t.outbox.c.state != OutboxState.WITHDRAWN.value)
                .values(state=OutboxState.DELIVERED.value)
            )
            # What was joined into a delivered batch was delivered with it.
            self._conn.execute(
                update(t.outbox)
                .where(
                    t.outbox.c.batch.in_(chunk),
                    t.outbox.c.state == OutboxState.BATCHED.value,
                )
                .values(state=OutboxState.DELIVERED.value)
            )

    def join_batch(self, batch: OutboxMessage, members: Sequence[str]) -> None:
        self.enqueue_many([batch])
        joined = 0
        for chunk in chunks(list(members), 500):
            done = self._conn.execute(
                update(t.outbox)
                .where(
                    t.outbox.c.id.in_(chunk),
                    t.outbox.c.state == OutboxState.PENDING.value,
                    t.outbox.c.batch.is_(None),
                )
                .values(state=OutboxState.BATCHED.value, batch=batch.id)
            )
            joined += done.rowcount
        if joined != len(members):
            raise ConflictError("a queued transfer changed while it was being batched")

    def batch_members(self, batch_id: str) -> list[OutboxMessage]:
        q = (
            select(t.outbox)
            .where(t.outbox.c.batch == batch_id, t.outbox.c.id != batch_id)
            .order_by(t.outbox.c.seq)
        )
        return [_outbox(r) for r in self._conn.execute(q)]

    def release_batch(self, batch_id: str, *, alone: bool) -> None:
        self._conn.execute(
            update(t.outbox)
            .where(t.outbox.c.batch == batch_id, t.outbox.c.state == OutboxState.BATCHED.value)
            .values(
                state=OutboxState.PENDING.value,
                batch=t.outbox.c.id if alone else None,
            )
        )

    def outbox_depth(self) -> dict[str, dict[str, int]]:
        waiting = [OutboxState.PENDING.value, OutboxState.BATCHED.value, OutboxState.DEAD.value]
        q = (
            select(t.outbox.c.destination, t.outbox.c.state, func.count())
            .where(t.outbox.c.state.in_(waiting))
            .group_by(t.outbox.c.destination, t.outbox.c.state)
        )
        out: dict[str, dict[str, int]] = {}
        for destination, state, n in self._conn.execute(q):
            out.setdefault(str(destination), {})[str(state)] = int(n)
        return out

    def mark_retry(
        self, message_id: str, *, attempts: int, next_attempt_at: datetime, error: str, dead: bool
    ) -> None:
        state = OutboxState.DEAD if dead else OutboxState.PENDING
        self._conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == message_id, t.outbox.c.state != OutboxState.WITHDRAWN.value)
            .values(
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=error[:2000],
                state=state.value,
            )
        )

    def outbox_counts(self) -> dict[str, int]:
        q = select(t.outbox.c.state, func.count()).group_by(t.outbox.c.state)
        return {str(state): int(n) for state, n in self._conn.execute(q)}

    def inbox_reply(self, message_id: str, *, sender: str) -> bytes | None:
        q = select(t.inbox.c.reply).where(t.inbox.c.sender == sender, t.inbox.c.id == message_id)
        row = self._conn.execute(q).first()
        return None if row is None else bytes(row.reply)

    def remember(self, record: InboxRecord) -> None:
        self._insert(
            t.inbox,
            [
                {
                    "id": record.id,
                    "sender": record.sender,
                    "kind": record.kind,
                    "received_at": record.received_at,
                    "reply": record.reply,
                }
            ],
            what=f"inbox message {record.id}",
        )

    def inbox_count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(t.inbox)).scalar_one())

    def forget_sent(self, message_ids: Sequence[str]) -> int:
        forgotten = 0
        for chunk in chunks(list(message_ids), 500):
            done = self._conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(chunk), t.outbox.c.state == OutboxState.DELIVERED.value)
                .values(body=b"")
            )
            forgotten += done.rowcount
        return forgotten

    def withdraw(self, message_ids: Sequence[str]) -> int:
        withdrawn = 0
        # A batch not yet delivered that carries a withdrawn message is withdrawn too, and
        # its other members go back to the queue to be batched again without it.
        batches: set[str] = set()
        for chunk in chunks(list(message_ids), 500):
            q = select(t.outbox.c.batch).where(
                t.outbox.c.id.in_(chunk),
                t.outbox.c.state == OutboxState.BATCHED.value,
                t.outbox.c.batch.is_not(None),
            )
            batches.update(str(b) for (b,) in self._conn.execute(q))
        for batch_id in sorted(batches):
            self._conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == batch_id)
                .values(body=b"", state=OutboxState.WITHDRAWN.value, next_attempt_at=None)
            )
            self.release_batch(batch_id, alone=False)
        for chunk in chunks(list(message_ids), 500):
            done = self._conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(chunk))
                .values(body=b"", state=OutboxState.WITHDRAWN.value, next_attempt_at=None)
            )
            withdrawn += done.rowcount
        return withdrawn

    def dead_letters(self, *, limit: int = 100) -> list[OutboxMessage]:
        q = (
            select(t.outbox)
            .where(t.outbox.c.state == OutboxState.DEAD.value)
            .order_by(t.outbox.c.seq)
            .limit(limit)
        )
        return [_outbox(r) for r in self._conn.execute(q)]


def _outbox(r: Any) -> OutboxMessage:
    return OutboxMessage(
        id=r.id,
        destination=r.destination,
        kind=r.kind,
        body=bytes(r.body),
        created_at=r.created_at,
        state=OutboxState(r.state),
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        seq=r.seq,
        batch=r.batch,
    )
