"""What the memory store holds, and its sealed rows and state journal (see
:mod:`gsomia.ports.state`), kept as the SQL store keeps them: every sealed row carries its
seal, every sealed write is journaled, and a unit of work's journal is accounted for by one
ledger entry.

:class:`Tables` is one version of the store's contents. A unit of work copies a table the
first time it writes to it (:meth:`Tables.writable`), so a committed version is never
changed again and a reader holds one for as long as it reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from gsomia.adapters.storage._shared import TamperFindings
from gsomia.core.people import Facility, Person
from gsomia.crypto import ItemKey
from gsomia.errors import ConfigError, InputError, IntegrityError, StateTampered, StorageError
from gsomia.ports.state import SEALED_TABLES, JournalRow, SealedRow, StateSeals, StateWrite
from gsomia.ports.store import (
    FrameState,
    InboxRecord,
    ItemRecord,
    LabelRecord,
    OutboxMessage,
    RequestKey,
    WorkflowRecord,
)

__all__ = ["Row", "Sealer", "Tables", "sealed_values", "utc"]

#: A sealed row's key and version, as state-v1 names them.
RowId = tuple[str, int]


def utc(value: datetime, *, what: str) -> datetime:
    """``value`` in UTC; a naive time is refused as the SQL store refuses it."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StorageError(f"{what}: a naive datetime cannot be stored; give an aware time")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Row:
    """One stored row of a sealed table: its value and its seal."""

    value: Any
    seal: bytes | None


def _person_values(p: Person) -> tuple[object, ...]:
    c = p.clearance
    return (
        p.party,
        p.name,
        p.role.value,
        c.level.ref if c else None,
        c.granted_on if c else None,
        c.expires_on if c else None,
        json.dumps(sorted(p.need_to_know)),
        p.rank,
        p.nationality,
    )


_ITEM_SEALED = tuple(
    f.name for f in fields(ItemRecord) if f.name not in ("id", "ciphertext", "label")
)


def _item_values(r: ItemRecord) -> tuple[object, ...]:
    out: list[object] = []
    for name in _ITEM_SEALED:
        value = getattr(r, name)
        out.append(value.value if name == "state" else value)
    return tuple(out)


def sealed_values(table: str, value: Any) -> tuple[object, ...]:
    """The values of a row that its seal covers (an item's ciphertext is left out, as the
    SQL store leaves it out: its envelope authenticates itself)."""
    if table == "facilities":
        f: Facility = value
        return (f.party, f.name, f.contractor)
    if table == "persons":
        return _person_values(value)
    if table == "registrations":
        return ()
    if table == "items":
        return _item_values(value)
    if table == "labels":
        label: LabelRecord = value
        return (label.digest, label.label, label.recorded_at)
    record: WorkflowRecord = value
    body = json.dumps(record.body, sort_keys=True, ensure_ascii=False)
    return (record.state, record.item_id, body, record.document, record.updated_at)


@dataclass
class Tables:
    """One version of everything the memory store holds."""

    rows: dict[str, dict[RowId, Row]] = field(
        default_factory=lambda: {name: {} for name in SEALED_TABLES}
    )
    #: The label revisions of each item, and the newest version of each workflow record.
    revisions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    record_versions: dict[str, int] = field(default_factory=dict)
    item_keys: dict[str, ItemKey | None] = field(default_factory=dict)
    key_uses: dict[bytes, int] = field(default_factory=dict)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)
    outbox_seq: int = 0
    inbox: dict[tuple[str, str], InboxRecord] = field(default_factory=dict)
    frames: dict[tuple[str, str], FrameState] = field(default_factory=dict)
    request_keys: dict[tuple[str, str], RequestKey] = field(default_factory=dict)
    #: The newest journaled write of each (table, key), and of each (table, key, version).
    newest: dict[tuple[str, str], StateWrite] = field(default_factory=dict)
    latest: dict[tuple[str, str, int], JournalRow] = field(default_factory=dict)
    #: How many journal rows this version holds (the journal itself only grows).
    journal_size: int = 0
    _copied: set[str] = field(default_factory=set, repr=False)

    def next_version(self) -> Tables:
        """A version to write to; its tables are copied when first written."""
        return replace(self, rows=dict(self.rows), _copied=set())

    def writable(self, name: str) -> Any:
        """The table ``name`` (an attribute, or a sealed table), copied once per version."""
        if name in SEALED_TABLES:
            if name not in self._copied:
                self.rows[name] = dict(self.rows[name])
                self._copied.add(name)
            return self.rows[name]
        if name not in self._copied:
            setattr(self, name, dict(getattr(self, name)))
            self._copied.add(name)
        return getattr(self, name)


def _order(table: str, row_id: RowId) -> tuple[Any, ...]:
    key, version = row_id
    if table == "registrations":
        return (*key.partition("/")[::2], version)
    if table == "records":
        kind, _, record_id = key.partition("/")
        return (kind, record_id, version)
    return row_id


@dataclass
class Sealer(TamperFindings):
    """The seals, checks and journal of one unit of work (or read) on ``tables``."""

    tables: Tables
    seals: StateSeals | None
    journal: list[JournalRow]
    writes: list[StateWrite] = field(default_factory=list)
    tampered: list[StateTampered] = field(default_factory=list)

    def _seals(self) -> StateSeals:
        if self.seals is None:
            raise ConfigError("this store was opened without the node's state key")
        return self.seals

    # Writing -------------------------------------------------------------------------------

    def put(self, table: str, row_id: RowId, value: Any) -> None:
        """Seal ``value`` and store it as row ``row_id`` of ``table``, journaled."""
        key, version = row_id
        try:
            seal = self._seals().seal(table, key, version, sealed_values(table, value))
        except InputError as exc:
            raise StorageError(f"the store refused {table} row {key}: {exc}") from exc
        self.tables.writable(table)[row_id] = Row(value=value, seal=seal)
        self.writes.append(StateWrite(table=table, key=key, version=version, seal=seal))

    def delete(self, table: str, row_id: RowId) -> None:
        """Remove a row, journaling the deletion."""
        self.tables.writable(table).pop(row_id, None)
        key, version = row_id
        self.writes.append(StateWrite(table=table, key=key, version=version, seal=None))

    def pending(self) -> dict[tuple[str, str], StateWrite]:
        return {(w.table, w.key): w for w in self.writes}

    def flush(self, append_entry: Any) -> None:
        """Journal this unit of work's writes and append the ledger entry that accounts for
        them (called once, as the unit of work commits)."""
        if not self.writes:
            return
        entry = append_entry(self._seals().account(self.writes))
        newest = self.tables.writable("newest")
        latest = self.tables.writable("latest")
        seq = self.tables.journal_size
        for w in self.writes:
            seq += 1
            row = JournalRow(
                seq=seq, entry=entry, table=w.table, key=w.key, version=w.version, seal=w.seal
            )
            self.journal.append(row)
            last = newest.get((w.table, w.key))
            if last is None or last.version <= w.version:
                newest[w.table, w.key] = w
            latest[w.table, w.key, w.version] = row
        self.tables.journal_size = seq
        self.writes = []

    # Reading -------------------------------------------------------------------------------

    def checked(self, table: str, row_id: RowId, *, fresh: bool = False) -> Any:
        """The value of row ``row_id`` once its seal matches (and, for a keyed read, once it
        is the newest write the journal knows of it); raises StateTampered otherwise."""
        row = self.tables.rows[table][row_id]
        key, version = row_id
        try:
            self._seals().check(table, key, version, sealed_values(table, row.value), row.seal)
        except IntegrityError as exc:
            self.fail(table, key, version, str(exc))
        if fresh:
            last = self.pending().get((table, key)) or self.tables.newest.get((table, key))
            if last is None or last.version != version or last.seal != row.seal:
                self.fail(table, key, version, "is not the newest version the ledger accounts for")
        return row.value

    # Walking (audits) ----------------------------------------------------------------------

    def walk(self, table: str, after: RowId) -> Iterator[RowId]:
        """The row ids of ``table`` after ``after``, in walk order."""
        start = _order(table, after)
        ordered = sorted(self.tables.rows[table], key=lambda r: _order(table, r))
        return (r for r in ordered if _order(table, r) > start)

    def audit(self, table: str, row_id: RowId) -> SealedRow:
        row = self.tables.rows[table][row_id]
        key, version = row_id
        try:
            self._seals().check(table, key, version, sealed_values(table, row.value), row.seal)
            intact = True
        except IntegrityError:
            intact = False
        return SealedRow(table=table, key=key, version=version, seal=row.seal, intact=intact)

    def journal_rows(self, after: int, limit: int) -> list[JournalRow]:
        return self.journal[after : min(after + limit, self.tables.journal_size)]

    def journal_latest(self, table: str, after: RowId, limit: int) -> list[JournalRow]:
        found = sorted(
            (row for (tbl, key, version), row in self.tables.latest.items() if tbl == table),
            key=lambda r: (r.key, r.version),
        )
        return [r for r in found if (r.key, r.version) > after][:limit]

    def journal_count(self, table: str) -> int:
        return sum(
            1
            for (tbl, _, _), row in self.tables.latest.items()
            if tbl == table and row.seal is not None
        )

    def reseal(
        self, table: str, after: RowId, limit: int, *, trust: bool
    ) -> tuple[str, int] | None:
        last = None
        for row_id in list(self.walk(table, after))[:limit]:
            row = self.tables.rows[table][row_id]
            if not (trust and row.seal is None):
                self.checked(table, row_id)
            self.put(table, row_id, row.value)
            last = row_id
        return last
