"""The schema of a node's database is made by Alembic's migrations alone, from definitions
frozen in each revision: a new database ends equal to the table definitions, and a database
made before the ledger's tables moved into the migrations is upgraded with every row kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, insert, inspect, select
from sqlalchemy.types import TypeDecorator

import gsomia.adapters.storage.sql.store as sql_store
from gsomia.adapters.storage.sql import open_store
from gsomia.adapters.storage.sql.engine import make_engine
from gsomia.adapters.storage.sql.ledger import SqlLedgerStore
from gsomia.adapters.storage.sql.schema import node_schema
from gsomia.adapters.storage.sql.store import migrate
from gsomia.core.classification import builtin_schemes
from tests.support.pg import postgres_schema

MIGRATIONS = Path(sql_store.__file__).parent / "migrations"
DATA = Path(__file__).parent / "data"
ORIGIN = "gsomia.node/kor"
ROWS = 3


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


HEAD = ScriptDirectory.from_config(config()).get_current_head()


@contextmanager
def empty_database(dialect: str, request: pytest.FixtureRequest, path: Path) -> Iterator[Engine]:
    """An engine on an empty database (the SQLite file ``path``, or a fresh PostgreSQL
    schema)."""
    if dialect == "sqlite":
        made = make_engine(f"sqlite:///{path}")
        try:
            yield made
        finally:
            made.dispose()
        return
    with postgres_schema(request.getfixturevalue("postgres_url"), "migrate") as url:
        made = make_engine(url)
        try:
            yield made
        finally:
            made.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with empty_database(request.param, request, tmp_path / "node.db") as made:
        yield made


@pytest.fixture
def made_afresh(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A database of ``engine``'s dialect made from the table definitions (``create_all``)."""
    with empty_database(engine.dialect.name, request, tmp_path / "afresh.db") as made:
        with made.begin() as conn:
            node_schema().create_all(conn)
        yield made


def names(engine: Engine) -> dict[str, Any]:
    """Each table's key, unique constraints and indexes, with their names."""
    reflected = inspect(engine)
    return {
        table: (
            reflected.get_pk_constraint(table),
            sorted(map(str, reflected.get_unique_constraints(table))),
            sorted(map(str, reflected.get_indexes(table))),
        )
        for table in node_schema().tables
    }


def differences(engine: Engine) -> list[Any]:
    """What autogenerate finds between the database and the table definitions, and the
    primary keys that differ (autogenerate does not compare those)."""
    schema = node_schema()
    with engine.connect() as conn:
        found = list(compare_metadata(MigrationContext.configure(conn), schema))
        reflected = inspect(conn)
        for table in schema.sorted_tables:
            if not reflected.has_table(table.name):
                continue  # reported by autogenerate
            key = reflected.get_pk_constraint(table.name)["constrained_columns"]
            if key != list(table.primary_key.columns.keys()):
                found.append(("primary key", table.name, key))
    return found


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def value(column: Column[Any], n: int) -> Any:
    """A value of ``column``'s type, different for each ``n``."""
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    python = kind.python_type
    if python is datetime:
        return datetime(2026, 1, 1, n, 30, 15, 250_000, tzinfo=UTC)
    made: dict[type, Any] = {
        str: str(n),
        bytes: bytes([n + 1]) * 5,
        int: n + 1,
        float: n + 0.25,
        bool: n % 2 == 0,
        date: date(2026, 2, n + 1),
    }
    return made[python]


def fill(engine: Engine, metadata: MetaData) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            rows = [{c.name: value(c, n) for c in table.columns} for n in range(ROWS)]
            conn.execute(insert(table), rows)


def contents(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the newest schema, in key order."""
    found = {}
    with engine.connect() as conn:
        for table in node_schema().sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            found[table.name] = [dict(row._mapping) for row in conn.execute(query)]
    return found


def make_as_before(engine: Engine) -> None:
    """A database as the store made it before revision 0010: revision 0001 ran
    ``create_all`` on the table definitions of its day (0002 to 0009 then had nothing to
    do), and the ledger made its own tables when the store opened. The schema is the one
    such a database had, stored per dialect in ``data/``."""
    ddl = (DATA / f"schema_0009.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    with engine.begin() as conn:
        for statement in filter(None, (s.strip() for s in ddl.split(";"))):
            conn.exec_driver_sql(statement)
        cfg = config()
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "0009")
    SqlLedgerStore(engine, origin=ORIGIN).create_log()


def test_a_new_database_is_migrated_to_exactly_the_table_definitions(engine: Engine) -> None:
    migrate(engine)
    assert revision(engine) == HEAD
    assert differences(engine) == []
    assert set(node_schema().tables) >= {"items", "ledger_logs", "ledger_runs", "rate_buckets"}


def test_a_migrated_database_names_its_keys_and_indexes_as_a_new_one(
    engine: Engine, made_afresh: Engine
) -> None:
    migrate(engine)
    assert names(engine) == names(made_afresh)


def test_every_revision_downgrades_and_upgrades_again(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        cfg = config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    # Only the ledger's tables stay: revision 0010 leaves them with the entries they hold.
    with engine.connect() as conn:
        left = set(inspect(conn).get_table_names())
    assert {name for name in left if not name.startswith("ledger_")} <= {"alembic_version"}
    migrate(engine)
    assert differences(engine) == []


def test_a_database_made_before_the_ledger_migration_keeps_every_row(engine: Engine) -> None:
    make_as_before(engine)
    fill(engine, node_schema())
    before = contents(engine)
    assert all(len(rows) == ROWS + (name == "ledger_logs") for name, rows in before.items())

    migrate(engine)

    assert revision(engine) == HEAD
    assert contents(engine) == before
    assert differences(engine) == []


def test_a_database_made_before_opens_as_a_store_without_being_made_again(
    engine: Engine,
) -> None:
    make_as_before(engine)
    fill(engine, node_schema())
    before = contents(engine)
    url = engine.url.render_as_string(hide_password=False)
    store = open_store(url, schemes=builtin_schemes(), ledger_origin=ORIGIN)
    try:
        assert store.ledger.origin == ORIGIN
    finally:
        store.close()
    assert revision(engine) == HEAD
    assert contents(engine) == before


def test_the_migrations_declare_their_own_tables() -> None:
    """A revision that imported today's table definitions would make a different schema
    tomorrow than it made when it was released."""
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = script.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+gsomia\b", source, re.MULTILINE), script.name
        assert "create_all" not in source, script.name
