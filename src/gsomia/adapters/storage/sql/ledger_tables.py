"""The ledger's SQL tables and the rows an append writes (its SQLite engine is made with the
store's, in :mod:`gsomia.adapters.storage.sql.engine`)."""

from __future__ import annotations

import hashlib
import itertools
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from gsomia.adapters.storage.sql.engine import sqlite_engine
from gsomia.errors import InputError
from gsomia.ledger.tiles import MAX_ENTRY_SIZE, TILE_WIDTH, tile_chunks

__all__ = [
    "LedgerTables",
    "WalCheckpointer",
    "leaf_hashes_of",
    "ledger_tables",
    "run_rows",
    "sqlite_engine",
    "time_text",
    "utc_time",
]

_logger = logging.getLogger(__name__)


class WalCheckpointer:
    """Copies a SQLite WAL into the database from a thread of its own (``PASSIVE`` mode).

    A checkpoint writes every committed page a second time and syncs the file; run by the
    committing connection (SQLite's default) it lands on one append in a few hundred. On
    its own connection it overlaps with the appends that follow (the driver releases the
    GIL) and never blocks a writer. It runs after every ``every`` commits, and at least
    every ``interval`` seconds while commits are pending.
    """

    def __init__(self, path: str | Path, *, every: int = 16, interval: float = 1.0) -> None:
        self._path = str(path)
        self._every = every
        self._interval = interval
        self._pending = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Note that something was committed."""
        with self._lock:
            self._pending += 1
            if self._pending >= self._every:
                self._wake.set()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 1000")
            while not self._stop.is_set():
                self._wake.wait(self._interval)
                self._wake.clear()
                with self._lock:
                    pending, self._pending = self._pending, 0
                if pending:
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    except sqlite3.Error as exc:
                        _logger.warning("WAL checkpoint of %s failed: %s", self._path, exc)
        finally:
            conn.close()

    def close(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        self._thread.join()


@dataclass(frozen=True, slots=True)
class LedgerTables:
    """The ledger's tables, all named ``<prefix><name>``."""

    logs: Table
    runs: Table
    tiles: Table
    keys: Table
    checkpoints: Table
    cosignatures: Table
    witnessed: Table
    witness_log: Table
    alarms: Table


def _origin() -> Column[str]:
    return Column("origin", String(255), primary_key=True)


def _blob(name: str) -> Column[bytes]:
    return Column(name, LargeBinary, nullable=False)


def _big(name: str, *, key: bool = False) -> Column[int]:
    return Column(name, BigInteger, primary_key=key, nullable=False, autoincrement=False)


def _text(name: str, size: int | None = None, *, key: bool = False) -> Column[str]:
    return Column(name, Text() if size is None else String(size), primary_key=key, nullable=False)


def ledger_tables(metadata: MetaData, prefix: str = "ledger_") -> LedgerTables:
    """Declare the ledger's tables on ``metadata``, as they are now: a ledger on a file of
    its own is made from them (``create_all``), a node's database by migration 0010, which
    declares its own copy as it was at that revision.

    ``runs`` holds consecutive entries (``uint16``-length-prefixed, tlog-tiles bundle
    encoding) and their leaf hashes, at most 256 and never across a multiple of 256;
    ``tiles`` holds the hashes of strata 1 and up the same way. Rows are only inserted.
    """
    m, p = metadata, prefix
    level = Column("level", Integer, primary_key=True, autoincrement=False)
    return LedgerTables(
        logs=Table(f"{p}logs", m, _origin(), _big("size"), _big("integrated"), _blob("compact")),
        runs=Table(
            f"{p}runs",
            m,
            _origin(),
            _big("start", key=True),
            _big("count"),
            _blob("entries"),
            _blob("hashes"),
        ),
        tiles=Table(f"{p}tiles", m, _origin(), level, _big("start", key=True), _blob("data")),
        keys=Table(f"{p}keys", m, _origin(), _text("key", 128, key=True), _big("seq", key=True)),
        checkpoints=Table(
            f"{p}checkpoints", m, _origin(), _big("size", key=True), _text("note"), _text("at", 32)
        ),
        cosignatures=Table(
            f"{p}cosignatures",
            m,
            _origin(),
            _big("size", key=True),
            _text("cosigner", 255, key=True),
            _text("line"),
        ),
        witnessed=Table(
            f"{p}witnessed",
            m,
            _origin(),
            _big("size"),
            _blob("root"),
            _text("note"),
            _text("at", 32),
        ),
        witness_log=Table(
            f"{p}witness_log", m, _origin(), _big("size", key=True), _text("note"), _text("at", 32)
        ),
        alarms=Table(
            f"{p}alarms",
            m,
            Column("id", Integer, primary_key=True, autoincrement=True),
            _text("at", 32),
            _text("origin", 255),
            _text("finding", 32),
            _text("message"),
            _text("evidence"),
        ),
    )


_LENGTHS = [n.to_bytes(2, "big") for n in range(MAX_ENTRY_SIZE + 1)]


def leaf_hashes_of(entries: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 leaf hashes; raises :class:`InputError` for an entry the bundles cannot hold."""
    if entries and max(map(len, entries)) > MAX_ENTRY_SIZE:
        raise InputError(f"a ledger entry is longer than {MAX_ENTRY_SIZE} bytes")
    sha = hashlib.sha256
    return [sha(b"\x00" + entry).digest() for entry in entries]


def run_rows(first: int, entries: Sequence[bytes], hashes: Sequence[bytes]) -> list[dict[str, Any]]:
    """One row per bundle the batch touches: start, count, framed entries, leaf hashes."""
    rows = []
    lengths = _LENGTHS
    for tile, offset, chunk in tile_chunks(first, range(len(entries))):
        a, b = chunk[0], chunk[-1] + 1
        framed = [lengths[len(e)] for e in entries[a:b]]
        rows.append(
            {
                "start": tile * TILE_WIDTH + offset,
                "count": b - a,
                "entries": b"".join(
                    itertools.chain.from_iterable(zip(framed, entries[a:b], strict=True))
                ),
                "hashes": b"".join(hashes[a:b]),
            }
        )
    return rows


def time_text(at: datetime) -> str:
    """A timezone-aware time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (sorts as it reads)."""
    if at.tzinfo is None:
        raise InputError("ledger times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_time(text: str) -> datetime:
    """The inverse of :func:`time_text`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
