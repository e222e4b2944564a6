from __future__ import annotations

import pytest

from tests.support.crypto import MemoryItemKeyStore, World, make_world


@pytest.fixture(scope="session")
def world() -> World:
    return make_world()


@pytest.fixture
def item_keys() -> MemoryItemKeyStore:
    return MemoryItemKeyStore()
