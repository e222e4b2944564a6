"""Edges stay thin (design rule 9): the REST API, the console and the CLI call services and
queries; none of them opens the store, holds a unit of work or builds a storage adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "gsomia"
EDGES = ("api", "cli")
#: Attributes only the store and its units of work have.
_STORE_ATTRIBUTES = {"store", "unit_of_work", "ledger_connection", "engine"}
#: The store's own types; the record values it stores may be named.
_STORE_TYPES = {"Store", "UnitOfWork", "ReadView", "SqlStore", "MemoryStore", "LedgerStore"}


def offences(source: str, *, name: str) -> list[str]:
    """Where ``source`` reaches for the store rather than a service."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in _STORE_ATTRIBUTES:
            out.append(f"{name}:{node.lineno} uses .{node.attr}")
        if isinstance(node, ast.Name) and (node.id in _STORE_TYPES or node.id == "uow"):
            out.append(f"{name}:{node.lineno} names {node.id}")
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module.startswith("gsomia.adapters.storage"):
                out.append(f"{name}:{node.lineno} imports {node.module}")
            out += [
                f"{name}:{node.lineno} imports {a.name}"
                for a in node.names
                if a.name in _STORE_TYPES
            ]
    return out


def test_no_edge_opens_the_store() -> None:
    found = []
    for package in EDGES:
        for path in sorted((SRC / package).rglob("*.py")):
            found += offences(path.read_text(encoding="utf-8"), name=f"{package}/{path.name}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "with node.ctx.store.read() as uow:\n    uow.facilities()\n",
        "size = node.ctx.store.ledger.size()\n",
        "store = ctx.store\n",
        "with node.ctx.store.unit_of_work() as w:\n    pass\n",
        "def f(s: Store) -> None: ...\n",
        "from gsomia.ports.store import ItemRecord, UnitOfWork\n",
        "from gsomia.adapters.storage.sql import open_store\n",
        "buckets = SqlBuckets(node.ctx.store.engine)\n",
    ],
)
def test_the_check_finds_each_way_to_reach_the_store(source: str) -> None:
    assert offences(source, name="snippet")


@pytest.mark.parametrize(
    "source",
    [
        "from gsomia.ports.store import ItemRecord, ItemState\n",
        "summary = node.overview.summary()\n",
        '"""The store is closed afterwards."""\n',
    ],
)
def test_records_and_services_are_not_offences(source: str) -> None:
    assert offences(source, name="snippet") == []
