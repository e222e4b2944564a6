"""The memory store's outbox, inbox and item keys, as the SQL store keeps them: messages by
queue order with their delivery states, replies per sender and id, and item-key records with
their tombstones and the at-rest keys' nonce budgets. Mixed into the memory unit of work."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from gsomia.adapters.storage._memory_state import Tables, utc
from gsomia.crypto import AT_REST_BUDGET, ItemKey
from gsomia.errors import ConflictError, UnknownName
from gsomia.ports.store import InboxRecord, OutboxMessage, OutboxState

__all__ = ["MemoryItemKeys", "OutboxMethods"]

_WAITING = (OutboxState.PENDING, OutboxState.BATCHED, OutboxState.DEAD)


class OutboxMethods:
    """Outbox and inbox operations on one version of the store."""

    tables: Tables
    enqueued: bool

    def _outbox(self) -> dict[str, OutboxMessage]:
        out: dict[str, OutboxMessage] = self.tables.writable("outbox")
        return out

    def enqueue(self, message: OutboxMessage) -> None:
        self.enqueue_many([message])

    def enqueue_many(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        ids = [m.id for m in messages]
        if len(set(ids)) != len(ids) or any(i in self.tables.outbox for i in ids):
            raise ConflictError("outbox message already exists or conflicts with a stored one")
        ready = [
            replace(
                m,
                created_at=utc(m.created_at, what="outbox message"),
                next_attempt_at=utc(m.next_attempt_at or m.created_at, what="outbox message"),
            )
            for m in messages
        ]
        outbox = self._outbox()
        for m in ready:
            self.tables.outbox_seq += 1
            outbox[m.id] = replace(m, seq=self.tables.outbox_seq)
        self.enqueued = True

    def due_messages(
        self, *, now: datetime, limit: int, destination: str | None = None
    ) -> list[OutboxMessage]:
        at = utc(now, what="due messages")
        due = [
            m
            for m in self.tables.outbox.values()
            if m.state is OutboxState.PENDING
            and m.next_attempt_at is not None
            and m.next_attempt_at <= at
            and (destination is None or m.destination == destination)
        ]
        return due[:limit]

    def _set(self, message_id: str, **changes: object) -> None:
        outbox = self._outbox()
        outbox[message_id] = replace(outbox[message_id], **changes)  # type: ignore[arg-type]

    def mark_delivered(self, message_ids: Sequence[str]) -> None:
        wanted = set(message_ids)
        for m in list(self.tables.outbox.values()):
            if m.id in wanted and m.state is not OutboxState.WITHDRAWN:
                self._set(m.id, state=OutboxState.DELIVERED)
            elif m.batch in wanted and m.state is OutboxState.BATCHED:
                # What was joined into a delivered batch was delivered with it.
                self._set(m.id, state=OutboxState.DELIVERED)

    def join_batch(self, batch: OutboxMessage, members: Sequence[str]) -> None:
        for member in members:
            m = self.tables.outbox.get(member)
            if m is None or m.state is not OutboxState.PENDING or m.batch is not None:
                raise ConflictError("a queued transfer changed while it was being batched")
        self.enqueue_many([batch])
        for member in members:
            self._set(member, state=OutboxState.BATCHED, batch=batch.id)

    def batch_members(self, batch_id: str) -> list[OutboxMessage]:
        return [m for m in self.tables.outbox.values() if m.batch == batch_id and m.id != batch_id]

    def release_batch(self, batch_id: str, *, alone: bool) -> None:
        for m in list(self.tables.outbox.values()):
            if m.batch == batch_id and m.state is OutboxState.BATCHED:
                self._set(m.id, state=OutboxState.PENDING, batch=m.id if alone else None)

    def outbox_depth(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for m in self.tables.outbox.values():
            if m.state in _WAITING:
                states = out.setdefault(m.destination, {})
                states[m.state.value] = states.get(m.state.value, 0) + 1
        return out

    def mark_retry(
        self, message_id: str, *, attempts: int, next_attempt_at: datetime, error: str, dead: bool
    ) -> None:
        at = utc(next_attempt_at, what="outbox retry")
        m = self.tables.outbox.get(message_id)
        if m is None or m.state is OutboxState.WITHDRAWN:
            return
        self._set(
            message_id,
            attempts=attempts,
            next_attempt_at=at,
            last_error=error[:2000],
            state=OutboxState.DEAD if dead else OutboxState.PENDING,
        )

    def outbox_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.tables.outbox.values():
            out[m.state.value] = out.get(m.state.value, 0) + 1
        return out

    def inbox_reply(self, message_id: str, *, sender: str) -> bytes | None:
        found = self.tables.inbox.get((sender, message_id))
        return None if found is None else found.reply

    def remember(self, record: InboxRecord) -> None:
        received = replace(record, received_at=utc(record.received_at, what="inbox message"))
        if (record.sender, record.id) in self.tables.inbox:
            raise ConflictError(f"inbox message {record.id} already exists")
        self.tables.writable("inbox")[record.sender, record.id] = received

    def inbox_count(self) -> int:
        return len(self.tables.inbox)

    def forget_sent(self, message_ids: Sequence[str]) -> int:
        done = 0
        for mid in message_ids:
            m = self.tables.outbox.get(mid)
            if m is not None and m.state is OutboxState.DELIVERED:
                self._set(mid, body=b"")
                done += 1
        return done

    def withdraw(self, message_ids: Sequence[str]) -> int:
        # A batch not yet delivered that carries a withdrawn message is withdrawn too, and
        # its other members go back to the queue to be batched again without it.
        batches = {
            m.batch
            for mid in message_ids
            if (m := self.tables.outbox.get(mid)) is not None
            and m.state is OutboxState.BATCHED
            and m.batch is not None
        }
        for batch_id in sorted(batches):
            if batch_id in self.tables.outbox:
                self._withdraw(batch_id)
            self.release_batch(batch_id, alone=False)
        done = 0
        for mid in message_ids:
            if mid in self.tables.outbox:
                self._withdraw(mid)
                done += 1
        return done

    def _withdraw(self, message_id: str) -> None:
        self._set(message_id, body=b"", state=OutboxState.WITHDRAWN, next_attempt_at=None)

    def dead_letters(self, *, limit: int = 100) -> list[OutboxMessage]:
        dead = [m for m in self.tables.outbox.values() if m.state is OutboxState.DEAD]
        return dead[:limit]


class MemoryItemKeys:
    """Item-key records of one version of the store (:class:`~gsomia.ports.keys.ItemKeyStore`):
    a destroyed item keeps a tombstone, and every record written counts against its at-rest
    key's nonce budget."""

    budget = AT_REST_BUDGET

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def put(self, key: ItemKey) -> None:
        self.put_many([key])

    def put_many(self, keys: list[ItemKey]) -> None:
        stored = self._tables.item_keys
        fresh = []
        for k in keys:
            if k.item_id in stored:
                old = stored[k.item_id]
                if old is None or old.to_bytes() != k.to_bytes():
                    raise ConflictError(
                        f"item {k.item_id} already has a different or destroyed key"
                    )
                continue
            fresh.append(k)
        self._use([k.key_id for k in fresh])
        records = self._tables.writable("item_keys")
        for k in fresh:
            records[k.item_id] = k

    def get(self, item_id: str) -> ItemKey:
        found = self._tables.item_keys.get(item_id)
        if found is None:
            raise UnknownName(kind="item key", name=item_id)
        return found

    def replace(self, key: ItemKey) -> None:
        old = self.get(key.item_id)
        if old.label_digest != key.label_digest:
            raise ConflictError(f"item {key.item_id}: a re-wrap must keep the label binding")
        self._write(key)

    def reseal(self, key: ItemKey) -> None:
        self.get(key.item_id)
        self._write(key)

    def _write(self, key: ItemKey) -> None:
        self._use([key.key_id])
        self._tables.writable("item_keys")[key.item_id] = key

    def _use(self, key_ids: list[bytes]) -> None:
        for key_id in set(key_ids):
            added, used = key_ids.count(key_id), self.uses(key_id)
            if used + added > self.budget:
                raise ConflictError(
                    f"at-rest key {key_id.hex()} has wrapped {used} data keys, its budget; "
                    "rotate it (gsomia keys rotate --kind at-rest)"
                )
            self._tables.writable("key_uses")[key_id] = used + added

    def destroy(self, item_id: str) -> None:
        self._tables.writable("item_keys")[item_id] = None

    def uses(self, key_id: bytes) -> int:
        return self._tables.key_uses.get(key_id, 0)

    def count_under_key(self, key_id: bytes) -> int:
        return sum(1 for _ in self.under_key(key_id))

    def under_key(self, key_id: bytes) -> Iterator[str]:
        found = [
            item_id
            for item_id, k in self._tables.item_keys.items()
            if k is not None and k.key_id == key_id
        ]
        return iter(found)
