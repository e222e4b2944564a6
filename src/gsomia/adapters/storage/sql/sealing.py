"""The SQL store's sealed rows and state journal (see :mod:`gsomia.ports.state`).

:class:`Sealer` is what one unit of work uses: it seals each row before it is written and
journals the write, checks each row read against its seal (and, for a keyed read, against
the journal's newest write of that row), and at the end of the unit of work writes the
journal rows and the one ledger entry that accounts for them. A row that fails is noted
(:attr:`Sealer.tampered`) and raised as :class:`StateTampered`; the store reports every
noted row once the transaction has ended, even when a caller caught the error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from gsomia.adapters.storage._shared import TamperFindings
from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._rows import chunks, insert_rows
from gsomia.errors import ConfigError, InputError, IntegrityError, StateTampered, StorageError
from gsomia.ports.state import SEALED_TABLES, JournalRow, SealedRow, StateSeals, StateWrite

__all__ = ["COLUMNS", "Sealer", "identity", "sealed_values", "tuple_sealing"]

#: The values each table's seal covers, besides its key and version. An item's ciphertext is
#: left out (its envelope authenticates itself, and erasing it is not a change of state);
#: everything a decision reads is in.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "facilities": ("party", "name", "contractor"),
    "persons": (
        "party",
        "name",
        "role",
        "clearance_ref",
        "clearance_granted_on",
        "clearance_expires_on",
        "need_to_know",
        "rank",
        "nationality",
    ),
    "registrations": (),
    "items": tuple(c.name for c in t.items.columns if c.name not in ("id", "ciphertext", "seal")),
    "labels": ("digest", "label", "recorded_at"),
    "records": ("state", "item_id", "body", "document", "updated_at"),
}

TABLES = {name: getattr(t, name) for name in SEALED_TABLES}
_BOOLEAN = frozenset({"purpose_lapsed"})
_J = t.state_journal.c
#: The journal's columns a write gives (its sequence number is the database's).
_JOURNAL_COLUMNS = ("entry", "tbl", "key", "version", "seal")

#: The journal's writes of chosen keys of one table, and of the keys under a prefix: built
#: once, so a keyed read pays for executing them, not for building them again.
_WRITES_OF = select(_J.key, _J.version, _J.seq, _J.seal).where(
    _J.tbl == bindparam("tbl"), _J.key.in_(bindparam("keys", expanding=True))
)
#: The writes of one key: a keyed read of one row (a token, a person, an item) is the
#: common case, and a list of one still costs an expanding IN's rewrite at every execution.
_WRITES_OF_ONE = select(_J.key, _J.version, _J.seq, _J.seal).where(
    _J.tbl == bindparam("tbl"), _J.key == bindparam("key")
)
_WRITES_UNDER = select(_J.key, _J.version, _J.seq, _J.seal).where(
    _J.tbl == bindparam("tbl"), _J.key.like(bindparam("pattern"), escape="/")
)

#: The writes of one key of one table and of the keys under a prefix of another, in one
#: statement (a person and their registrations: a keyed read of a person).
_WRITES_OF_ONE_AND_UNDER = select(_J.tbl, _J.key, _J.version, _J.seq, _J.seal).where(
    or_(
        and_(_J.tbl == bindparam("tbl"), _J.key == bindparam("key")),
        and_(_J.tbl == bindparam("under_tbl"), _J.key.like(bindparam("pattern"), escape="/")),
    )
)


def starting(prefix: str) -> str:
    """The LIKE pattern (escape character ``/``) of the values that start with ``prefix``."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def identity(table: str, row: Mapping[Any, Any]) -> tuple[str, int]:
    """A row's key and version as state-v1 names them."""
    if table == "registrations":
        return f"{row['person_id']}/{row['facility_id']}", 0
    if table == "labels":
        return str(row["item_id"]), int(row["revision"])
    if table == "records":
        return f"{row['kind']}/{row['id']}", int(row["version"])
    return str(row["id"]), 0


#: The columns that name a row of each table (:func:`identity`); every other table is keyed
#: by ``id`` alone.
_IDENTITY = {
    "registrations": ("person_id", "facility_id"),
    "labels": ("item_id", "revision"),
    "records": ("kind", "id", "version"),
}


def tuple_sealing(
    table: str, names: Sequence[str]
) -> Callable[[Sequence[Any]], tuple[str, int, Sequence[object]]]:
    """For rows of ``table`` given as tuples of the columns ``names``: what
    :func:`identity` and :func:`sealed_values` give for the row, without building a mapping
    per row. (A memoryview is left as it is: state-v1 encodes it as the bytes it views.)"""
    at = {name: i for i, name in enumerate(names)}
    named = [(name, at[name]) for name in _IDENTITY.get(table, ("id",))]
    covered = [at[name] for name in COLUMNS[table]]
    booleans = [j for j, name in enumerate(COLUMNS[table]) if name in _BOOLEAN]
    pick = itemgetter(*covered) if len(covered) > 1 else lambda row: tuple(row[i] for i in covered)

    by_id = named[0][1] if table not in _IDENTITY else None

    def of(row: Sequence[Any]) -> tuple[str, int, Sequence[object]]:
        if by_id is not None:
            key, version = str(row[by_id]), 0
        else:
            key, version = identity(table, {name: row[i] for name, i in named})
        values: Sequence[object] = pick(row)
        if booleans:
            values = list(values)
            for j in booleans:
                values[j] = bool(values[j])
        return key, version, values

    return of


def sealed_values(table: str, row: Mapping[Any, Any]) -> tuple[object, ...]:
    """The values of ``row`` that its seal covers, normalised as read back from the store."""
    out: list[object] = []
    for name in COLUMNS[table]:
        value = row[name]
        if isinstance(value, memoryview):
            value = bytes(value)
        elif name in _BOOLEAN:
            value = bool(value)
        out.append(value)
    return tuple(out)


def _row_filter(table: str, key: str, version: int) -> Any:
    """The WHERE clause that selects the row ``key``/``version`` of ``table``."""
    c = TABLES[table].c
    if table == "registrations":
        person, _, facility = key.partition("/")
        return and_(c.person_id == person, c.facility_id == facility)
    if table == "labels":
        return and_(c.item_id == key, c.revision == version)
    if table == "records":
        kind, _, record_id = key.partition("/")
        return and_(c.kind == kind, c.id == record_id, c.version == version)
    return c.id == key


def _order(table: str) -> list[Any]:
    c = TABLES[table].c
    if table == "registrations":
        return [c.person_id, c.facility_id]
    if table == "labels":
        return [c.item_id, c.revision]
    if table == "records":
        return [c.kind, c.id, c.version]
    return [c.id]


def _after(table: str, after: tuple[str, int]) -> Any:
    """Rows strictly after (key, version) in the walk order of ``table``."""
    key, version = after
    c = TABLES[table].c
    if table == "registrations":
        person, _, facility = key.partition("/")
        return or_(c.person_id > person, and_(c.person_id == person, c.facility_id > facility))
    if table == "labels":
        return or_(c.item_id > key, and_(c.item_id == key, c.revision > version))
    if table == "records":
        kind, _, record_id = key.partition("/")
        return or_(
            c.kind > kind,
            and_(c.kind == kind, c.id > record_id),
            and_(c.kind == kind, c.id == record_id, c.version > version),
        )
    return c.id > key


def _keep_newest(found: dict[str, tuple[int, int, Any]], rows: Iterable[Any]) -> None:
    """Keep in ``found``, for each key, the journal row of the highest (version, seq)."""
    for key, version, seq, seal in rows:
        last = found.get(key)
        if last is None or (last[0], last[1]) < (version, seq):
            found[key] = (version, seq, seal)


def _writes(table: str, found: Mapping[str, tuple[int, int, Any]]) -> dict[str, StateWrite]:
    return {
        key: StateWrite(
            table=table,
            key=key,
            version=version,
            seal=bytes(seal) if seal is not None else None,
        )
        for key, (version, _, seal) in found.items()
    }


@dataclass
class Sealer(TamperFindings):
    """The seals, checks and journal of one unit of work on ``conn``."""

    conn: Connection
    seals: StateSeals | None
    append_entry: Callable[[bytes], int]
    writes: list[StateWrite] = field(default_factory=list)
    pending: dict[tuple[str, str], StateWrite] = field(default_factory=dict)
    tampered: list[StateTampered] = field(default_factory=list)

    def _seals(self) -> StateSeals:
        if self.seals is None:
            raise ConfigError("this store was opened without the node's state key")
        return self.seals

    # Writing ---------------------------------------------------------------------------------

    def seal(self, table: str, row: Mapping[Any, Any]) -> bytes:
        """The seal of ``row`` (a full row of ``table``), journaled as written."""
        key, version = identity(table, row)
        try:
            seal = self._seals().seal(table, key, version, sealed_values(table, row))
        except InputError as exc:
            raise StorageError(f"the store refused {table} row {key}: {exc}") from exc
        self._note(StateWrite(table=table, key=key, version=version, seal=seal))
        return seal

    def seal_many(
        self, table: str, rows: Sequence[tuple[str, int, Sequence[object]]]
    ) -> list[bytes]:
        """The seals of many rows of ``table``, each given as its key, version and sealed
        values (:func:`tuple_sealing`), each journaled as written, in order."""
        try:
            seals = self._seals().seal_many(table, rows)
        except InputError as exc:
            raise StorageError(f"the store refused a {table} row: {exc}") from exc
        for (key, version, _), seal in zip(rows, seals, strict=True):
            self._note(StateWrite(table=table, key=key, version=version, seal=seal))
        return seals

    def deleted(self, table: str, key: str, version: int = 0) -> None:
        """Journal the deletion of a row."""
        self._note(StateWrite(table=table, key=key, version=version, seal=None))

    def _note(self, write: StateWrite) -> None:
        self.writes.append(write)
        self.pending[write.table, write.key] = write

    def flush(self) -> None:
        """Write the journal rows of this unit of work and the ledger entry that accounts
        for them (called once, just before the transaction commits)."""
        if not self.writes:
            return
        entry = self.append_entry(self._seals().account(self.writes))
        rows = [(entry, w.table, w.key, w.version, w.seal) for w in self.writes]
        insert_rows(self.conn, t.state_journal, rows, _JOURNAL_COLUMNS)
        self.writes = []
        self.pending = {}

    def update(self, table: str, key: str, changes: Mapping[Any, Any]) -> bool:
        """Change columns of one row (version 0) after checking it, and seal it again;
        whether the row exists."""
        source = TABLES[table]
        found = self.conn.execute(select(source).where(_row_filter(table, key, 0))).first()
        if found is None:
            return False
        row = dict(self.checked(table, found._mapping))
        row.update(changes)
        row["seal"] = self.seal(table, row)
        self.conn.execute(
            update(source)
            .where(_row_filter(table, key, 0))
            .values(**{k: row[k] for k in (*changes, "seal")})
        )
        return True

    # Reading ---------------------------------------------------------------------------------

    def checked(self, table: str, row: Mapping[Any, Any]) -> Mapping[Any, Any]:
        """``row`` once its seal matches; raises :class:`StateTampered` otherwise."""
        key, version = identity(table, row)
        try:
            self._seals().check(table, key, version, sealed_values(table, row), row["seal"])
        except IntegrityError as exc:
            self.fail(table, key, version, str(exc))
        return row

    def fresh(
        self,
        table: str,
        rows: Sequence[Mapping[Any, Any]],
        newest: Mapping[str, StateWrite] | None = None,
    ) -> None:
        """Each of ``rows`` is the newest write the journal knows of its row (a keyed read:
        a row deleted from the store, or rolled back to an older sealed version, is
        refused); raises :class:`StateTampered`. ``newest``, when given, is what
        :meth:`newest` or :meth:`newest_under` answered in this unit of work for keys that
        include every one of ``rows``."""
        if not rows:
            return
        if newest is None:
            newest = self.newest(table, [identity(table, r)[0] for r in rows])
        for row in rows:
            key, version = identity(table, row)
            last = newest.get(key)
            if last is None or last.version != version or last.seal != row["seal"]:
                self.fail(table, key, version, "is not the newest version the ledger accounts for")

    def newest(self, table: str, keys: Iterable[str]) -> dict[str, StateWrite]:
        """The newest journaled write of each of ``keys`` (this unit of work's included)."""
        wanted = set(keys)
        found: dict[str, tuple[int, int, Any]] = {}
        if len(wanted) == 1:
            (key,) = wanted
            _keep_newest(found, self.conn.execute(_WRITES_OF_ONE, {"tbl": table, "key": key}))
        else:
            for chunk in chunks(sorted(wanted), 500):
                _keep_newest(found, self.conn.execute(_WRITES_OF, {"tbl": table, "keys": chunk}))
        newest = _writes(table, found)
        for (tbl, key), write in self.pending.items():
            if tbl == table and key in wanted:
                newest[key] = write
        return newest

    def newest_under(self, table: str, prefix: str) -> dict[str, StateWrite]:
        """The newest journaled write of each key of ``table`` that starts with ``prefix``
        (this unit of work's included)."""
        found: dict[str, tuple[int, int, Any]] = {}
        _keep_newest(
            found, self.conn.execute(_WRITES_UNDER, {"tbl": table, "pattern": starting(prefix)})
        )
        newest = _writes(table, found)
        for (tbl, key), write in self.pending.items():
            if tbl == table and key.startswith(prefix):
                newest[key] = write
        return newest

    def newest_and_under(
        self, table: str, key: str, under_table: str, prefix: str
    ) -> tuple[dict[str, StateWrite], dict[str, StateWrite]]:
        """:meth:`newest` of ``key`` in ``table`` and :meth:`newest_under` of ``prefix`` in
        ``under_table`` (another table), read in one statement."""
        if under_table == table:
            raise InputError("newest_and_under: two different tables")
        found: dict[str, tuple[int, int, Any]] = {}
        under: dict[str, tuple[int, int, Any]] = {}
        params = {"tbl": table, "key": key, "under_tbl": under_table, "pattern": starting(prefix)}
        rows = self.conn.execute(_WRITES_OF_ONE_AND_UNDER, params).all()
        _keep_newest(found, (r[1:] for r in rows if r[0] == table and r[1] == key))
        _keep_newest(under, (r[1:] for r in rows if r[0] == under_table))
        newest, newest_under = _writes(table, found), _writes(under_table, under)
        for (tbl, pending_key), write in self.pending.items():
            if tbl == table and pending_key == key:
                newest[key] = write
            elif tbl == under_table and pending_key.startswith(prefix):
                newest_under[pending_key] = write
        return newest, newest_under

    # Walking (audits) ------------------------------------------------------------------------

    def sealed_rows(self, table: str, after: tuple[str, int], limit: int) -> list[SealedRow]:
        """The rows of ``table`` after ``after`` in walk order, each with whether its seal
        matches; never raises for a bad seal (an audit reports it)."""
        q = _audited(table).where(_after(table, after)).order_by(*_order(table)).limit(limit)
        return [self._audit(table, r._mapping) for r in self.conn.execute(q)]

    def sealed_row(self, table: str, key: str, version: int) -> SealedRow | None:
        """One row by key and version, as :meth:`sealed_rows` sees it."""
        found = self.conn.execute(_audited(table).where(_row_filter(table, key, version))).first()
        return None if found is None else self._audit(table, found._mapping)

    def _audit(self, table: str, row: Mapping[Any, Any]) -> SealedRow:
        key, version = identity(table, row)
        seal = bytes(row["seal"]) if row["seal"] is not None else None
        try:
            self._seals().check(table, key, version, sealed_values(table, row), seal)
            intact = True
        except IntegrityError:
            intact = False
        return SealedRow(table=table, key=key, version=version, seal=seal, intact=intact)

    def journal_count(self, table: str) -> int:
        """The keys and versions of ``table`` whose newest journaled write is a row."""
        newest = (
            select(func.max(_J.seq).label("seq"))
            .where(_J.tbl == table)
            .group_by(_J.key, _J.version)
            .subquery()
        )
        q = (
            select(func.count())
            .select_from(t.state_journal)
            .join(newest, _J.seq == newest.c.seq)
            .where(_J.seal.is_not(None))
        )
        return int(self.conn.execute(q).scalar_one())

    def journal(self, after: int, limit: int) -> list[JournalRow]:
        """Journal rows after sequence number ``after``, in order."""
        q = select(t.state_journal).where(_J.seq > after).order_by(_J.seq).limit(limit)
        return [_journal_row(r) for r in self.conn.execute(q)]

    def journal_latest(self, table: str, after: tuple[str, int], limit: int) -> list[JournalRow]:
        """The newest journal row of each (key, version) of ``table`` after ``after``, in
        (key, version) order."""
        key, version = after
        newest = (
            select(_J.key, _J.version, func.max(_J.seq).label("seq"))
            .where(
                _J.tbl == table,
                or_(_J.key > key, and_(_J.key == key, _J.version > version)),
            )
            .group_by(_J.key, _J.version)
            .order_by(_J.key, _J.version)
            .limit(limit)
            .subquery()
        )
        q = (
            select(t.state_journal)
            .join(newest, _J.seq == newest.c.seq)
            .order_by(_J.key, _J.version)
        )
        return [_journal_row(r) for r in self.conn.execute(q)]

    def count(self, table: str) -> int:
        return int(self.conn.execute(select(func.count()).select_from(TABLES[table])).scalar_one())

    def last_seq(self) -> int:
        return int(self.conn.execute(select(func.max(_J.seq))).scalar() or 0)

    def reseal(
        self, table: str, after: tuple[str, int], limit: int, *, trust: bool
    ) -> tuple[str, int] | None:
        """Seal again, under the newest state key, the rows of ``table`` after ``after``
        (checking each first, unless ``trust`` for rows stored before they were sealed);
        the last (key, version) done, or ``None`` when there are none left."""
        source = TABLES[table]
        q = select(source).where(_after(table, after)).order_by(*_order(table)).limit(limit)
        last = None
        for r in self.conn.execute(q).all():
            row = r._mapping
            if not (trust and row["seal"] is None):
                self.checked(table, row)
            key, version = identity(table, row)
            seal = self.seal(table, row)
            where = _row_filter(table, key, version)
            self.conn.execute(update(source).where(where).values(seal=seal))
            last = (key, version)
        return last


def _audited(table: str) -> Any:
    """A table's columns but an item's ciphertext (which no seal covers)."""
    source = TABLES[table]
    return select(*(c for c in source.c if c.name != "ciphertext"))


def _journal_row(r: Any) -> JournalRow:
    return JournalRow(
        seq=r.seq,
        entry=r.entry,
        table=r.tbl,
        key=r.key,
        version=r.version,
        seal=bytes(r.seal) if r.seal is not None else None,
    )
