"""The statements of the store's keyed reads, built once.

A statement built for each read costs more than running it does on SQLite (SQLAlchemy
coerces every clause and derives the statement's cache key anew): these are built with
bound parameters at import and executed with the values of each read. Each names what it
reads; the checks on what comes back (seals, the journal) stay with the caller.
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, select

from gsomia.adapters.storage.sql import tables as t

__all__ = ["PERSON", "RECORD", "REGISTRATIONS_OF", "records_of"]

#: One person's row, by id.
PERSON = select(t.persons).where(t.persons.c.id == bindparam("id"))

#: A person's registrations, by person id.
REGISTRATIONS_OF = select(t.registrations).where(t.registrations.c.person_id == bindparam("id"))

#: The newest version of one workflow record, by kind and id.
RECORD = (
    select(t.records)
    .where(t.records.c.kind == bindparam("kind"), t.records.c.id == bindparam("id"))
    .order_by(t.records.c.version.desc())
    .limit(1)
)


def _records(*, of_item: bool, under: bool) -> Select[tuple[object, ...]]:
    q = (
        select(t.records)
        .where(t.records.c.kind == bindparam("kind"))
        .order_by(t.records.c.id, t.records.c.version)
    )
    if of_item:
        q = q.where(t.records.c.item_id == bindparam("item_id"))
    if under:
        q = q.where(t.records.c.id.like(bindparam("pattern"), escape="/"))
    return q


_RECORDS = {
    (of_item, under): _records(of_item=of_item, under=under)
    for of_item in (False, True)
    for under in (False, True)
}


def records_of(*, of_item: bool, under: bool) -> Select[tuple[object, ...]]:
    """Every version of the workflow records of one kind (``kind``), in id and version
    order; of one item (``item_id``) and with ids under a LIKE pattern (``pattern``, escape
    character ``/``) when asked."""
    return _RECORDS[of_item, under]
