"""The SQL node store: engine set-up, migrations, and the unit of work.

SQLite is opened in WAL mode with ``synchronous = FULL`` (a commit is on disk before it
returns), ``secure_delete = ON`` (a shredded key's bytes are overwritten, not left in free
pages) and ``BEGIN IMMEDIATE`` for every write transaction (one writer at a time, no
lock upgrades half-way). A new database gets 16 KiB pages: an item's row is about 2 KiB,
and on 4 KiB pages every other insert splits a page. Connections are pooled, so that a unit
of work neither runs the pragmas again nor, by closing the last connection, checkpoints the
whole WAL. PostgreSQL uses its defaults (synchronous commit on). The schema is created and
upgraded by Alembic (``migrations/``) when the store opens. Bulk inserts of items and labels
go through the driver's ``executemany`` (:mod:`gsomia.adapters.storage.sql._rows`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.exc import SQLAlchemyError

from gsomia.adapters.storage.sql import frames
from gsomia.adapters.storage.sql import request_keys as rk
from gsomia.adapters.storage.sql import statements as st
from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._rows import insert_rows
from gsomia.adapters.storage.sql.engine import (
    SQLITE_CACHE_KIB,
    SQLITE_HEAP_BYTES,
    SQLITE_POOL,
    make_engine,
)
from gsomia.adapters.storage.sql.group_commit import GroupCommit
from gsomia.adapters.storage.sql.keys import SqlItemKeyStore, purge_destroyed
from gsomia.adapters.storage.sql.ledger import SqlLedgerStore
from gsomia.adapters.storage.sql.outbox import OutboxMethods, chunks
from gsomia.adapters.storage.sql.sealing import Sealer, starting
from gsomia.core.classification import SchemeRegistry
from gsomia.core.people import Clearance, Facility, Person, Role
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

__all__ = [
    "SQLITE_CACHE_KIB",
    "SQLITE_HEAP_BYTES",
    "SQLITE_POOL",
    "SqlStore",
    "SqlUnitOfWork",
    "make_engine",
    "open_store",
]

_logger = logging.getLogger(__name__)


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision (Alembic)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class SqlStore:
    """A node's store on one database, its ledger beside it; safe to share between threads."""

    def __init__(self, engine: Engine, *, schemes: SchemeRegistry, ledger_origin: str) -> None:
        self._engine = engine
        self._schemes = schemes
        self._ledger = SqlLedgerStore(engine, origin=ledger_origin)
        self._on_enqueued: list[Callable[[], None]] = []
        self._purge_owed = False
        self._seals: StateSeals | None = None
        # SQLite has one writer at a time; its busy handler makes waiters poll with growing
        # sleeps, so under many concurrent writers one of them can wait for seconds. The
        # writers of this process queue for the writer instead, and those that queue
        # together share one commit (group_commit). PostgreSQL writes concurrently.
        self._group = GroupCommit(engine) if engine.dialect.name == "sqlite" else None

    def seal_with(self, seals: StateSeals) -> None:
        """Seal and check the registry, items, labels and workflow records with ``seals``
        (see :mod:`gsomia.ports.state`); until then they can be neither read nor written."""
        self._seals = seals

    def _uow(self, conn: Connection) -> SqlUnitOfWork:
        return SqlUnitOfWork(conn, self._schemes, self.dialect, self._ledger, self._seals)

    def _report(self, uow: SqlUnitOfWork | None) -> None:
        """Report every row a unit of work found tampered with, once it has ended."""
        if uow is None or self._seals is None:
            return
        for error in uow.sealer.tampered:
            try:
                self._seals.alarm(error)
            except Exception:  # the refusal stands even when the alarm cannot be stored
                _logger.exception("could not record the alarm for %s", error)

    @property
    def ledger(self) -> SqlLedgerStore:
        return self._ledger

    @property
    def url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlUnitOfWork]:
        """One write transaction; commits on success, rolls back on any exception. The
        journal of its sealed writes, and their ledger entry, commit with it; the first one
        to commit inside :meth:`claiming` records the claim's key with it."""
        uow: SqlUnitOfWork | None = None
        claim = rk.CURRENT_CLAIM.get()
        pending = claim if claim is not None and not claim.recorded else None
        try:
            with self._transaction() as conn:
                uow = self._uow(conn)
                yield uow
                uow.sealer.flush()
                if pending is not None:
                    rk.record_claim(conn, pending)
        except StateTampered as exc:
            if uow is not None:
                uow.sealer.note(exc)
            raise
        except SqlIntegrityError as exc:
            raise ConflictError(
                f"the store refused a duplicate or inconsistent record: {exc.orig}"
            ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"the store failed and rolled back: {exc}") from exc
        finally:
            self._report(uow)
        if pending is not None:
            pending.recorded = True
        if uow.enqueued:
            for callback in self._on_enqueued:
                callback()

    def _transaction(self) -> AbstractContextManager[Connection]:
        """A unit of work's transaction: on SQLite, a savepoint in the writer's group commit
        (a unit inside a unit gets a transaction of its own, as it always did)."""
        if self._group is None or self._group.held_here:
            return self._engine.begin()
        return self._group.unit()

    @contextmanager
    def claiming(self, key: RequestKey) -> Iterator[rk.PendingClaim]:
        """Record ``key`` with the first unit of work that commits inside the block, in
        this context (a request's worker thread inherits it); see ``ports.store``."""
        claim = rk.PendingClaim(key=key)
        token = rk.CURRENT_CLAIM.set(claim)
        try:
            yield claim
        finally:
            rk.CURRENT_CLAIM.reset(token)

    def on_enqueued(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each committed unit of work that queued outgoing
        messages (a delivery pump's wake-up; it must not raise or block)."""
        self._on_enqueued.append(callback)

    @contextmanager
    def read(self) -> Iterator[SqlUnitOfWork]:
        """A read-only view (a transaction that is always rolled back)."""
        uow: SqlUnitOfWork | None = None
        try:
            with self._engine.connect() as conn:
                conn.execution_options(gsomia_read_only=True)
                uow = self._uow(conn)
                yield uow
                conn.rollback()
        except StateTampered as exc:
            if uow is not None:
                uow.sealer.note(exc)
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"the store failed: {exc}") from exc
        finally:
            self._report(uow)

    def close(self) -> None:
        self._engine.dispose()

    @property
    def purge_pending(self) -> bool:
        """Whether a purge of destroyed keys failed and is still owed."""
        return self._purge_owed

    def purge_destroyed_keys(self) -> None:
        """Make destroyed item keys' bytes unreachable (WAL checkpoint or VACUUM), trying a
        few times over about a second; raises StorageError when it still cannot (on SQLite,
        while a reader holds the old pages), and the purge stays owed
        (:attr:`purge_pending`) until a later call succeeds."""
        try:
            purge_destroyed(self._engine)
        except StorageError:
            self._purge_owed = True
            raise
        self._purge_owed = False


def open_store(
    url: str, *, schemes: SchemeRegistry, ledger_origin: str, seals: StateSeals | None = None
) -> SqlStore:
    """Open (creating or upgrading) the store at ``url`` with its ledger ``ledger_origin``,
    sealing its rows with ``seals`` (or later, :meth:`SqlStore.seal_with`); raises
    StorageError."""
    where = make_url(url).render_as_string(hide_password=True)
    try:
        engine = make_engine(url)
        migrate(engine)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the store at {where}: {exc}") from exc
    store = SqlStore(engine, schemes=schemes, ledger_origin=ledger_origin)
    store.ledger.create_log()  # its tables come from the migrations (0010)
    if seals is not None:
        store.seal_with(seals)
    return store


class SqlUnitOfWork(OutboxMethods):
    """Every store operation inside one transaction (see :class:`gsomia.ports.store.UnitOfWork`)."""

    def __init__(
        self,
        conn: Connection,
        schemes: SchemeRegistry,
        dialect: str,
        ledger: SqlLedgerStore,
        seals: StateSeals | None = None,
    ) -> None:
        self._conn = conn
        self._schemes = schemes
        self._ledger = ledger
        self._keys = SqlItemKeyStore(conn, dialect=dialect)
        self.enqueued = False  # whether this unit of work queued outgoing messages
        self.sealer = Sealer(
            conn,
            seals,
            append_entry=lambda entry: ledger.append_batch([entry], keys=["state"], conn=conn),
        )

    @property
    def keys(self) -> SqlItemKeyStore:
        return self._keys

    def append_ledger(self, entries: Sequence[bytes], *, keys: Sequence[str | None]) -> int:
        """Sequence ledger entries in this transaction; they commit with the unit of work."""
        return self._ledger.append_batch(entries, keys=keys, conn=self._conn)

    # Registry ----------------------------------------------------------------------------

    def add_facility(self, facility: Facility) -> None:
        row = {
            "id": facility.id,
            "party": facility.party,
            "name": facility.name,
            "contractor": facility.contractor,
        }
        what = f"facility {facility.id}"
        self._insert(t.facilities, [self._sealed("facilities", row)], what=what)

    def facility(self, facility_id: str) -> Facility:
        row = self._conn.execute(
            select(t.facilities).where(t.facilities.c.id == facility_id)
        ).first()
        if row is None:
            raise UnknownName(kind="facility", name=facility_id)
        self.sealer.fresh("facilities", [self.sealer.checked("facilities", row._mapping)])
        return Facility(id=row.id, party=row.party, name=row.name, contractor=row.contractor)

    def facilities(self) -> list[Facility]:
        rows = self._conn.execute(select(t.facilities).order_by(t.facilities.c.id))
        return [
            Facility(id=r.id, party=r.party, name=r.name, contractor=r.contractor)
            for r in rows
            if self.sealer.checked("facilities", r._mapping)
        ]

    def add_person(self, person: Person) -> None:
        row = self._sealed("persons", _person_row(person))
        self._insert(t.persons, [row], what=f"person {person.id}")
        self._register(person)

    def replace_person(self, person: Person) -> None:
        old = self.person(person.id)
        self.sealer.update("persons", person.id, _person_row(person))
        self._conn.execute(t.registrations.delete().where(t.registrations.c.person_id == person.id))
        for facility in sorted(old.registered_at):
            self.sealer.deleted("registrations", f"{person.id}/{facility}")
        self._register(person)

    def _register(self, person: Person) -> None:
        if person.registered_at:
            self._conn.execute(
                insert(t.registrations),
                [
                    self._sealed("registrations", {"facility_id": f, "person_id": person.id})
                    for f in sorted(person.registered_at)
                ],
            )

    def person(self, person_id: str) -> Person:
        row = self._conn.execute(st.PERSON, {"id": person_id}).first()
        if row is None:
            raise UnknownName(kind="person", name=person_id)
        return self._person(row, fresh=True)

    def persons(self) -> list[Person]:
        rows = self._conn.execute(select(t.persons).order_by(t.persons.c.id)).all()
        return [self._person(r) for r in rows]

    def _person(self, row: Any, *, fresh: bool = False) -> Person:
        """A person from their sealed row and registrations; a keyed read (``fresh``) also
        holds both to the journal, so a deleted or re-inserted registration is refused."""
        self.sealer.checked("persons", row._mapping)
        regs = [
            self.sealer.checked("registrations", r._mapping)
            for r in self._conn.execute(st.REGISTRATIONS_OF, {"id": row.id})
        ]
        if fresh:
            self.sealer.fresh("persons", [row._mapping])
            self._fresh_registrations(row.id, regs)
        clearance = None
        if row.clearance_ref:
            clearance = Clearance(
                level=self._schemes.parse(row.clearance_ref),
                granted_on=row.clearance_granted_on,
                expires_on=row.clearance_expires_on,
            )
        return Person(
            id=row.id,
            party=row.party,
            name=row.name,
            role=Role(row.role),
            clearance=clearance,
            need_to_know=frozenset(json.loads(row.need_to_know)),
            registered_at=frozenset(str(r["facility_id"]) for r in regs),
            rank=row.rank,
            nationality=row.nationality,
        )

    # Items and labels ------------------------------------------------------------------

    def add_item(self, item: ItemRecord) -> None:
        self.add_items([item])

    def add_items(self, items: Sequence[ItemRecord]) -> None:
        if items:
            rows = [self._sealed_tuple("items", _ITEM_FIELDS(item)) for item in items]
            self._insert_rows(t.items, rows, what="item")

    def item(self, item_id: str) -> ItemRecord:
        row = self._conn.execute(_ITEMS.where(t.items.c.id == item_id)).first()
        if row is None:
            raise UnknownName(kind="item", name=item_id)
        record = self._item(row)
        self.sealer.fresh("items", [row._mapping])
        return record

    def has_item(self, item_id: str) -> bool:
        return (
            self._conn.execute(select(t.items.c.id).where(t.items.c.id == item_id)).first()
            is not None
        )

    def existing_items(self, item_ids: Sequence[str]) -> set[str]:
        """Which of ``item_ids`` are stored (one query per 500 ids)."""
        found: set[str] = set()
        for chunk in chunks(list(item_ids), 500):
            q = select(t.items.c.id).where(t.items.c.id.in_(chunk))
            found.update(self._conn.execute(q).scalars())
        return found

    def items(
        self, *, state: ItemState | None = None, limit: int = 1000, after: str = ""
    ) -> list[ItemRecord]:
        q = _ITEMS.where(t.items.c.id > after).order_by(t.items.c.id).limit(limit)
        if state is not None:
            q = q.where(t.items.c.state == state.value)
        return [self._item(r) for r in self._conn.execute(q)]

    def count_items(self, *, state: ItemState | None = None) -> int:
        q = select(func.count()).select_from(t.items)
        if state is not None:
            q = q.where(t.items.c.state == state.value)
        return int(self._conn.execute(q).scalar_one())

    def set_item_state(
        self,
        item_id: str,
        state: ItemState,
        *,
        label_digest: str | None = None,
        holder_level_ref: str | None = None,
        purpose_lapsed: bool | None = None,
    ) -> None:
        values: dict[str, Any] = {"state": state.value}
        if label_digest is not None:
            values["label_digest"] = label_digest
        if holder_level_ref is not None:
            values["holder_level_ref"] = holder_level_ref
        if purpose_lapsed is not None:
            values["purpose_lapsed"] = purpose_lapsed
        self._update_item(item_id, values)

    def _update_item(self, item_id: str, values: dict[str, Any]) -> None:
        if not self.sealer.update("items", item_id, values):
            raise UnknownName(kind="item", name=item_id)

    def reseal_item(self, item_id: str, *, ciphertext: bytes, binding: bytes) -> None:
        self._update_item(item_id, {"ciphertext": ciphertext, "binding": binding})

    def erase_ciphertext(self, item_id: str) -> None:
        self._conn.execute(update(t.items).where(t.items.c.id == item_id).values(ciphertext=b""))

    def add_label(self, label: LabelRecord) -> None:
        self.add_labels([label])

    def add_labels(self, labels: Sequence[LabelRecord]) -> None:
        if labels:
            rows = [self._sealed_tuple("labels", _LABEL_FIELDS(label)) for label in labels]
            self._insert_rows(t.labels, rows, what="label")

    def labels(self, item_id: str) -> list[LabelRecord]:
        rows = self._conn.execute(
            select(t.labels).where(t.labels.c.item_id == item_id).order_by(t.labels.c.revision)
        )
        return [
            LabelRecord(
                digest=r.digest,
                item_id=r.item_id,
                revision=r.revision,
                label=r.label,
                recorded_at=r.recorded_at,
            )
            for r in rows
            if self.sealer.checked("labels", r._mapping)
        ]

    def next_copy_number(self, parent_id: str) -> int:
        q = select(func.max(t.items.c.copy_number)).where(t.items.c.parent_id == parent_id)
        return int(self._conn.execute(q).scalar() or 0) + 1

    # Workflow records --------------------------------------------------------------------

    def put_record(self, record: WorkflowRecord) -> None:
        latest = self._latest_version(record.kind, record.id)
        if record.version != latest + 1:
            raise ConflictError(
                f"{record.kind} {record.id}: version {record.version} is stale (latest is {latest})"
            )
        row = {
            "kind": record.kind,
            "id": record.id,
            "version": record.version,
            "state": record.state,
            "item_id": record.item_id,
            "body": json.dumps(record.body, sort_keys=True, ensure_ascii=False),
            "document": record.document,
            "updated_at": record.updated_at,
        }
        self._insert(t.records, [self._sealed("records", row)], what=f"{record.kind} {record.id}")

    def _latest_version(self, kind: str, record_id: str) -> int:
        q = select(func.max(t.records.c.version)).where(
            t.records.c.kind == kind, t.records.c.id == record_id
        )
        return int(self._conn.execute(q).scalar() or 0)

    def record(self, kind: str, record_id: str) -> WorkflowRecord:
        row = self._conn.execute(st.RECORD, {"kind": kind, "id": record_id}).first()
        if row is None:
            raise UnknownName(kind=kind, name=record_id)
        self.sealer.fresh("records", [self.sealer.checked("records", row._mapping)])
        return _record(row)

    def records(
        self,
        kind: str,
        *,
        item_id: str | None = None,
        state: str | None = None,
        prefix: str | None = None,
    ) -> list[WorkflowRecord]:
        q = st.records_of(of_item=item_id is not None, under=prefix is not None)
        values = {"kind": kind, "item_id": item_id}
        if prefix is not None:
            values["pattern"] = starting(prefix)
        latest: dict[str, Any] = {}
        for row in self._conn.execute(q, values):
            latest[row.id] = row._mapping
        rows = [self.sealer.checked("records", r) for r in latest.values()]
        self.sealer.fresh("records", rows)
        out = [_record_of(r) for r in rows]
        return [r for r in out if state is None or r.state == state]

    # Handling workflows ----------------------------------------------------------------------

    def copies(self, parent_id: str) -> list[ItemRecord]:
        q = _ITEMS.where(t.items.c.parent_id == parent_id).order_by(
            t.items.c.copy_number, t.items.c.id
        )
        return [self._item(r) for r in self._conn.execute(q)]

    def set_item_facility(self, item_id: str, facility_id: str) -> None:
        self._update_item(item_id, {"facility_id": facility_id})

    def remark_item(
        self, item_id: str, *, label_digest: str, level_ref: str, holder_level_ref: str
    ) -> None:
        self._update_item(
            item_id,
            {
                "label_digest": label_digest,
                "level_ref": level_ref,
                "holder_level_ref": holder_level_ref,
            },
        )

    # Authenticated state (gsomia.ports.state) --------------------------------------------------

    def journal(self, *, after: int = 0, limit: int = 1000) -> list[JournalRow]:
        return self.sealer.journal(after, limit)

    def journal_latest(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[JournalRow]:
        return self.sealer.journal_latest(table, after, limit)

    def sealed_rows(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[SealedRow]:
        return self.sealer.sealed_rows(table, after, limit)

    def sealed_row(self, table: str, key: str, version: int = 0) -> SealedRow | None:
        return self.sealer.sealed_row(table, key, version)

    def journal_count(self, table: str) -> int:
        return self.sealer.journal_count(table)

    def count_rows(self, table: str) -> int:
        return self.sealer.count(table)

    def journal_size(self) -> int:
        return self.sealer.last_seq()

    def reseal_rows(
        self,
        table: str,
        *,
        after: tuple[str, int] = ("", -1),
        limit: int = 500,
        trust: bool = False,
    ) -> tuple[str, int] | None:
        return self.sealer.reseal(table, after, limit, trust=trust)

    def _fresh_registrations(self, person_id: str, rows: list[Any]) -> None:
        """The person's registrations are exactly those the journal says stand."""
        prefix = f"{person_id}/"
        newest = self.sealer.newest_under("registrations", prefix)
        self.sealer.fresh("registrations", rows, newest)
        stored = {f"{prefix}{r['facility_id']}" for r in rows}
        for key, write in newest.items():
            if write.seal is not None and key not in stored:
                self.sealer.fail("registrations", key, 0, "was deleted outside the node")

    def _item(self, row: Any) -> ItemRecord:
        """An item from its sealed row, with its current label version's sealed bytes."""
        self.sealer.checked("items", row._mapping)
        if row.label_bytes is None:
            return _item(row, b"")
        label = {
            "item_id": row.id,
            "revision": row.label_revision,
            "digest": row.label_digest,
            "label": bytes(row.label_bytes),
            "recorded_at": row.label_recorded_at,
            "seal": row.label_seal,
        }
        self.sealer.checked("labels", label)
        return _item(row, label["label"])

    def _sealed(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        row["seal"] = self.sealer.seal(table, row)
        return row

    def _sealed_tuple(self, table: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """A row given as a tuple of every column but the seal, with its seal added."""
        names = _TUPLE_COLUMNS[table]
        return (*values, self.sealer.seal(table, dict(zip(names, values, strict=True))))

    # Frame streams ---------------------------------------------------------------------------

    def frame_states(self, role: str) -> list[FrameState]:
        return frames.frame_states(self._conn, role)

    def put_frame_state(self, state: FrameState) -> None:
        frames.put_frame_state(self._conn, state)

    # Idempotency keys ----------------------------------------------------------------------

    def request_key(self, scope: str, key: str) -> RequestKey | None:
        return rk.request_key(self._conn, scope, key)

    def keep_answer(self, key: RequestKey, *, purge_before: datetime) -> None:
        rk.keep_answer(self._conn, key, purge_before=purge_before)

    # Helpers -------------------------------------------------------------------------------

    def _insert(self, table: Any, rows: list[dict[str, Any]], *, what: str) -> None:
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(table), rows)
        except SqlIntegrityError as exc:
            raise ConflictError(f"{what} already exists or conflicts with a stored record") from exc

    def _insert_rows(self, table: Table, rows: list[tuple[Any, ...]], *, what: str) -> None:
        """:meth:`_insert` for rows given as tuples of every column's value, in order,
        through the driver's ``executemany`` (see ``insert_rows``)."""
        try:
            with self._conn.begin_nested():
                insert_rows(self._conn, table, rows)
        except SqlIntegrityError as exc:
            raise ConflictError(f"{what} already exists or conflicts with a stored record") from exc


_TUPLE_COLUMNS = {
    "items": tuple(c.name for c in t.items.columns if c.name != "seal"),
    "labels": tuple(c.name for c in t.labels.columns if c.name != "seal"),
}
_ITEM_FIELDS = attrgetter(*_TUPLE_COLUMNS["items"])
_LABEL_FIELDS = attrgetter(*_TUPLE_COLUMNS["labels"])


def _person_row(p: Person) -> dict[str, Any]:
    c = p.clearance
    return {
        "id": p.id,
        "party": p.party,
        "name": p.name,
        "role": p.role.value,
        "clearance_ref": c.level.ref if c else None,
        "clearance_granted_on": c.granted_on if c else None,
        "clearance_expires_on": c.expires_on if c else None,
        "need_to_know": json.dumps(sorted(p.need_to_know)),
        "rank": p.rank,
        "nationality": p.nationality,
    }


#: Items with their current label version (the one whose digest the row names).
_ITEMS = select(
    t.items,
    t.labels.c.label.label("label_bytes"),
    t.labels.c.revision.label("label_revision"),
    t.labels.c.recorded_at.label("label_recorded_at"),
    t.labels.c.seal.label("label_seal"),
).outerjoin(
    t.labels, and_(t.labels.c.item_id == t.items.c.id, t.labels.c.digest == t.items.c.label_digest)
)


def _item(r: Any, label: bytes) -> ItemRecord:
    review: date | None = r.review_on
    return ItemRecord(
        id=r.id,
        agreement_id=r.agreement_id,
        originator=r.originator,
        holder=r.holder,
        state=ItemState(r.state),
        topic=r.topic,
        purpose=r.purpose,
        level_ref=r.level_ref,
        holder_level_ref=r.holder_level_ref,
        label_digest=r.label_digest,
        provided_at=r.provided_at,
        recorded_at=r.recorded_at,
        review_on=review,
        facility_id=r.facility_id,
        ciphertext=bytes(r.ciphertext),
        binding=bytes(r.binding),
        kind=r.kind,
        parent_id=r.parent_id,
        copy_number=r.copy_number,
        purpose_lapsed=bool(r.purpose_lapsed),
        label=label,
    )


def _record(r: Any) -> WorkflowRecord:
    return _record_of(r._mapping)


def _record_of(r: Any) -> WorkflowRecord:
    return WorkflowRecord(
        kind=r["kind"],
        id=r["id"],
        state=r["state"],
        body=json.loads(r["body"]),
        updated_at=r["updated_at"],
        version=r["version"],
        item_id=r["item_id"],
        document=bytes(r["document"]),
    )
