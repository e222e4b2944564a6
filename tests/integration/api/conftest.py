"""Fixtures of the API tests: a Japanese node's user API over ASGI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.edge import Api, make_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """JPN's API (with KOR beside it), an officer's token, a generous person rate."""
    made = make_api(tmp_path)
    yield made
    for node in made.world.nodes.values():
        node.ctx.store.close()
