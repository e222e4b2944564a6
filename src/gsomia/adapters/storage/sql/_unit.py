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
    #: The first insert the store refused in this unit of work: once set, the unit cannot
    #: commit, even if a caller caught the ConflictError (see :meth:`_insert`).
    refused: ConflictError | None = None

    def _sealed(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        row["seal"] = self.sealer.seal(table, row)
        return row

    def _insert(self, table: Any, rows: list[dict[str, Any]], *, what: str) -> None:
        """Insert ``rows``; a duplicate or a broken constraint raises ConflictError and
        leaves the unit of work unable to commit (:attr:`refused`), so that nothing of it
        is stored. No savepoint of its own: an insert refused halfway through its rows is
        undone with the whole unit (two statements fewer per insert)."""
        try:
            self._conn.execute(insert(table), rows)
        except SqlIntegrityError as exc:
            raise self._refuse(what) from exc

    def _insert_rows(self, table: Table, rows: list[tuple[Any, ...]], *, what: str) -> None:
        """:meth:`_insert` for rows given as tuples of every column's value, in order,
        through the driver's ``executemany`` (see ``insert_rows``)."""
        try:
            insert_rows(self._conn, table, rows)
        except SqlIntegrityError as exc:
            raise self._refuse(what) from exc

    def _refuse(self, what: str) -> ConflictError:
        refused = ConflictError(f"{what} already exists or conflicts with a stored record")
        if self.refused is None:
            self.refused = refused
        return refused
