"""Fixtures for the workflow services: three in-process nodes (their stores in memory) and a
provided item."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.workflows import World, build


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """JPN, KOR and USA nodes on 2 Oct 2019, connected, with their people: in memory, or
    on SQLite for a test that looks at the database itself (parametrized indirectly,
    ``pytest.mark.parametrize("world", ["sqlite"], indirect=True)``)."""
    w = build(tmp_path, store=getattr(request, "param", "memory"))
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


@pytest.fixture
def item(world: World) -> str:
    """An item JPN provided to KOR under the Japan–ROK GSOMIA, delivered."""
    result = world.provide(agreement="jpn-kor-gsomia")
    world.drain()
    return result.item_ids[0]
