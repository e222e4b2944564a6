"""A three-node cluster (JPN, KOR, USA) as separate processes on loopback, for the session."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gsomia.cluster import ClusterNode, down, up


@dataclass
class Api:
    """A party's user API as its demo officer sees it."""

    node: ClusterNode

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.node.token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(
            self.node.api_url + path, headers=self.headers(), params=params, timeout=30
        )

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return httpx.post(self.node.api_url + path, headers=self.headers(), json=body, timeout=60)

    def provide(
        self,
        *contents: bytes,
        to: str,
        level: str,
        topic: str = "nk-missile",
        agreement: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "to": to,
            "level": level,
            "topic": topic,
            "purpose": "missile warning",
            "contents": [base64.b64encode(c).decode() for c in contents],
        }
        if agreement:
            body["agreement"] = agreement
        return self.post("/v1/items", body)

    def items(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = ""
        while True:
            page = self.get("/v1/items", after=after, limit=1000).json()
            out.extend(page)
            if len(page) < 1000:
                return out
            after = page[-1]["id"]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    root: Path = tmp_path_factory.mktemp("cluster")
    nodes = up(root)
    try:
        yield {n.party: Api(n) for n in nodes}
    finally:
        down(root)


@pytest.fixture(scope="session")
def cluster_root(cluster: dict[str, Api]) -> Path:
    return cluster["JPN"].node.home.parent
