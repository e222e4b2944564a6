"""A SQLite store's memory is bounded: each pooled connection's page cache is small, the
pool is bounded, and SQLite frees cached pages past a process-wide limit. A soak found the
resident memory of a node drifting upward with 8 MiB of cache per pooled connection."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import text

from gsomia.adapters.storage.sql.store import (
    SQLITE_CACHE_KIB,
    SQLITE_HEAP_BYTES,
    SQLITE_POOL,
    make_engine,
)


def test_every_pooled_connection_has_the_small_cache_and_the_heap_limit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    kept, most = SQLITE_POOL
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE filler (v BLOB)"))
            conn.execute(
                text("INSERT INTO filler VALUES (:v)"),
                [{"v": os.urandom(4096)} for _ in range(2000)],
            )
        with ExitStack() as stack:
            conns = [
                stack.enter_context(engine.connect().execution_options(gsomia_read_only=True))
                for _ in range(most)
            ]
            for conn in conns:
                # Each reads the whole table (8 MiB), more than its cache holds.
                assert conn.execute(text("SELECT count(v) FROM filler")).scalar() == 2000
                assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
                assert conn.execute(text("PRAGMA soft_heap_limit")).scalar() == SQLITE_HEAP_BYTES
        assert engine.pool.size() == kept  # type: ignore[attr-defined]
        # What every connection of a full pool may cache stays within the process's limit.
        assert most * SQLITE_CACHE_KIB * 1024 <= SQLITE_HEAP_BYTES
    finally:
        engine.dispose()
