"""Bulk inserts of row tuples through the driver's ``executemany``, with SQLAlchemy's types.

SQLAlchemy's Core ``insert`` with a list of dictionaries compiles the statement once but
still processes every row in Python: it looks up each column's value, runs its bind
processor and builds a parameter dictionary. For the thousand-row inserts of a transfer that
work costs more than SQLite's. :func:`insert_rows` sends the same statement and the same
values: rows are tuples of every column's value in the table's column order, the column
types' bind processors (UtcDateTime, Date, Boolean, enumerations to text) run column by
column, once per distinct value, and the driver's ``executemany`` gets the rows in one call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, LargeBinary, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError

from gsomia.errors import StorageError

__all__ = ["chunks", "insert_rows"]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _InsertPlan:
    """A table's positional INSERT on one dialect, and ``(column index, bind processor)``
    for each column whose values need converting."""

    sql: str
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]


_PLANS: dict[tuple[str, str, tuple[str, ...] | None], _InsertPlan] = {}
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows(
    conn: Connection,
    table: Table,
    rows: list[tuple[Any, ...]],
    names: tuple[str, ...] | None = None,
) -> None:
    """Insert ``rows`` (tuples of every column of ``table``, in order, or of the columns
    ``names`` when given: the others take their defaults) in ``conn``'s transaction. Binary
    columns take ``bytes`` as they are: both drivers bind them as a BLOB or ``bytea``.
    Raises SQLAlchemy's errors, as ``conn.execute`` does."""
    if not rows:
        return
    plan = _plan(table, conn.dialect, names)
    columns = list(zip(*rows, strict=True))
    try:
        for index, process in plan.processors:
            values = columns[index]
            done = {value: process(value) for value in set(values)}
            columns[index] = tuple(map(done.__getitem__, values))
    except ValueError as exc:  # a value the column type refuses (a naive datetime)
        raise StatementError(str(exc), plan.sql, None, exc) from exc
    conn.exec_driver_sql(plan.sql, list(zip(*columns, strict=True)))


def _plan(table: Table, dialect: Dialect, columns: tuple[str, ...] | None) -> _InsertPlan:
    """The plan for ``columns`` (all, when ``None``) of ``table`` on ``dialect``, made
    once. Raises StorageError for a driver whose parameter style is not positional."""
    plan = _PLANS.get((dialect.name, table.name, columns))
    if plan is not None:
        return plan
    chosen = list(table.columns) if columns is None else [table.c[name] for name in columns]
    mark = _PLACEHOLDERS.get(dialect.paramstyle)
    if mark is None:
        raise StorageError(f"no positional parameters on {dialect.name} ({dialect.paramstyle})")
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in chosen)
    marks = ", ".join([mark] * len(chosen))
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(chosen):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if column.name == "state":
            # Item and message states are StrEnum members; the store keeps their text.
            processors.append((index, str if process is None else process))
        elif process is not None and not isinstance(column.type, LargeBinary):
            processors.append((index, process))
    # The names come from the store's own table metadata, quoted by the dialect.
    target = dialect.identifier_preparer.format_table(table)
    plan = _InsertPlan(
        sql=f"INSERT INTO {target} ({names}) VALUES ({marks})",  # noqa: S608
        processors=tuple(processors),
    )
    _PLANS[(dialect.name, table.name, columns)] = plan
    return plan


def chunks(values: list[str], size: int) -> Iterator[list[str]]:
    """``values`` in lists of at most ``size`` (the bound of one ``IN`` clause)."""
    for i in range(0, len(values), size):
        yield values[i : i + size]
