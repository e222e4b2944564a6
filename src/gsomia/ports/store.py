"""The node's store: registry, items, labels, workflow records, outbox and inbox, one unit of
work at a time.

Contract for every adapter (SQLite and PostgreSQL pass ``tests/conformance/test_store.py``):

* ``Store.unit_of_work()`` opens one transaction. Everything written through the
  :class:`UnitOfWork` (and the ledger entries appended through ``uow.ledger_connection``)
  commits together when the block ends without an exception, and is rolled back entirely
  otherwise. ``commit`` MUST NOT return before the transaction is durable.
* Records are immutable values; a change is a new record or an explicit state transition
  (``set_item_state``), never an in-place edit of a label (a re-marking adds a label version).
* Inserting a record whose primary key exists raises :class:`~gsomia.errors.ConflictError`
  (the unit of work is then rolled back); inbox ids make message handling idempotent.
* Reading an unknown key raises :class:`~gsomia.errors.UnknownName`.
* Library errors are translated into :class:`~gsomia.errors.StorageError`.
* Only ciphertext and labels are stored for items; never content in the clear.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from gsomia.core.items import Custody
from gsomia.core.people import Facility, Person
from gsomia.ports.keys import ItemKeyStore
from gsomia.ports.ledger import LedgerStore

__all__ = [
    "InboxRecord",
    "ItemRecord",
    "ItemState",
    "LabelRecord",
    "OutboxMessage",
    "OutboxState",
    "Store",
    "UnitOfWork",
    "WorkflowRecord",
]


#: Where a held item stands (the rules' own :class:`~gsomia.core.items.Custody`).
ItemState = Custody


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRecord:
    """An item in a node's custody: its current label and its ciphertext at rest."""

    id: str
    agreement_id: str
    originator: str
    holder: str
    state: ItemState
    topic: str
    purpose: str
    level_ref: str
    holder_level_ref: str
    label_digest: str
    provided_at: datetime
    recorded_at: datetime
    review_on: date | None
    facility_id: str | None
    ciphertext: bytes
    binding: bytes
    kind: str = "original"  # original | copy | translation
    parent_id: str | None = None
    copy_number: int | None = None
    purpose_lapsed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelRecord:
    """One version of an item's label, kept forever (JK-4.2, JK-6.g)."""

    digest: str
    item_id: str
    revision: int
    label: bytes
    recorded_at: datetime


class OutboxState(enum.StrEnum):
    """Delivery state of an outgoing message."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """A message to a partner node, written in the same unit of work as the act it reports."""

    id: str
    destination: str
    kind: str
    body: bytes
    created_at: datetime
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    seq: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxRecord:
    """A message received and handled; its id makes redelivery harmless."""

    id: str
    sender: str
    kind: str
    received_at: datetime
    reply: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowRecord:
    """A record of one workflow (consent, incident, visit, law notice, diplomatic note,
    contractor condition...): a kind, a key, a state, a JSON body, and its history as new
    versions (``version`` grows by one each time the state changes)."""

    kind: str
    id: str
    state: str
    body: dict[str, Any]
    updated_at: datetime
    version: int = 1
    item_id: str | None = None
    document: bytes = b""


class UnitOfWork(Protocol):
    """One transaction over the node's store."""

    @property
    def keys(self) -> ItemKeyStore: ...

    # Registry (JK-6.e, Art. 7, Art. 16).
    def add_facility(self, facility: Facility) -> None: ...
    def facility(self, facility_id: str) -> Facility: ...
    def facilities(self) -> list[Facility]: ...
    def add_person(self, person: Person) -> None: ...
    def replace_person(self, person: Person) -> None: ...
    def person(self, person_id: str) -> Person: ...
    def persons(self) -> list[Person]: ...

    # Items and labels.
    def add_item(self, item: ItemRecord) -> None: ...
    def add_items(self, items: Sequence[ItemRecord]) -> None: ...
    def item(self, item_id: str) -> ItemRecord: ...
    def has_item(self, item_id: str) -> bool: ...
    def existing_items(self, item_ids: Sequence[str]) -> set[str]: ...
    def items(
        self, *, state: ItemState | None = None, limit: int = 1000, after: str = ""
    ) -> list[ItemRecord]: ...
    def count_items(self, *, state: ItemState | None = None) -> int: ...
    def set_item_state(
        self,
        item_id: str,
        state: ItemState,
        *,
        label_digest: str | None = None,
        holder_level_ref: str | None = None,
        purpose_lapsed: bool | None = None,
    ) -> None: ...
    def erase_ciphertext(self, item_id: str) -> None: ...
    def add_label(self, label: LabelRecord) -> None: ...
    def add_labels(self, labels: Sequence[LabelRecord]) -> None: ...
    def labels(self, item_id: str) -> list[LabelRecord]: ...
    def next_copy_number(self, parent_id: str) -> int: ...

    # Workflow records.
    def put_record(self, record: WorkflowRecord) -> None: ...
    def record(self, kind: str, record_id: str) -> WorkflowRecord: ...
    def records(
        self,
        kind: str,
        *,
        item_id: str | None = None,
        state: str | None = None,
        prefix: str | None = None,
    ) -> list[WorkflowRecord]:
        """The latest version of each record of ``kind`` (about ``item_id``, in ``state``,
        whose id starts with ``prefix``, where given), by id."""
        ...

    # Outbox and inbox (exactly-once delivery).
    def enqueue(self, message: OutboxMessage) -> None: ...
    def enqueue_many(self, messages: Sequence[OutboxMessage]) -> None: ...
    def due_messages(
        self, *, now: datetime, limit: int, destination: str | None = None
    ) -> list[OutboxMessage]: ...
    def mark_delivered(self, message_ids: Sequence[str]) -> None: ...
    def mark_retry(
        self, message_id: str, *, attempts: int, next_attempt_at: datetime, error: str, dead: bool
    ) -> None: ...
    def outbox_counts(self) -> dict[str, int]: ...
    def inbox_reply(self, message_id: str) -> bytes | None: ...
    def remember(self, record: InboxRecord) -> None: ...
    def inbox_count(self) -> int: ...

    # The ledger appends through the same transaction.
    def append_ledger(self, entries: Sequence[bytes], *, keys: Sequence[str | None]) -> int: ...

    # Handling workflows: copy registers, hand-over, re-marking, and forgetting what was sent.
    def copies(self, parent_id: str) -> list[ItemRecord]:
        """The copies and translations of ``parent_id``, by copy number (JK-6.f)."""
        ...

    def set_item_facility(self, item_id: str, facility_id: str) -> None:
        """Move an item to another facility (JK-6.f, JK-16.x); UnknownName if unknown."""
        ...

    def remark_item(
        self, item_id: str, *, label_digest: str, level_ref: str, holder_level_ref: str
    ) -> None:
        """Point an item at its new label version after a reclassification (JK-6.g); the
        label version itself is added with :meth:`add_label`. UnknownName if unknown."""
        ...

    def forget_sent(self, message_ids: Sequence[str]) -> int:
        """Blank the bodies of those ``message_ids`` that were delivered (a destroyed item's
        copies in the outbox); returns how many. Pending messages are kept."""
        ...

    def dead_letters(self, *, limit: int = 100) -> list[OutboxMessage]:
        """Messages the outbox gave up on (too many failed attempts), oldest first."""
        ...


class Store(Protocol):
    """A node's durable store, with the node's ledger in the same database."""

    @property
    def ledger(self) -> LedgerStore: ...

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def read(self) -> AbstractContextManager[UnitOfWork]: ...
    def close(self) -> None: ...
    @property
    def url(self) -> str: ...

    def on_enqueued(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each committed unit of work that queued outgoing
        messages (so a delivery pump need not poll)."""
        ...

    def purge_destroyed_keys(self) -> None:
        """Make the bytes of destroyed item keys unreachable in the database files (a WAL
        checkpoint or a VACUUM); call after the destroying unit of work has committed."""
        ...
