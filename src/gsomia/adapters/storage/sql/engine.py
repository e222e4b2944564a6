"""The one place SQL engines are made: a node's store (SQLite or PostgreSQL) and a ledger on
its own SQLite file share the connection hook and the transaction hook below.

SQLite connections run with the driver's own transactions off; each transaction begins with
``BEGIN IMMEDIATE`` for a writer (so no lock upgrade can fail later) and a plain ``BEGIN``
for a reader (``gsomia_read_only``), which takes no write lock, so a read inside a writer's
thread cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from gsomia.errors import ConfigError, InputError

__all__ = [
    "SQLITE_CACHE_KIB",
    "SQLITE_HEAP_BYTES",
    "SQLITE_POOL",
    "make_engine",
    "sqlite_engine",
]

#: Connections of a SQLite store's pool, kept and at most. As many are kept as may be used
#: at once: a connection beyond those kept is opened for one use and closed after it, and
#: opening one (its pragmas, then reading the schema again) cost more CPU under 16 clients
#: than any statement of a provision (``docs/scaling.md``). A request beyond 16 at once
#: waits for a connection.
SQLITE_POOL = (16, 16)
#: Each SQLite connection's page cache, in KiB. Every pooled connection fills its own as the
#: database grows, so the process's resident memory grew by up to the pool times this over a
#: long run (8 MiB each: up to 64 MiB; 2 MiB each still grew a node by 6 MB in 4 minutes
#: of a soak, measured). The file's pages stay in the system's page cache: a miss here
#: costs a read from memory, not from the disk.
SQLITE_CACHE_KIB = 512
#: All SQLite memory of the process, in bytes, beyond which SQLite frees cached pages
#: before it allocates more (``soft_heap_limit``, process-wide): the caches of a full pool
#: (8 MiB) and the schema and statements of each connection.
SQLITE_HEAP_BYTES = 16 * 1024 * 1024

#: A node store's SQLite settings: durable commits, shredded deletes, bounded caches.
_STORE_PRAGMAS = (
    "page_size = 16384",
    f"cache_size = -{SQLITE_CACHE_KIB}",
    f"soft_heap_limit = {SQLITE_HEAP_BYTES}",
    "journal_mode = WAL",
    "synchronous = FULL",
    "secure_delete = ON",
    "foreign_keys = ON",
    "busy_timeout = 30000",
)


def _on_connect(pragmas: Sequence[str]) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions on its own; the begin hook does.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        for pragma in pragmas:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    return on_connect


def _begin(conn: Connection) -> None:
    read_only = conn.get_execution_options().get("gsomia_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite(url: str, pragmas: Sequence[str], **pool: int) -> Engine:
    engine = create_engine(url, **pool)
    event.listen(engine, "connect", _on_connect(pragmas))
    event.listen(engine, "begin", _begin)
    return engine


def make_engine(url: str) -> Engine:
    """An engine for a node's store at ``url`` (``sqlite:///path`` or
    ``postgresql+psycopg://...``); raises ConfigError when the driver is not installed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kept, most = SQLITE_POOL
        return _sqlite(url, _STORE_PRAGMAS, pool_size=kept, max_overflow=most - kept)
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except ImportError as exc:
        raise ConfigError(
            f"no database driver for {parsed.drivername} ({exc.name or exc}): "
            "for PostgreSQL install gsomia[postgres]"
        ) from None


def sqlite_engine(
    path: str | Path, *, synchronous: str = "FULL", autocheckpoint: int = 1000
) -> Engine:
    """An engine on a ledger's own SQLite file ``path``: WAL, ``BEGIN IMMEDIATE``, the given
    sync mode.

    ``autocheckpoint`` is SQLite's ``wal_autocheckpoint`` in pages (raise it when a
    :class:`~gsomia.adapters.storage.sql.ledger_tables.WalCheckpointer` does the work).
    Raises :class:`InputError` unless ``synchronous`` is ``FULL`` or ``NORMAL``.
    """
    if synchronous not in {"FULL", "NORMAL"}:
        raise InputError("synchronous must be FULL or NORMAL")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pragmas = (
        "journal_mode = WAL",
        f"synchronous = {synchronous}",
        "busy_timeout = 30000",
        f"wal_autocheckpoint = {autocheckpoint}",
    )
    return _sqlite(f"sqlite+pysqlite:///{path}", pragmas)
