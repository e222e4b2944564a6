"""Item-key records in their own table, so that destroying an item shreds its key.

Implements :class:`gsomia.ports.keys.ItemKeyStore`. A destroyed item keeps a tombstone row
(its id, with the record set to NULL) so the item can never be re-keyed. On SQLite the
connection runs with ``secure_delete = ON``, so the overwritten bytes do not linger in free
pages; on PostgreSQL the caller vacuums the table after the destroying transaction commits
(:func:`vacuum_item_keys`), since dead tuples keep old row versions until then. Neither
reaches the WAL files, archives or replicas a database leaves behind: what makes a record
kept there unreadable is retiring the at-rest key it was wrapped under (``gsomia keys
rotate --kind at-rest``), after which no keyring opens it.

Every record written counts against its at-rest key's nonce budget (``key_uses``): past
:data:`AT_REST_BUDGET` wraps under one key the store refuses, so a node must rotate first.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._rows import insert_rows
from gsomia.crypto import AT_REST_BUDGET, ItemKey
from gsomia.errors import ConflictError, StorageError, UnknownName

__all__ = ["SqlItemKeyStore", "purge_destroyed", "vacuum_item_keys"]

#: Pauses before each attempt to purge destroyed keys (seconds).
_PURGE_PAUSES = (0.0, 0.05, 0.1, 0.2, 0.4)


#: The stored records of some items: built once, so a transfer's thousand keys pay for
#: executing it, not for compiling a thousand bound values again.
_KEYS_OF = select(t.item_keys.c.item_id, t.item_keys.c.record).where(
    t.item_keys.c.item_id.in_(bindparam("ids", expanding=True))
)


def budget() -> int:
    """The nonce budget of one at-rest key (a function, so a test can lower it)."""
    return AT_REST_BUDGET


class SqlItemKeyStore:
    """Item keys inside the caller's transaction (durable when that transaction commits)."""

    def __init__(self, conn: Connection, *, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    def put(self, key: ItemKey) -> None:
        self.put_many([key])

    def put_many(self, keys: list[ItemKey]) -> None:
        """Store the records of many newly kept items (one statement)."""
        if not keys:
            return
        ids = [k.item_id for k in keys]
        existing = {r.item_id: r.record for r in self._conn.execute(_KEYS_OF, {"ids": ids})}
        fresh = []
        for k in keys:
            record = k.to_bytes()
            if k.item_id in existing:
                if existing[k.item_id] is None or bytes(existing[k.item_id]) != record:
                    raise ConflictError(
                        f"item {k.item_id} already has a different or destroyed key"
                    )
                continue
            fresh.append((k.item_id, k.key_id, record))
        self._use([k.key_id for k in keys if k.item_id not in existing])
        insert_rows(self._conn, t.item_keys, fresh)

    def get(self, item_id: str) -> ItemKey:
        row = self._conn.execute(
            select(t.item_keys.c.record).where(t.item_keys.c.item_id == item_id)
        ).first()
        if row is None or row.record is None:
            raise UnknownName(kind="item key", name=item_id)
        return ItemKey.from_bytes(item_id=item_id, data=bytes(row.record))

    def replace(self, key: ItemKey) -> None:
        old = self.get(key.item_id)
        if old.label_digest != key.label_digest:
            raise ConflictError(f"item {key.item_id}: a re-wrap must keep the label binding")
        self._write(key)

    def reseal(self, key: ItemKey) -> None:
        """Swap a stored record for one of the same item under a new label version (the
        item sealed again at rest, envelope-v2); UnknownName for an unknown or destroyed
        item."""
        self.get(key.item_id)
        self._write(key)

    def uses(self, key_id: bytes) -> int:
        """How many data keys at-rest key ``key_id`` has wrapped here."""
        q = select(t.key_uses.c.count).where(t.key_uses.c.key_id == key_id)
        return int(self._conn.execute(q).scalar() or 0)

    def _use(self, key_ids: list[bytes]) -> None:
        """Count new wraps against their keys; ConflictError past a key's budget."""
        for key_id in set(key_ids):
            added = key_ids.count(key_id)
            used = self.uses(key_id)
            if used + added > budget():
                raise ConflictError(
                    f"at-rest key {key_id.hex()} has wrapped {used} data keys, its budget; "
                    "rotate it (gsomia keys rotate --kind at-rest)"
                )
            if used:
                self._conn.execute(
                    update(t.key_uses)
                    .where(t.key_uses.c.key_id == key_id)
                    .values(count=t.key_uses.c.count + added)
                )
            else:
                self._conn.execute(insert(t.key_uses), [{"key_id": key_id, "count": added}])

    def _write(self, key: ItemKey) -> None:
        self._use([key.key_id])
        self._conn.execute(
            update(t.item_keys)
            .where(t.item_keys.c.item_id == key.item_id)
            .values(key_id=key.key_id, record=key.to_bytes())
        )

    def destroy(self, item_id: str) -> None:
        row = self._conn.execute(
            select(t.item_keys.c.item_id).where(t.item_keys.c.item_id == item_id)
        ).first()
        if row is None:
            self._conn.execute(
                insert(t.item_keys), [{"item_id": item_id, "key_id": b"", "record": None}]
            )
            return
        self._conn.execute(
            update(t.item_keys)
            .where(t.item_keys.c.item_id == item_id)
            .values(record=None, key_id=b"")
        )

    def count_under_key(self, key_id: bytes) -> int:
        """How many live records use at-rest key ``key_id``."""
        q = select(func.count()).select_from(t.item_keys)
        q = q.where(t.item_keys.c.key_id == key_id, t.item_keys.c.record.is_not(None))
        return int(self._conn.execute(q).scalar_one())

    def under_key(self, key_id: bytes) -> Iterator[str]:
        q = select(t.item_keys.c.item_id).where(
            t.item_keys.c.key_id == key_id, t.item_keys.c.record.is_not(None)
        )
        yield from self._conn.execute(q).scalars()


def vacuum_item_keys(engine: Engine) -> None:
    """Make deleted key bytes unreachable: a WAL checkpoint on SQLite, VACUUM on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM item_keys"))


def purge_destroyed(engine: Engine) -> None:
    """Make destroyed item keys' bytes unreachable, trying a few times over about a second;
    raises :class:`StorageError` when it still cannot (on SQLite, while a reader holds the
    old pages)."""
    error: StorageError | None = None
    for pause in _PURGE_PAUSES:
        time.sleep(pause)
        try:
            _purge_once(engine)
        except StorageError as exc:
            error = exc
            continue
        return
    assert error is not None
    raise error


def _purge_once(engine: Engine) -> None:
    try:
        if engine.dialect.name != "sqlite":
            vacuum_item_keys(engine)
            return
        # A checkpoint cannot run inside a transaction, and every SQLAlchemy connection here
        # begins one, so it runs on the driver connection. A reader's snapshot does not end
        # by waiting: it tries briefly and lets the caller retry (the connection's usual busy
        # timeout is restored after).
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA busy_timeout = 100")
            try:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                result = cursor.fetchone()
            finally:
                cursor.execute("PRAGMA busy_timeout = 30000")
                cursor.close()
        finally:
            raw.close()
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StorageError(f"the store could not purge destroyed keys: {exc}") from exc
    if result is None or result[0]:
        # A reader's snapshot still needs the old pages: the WAL keeps them.
        raise StorageError("a reader holds old pages; destroyed keys remain in the WAL")
