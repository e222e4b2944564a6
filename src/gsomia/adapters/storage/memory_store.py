"""A node's store in memory: the twin of the SQL store for tests and short-lived nodes.

It keeps what the SQL store keeps (registry, items, labels, workflow records, outbox, inbox,
item keys, frame streams, idempotency keys, the sealed rows' journal and the ledger) and
passes the same conformance suite (``tests/conformance``). One unit of work writes at a
time: it works on a new version of the store whose tables are copied when first written,
and its commit publishes that version with its ledger entries, or drops it on an exception.
A read holds the version committed when it began. "Durable" here means "visible to every
later unit of work"; nothing survives the process.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gsomia.adapters.storage._memory_outbox import MemoryItemKeys, OutboxMethods
from gsomia.adapters.storage._memory_state import Row, Sealer, Tables, utc
from gsomia.adapters.storage._shared import item_state_changes, report_tampered
from gsomia.adapters.storage.memory_ledger import MemoryLedgerStore
from gsomia.core.people import Facility, Person
from gsomia.errors import ConflictError, StateTampered, StorageError, UnknownName
from gsomia.ports.state import JournalRow, SealedRow, StateSeals
from gsomia.ports.store import (
    FrameState,
    ItemRecord,
    ItemState,
    LabelRecord,
    RequestKey,
    WorkflowRecord,
)

__all__ = ["MemoryStore", "MemoryUnitOfWork"]

_logger = logging.getLogger(__name__)


@dataclass
class _Claim:
    """A key waiting for the first unit of work that commits (``ports.store.Claim``)."""

    key: RequestKey
    recorded: bool = False
    duplicate: bool = False


_CLAIM: ContextVar[_Claim | None] = ContextVar("gsomia_memory_claim", default=None)


class MemoryStore:
    """:class:`~gsomia.ports.store.Store` in memory, its ledger beside it."""

    def __init__(self, *, ledger_origin: str, seals: StateSeals | None = None) -> None:
        self._ledger = MemoryLedgerStore(origin=ledger_origin)
        self._tables = Tables()
        self._journal: list[JournalRow] = []
        self._writer = threading.RLock()
        self._writing = False
        self._seals = seals
        self._on_enqueued: list[Callable[[], None]] = []

    def seal_with(self, seals: StateSeals) -> None:
        self._seals = seals

    @property
    def ledger(self) -> MemoryLedgerStore:
        return self._ledger

    @property
    def url(self) -> str:
        return "memory://"

    def close(self) -> None:
        """Nothing to release; the contents stay until the store is dropped."""

    @property
    def purge_pending(self) -> bool:
        return False

    def purge_destroyed_keys(self) -> None:
        """A destroyed key's record is dropped from every version as it is destroyed; nothing
        is left to purge."""

    def table_sizes(self) -> dict[str, int]:
        """Rows held now, by the name of the SQL table that holds them there (a destroyed
        item key's tombstone counts, as its row does)."""
        t = self._tables
        sizes = {name: len(rows) for name, rows in t.rows.items()}
        return {
            **sizes,
            "item_keys": len(t.item_keys),
            "outbox": len(t.outbox),
            "inbox": len(t.inbox),
            "request_keys": len(t.request_keys),
            "frame_states": len(t.frames),
            "state_journal": t.journal_size,
        }

    def on_enqueued(self, callback: Callable[[], None]) -> None:
        self._on_enqueued.append(callback)

    @contextmanager
    def claiming(self, key: RequestKey) -> Iterator[_Claim]:
        claim = _Claim(key=key)
        token = _CLAIM.set(claim)
        try:
            yield claim
        finally:
            _CLAIM.reset(token)

    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryUnitOfWork]:
        """One write transaction: commits on success, leaves nothing on any exception."""
        claim = _CLAIM.get()
        pending = claim if claim is not None and not claim.recorded else None
        uow: MemoryUnitOfWork | None = None
        with self._writer, self._ledger.lock:
            if self._writing:
                # Its commit would be overwritten by the outer one's: refuse it, as a
                # database refuses a second writer.
                raise StorageError("a unit of work is already open in this thread")
            self._writing = True
            try:
                uow = MemoryUnitOfWork(self, self._tables.next_version())
                yield uow
                if pending is not None:
                    uow.record_claim(pending)
                uow.commit()
                self._tables = uow.tables
            except StateTampered as exc:
                if uow is not None:
                    uow.sealer.note(exc)
                raise
            finally:
                self._writing = False
                self._report(uow)
        if pending is not None:
            pending.recorded = True
        if uow.enqueued:
            for callback in self._on_enqueued:
                callback()

    @contextmanager
    def read(self) -> Iterator[MemoryUnitOfWork]:
        """A read-only view of the version committed now (whatever is written through it is
        dropped with it)."""
        uow = MemoryUnitOfWork(self, self._tables.next_version())
        try:
            yield uow
        except StateTampered as exc:
            uow.sealer.note(exc)
            raise
        finally:
            self._report(uow)

    def _report(self, uow: MemoryUnitOfWork | None) -> None:
        report_tampered(self._seals, None if uow is None else uow.sealer, logger=_logger)


class MemoryUnitOfWork(OutboxMethods):
    """Every store operation on one version of a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, tables: Tables) -> None:
        self.tables = tables
        self.enqueued = False
        self._store = store
        self._ledger_entries: list[tuple[bytes, str | None]] = []
        self.sealer = Sealer(tables=tables, seals=store._seals, journal=store._journal)
        self._keys = MemoryItemKeys(tables)

    @property
    def keys(self) -> MemoryItemKeys:
        return self._keys

    def append_ledger(self, entries: Sequence[bytes], *, keys: Sequence[str | None]) -> int:
        """Sequence ledger entries; they are appended when the unit of work commits (the
        ledger is held until then, so the indexes given out stay true)."""
        first = self._store.ledger.size() + len(self._ledger_entries)
        self._ledger_entries += list(zip(entries, keys, strict=True))
        return first

    def commit(self) -> None:
        self.sealer.flush(lambda entry: self.append_ledger([entry], keys=[None]))
        if self._ledger_entries:
            entries = [e for e, _ in self._ledger_entries]
            self._store.ledger.append_batch(entries, keys=[k for _, k in self._ledger_entries])

    def record_claim(self, claim: _Claim) -> None:
        key = claim.key
        if (key.scope, key.key) in self.tables.request_keys:
            claim.duplicate = True
            raise ConflictError(
                "a request with this Idempotency-Key was carried out already; nothing was "
                "done again"
            )
        recorded = replace(key, status=None, media_type="", answer=b"")
        self.tables.writable("request_keys")[key.scope, key.key] = recorded

    # Registry ------------------------------------------------------------------------------

    def _insert(self, table: str, row_id: tuple[str, int], value: object, *, what: str) -> None:
        if row_id in self.tables.rows[table]:
            raise ConflictError(f"{what} already exists or conflicts with a stored record")
        self.sealer.put(table, row_id, value)

    def add_facility(self, facility: Facility) -> None:
        self._insert("facilities", (facility.id, 0), facility, what=f"facility {facility.id}")

    def facility(self, facility_id: str) -> Facility:
        if (facility_id, 0) not in self.tables.rows["facilities"]:
            raise UnknownName(kind="facility", name=facility_id)
        found: Facility = self.sealer.checked("facilities", (facility_id, 0), fresh=True)
        return found

    def facilities(self) -> list[Facility]:
        rows = self.tables.rows["facilities"]
        return [self.sealer.checked("facilities", r) for r in sorted(rows)]

    def add_person(self, person: Person) -> None:
        self._insert("persons", (person.id, 0), person, what=f"person {person.id}")
        self._register(person)

    def replace_person(self, person: Person) -> None:
        old = self.person(person.id)
        self.sealer.put("persons", (person.id, 0), person)
        for facility in sorted(old.registered_at):
            self.sealer.delete("registrations", (f"{person.id}/{facility}", 0))
        self._register(person)

    def _register(self, person: Person) -> None:
        for facility in sorted(person.registered_at):
            key = f"{person.id}/{facility}"
            self.sealer.put("registrations", (key, 0), (person.id, facility))

    def person(self, person_id: str) -> Person:
        if (person_id, 0) not in self.tables.rows["persons"]:
            raise UnknownName(kind="person", name=person_id)
        return self._person(person_id, fresh=True)

    def persons(self) -> list[Person]:
        return [self._person(key) for key, _ in sorted(self.tables.rows["persons"])]

    def _person(self, person_id: str, *, fresh: bool = False) -> Person:
        person: Person = self.sealer.checked("persons", (person_id, 0), fresh=fresh)
        for facility in sorted(person.registered_at):
            row_id = (f"{person_id}/{facility}", 0)
            if row_id not in self.tables.rows["registrations"]:
                self.sealer.fail("registrations", row_id[0], 0, "was deleted outside the node")
            self.sealer.checked("registrations", row_id, fresh=fresh)
        return person

    # Items and labels ----------------------------------------------------------------------

    def add_item(self, item: ItemRecord) -> None:
        self.add_items([item])

    def add_items(self, items: Sequence[ItemRecord]) -> None:
        ids = [i.id for i in items]
        rows = self.tables.rows["items"]
        if len(set(ids)) != len(ids) or any((i, 0) in rows for i in ids):
            raise ConflictError("item already exists or conflicts with a stored record")
        ready = [_stored_item(i) for i in items]
        for item in ready:
            self.sealer.put("items", (item.id, 0), item)

    def item(self, item_id: str) -> ItemRecord:
        if (item_id, 0) not in self.tables.rows["items"]:
            raise UnknownName(kind="item", name=item_id)
        return self._item(item_id, fresh=True)

    def _item(self, item_id: str, *, fresh: bool = False) -> ItemRecord:
        record: ItemRecord = self.sealer.checked("items", (item_id, 0), fresh=fresh)
        for revision in self.tables.revisions.get(item_id, ()):
            label: LabelRecord = self.tables.rows["labels"][item_id, revision].value
            if label.digest == record.label_digest:
                self.sealer.checked("labels", (item_id, revision))
                return replace(record, label=label.label)
        return record

    def has_item(self, item_id: str) -> bool:
        return (item_id, 0) in self.tables.rows["items"]

    def existing_items(self, item_ids: Sequence[str]) -> set[str]:
        return {i for i in item_ids if (i, 0) in self.tables.rows["items"]}

    def _item_ids(self) -> list[str]:
        return sorted(key for key, _ in self.tables.rows["items"])

    def items(
        self, *, state: ItemState | None = None, limit: int = 1000, after: str = ""
    ) -> list[ItemRecord]:
        out: list[ItemRecord] = []
        rows = self.tables.rows["items"]
        for item_id in self._item_ids():
            if len(out) >= limit:
                break
            if item_id > after and (state is None or rows[item_id, 0].value.state is state):
                out.append(self._item(item_id))
        return out

    def count_items(self, *, state: ItemState | None = None) -> int:
        rows = self.tables.rows["items"].values()
        return sum(1 for r in rows if state is None or r.value.state is state)

    def _update_item(self, item_id: str, **changes: object) -> None:
        if (item_id, 0) not in self.tables.rows["items"]:
            raise UnknownName(kind="item", name=item_id)
        record = self.sealer.checked("items", (item_id, 0))
        self.sealer.put("items", (item_id, 0), replace(record, **changes))

    def set_item_state(
        self,
        item_id: str,
        state: ItemState,
        *,
        label_digest: str | None = None,
        holder_level_ref: str | None = None,
        purpose_lapsed: bool | None = None,
    ) -> None:
        changes = item_state_changes(
            label_digest=label_digest,
            holder_level_ref=holder_level_ref,
            purpose_lapsed=purpose_lapsed,
        )
        self._update_item(item_id, state=state, **changes)

    def reseal_item(self, item_id: str, *, ciphertext: bytes, binding: bytes) -> None:
        self._update_item(item_id, ciphertext=ciphertext, binding=binding)

    def erase_ciphertext(self, item_id: str) -> None:
        row = self.tables.rows["items"].get((item_id, 0))
        if row is not None:
            rows = self.tables.writable("items")
            rows[item_id, 0] = Row(value=replace(row.value, ciphertext=b""), seal=row.seal)

    def add_label(self, label: LabelRecord) -> None:
        self.add_labels([label])

    def add_labels(self, labels: Sequence[LabelRecord]) -> None:
        ids = [(x.item_id, x.revision) for x in labels]
        if len(set(ids)) != len(ids) or any(i in self.tables.rows["labels"] for i in ids):
            raise ConflictError("label already exists or conflicts with a stored record")
        ready = [replace(x, recorded_at=utc(x.recorded_at, what="label")) for x in labels]
        revisions = self.tables.writable("revisions")
        for x in ready:
            self.sealer.put("labels", (x.item_id, x.revision), x)
            revisions[x.item_id] = tuple(sorted((*revisions.get(x.item_id, ()), x.revision)))

    def labels(self, item_id: str) -> list[LabelRecord]:
        revisions = self.tables.revisions.get(item_id, ())
        return [self.sealer.checked("labels", (item_id, r)) for r in revisions]

    def _children(self, parent_id: str) -> list[ItemRecord]:
        return [
            r.value for r in self.tables.rows["items"].values() if r.value.parent_id == parent_id
        ]

    def next_copy_number(self, parent_id: str) -> int:
        return max((c.copy_number or 0 for c in self._children(parent_id)), default=0) + 1

    def copies(self, parent_id: str) -> list[ItemRecord]:
        found = sorted(self._children(parent_id), key=lambda c: (c.copy_number or 0, c.id))
        return [self._item(c.id) for c in found]

    def set_item_facility(self, item_id: str, facility_id: str) -> None:
        self._update_item(item_id, facility_id=facility_id)

    def remark_item(
        self, item_id: str, *, label_digest: str, level_ref: str, holder_level_ref: str
    ) -> None:
        self._update_item(
            item_id,
            label_digest=label_digest,
            level_ref=level_ref,
            holder_level_ref=holder_level_ref,
        )

    # Workflow records ----------------------------------------------------------------------

    def put_record(self, record: WorkflowRecord) -> None:
        key = f"{record.kind}/{record.id}"
        latest = self.tables.record_versions.get(key, 0)
        if record.version != latest + 1:
            raise ConflictError(
                f"{record.kind} {record.id}: version {record.version} is stale (latest is {latest})"
            )
        stored = replace(
            record, body=_json(record.body), updated_at=utc(record.updated_at, what="record")
        )
        self.sealer.put("records", (key, record.version), stored)
        self.tables.writable("record_versions")[key] = record.version

    def record(self, kind: str, record_id: str) -> WorkflowRecord:
        key = f"{kind}/{record_id}"
        version = self.tables.record_versions.get(key)
        if version is None:
            raise UnknownName(kind=kind, name=record_id)
        found: WorkflowRecord = self.sealer.checked("records", (key, version), fresh=True)
        return replace(found, body=_json(found.body))

    def records(
        self,
        kind: str,
        *,
        item_id: str | None = None,
        state: str | None = None,
        prefix: str | None = None,
    ) -> list[WorkflowRecord]:
        start = f"{kind}/{prefix or ''}"
        out = []
        for key in sorted(k for k in self.tables.record_versions if k.startswith(start)):
            version = self.tables.record_versions[key]
            record: WorkflowRecord = self.sealer.checked("records", (key, version), fresh=True)
            if (item_id is None or record.item_id == item_id) and (
                state is None or record.state == state
            ):
                out.append(replace(record, body=_json(record.body)))
        return out

    # Authenticated state (gsomia.ports.state) ----------------------------------------------

    def journal(self, *, after: int = 0, limit: int = 1000) -> list[JournalRow]:
        return self.sealer.journal_rows(after, limit)

    def journal_latest(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[JournalRow]:
        return self.sealer.journal_latest(table, after, limit)

    def sealed_rows(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[SealedRow]:
        walk = self.sealer.walk(table, after)
        return [self.sealer.audit(table, r) for _, r in zip(range(limit), walk, strict=False)]

    def sealed_row(self, table: str, key: str, version: int = 0) -> SealedRow | None:
        if (key, version) not in self.tables.rows[table]:
            return None
        return self.sealer.audit(table, (key, version))

    def journal_count(self, table: str) -> int:
        return self.sealer.journal_count(table)

    def count_rows(self, table: str) -> int:
        return len(self.tables.rows[table])

    def journal_size(self) -> int:
        return self.tables.journal_size

    def reseal_rows(
        self,
        table: str,
        *,
        after: tuple[str, int] = ("", -1),
        limit: int = 500,
        trust: bool = False,
    ) -> tuple[str, int] | None:
        return self.sealer.reseal(table, after, limit, trust=trust)

    # Frame streams and idempotency keys ----------------------------------------------------

    def frame_states(self, role: str) -> list[FrameState]:
        return [s for (r, _), s in self.tables.frames.items() if r == role]

    def put_frame_state(self, state: FrameState) -> None:
        old = self.tables.frames.get((state.role, state.stream))
        if old is None or (state.epoch, state.value) > (old.epoch, old.value):
            self.tables.writable("frames")[state.role, state.stream] = state

    def request_key(self, scope: str, key: str) -> RequestKey | None:
        return self.tables.request_keys.get((scope, key))

    def keep_answer(self, key: RequestKey, *, purge_before: datetime) -> None:
        keys = self.tables.writable("request_keys")
        old = keys.get((key.scope, key.key))
        if old is not None:
            keys[key.scope, key.key] = replace(
                old, status=key.status, media_type=key.media_type, answer=key.answer
            )
        before = utc(purge_before, what="purge_before")
        for k in [k for k, v in keys.items() if v.created_at < before]:
            del keys[k]


def _stored_item(item: ItemRecord) -> ItemRecord:
    """An item as the store keeps it: its times in UTC, and no label bytes (they are read
    from the label version the item names)."""
    return replace(
        item,
        provided_at=utc(item.provided_at, what="item"),
        recorded_at=utc(item.recorded_at, what="item"),
        label=b"",
    )


def _json(body: dict[str, Any]) -> dict[str, Any]:
    """A record's body as JSON gives it back: a copy no caller's change can reach, with the
    types the SQL store returns (lists for tuples, text keys)."""
    copied: dict[str, Any] = json.loads(json.dumps(body, sort_keys=True, ensure_ascii=False))
    return copied
