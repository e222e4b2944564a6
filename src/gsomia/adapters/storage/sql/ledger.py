"""The ledger store on SQLAlchemy Core 2: SQLite today, PostgreSQL with the same code.

Layout (table names carry ``prefix``, ``ledger_`` by default; rows carry the log's
``origin``, so one database may hold several logs; see :func:`ledger_tables`):

* ``logs``: one row per log: sequenced size, integrated size, compact range;
* ``runs``: consecutive entries and their leaf hashes, up to 256 per row and never across a
  multiple of 256, so that a run is part of one tlog-tiles bundle and level-0 tile;
* ``tiles``: the hashes of the strata of height 8, 16, ... in runs of the same shape;
* ``keys``: the search keys given at append (an item id), one row per keyed entry;
* ``checkpoints`` and ``cosignatures``: the signed notes, cosignature lines beside them;
* ``witnessed``, ``witness_log`` and ``alarms``: this node as a witness of its partners.

Rows are only ever inserted: an append writes one run per bundle it touches, so a batch of
1,000 entries is about five rows, whatever the size of the log, and nothing already stored
is rewritten. Proofs read tiles (a level-0 tile is the runs of one bundle) through an LRU.

**One sequencer.** Appends and integration lock the log first: ``pg_advisory_xact_lock`` on
PostgreSQL; on SQLite the database write lock, taken at ``BEGIN IMMEDIATE`` by engines from
:func:`sqlite_engine`, or by a first write inside a caller's transaction.

**Durability.** :func:`sqlite_engine` opens SQLite in WAL mode with ``synchronous=FULL``: a
commit is on disk before ``append_batch`` returns. ``synchronous="NORMAL"`` is faster: a
commit then survives a crash of the process at once, and a power failure once the WAL is
synced, which the :class:`WalCheckpointer` of :meth:`SqlLedgerStore.open_sqlite` does every
16 commits or every second. :meth:`SqlLedgerStore.add_checkpoint` always commits with a full
sync, and because the WAL is written in order, that sync makes every entry the checkpoint
covers durable too: nothing is ever published (signed) that a power failure could take back.

**The node's unit of work.** ``append_batch`` and ``integrate`` accept ``conn=``, a
SQLAlchemy ``Connection`` inside the caller's transaction: the entries then commit or roll
back with the caller's other writes, and are durable when the caller commits (the method
returns before that). The log stays locked until the caller's transaction ends.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from gsomia.adapters.storage._shared import ProofReads
from gsomia.adapters.storage.sql._rows import insert_rows
from gsomia.adapters.storage.sql.ledger_tables import (
    WalCheckpointer,
    leaf_hashes_of,
    ledger_tables,
    run_rows,
    sqlite_engine,
    time_text,
    utc_time,
)
from gsomia.errors import ConflictError, InputError, IntegrityError, StorageError, UnknownName
from gsomia.ledger.checkpoint import SignedNote
from gsomia.ledger.merkle import HASH_SIZE
from gsomia.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    CompactRange,
    TileProofs,
    decode_bundle,
    integrate,
    tile_chunks,
)
from gsomia.ports.ledger import AlarmRecord, CheckpointRecord, WitnessRecord

__all__ = ["SqlLedgerStore", "ledger_tables", "sqlite_engine"]

_logger = logging.getLogger(__name__)
_sha256 = hashlib.sha256


class SqlLedgerStore(ProofReads):
    """:class:`~gsomia.ports.ledger.LedgerStore` on SQLAlchemy (SQLite or PostgreSQL).

    ``synchronous`` tells the store how a SQLite engine was opened (see
    :func:`sqlite_engine`), so that checkpoints are synced fully when it is ``NORMAL``."""

    def __init__(
        self,
        engine: Engine,
        *,
        origin: str,
        prefix: str = "ledger_",
        tile_cache: int = 1024,
        synchronous: str = "FULL",
    ) -> None:
        self._engine = engine
        self._origin = origin
        self._prefix = prefix
        self._metadata = MetaData()
        self._t = ledger_tables(self._metadata, prefix)
        self._postgres = engine.dialect.name == "postgresql"
        self._sync_normal = synchronous == "NORMAL" and engine.dialect.name == "sqlite"
        digest = _sha256(f"{prefix}{origin}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big") - (1 << 63)
        self._integrated_seen = 0
        self._proofs = TileProofs(self._fetch_tile, cache_tiles=tile_cache)
        self._checkpointer: WalCheckpointer | None = None
        logs = self._t.logs
        mine = logs.c.origin == origin
        self._q_add_runs = insert(self._t.runs)
        self._q_grow = (
            update(logs)
            .where(mine)
            .values(size=logs.c.size + bindparam("n"))
            .returning(logs.c.size)
        )

    @classmethod
    def open_sqlite(
        cls,
        path: str | Path,
        *,
        origin: str,
        synchronous: str = "FULL",
        tile_cache: int = 1024,
        background_checkpoint: bool = True,
    ) -> SqlLedgerStore:
        """A store on the SQLite file ``path``, its schema created if missing.

        With ``background_checkpoint`` a :class:`WalCheckpointer` thread copies the WAL into
        the database (SQLite's own checkpoint stays as a backstop at 40 MB of WAL); call
        :meth:`close` to stop it.
        """
        pages = 10_000 if background_checkpoint else 1000
        store = cls(
            sqlite_engine(path, synchronous=synchronous, autocheckpoint=pages),
            origin=origin,
            tile_cache=tile_cache,
            synchronous=synchronous,
        )
        store.create_schema()
        if background_checkpoint:
            store._checkpointer = WalCheckpointer(path)
        return store

    @staticmethod
    def origins(engine: Engine, *, prefix: str = "ledger_") -> list[str]:
        """The origins of the logs stored in ``engine``'s database (none if no schema)."""
        tables = ledger_tables(MetaData(), prefix)
        try:
            with engine.connect() as conn:
                conn.execution_options(gsomia_read_only=True)
                return list(conn.scalars(select(tables.logs.c.origin).order_by("origin")))
        except SQLAlchemyError:
            return []

    @property
    def origin(self) -> str:
        """The log's origin."""
        return self._origin

    @property
    def engine(self) -> Engine:
        """The engine, for the node's unit of work."""
        return self._engine

    @property
    def prefix(self) -> str:
        """The prefix of the ledger's table names."""
        return self._prefix

    def create_schema(self) -> None:
        """Create the tables if missing (a node's migrations make them in its database)."""
        with self._write(None) as conn:
            self._metadata.create_all(conn)
        self.create_log()

    def create_log(self) -> None:
        """Add this log's row to the ledger tables, unless it is there already."""
        with self._write(None) as conn:
            if conn.scalar(select(self._t.logs.c.size).where(self._where(self._t.logs))) is None:
                row = {"origin": self._origin, "size": 0, "integrated": 0, "compact": b""}
                conn.execute(insert(self._t.logs), row)

    def drop_schema(self) -> None:
        """Drop every ledger table of this prefix (for tests)."""
        with self._write(None) as conn:
            self._metadata.drop_all(conn)

    def close(self) -> None:
        """Stop the WAL checkpointer, if any, and release the engine's connections."""
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        self._engine.dispose()

    # Transactions.

    @contextmanager
    def _write(self, conn: Connection | None) -> Iterator[Connection]:
        try:
            if conn is not None:
                yield conn
                return
            with self._engine.begin() as own:
                yield own
        except SQLAlchemyError as exc:
            raise StorageError(f"ledger {self._origin}: the database failed") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                conn.execution_options(gsomia_read_only=True)
                yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"ledger {self._origin}: the database failed") from exc

    def _where(self, table: Table) -> Any:
        return table.c.origin == self._origin

    def _lock(self, conn: Connection, *, callers: bool) -> None:
        logs = self._t.logs
        if self._postgres:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(k)s)", {"k": self._lock_key})
        elif callers:
            # In a caller's deferred transaction, a first write takes SQLite's write lock
            # before anything is read, so the state read below cannot go stale.
            conn.execute(update(logs).where(self._where(logs)).values(size=logs.c.size))

    def _state(self, conn: Connection) -> tuple[int, CompactRange]:
        logs = self._t.logs
        row = conn.execute(
            select(logs.c.size, logs.c.integrated, logs.c.compact).where(self._where(logs))
        ).one_or_none()
        if row is None:
            raise StorageError(f"ledger {self._origin} has no schema; call create_schema()")
        return int(row.size), CompactRange.from_bytes(size=int(row.integrated), data=row.compact)

    # Appending and integrating.

    def append_batch(
        self,
        entries: Sequence[bytes],
        *,
        keys: Sequence[str | None] | None = None,
        expect_size: int | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Sequence ``entries`` in one transaction; see :class:`~gsomia.ports.ledger.LogStore`.

        With ``conn``, the entries join the caller's transaction and commit with it.
        """
        if keys is not None and len(keys) != len(entries):
            raise InputError("append_batch: one key (or None) per entry")
        hashes = leaf_hashes_of(entries)
        with self._write(conn) as c:
            if self._postgres:
                self._lock(c, callers=True)
            if expect_size is not None:
                # Checked before anything is written, so that a caller who catches the
                # conflict cannot commit half an append.
                self._lock(c, callers=conn is not None)
                size = self._state(c)[0]
                if expect_size != size:
                    raise ConflictError(f"log {self._origin} has {size} entries, not {expect_size}")
            # Growing the size first takes the write lock (the sequencer) and reserves the
            # indices in one statement; the rest of the transaction fills them.
            end = c.execute(self._q_grow, {"n": len(entries)}).scalar_one_or_none()
            if end is None:
                raise StorageError(f"ledger {self._origin} has no schema; call create_schema()")
            first = int(end) - len(entries)
            if not entries:
                return first
            rows = run_rows(first, entries, hashes)
            for row in rows:
                row["origin"] = self._origin
            c.execute(self._q_add_runs, rows)
            keyed = [
                (self._origin, key, first + i)
                for i, key in enumerate(keys or ())
                if key is not None
            ]
            insert_rows(c, self._t.keys, keyed)
        if self._checkpointer is not None:
            self._checkpointer.poke()
        return first

    def integrate(self, *, conn: Connection | None = None) -> int:
        """Fold sequenced entries into the tree tiles; the new integrated size."""
        with self._write(conn) as c:
            self._lock(c, callers=conn is not None)
            size, compact = self._state(c)
            if compact.size < size:
                result = integrate(compact, self._hashes(c, compact.size, size))
                rows = []
                for level, hashes in enumerate(result.strata[1:], start=1):
                    first = compact.size >> (TILE_HEIGHT * level)
                    for tile, offset, chunk in tile_chunks(first, hashes):
                        start = tile * TILE_WIDTH + offset
                        data = b"".join(chunk)
                        rows.append(
                            {"origin": self._origin, "level": level, "start": start, "data": data}
                        )
                if rows:
                    c.execute(insert(self._t.tiles), rows)
                logs = self._t.logs
                c.execute(
                    update(logs)
                    .where(self._where(logs))
                    .values(integrated=result.compact.size, compact=result.compact.to_bytes())
                )
                compact = result.compact
        self._integrated_seen = max(self._integrated_seen, compact.size)
        return compact.size

    # Reading.

    def size(self) -> int:
        """Entries sequenced."""
        with self._read() as conn:
            return self._state(conn)[0]

    def integrated_size(self) -> int:
        """Entries covered by the stored tree."""
        with self._read() as conn:
            size = self._state(conn)[1].size
        self._integrated_seen = max(self._integrated_seen, size)
        return size

    def _run_rows(
        self, conn: Connection, column: str, start: int, end: int
    ) -> list[tuple[int, int, bytes]]:
        """``(start, count, blob)`` of the runs covering ``[start, end)``, checked contiguous."""
        runs = self._t.runs
        lo = start - start % TILE_WIDTH
        query = (
            select(runs.c.start, runs.c.count, runs.c[column])
            .where(self._where(runs) & runs.c.start.between(lo, max(end - 1, lo)))
            .order_by(runs.c.start)
        )
        out = []
        expected = lo
        for first, count, blob in conn.execute(query):
            if first >= end:
                break
            if first != expected:
                raise IntegrityError(f"ledger runs are not contiguous at entry {expected}")
            out.append((int(first), int(count), bytes(blob)))
            expected = int(first) + int(count)
        if expected < end:
            raise IntegrityError(f"ledger runs stop at entry {expected}, before {end}")
        return out

    def _hashes(self, conn: Connection, start: int, end: int) -> list[bytes]:
        out: list[bytes] = []
        for first, count, blob in self._run_rows(conn, "hashes", start, end):
            if len(blob) != count * HASH_SIZE:
                raise IntegrityError(f"leaf hashes of the run at {first} do not match its count")
            lo, hi = max(start - first, 0), min(end - first, count)
            out.extend(
                blob[i : i + HASH_SIZE] for i in range(lo * HASH_SIZE, hi * HASH_SIZE, HASH_SIZE)
            )
        return out

    def _check_range(self, conn: Connection, start: int, end: int) -> None:
        size = self._state(conn)[0]
        if not 0 <= start <= end <= size:
            raise IndexError(f"range [{start}, {end}) is outside the {size} entries stored")

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``[start, end)``."""
        return list(self.iter_entries(start, end))

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Entries ``[start, end)`` in order, 16,384 per query; checks every run's count."""
        with self._read() as conn:
            stop = self._state(conn)[0] if end is None else end
            self._check_range(conn, start, stop)
        step = 64 * TILE_WIDTH
        for lo in range(start - start % TILE_WIDTH, stop, step):
            a, b = max(lo, start), min(lo + step, stop)
            with self._read() as conn:
                rows = self._run_rows(conn, "entries", a, b)
            for first, count, blob in rows:
                items = decode_bundle(blob)
                if len(items) != count:
                    raise IntegrityError(
                        f"the run at entry {first} holds {len(items)} entries, not {count}"
                    )
                yield from items[max(a - first, 0) : b - first]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Stored leaf hashes ``[start, end)``."""
        with self._read() as conn:
            self._check_range(conn, start, end)
            return self._hashes(conn, start, end)

    def find(self, key: str) -> list[int]:
        """Indices appended with ``key``, ascending."""
        keys = self._t.keys
        with self._read() as conn:
            query = select(keys.c.seq).where(self._where(keys) & (keys.c.key == key))
            return [int(s) for s in conn.scalars(query.order_by(keys.c.seq))]

    def _fetch_tile(self, level: int, index: int) -> bytes:
        lo, hi = index * TILE_WIDTH, (index + 1) * TILE_WIDTH - 1
        if level == 0:
            runs = self._t.runs
            query = select(runs.c.start, runs.c.hashes).where(
                self._where(runs) & runs.c.start.between(lo, hi)
            )
        else:
            tiles = self._t.tiles
            query = select(tiles.c.start, tiles.c.data).where(
                self._where(tiles) & (tiles.c.level == level) & tiles.c.start.between(lo, hi)
            )
        parts, expected = [], lo
        with self._read() as conn:
            for first, blob in conn.execute(query.order_by("start")):
                if first != expected:
                    break
                parts.append(bytes(blob))
                expected += len(blob) // HASH_SIZE
        return b"".join(parts)

    def read_tile(self, level: int, index: int) -> bytes:
        """The stored hashes of tile ``(level, index)``."""
        return self._fetch_tile(level, index)

    def _check_size(self, tree_size: int) -> None:
        if tree_size > self._integrated_seen:
            self.integrated_size()
        if not 0 <= tree_size <= self._integrated_seen:
            raise IndexError(f"tree size {tree_size} is not integrated ({self._integrated_seen})")

    # Checkpoints and cosignatures.

    @contextmanager
    def _durable(self) -> Iterator[Connection]:
        """A write transaction whose commit is fully synced, even in ``NORMAL`` mode."""
        if not self._sync_normal:
            with self._write(None) as conn:
                yield conn
            return
        try:
            with self._engine.connect() as conn:
                # The pragma must run outside a transaction, so on the driver's connection.
                raw = conn.connection.driver_connection
                if raw is None:
                    raise StorageError(f"ledger {self._origin}: no driver connection")
                raw.execute("PRAGMA synchronous = FULL")
                try:
                    with conn.begin():
                        yield conn
                finally:
                    raw.execute("PRAGMA synchronous = NORMAL")
        except SQLAlchemyError as exc:
            raise StorageError(f"ledger {self._origin}: the database failed") from exc

    def add_checkpoint(self, *, size: int, note: str, created_at: datetime) -> None:
        """Store a signed checkpoint, fully synced; see ``CheckpointStore``."""
        table = self._t.checkpoints
        with self._durable() as conn:
            here = self._where(table) & (table.c.size == size)
            have = conn.scalar(select(table.c.note).where(here))
            if have is not None:
                if SignedNote.parse(have).text != SignedNote.parse(note).text:
                    raise ConflictError(f"a different checkpoint of size {size} is stored")
                return
            row = {"origin": self._origin, "size": size, "note": note}
            conn.execute(insert(table), {**row, "at": time_text(created_at)})

    def add_cosignature(self, *, size: int, cosigner: str, line: str) -> None:
        """Store a cosignature line beside checkpoint ``size``."""
        checkpoints, cosigs = self._t.checkpoints, self._t.cosignatures
        with self._durable() as conn:
            here = self._where(checkpoints) & (checkpoints.c.size == size)
            if conn.scalar(select(checkpoints.c.size).where(here)) is None:
                raise UnknownName(kind="checkpoint size", name=str(size))
            mine = self._where(cosigs) & (cosigs.c.size == size) & (cosigs.c.cosigner == cosigner)
            if conn.scalar(select(cosigs.c.line).where(mine)) is None:
                row = {"origin": self._origin, "size": size, "cosigner": cosigner, "line": line}
                conn.execute(insert(cosigs), row)

    def checkpoints(self) -> list[CheckpointRecord]:
        """Every checkpoint by size, with its cosignature lines."""
        checkpoints, cosigs = self._t.checkpoints, self._t.cosignatures
        with self._read() as conn:
            rows = conn.execute(
                select(checkpoints).where(self._where(checkpoints)).order_by(checkpoints.c.size)
            ).all()
            lines: dict[int, list[str]] = {}
            query = select(cosigs.c.size, cosigs.c.line).where(self._where(cosigs))
            for size, line in conn.execute(query.order_by(cosigs.c.size, cosigs.c.cosigner)):
                lines.setdefault(int(size), []).append(line)
        return [
            CheckpointRecord(
                size=int(r.size),
                note=r.note,
                created_at=utc_time(r.at),
                cosignatures=tuple(lines.get(int(r.size), ())),
            )
            for r in rows
        ]

    def latest_checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint of the greatest size, or ``None``."""
        found = self.checkpoints()
        return found[-1] if found else None

    # Witnessing partners' logs.

    def witnessed(self, origin: str) -> WitnessRecord | None:
        """The last checkpoint cosigned for ``origin``."""
        table = self._t.witnessed
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.origin == origin)).one_or_none()
        if row is None:
            return None
        return WitnessRecord(
            origin=origin,
            size=int(row.size),
            root=bytes(row.root),
            note=row.note,
            cosigned_at=utc_time(row.at),
        )

    def record_witnessed(self, record: WitnessRecord, *, previous_size: int | None) -> None:
        """Compare-and-set ``record.origin``'s witness state; history kept in ``witness_log``."""
        table, history = self._t.witnessed, self._t.witness_log
        values = {
            "size": record.size,
            "root": record.root,
            "note": record.note,
            "at": time_text(record.cosigned_at),
        }
        with self._durable() as conn:
            if self._postgres:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(k)s)", {"k": self._lock_key})
            here = table.c.origin == record.origin
            if previous_size is None:
                if conn.scalar(select(table.c.size).where(here)) is not None:
                    raise ConflictError(f"witness state of {record.origin} moved meanwhile")
                conn.execute(insert(table), {"origin": record.origin, **values})
            else:
                moved = conn.execute(
                    update(table).where(here & (table.c.size == previous_size)).values(values)
                )
                if moved.rowcount != 1:
                    raise ConflictError(f"witness state of {record.origin} moved meanwhile")
            seen = history.c.origin == record.origin
            if conn.scalar(select(history.c.size).where(seen & (history.c.size == record.size))):
                return
            row = {"origin": record.origin, "size": record.size, "note": record.note}
            conn.execute(insert(history), {**row, "at": values["at"]})

    def add_alarm(self, alarm: AlarmRecord) -> None:
        """Persist an alarm, fully synced."""
        with self._durable() as conn:
            conn.execute(
                insert(self._t.alarms),
                {
                    "at": time_text(alarm.raised_at),
                    "origin": alarm.origin,
                    "finding": alarm.finding,
                    "message": alarm.message,
                    "evidence": alarm.evidence,
                },
            )

    def alarms(self) -> list[AlarmRecord]:
        """Every alarm, oldest first."""
        table = self._t.alarms
        with self._read() as conn:
            rows = conn.execute(select(table).order_by(table.c.id)).all()
        return [
            AlarmRecord(
                raised_at=utc_time(r.at),
                origin=r.origin,
                finding=r.finding,
                message=r.message,
                evidence=r.evidence,
            )
            for r in rows
        ]
