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

The unit of work is made of one part per concern of the store port: :mod:`.registry`,
:mod:`.custody`, :mod:`.records`, :mod:`.outbox` (with the inbox), :mod:`.sealed_state`,
:mod:`.frames` and :mod:`.request_keys`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.exc import SQLAlchemyError

from gsomia.adapters.storage._shared import report_tampered
from gsomia.adapters.storage.sql import request_keys as rk
from gsomia.adapters.storage.sql.custody import CustodyMethods
from gsomia.adapters.storage.sql.engine import (
    SQLITE_CACHE_KIB,
    SQLITE_HEAP_BYTES,
    SQLITE_POOL,
    make_engine,
)
from gsomia.adapters.storage.sql.frames import FrameMethods
from gsomia.adapters.storage.sql.group_commit import GroupCommit
from gsomia.adapters.storage.sql.keys import SqlItemKeyStore, purge_destroyed
from gsomia.adapters.storage.sql.ledger import SqlLedgerStore
from gsomia.adapters.storage.sql.outbox import OutboxMethods
from gsomia.adapters.storage.sql.records import RecordsMethods
from gsomia.adapters.storage.sql.registry import RegistryMethods
from gsomia.adapters.storage.sql.request_keys import RequestKeyMethods
from gsomia.adapters.storage.sql.sealed_state import SealedStateMethods
from gsomia.adapters.storage.sql.sealing import Sealer
from gsomia.core.classification import SchemeRegistry
from gsomia.errors import ConflictError, StateTampered, StorageError
from gsomia.ports.state import StateSeals
from gsomia.ports.store import RequestKey

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
        report_tampered(self._seals, None if uow is None else uow.sealer, logger=_logger)

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
                if uow.refused is not None:  # caught inside the block: still nothing stored
                    raise uow.refused
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


class SqlUnitOfWork(
    RegistryMethods,
    CustodyMethods,
    RecordsMethods,
    OutboxMethods,
    SealedStateMethods,
    FrameMethods,
    RequestKeyMethods,
):
    """Every store operation inside one transaction (see :class:`gsomia.ports.store.UnitOfWork`),
    one part per concern: the registry, custody, workflow records, the outbox and inbox,
    the authenticated state, frame streams and idempotency keys."""

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
