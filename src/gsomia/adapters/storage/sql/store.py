"""The SQL node store: engine set-up, migrations, and the unit of work.

SQLite is opened in WAL mode with ``synchronous = FULL`` (a commit is on disk before it
returns), ``secure_delete = ON`` (a shredded key's bytes are overwritten, not left in free
pages) and ``BEGIN IMMEDIATE`` for every write transaction (one writer at a time, no
lock upgrades half-way). A new database gets 16 KiB pages: an item's row is about 2 KiB,
and on 4 KiB pages every other insert splits a page. Connections are pooled, so that a unit
of work neither runs the pragmas again nor, by closing the last connection, checkpoints the
whole WAL. PostgreSQL uses its defaults (synchronous commit on). The schema is created and
upgraded by Alembic (``migrations/``) when the store opens. Bulk inserts of items and labels
go through the driver's ``executemany`` (:mod:`gsomia.adapters.storage._sql_rows`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.exc import SQLAlchemyError

from gsomia.adapters.storage._sql_rows import insert_rows
from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql.keys import SqlItemKeyStore, vacuum_item_keys
from gsomia.adapters.storage.sql_ledger import SqlLedgerStore
from gsomia.core.classification import SchemeRegistry
from gsomia.core.people import Clearance, Facility, Person, Role
from gsomia.errors import ConfigError, ConflictError, StorageError, UnknownName
from gsomia.ports.store import (
    InboxRecord,
    ItemRecord,
    ItemState,
    LabelRecord,
    OutboxMessage,
    OutboxState,
    WorkflowRecord,
)

__all__ = ["SqlStore", "SqlUnitOfWork", "open_store"]

_logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions on its own; BEGIN is issued below.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    for pragma in (
        "page_size = 16384",
        "cache_size = -8192",
        "journal_mode = WAL",
        "synchronous = FULL",
        "secure_delete = ON",
        "foreign_keys = ON",
        "busy_timeout = 30000",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Readers take no write lock, so a read inside a writer's thread cannot deadlock.
    read_only = conn.get_execution_options().get("gsomia_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=8)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except ImportError as exc:
        raise ConfigError(
            f"no database driver for {parsed.drivername} ({exc.name or exc}): "
            "for PostgreSQL install gsomia[postgres]"
        ) from None


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
        """One write transaction; commits on success, rolls back on any exception."""
        try:
            with self._engine.begin() as conn:
                uow = SqlUnitOfWork(conn, self._schemes, self.dialect, self._ledger)
                yield uow
        except SqlIntegrityError as exc:
            raise ConflictError(
                f"the store refused a duplicate or inconsistent record: {exc.orig}"
            ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"the store failed and rolled back: {exc}") from exc
        if uow.enqueued:
            for callback in self._on_enqueued:
                callback()

    def on_enqueued(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each committed unit of work that queued outgoing
        messages (a delivery pump's wake-up; it must not raise or block)."""
        self._on_enqueued.append(callback)

    @contextmanager
    def read(self) -> Iterator[SqlUnitOfWork]:
        """A read-only view (a transaction that is always rolled back)."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(gsomia_read_only=True)
                yield SqlUnitOfWork(conn, self._schemes, self.dialect, self._ledger)
                conn.rollback()
        except SQLAlchemyError as exc:
            raise StorageError(f"the store failed: {exc}") from exc

    def close(self) -> None:
        self._engine.dispose()

    def purge_destroyed_keys(self) -> None:
        """Make destroyed item keys' bytes unreachable (WAL checkpoint or VACUUM); raises
        StorageError when it cannot (on SQLite, while a reader still holds the old pages)."""
        try:
            if self.dialect == "sqlite":
                # A checkpoint cannot run inside a transaction, and every SQLAlchemy
                # connection here begins one, so it runs on the driver connection.
                raw = self._engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    result = cursor.fetchone()
                    cursor.close()
                finally:
                    raw.close()
                if result is None or result[0]:
                    # A reader's snapshot still needs the old pages: the WAL keeps them.
                    raise StorageError("a reader holds old pages; destroyed keys remain in the WAL")
            else:
                vacuum_item_keys(self._engine)
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StorageError(f"the store could not purge destroyed keys: {exc}") from exc


def open_store(url: str, *, schemes: SchemeRegistry, ledger_origin: str) -> SqlStore:
    """Open (creating or upgrading) the store at ``url`` with its ledger ``ledger_origin``;
    raises StorageError."""
    where = make_url(url).render_as_string(hide_password=True)
    try:
        engine = make_engine(url)
        migrate(engine)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the store at {where}: {exc}") from exc
    store = SqlStore(engine, schemes=schemes, ledger_origin=ledger_origin)
    store.ledger.create_schema()
    return store


class SqlUnitOfWork:
    """Every store operation inside one transaction (see :class:`gsomia.ports.store.UnitOfWork`)."""

    def __init__(
        self, conn: Connection, schemes: SchemeRegistry, dialect: str, ledger: SqlLedgerStore
    ) -> None:
        self._conn = conn
        self._schemes = schemes
        self._ledger = ledger
        self._keys = SqlItemKeyStore(conn, dialect=dialect)
        self.enqueued = False  # whether this unit of work queued outgoing messages

    @property
    def keys(self) -> SqlItemKeyStore:
        return self._keys

    def append_ledger(self, entries: Sequence[bytes], *, keys: Sequence[str | None]) -> int:
        """Sequence ledger entries in this transaction; they commit with the unit of work."""
        return self._ledger.append_batch(entries, keys=keys, conn=self._conn)

    # Registry ----------------------------------------------------------------------------

    def add_facility(self, facility: Facility) -> None:
        self._insert(
            t.facilities,
            [
                {
                    "id": facility.id,
                    "party": facility.party,
                    "name": facility.name,
                    "contractor": facility.contractor,
                }
            ],
            what=f"facility {facility.id}",
        )

    def facility(self, facility_id: str) -> Facility:
        row = self._conn.execute(
            select(t.facilities).where(t.facilities.c.id == facility_id)
        ).first()
        if row is None:
            raise UnknownName(kind="facility", name=facility_id)
        return Facility(id=row.id, party=row.party, name=row.name, contractor=row.contractor)

    def facilities(self) -> list[Facility]:
        rows = self._conn.execute(select(t.facilities).order_by(t.facilities.c.id))
        return [
            Facility(id=r.id, party=r.party, name=r.name, contractor=r.contractor) for r in rows
        ]

    def add_person(self, person: Person) -> None:
        self._insert(t.persons, [_person_row(person)], what=f"person {person.id}")
        self._register(person)

    def replace_person(self, person: Person) -> None:
        self.person(person.id)
        self._conn.execute(
            update(t.persons).where(t.persons.c.id == person.id).values(**_person_row(person))
        )
        self._conn.execute(t.registrations.delete().where(t.registrations.c.person_id == person.id))
        self._register(person)

    def _register(self, person: Person) -> None:
        if person.registered_at:
            self._conn.execute(
                insert(t.registrations),
                [{"facility_id": f, "person_id": person.id} for f in sorted(person.registered_at)],
            )

    def person(self, person_id: str) -> Person:
        row = self._conn.execute(select(t.persons).where(t.persons.c.id == person_id)).first()
        if row is None:
            raise UnknownName(kind="person", name=person_id)
        return self._person(row)

    def persons(self) -> list[Person]:
        rows = self._conn.execute(select(t.persons).order_by(t.persons.c.id)).all()
        return [self._person(r) for r in rows]

    def _person(self, row: Any) -> Person:
        regs = self._conn.execute(
            select(t.registrations.c.facility_id).where(t.registrations.c.person_id == row.id)
        ).scalars()
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
            registered_at=frozenset(regs),
            rank=row.rank,
            nationality=row.nationality,
        )

    # Items and labels ------------------------------------------------------------------

    def add_item(self, item: ItemRecord) -> None:
        self.add_items([item])

    def add_items(self, items: Sequence[ItemRecord]) -> None:
        if items:
            self._insert_rows(t.items, list(map(_ITEM_FIELDS, items)), what="item")

    def item(self, item_id: str) -> ItemRecord:
        row = self._conn.execute(select(t.items).where(t.items.c.id == item_id)).first()
        if row is None:
            raise UnknownName(kind="item", name=item_id)
        return _item(row)

    def has_item(self, item_id: str) -> bool:
        return (
            self._conn.execute(select(t.items.c.id).where(t.items.c.id == item_id)).first()
            is not None
        )

    def existing_items(self, item_ids: Sequence[str]) -> set[str]:
        """Which of ``item_ids`` are stored (one query per 500 ids)."""
        found: set[str] = set()
        for chunk in _chunks(list(item_ids), 500):
            q = select(t.items.c.id).where(t.items.c.id.in_(chunk))
            found.update(self._conn.execute(q).scalars())
        return found

    def items(
        self, *, state: ItemState | None = None, limit: int = 1000, after: str = ""
    ) -> list[ItemRecord]:
        q = select(t.items).where(t.items.c.id > after).order_by(t.items.c.id).limit(limit)
        if state is not None:
            q = q.where(t.items.c.state == state.value)
        return [_item(r) for r in self._conn.execute(q)]

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
        done = self._conn.execute(update(t.items).where(t.items.c.id == item_id).values(**values))
        if done.rowcount != 1:
            raise UnknownName(kind="item", name=item_id)

    def erase_ciphertext(self, item_id: str) -> None:
        self._conn.execute(update(t.items).where(t.items.c.id == item_id).values(ciphertext=b""))

    def add_label(self, label: LabelRecord) -> None:
        self.add_labels([label])

    def add_labels(self, labels: Sequence[LabelRecord]) -> None:
        if labels:
            self._insert_rows(t.labels, list(map(_LABEL_FIELDS, labels)), what="label")

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
        self._insert(
            t.records,
            [
                {
                    "kind": record.kind,
                    "id": record.id,
                    "version": record.version,
                    "state": record.state,
                    "item_id": record.item_id,
                    "body": json.dumps(record.body, sort_keys=True, ensure_ascii=False),
                    "document": record.document,
                    "updated_at": record.updated_at,
                }
            ],
            what=f"{record.kind} {record.id}",
        )

    def _latest_version(self, kind: str, record_id: str) -> int:
        q = select(func.max(t.records.c.version)).where(
            t.records.c.kind == kind, t.records.c.id == record_id
        )
        return int(self._conn.execute(q).scalar() or 0)

    def record(self, kind: str, record_id: str) -> WorkflowRecord:
        q = (
            select(t.records)
            .where(t.records.c.kind == kind, t.records.c.id == record_id)
            .order_by(t.records.c.version.desc())
            .limit(1)
        )
        row = self._conn.execute(q).first()
        if row is None:
            raise UnknownName(kind=kind, name=record_id)
        return _record(row)

    def records(
        self,
        kind: str,
        *,
        item_id: str | None = None,
        state: str | None = None,
        prefix: str | None = None,
    ) -> list[WorkflowRecord]:
        q = (
            select(t.records)
            .where(t.records.c.kind == kind)
            .order_by(t.records.c.id, t.records.c.version)
        )
        if item_id is not None:
            q = q.where(t.records.c.item_id == item_id)
        if prefix is not None:
            q = q.where(t.records.c.id.startswith(prefix, autoescape=True))
        latest: dict[str, WorkflowRecord] = {}
        for row in self._conn.execute(q):
            latest[row.id] = _record(row)
        out = list(latest.values())
        return [r for r in out if state is None or r.state == state]

    # Outbox and inbox ----------------------------------------------------------------------

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
        for chunk in _chunks(list(message_ids), 500):
            self._conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(chunk))
                .values(state=OutboxState.DELIVERED.value)
            )

    def mark_retry(
        self, message_id: str, *, attempts: int, next_attempt_at: datetime, error: str, dead: bool
    ) -> None:
        state = OutboxState.DEAD if dead else OutboxState.PENDING
        self._conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == message_id)
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

    def inbox_reply(self, message_id: str) -> bytes | None:
        row = self._conn.execute(select(t.inbox.c.reply).where(t.inbox.c.id == message_id)).first()
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

    # Handling workflows ----------------------------------------------------------------------

    def copies(self, parent_id: str) -> list[ItemRecord]:
        q = (
            select(t.items)
            .where(t.items.c.parent_id == parent_id)
            .order_by(t.items.c.copy_number, t.items.c.id)
        )
        return [_item(r) for r in self._conn.execute(q)]

    def set_item_facility(self, item_id: str, facility_id: str) -> None:
        done = self._conn.execute(
            update(t.items).where(t.items.c.id == item_id).values(facility_id=facility_id)
        )
        if done.rowcount != 1:
            raise UnknownName(kind="item", name=item_id)

    def remark_item(
        self, item_id: str, *, label_digest: str, level_ref: str, holder_level_ref: str
    ) -> None:
        done = self._conn.execute(
            update(t.items)
            .where(t.items.c.id == item_id)
            .values(
                label_digest=label_digest, level_ref=level_ref, holder_level_ref=holder_level_ref
            )
        )
        if done.rowcount != 1:
            raise UnknownName(kind="item", name=item_id)

    def forget_sent(self, message_ids: Sequence[str]) -> int:
        forgotten = 0
        for chunk in _chunks(list(message_ids), 500):
            done = self._conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id.in_(chunk), t.outbox.c.state == OutboxState.DELIVERED.value)
                .values(body=b"")
            )
            forgotten += done.rowcount
        return forgotten

    def dead_letters(self, *, limit: int = 100) -> list[OutboxMessage]:
        q = (
            select(t.outbox)
            .where(t.outbox.c.state == OutboxState.DEAD.value)
            .order_by(t.outbox.c.seq)
            .limit(limit)
        )
        return [_outbox(r) for r in self._conn.execute(q)]

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


_ITEM_FIELDS = attrgetter(*(c.name for c in t.items.columns))
_LABEL_FIELDS = attrgetter(*(c.name for c in t.labels.columns))


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


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


def _item(r: Any) -> ItemRecord:
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
    )


def _record(r: Any) -> WorkflowRecord:
    return WorkflowRecord(
        kind=r.kind,
        id=r.id,
        state=r.state,
        body=json.loads(r.body),
        updated_at=r.updated_at,
        version=r.version,
        item_id=r.item_id,
        document=bytes(r.document),
    )


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
    )
