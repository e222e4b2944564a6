"""A party's user API on a running cluster node, as its demo officer sees it."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gsomia.cluster import PARTIES, ClusterNode, stop_node


def down_at_once(root: Path) -> None:
    """Stop the cluster's nodes together (``down`` stops one after another, each waiting
    for its node to finish its graceful shutdown)."""
    with ThreadPoolExecutor(len(PARTIES)) as pool:
        list(pool.map(lambda party: stop_node(root, party), PARTIES))


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
