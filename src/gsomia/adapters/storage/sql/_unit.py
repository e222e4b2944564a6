"""What every part of the SQL unit of work shares: its connection, its sealer, the scheme
registry, and sealed inserts that turn a duplicate into a ConflictError. The parts
(:mod:`.registry`, :mod:`.custody`, :mod:`.records`, :mod:`.outbox`, :mod:`.sealed_state`,
:mod:`.frames`, :mod:`.request_keys`) are mixed into
:class:`~gsomia.adapters.storage.sql.store.SqlUnitOfWork`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from gsomia.adapters.storage.sql._rows import insert_rows
from gsomia.adapters.storage.sql.sealing import Sealer
from gsomia.core.classification import SchemeRegistry
from gsomia.errors import ConflictError

__all__ = ["UnitParts"]


class UnitParts:
    """The state and helpers the parts of a unit of work share."""

    _conn: Connection
    _schemes: SchemeRegistry
    sealer: Sealer
    enqueued: bool

    def _sealed(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        row["seal"] = self.sealer.seal(table, row)
        return row

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
