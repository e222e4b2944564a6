"""Item-key records in their own table, so that destroying an item shreds its key.

Implements :class:`gsomia.ports.keys.ItemKeyStore`. A destroyed item keeps a tombstone row
(its id, with the record set to NULL) so the item can never be re-keyed. On SQLite the
connection runs with ``secure_delete = ON``, so the overwritten bytes do not linger in free
pages; on PostgreSQL the caller vacuums the table after the destroying transaction commits
(:func:`vacuum_item_keys`), since dead tuples keep old row versions until then.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, Engine, insert, select, text, update

from gsomia.adapters.storage._sql_rows import insert_rows
from gsomia.adapters.storage.sql import tables as t
from gsomia.crypto import ItemKey
from gsomia.errors import ConflictError, UnknownName

__all__ = ["SqlItemKeyStore", "vacuum_item_keys"]


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
        existing = {
            r.item_id: r.record
            for r in self._conn.execute(select(t.item_keys).where(t.item_keys.c.item_id.in_(ids)))
        }
        fresh = []
        for k in keys:
            if k.item_id in existing:
                if existing[k.item_id] is None or bytes(existing[k.item_id]) != k.to_bytes():
                    raise ConflictError(
                        f"item {k.item_id} already has a different or destroyed key"
                    )
                continue
            fresh.append((k.item_id, k.key_id, k.to_bytes()))
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
