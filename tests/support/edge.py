"""A Japanese node's user API over ASGI, for the edge tests: a client that can stream a
chunked body, pick its client address and Host, and count what the store holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import World, build, officer


@dataclass
class Api:
    """One app over JPN's node, and an officer's token."""

    world: World
    app: Any
    token: str

    @property
    def node(self) -> Node:
        return self.world["JPN"]

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = "",
        address: str = "192.0.2.1",
        host: str = "jpn.test",
        content: bytes | Iterable[bytes] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request from ``address`` (``token=""``: the officer's; ``None``: none)."""
        sent = dict(headers or {})
        bearer = self.token if token == "" else token
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        return asyncio.run(_send(self.app, method, path, address, host, content, json, sent))

    def items(self) -> int:
        with self.node.ctx.store.read() as uow:
            return uow.count_items()


async def _send(
    app: Any,
    method: str,
    path: str,
    address: str,
    host: str,
    content: bytes | Iterable[bytes] | None,
    json: Any,
    headers: dict[str, str],
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        body: Any = content
        if content is not None and not isinstance(content, bytes):
            body = _stream(list(content))
        return await client.request(method, path, content=body, json=json, headers=headers)


async def _stream(chunks: list[bytes]) -> AsyncIterator[bytes]:
    """A body without a length: httpx sends it with ``Transfer-Encoding: chunked``."""
    for chunk in chunks:
        yield chunk


def chunks(total: int, size: int = 64 * 1024, *, start: bytes = b"") -> Iterator[bytes]:
    """``total`` bytes of a JSON-ish filler in ``size`` pieces, after ``start``."""
    yield start
    sent = len(start)
    while sent < total:
        piece = b"A" * min(size, total - sent)
        sent += len(piece)
        yield piece


def make_api(root: Path, limits: Limits | None = None) -> Api:
    """JPN and KOR nodes on 2 Oct 2019; the app serves JPN."""
    world = build(root, parties=("JPN", "KOR"))
    token = AuthService(world["JPN"].ctx).issue(person_id=officer("JPN"), by=NODE_ACTOR).token
    app = create_app(world["JPN"], limits=limits or Limits(requests_per_minute_per_person=10**6))
    return Api(world=world, app=app, token=token)


def get_as(
    node: Node, person: str, path: str, *, app: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """``GET path`` on ``node``'s app (a fresh user API unless ``app`` is given) as
    ``person``, with a token the node itself issues them."""
    token = AuthService(node.ctx).issue(person_id=person, by=NODE_ACTOR).token
    served = app or create_app(node, limits=Limits(requests_per_minute_per_person=10**6))
    sent = {**(headers or {}), "Authorization": f"Bearer {token}"}

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as c:
            return await c.get(path, headers=sent)

    return asyncio.run(go())
