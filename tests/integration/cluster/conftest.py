"""A three-node cluster (JPN, KOR, USA) as separate processes on loopback, for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gsomia.cluster import up
from tests.support.cluster import Api, down_at_once

__all__ = ["Api"]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    root: Path = tmp_path_factory.mktemp("cluster")
    nodes = up(root)
    try:
        yield {n.party: Api(n) for n in nodes}
    finally:
        down_at_once(root)


@pytest.fixture(scope="session")
def cluster_root(cluster: dict[str, Api]) -> Path:
    return cluster["JPN"].node.home.parent
