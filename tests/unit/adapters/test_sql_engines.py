"""One engine factory: a node's store and a ledger on its own SQLite file get their SQLite
settings and their transaction hook from the same place."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gsomia.adapters.storage.sql.ledger import sqlite_engine
from gsomia.adapters.storage.sql.store import make_engine
from gsomia.errors import InputError

ENGINES: dict[str, Callable[[Path], Engine]] = {
    "store": lambda p: make_engine(f"sqlite:///{p}"),
    "ledger": sqlite_engine,
    "ledger, normal sync": lambda p: sqlite_engine(p, synchronous="NORMAL", autocheckpoint=7),
}


def _locked(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    other.execute("ROLLBACK")
    return False


@pytest.mark.parametrize("kind", ENGINES)
def test_a_writer_takes_the_write_lock_at_begin_and_a_reader_never(
    kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "node.db"
    engine = ENGINES[kind](path)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.begin():
            assert _locked(path)  # BEGIN IMMEDIATE, before any statement
        with engine.connect() as conn:
            conn.execution_options(gsomia_read_only=True)
            conn.execute(text("SELECT COUNT(*) FROM t")).scalar_one()
            assert not _locked(path)
            conn.rollback()
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            sync = conn.execute(text("PRAGMA synchronous")).scalar()
            assert sync == (1 if kind == "ledger, normal sync" else 2)
    finally:
        engine.dispose()


def test_the_ledger_engine_refuses_an_unsafe_sync_mode(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="FULL or NORMAL"):
        sqlite_engine(tmp_path / "l.db", synchronous="OFF")
