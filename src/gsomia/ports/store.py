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
* The registry, items, labels and workflow records are sealed and journaled
  (:mod:`gsomia.ports.state`): a read of a row whose seal does not match raises
  :class:`~gsomia.errors.StateTampered` and is reported after the transaction ends.
* ``Store.claiming(key)`` makes a client's idempotency key part of the act it asks for: the
  first unit of work that commits inside the block (in the same context) records the key
  in the same transaction. If the key is recorded already, that unit of work MUST roll back
  entirely and raise :class:`~gsomia.errors.ConflictError`, with ``Claim.duplicate`` set;
  so an act and its key are stored together or not at all.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from gsomia.core.items import Custody
from gsomia.core.people import Facility, Person
from gsomia.ports.keys import ItemKeyReader, ItemKeyStore
from gsomia.ports.ledger import LedgerStore
from gsomia.ports.state import JournalRow, SealedRow, StateSeals

__all__ = [
    "Claim",
    "CustodyReader",
    "CustodyWriter",
    "FrameState",
    "FramesReader",
    "FramesWriter",
    "Inbox",
    "InboxReader",
    "InboxRecord",
    "ItemRecord",
    "ItemState",
    "LabelRecord",
    "Outbox",
    "OutboxMessage",
    "OutboxReader",
    "OutboxState",
    "ReadView",
    "RecordsReader",
    "RecordsWriter",
    "RegistryReader",
    "RegistryWriter",
    "RequestKey",
    "RequestKeysReader",
    "RequestKeysWriter",
    "StateReader",
    "StateWriter",
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
    #: The current label version's bytes as read from the store (``b""`` before storing);
    #: derived from the labels, so not part of the record's identity.
    label: bytes = field(default=b"", compare=False, repr=False)


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
    WITHDRAWN = "withdrawn"  # cancelled and blanked: it carried an item since destroyed
    #: joined into a batched transfer (``batch`` names it), delivered with it
    BATCHED = "batched"


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
    #: The batched transfer this message was joined into; its own id when it must travel
    #: alone (a batch carrying it was refused for good).
    batch: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxRecord:
    """A message received and handled; its sender and id make redelivery harmless."""

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


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameState:
    """Where one frame stream stands, kept across restarts: for a ``sender`` its newest
    epoch and the sequence numbers reserved in it, for a ``receiver`` its newest epoch and a
    floor at or above every sequence number accepted in it. ``stream`` names the stream;
    ``item_id`` is the stream's announcement, for a sender."""

    role: str
    stream: str
    epoch: int
    value: int
    item_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestKey:
    """A client's idempotency key for one creating request, and the answer the node gave.

    ``scope`` is whose key it is (the authenticated person), ``fingerprint`` the SHA-256 of
    the request it came with (a key reused for another request is refused). ``status`` is
    ``None`` while no answer is kept: the act committed, and the node stopped before it
    could keep its answer.
    """

    scope: str
    key: str
    fingerprint: str
    created_at: datetime
    status: int | None = None
    media_type: str = ""
    answer: bytes = b""


class Claim(Protocol):
    """What :meth:`Store.claiming` yields: whether the key was recorded with an act."""

    @property
    def recorded(self) -> bool:
        """A unit of work committed inside the block, and the key with it."""
        ...

    @property
    def duplicate(self) -> bool:
        """A unit of work was rolled back because the key was recorded already."""
        ...


# Each concern has a read side and a write side; a read view (:meth:`Store.read`) offers the
# read sides only, so the type checker refuses a write through one, and a service asks for
# the narrowest side it needs (as ports/ledger.py does for the ledger).


class RegistryReader(Protocol):
    """Facilities and persons (JK-6.e, Art. 7, Art. 16). Unknown ids raise UnknownName."""

    def facility(self, facility_id: str) -> Facility: ...
    def facilities(self) -> list[Facility]: ...
    def person(self, person_id: str) -> Person: ...
    def persons(self) -> list[Person]: ...


class RegistryWriter(Protocol):
    """Adds facilities and persons; a person changes by replacement (a new version)."""

    def add_facility(self, facility: Facility) -> None: ...
    def add_person(self, person: Person) -> None: ...
    def replace_person(self, person: Person) -> None: ...


class CustodyReader(Protocol):
    """Items in custody, their label versions and copy registers."""

    def item(self, item_id: str) -> ItemRecord: ...
    def has_item(self, item_id: str) -> bool: ...
    def existing_items(self, item_ids: Sequence[str]) -> set[str]: ...
    def items(
        self, *, state: ItemState | None = None, limit: int = 1000, after: str = ""
    ) -> list[ItemRecord]: ...
    def count_items(self, *, state: ItemState | None = None) -> int: ...
    def labels(self, item_id: str) -> list[LabelRecord]: ...
    def next_copy_number(self, parent_id: str) -> int: ...
    def copies(self, parent_id: str) -> list[ItemRecord]:
        """The copies and translations of ``parent_id``, by copy number (JK-6.f)."""
        ...


class CustodyWriter(Protocol):
    """Items and labels: added once, then moved through explicit transitions."""

    def add_item(self, item: ItemRecord) -> None: ...
    def add_items(self, items: Sequence[ItemRecord]) -> None: ...
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
    def reseal_item(self, item_id: str, *, ciphertext: bytes, binding: bytes) -> None:
        """Put an item's at-rest envelope sealed again (and its binding) in place of the old
        one; the label version goes in with :meth:`add_label`. UnknownName if unknown."""
        ...

    def add_label(self, label: LabelRecord) -> None: ...
    def add_labels(self, labels: Sequence[LabelRecord]) -> None: ...
    def set_item_facility(self, item_id: str, facility_id: str) -> None:
        """Move an item to another facility (JK-6.f, JK-16.x); UnknownName if unknown."""
        ...

    def remark_item(
        self, item_id: str, *, label_digest: str, level_ref: str, holder_level_ref: str
    ) -> None:
        """Point an item at its new label version after a reclassification (JK-6.g); the
        label version itself is added with :meth:`add_label`. UnknownName if unknown."""
        ...


class RecordsReader(Protocol):
    """Workflow records, the latest version of each."""

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


class RecordsWriter(Protocol):
    """Workflow records: each put is a new version."""

    def put_record(self, record: WorkflowRecord) -> None: ...


class OutboxReader(Protocol):
    """What the outbox holds, by state and destination."""

    def outbox_counts(self) -> dict[str, int]: ...
    def outbox_depth(self) -> dict[str, dict[str, int]]:
        """Messages not yet delivered (pending, batched, dead) by destination and state."""
        ...

    def due_messages(
        self, *, now: datetime, limit: int, destination: str | None = None
    ) -> list[OutboxMessage]: ...
    def batch_members(self, batch_id: str) -> list[OutboxMessage]:
        """The messages joined into the batched transfer ``batch_id``, in queue order."""
        ...

    def dead_letters(self, *, limit: int = 100) -> list[OutboxMessage]:
        """Messages the outbox gave up on (too many failed attempts), oldest first."""
        ...


class Outbox(OutboxReader, Protocol):
    """Outgoing messages (exactly-once delivery): queued with the act they report."""

    def enqueue(self, message: OutboxMessage) -> None: ...
    def enqueue_many(self, messages: Sequence[OutboxMessage]) -> None: ...
    def mark_delivered(self, message_ids: Sequence[str]) -> None: ...
    def mark_retry(
        self, message_id: str, *, attempts: int, next_attempt_at: datetime, error: str, dead: bool
    ) -> None: ...
    def join_batch(self, batch: OutboxMessage, members: Sequence[str]) -> None:
        """Queue ``batch`` (a transfer carrying the items of ``members``) and mark the pending
        ``members`` as joined into it; raises ConflictError, changing nothing, if any member
        is no longer pending and unbatched."""
        ...

    def release_batch(self, batch_id: str, *, alone: bool) -> None:
        """Put the members of ``batch_id`` back in the queue as pending (``alone``: each to
        travel on its own from now on)."""
        ...

    def forget_sent(self, message_ids: Sequence[str]) -> int:
        """Blank the bodies of those ``message_ids`` that were delivered (a destroyed item's
        copies in the outbox); returns how many. Pending messages are kept."""
        ...

    def withdraw(self, message_ids: Sequence[str]) -> int:
        """Cancel and blank ``message_ids`` whatever their state (pending, dead or
        delivered): a message that carried an item since destroyed or returned is never
        sent again and keeps no copy of it. Returns how many rows changed; ids not in the
        outbox are ignored. A withdrawn message is never due again."""
        ...


class InboxReader(Protocol):
    """Messages received and handled, keyed by sender and id."""

    def inbox_reply(self, message_id: str, *, sender: str) -> bytes | None:
        """The reply stored for ``sender``'s message ``message_id``, if it was handled (the
        inbox is keyed by sender and id: one partner's ids never answer for another's)."""
        ...

    def inbox_count(self) -> int: ...


class Inbox(InboxReader, Protocol):
    """Remembers a handled message with its reply, so a redelivery is harmless."""

    def remember(self, record: InboxRecord) -> None: ...


class StateReader(Protocol):
    """Authenticated state (see gsomia.ports.state): walks for an audit."""

    def journal(self, *, after: int = 0, limit: int = 1000) -> list[JournalRow]:
        """Journal rows after sequence number ``after``, in order."""
        ...

    def journal_latest(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[JournalRow]:
        """The newest journal row of each (key, version) of ``table`` after ``after``, in
        (key, version) order."""
        ...

    def sealed_rows(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[SealedRow]:
        """The rows of ``table`` after ``after`` in (key, version) order, each with whether
        its seal matches; a bad seal is reported here, not raised."""
        ...

    def sealed_row(self, table: str, key: str, version: int = 0) -> SealedRow | None:
        """One row of ``table`` by its key and version, with whether its seal matches."""
        ...

    def journal_count(self, table: str) -> int:
        """How many rows of ``table`` the journal accounts for: the keys and versions whose
        newest journaled write is not a deletion."""
        ...

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds."""
        ...

    def journal_size(self) -> int:
        """The sequence number of the newest journal row (0 when empty)."""
        ...


class StateWriter(Protocol):
    """Re-sealing authenticated state under a newer state key."""

    def reseal_rows(
        self,
        table: str,
        *,
        after: tuple[str, int] = ("", -1),
        limit: int = 500,
        trust: bool = False,
    ) -> tuple[str, int] | None:
        """Seal again under the newest state key up to ``limit`` rows of ``table`` after
        ``after``, each checked first (unless ``trust``, for rows stored before they were
        sealed); the last (key, version) done, or ``None`` when none were left."""
        ...


class FramesReader(Protocol):
    """Frame streams (frame-v1): what must survive a restart."""

    def frame_states(self, role: str) -> list[FrameState]:
        """Every stream state recorded for ``role`` (``sender`` or ``receiver``)."""
        ...


class FramesWriter(Protocol):
    """Records where a frame stream stands."""

    def put_frame_state(self, state: FrameState) -> None:
        """Record a stream's state; a state further on (epoch, then value) than the one
        given is kept, so a counter or a floor never moves back. Durable on commit."""
        ...


class RequestKeysReader(Protocol):
    """Idempotency keys of creating requests."""

    def request_key(self, scope: str, key: str) -> RequestKey | None:
        """The recorded key ``key`` of ``scope``, with its answer if one was kept."""
        ...


class RequestKeysWriter(Protocol):
    """Keeps the answers given to recorded keys."""

    def keep_answer(self, key: RequestKey, *, purge_before: datetime) -> None:
        """Keep the answer given to a recorded key (``key.status``, ``media_type``,
        ``answer``), and forget every key recorded before ``purge_before``."""
        ...


class ReadView(
    RegistryReader,
    CustodyReader,
    RecordsReader,
    OutboxReader,
    InboxReader,
    StateReader,
    FramesReader,
    RequestKeysReader,
    Protocol,
):
    """One read-only transaction over the node's store: every read side, no write."""

    @property
    def keys(self) -> ItemKeyReader: ...


class UnitOfWork(
    ReadView,
    RegistryWriter,
    CustodyWriter,
    RecordsWriter,
    Outbox,
    Inbox,
    StateWriter,
    FramesWriter,
    RequestKeysWriter,
    Protocol,
):
    """One transaction over the node's store: every read side and every write side."""

    @property
    def keys(self) -> ItemKeyStore: ...

    # The ledger appends through the same transaction.
    def append_ledger(self, entries: Sequence[bytes], *, keys: Sequence[str | None]) -> int: ...


class Store(Protocol):
    """A node's durable store, with the node's ledger in the same database."""

    @property
    def ledger(self) -> LedgerStore: ...

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def read(self) -> AbstractContextManager[ReadView]:
        """A read-only transaction: the read sides only (a write does not type-check)."""
        ...

    def close(self) -> None: ...
    @property
    def url(self) -> str: ...

    def seal_with(self, seals: StateSeals) -> None:
        """Seal and check the rows decisions read with ``seals`` (:mod:`gsomia.ports.state`);
        until then those rows can be neither read nor written (ConfigError)."""
        ...

    def on_enqueued(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each committed unit of work that queued outgoing
        messages (so a delivery pump need not poll)."""
        ...

    def claiming(self, key: RequestKey) -> AbstractContextManager[Claim]:
        """Record ``key`` with the first unit of work that commits inside the block (in
        this context; see the module's contract)."""
        ...

    def purge_destroyed_keys(self) -> None:
        """Make the bytes of destroyed item keys unreachable in the database files (a WAL
        checkpoint or a VACUUM); call after the destroying unit of work has committed. It
        MUST retry a failed attempt; if it still cannot, it raises StorageError and the purge
        stays owed (:attr:`purge_pending`) until a later call succeeds."""
        ...

    @property
    def purge_pending(self) -> bool:
        """Whether a purge of destroyed keys failed and is still owed."""
        ...
