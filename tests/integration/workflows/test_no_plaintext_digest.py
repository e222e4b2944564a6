"""Crypto review H1 across the node: nothing in the store, the ledger, the wire or the user
API equals a hash of an item's content, and equal contents look unrelated everywhere."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import World, officer, official

#: Guessable, templated content: the kind H1 recovered by enumeration.
REPORT = b"LAUNCH site=Sinpo type=SLBM count=2 t=2026-11-28T03:14Z"
OTHER = b"LAUNCH site=Sohae type=ICBM count=1 t=2026-11-28T04:02Z"


def digests(content: bytes) -> list[bytes]:
    """Every spelling of the content's SHA-256 a reader could look for."""
    raw = hashlib.sha256(content).digest()
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), b"sha256:" + raw.hex().encode()]


def files_of(node: Node) -> bytes:
    """The node's database file and its WAL, as an insider or a backup reads them."""
    path = Path(node.ctx.store.engine.url.database)  # type: ignore[attr-defined]
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def api_bodies(node: Node, items: list[str]) -> bytes:
    """What the user API answers about the node's items and ledger (not opened)."""
    token = AuthService(node.ctx).issue(person_id=officer(node.party), by=NODE_ACTOR).token
    app = create_app(node, limits=Limits())

    async def fetch() -> bytes:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as c:
            paths = ["/v1/items", "/v1/audit/entries?limit=1000", "/v1/outbox"]
            paths += [f"/v1/items/{i}" for i in items] + [
                f"/v1/audit/entries?item={i}" for i in items
            ]
            replies = [await c.get(p, headers=headers) for p in paths]
        assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
        return b"".join(r.content for r in replies)

    return asyncio.run(fetch())


def test_no_digest_of_any_content_is_stored_recorded_sent_or_shown(world: World) -> None:
    wire: list[bytes] = []
    original = world.network.deliver

    def tap(sender: str, destination: str, payload: bytes) -> bytes:
        wire.append(payload)
        reply = original(sender, destination, payload)
        wire.append(reply)
        return reply

    world.network.deliver = tap  # type: ignore[method-assign]
    first = world.provide("JPN", "KOR", contents=(REPORT, OTHER))
    again = world.provide("JPN", "KOR", contents=(REPORT,))
    world.drain()
    kor = world["KOR"]
    assert kor.custody.open(item_id=again.item_ids[0], person_id=official("KOR")) == REPORT
    kor.handling.copy(item_id=first.item_ids[0], by=official("KOR"))
    for node in world.nodes.values():
        node.audit.checkpoint(now=world.clock.now())
    items = [*first.item_ids, *again.item_ids]
    seen = {
        "JPN store": files_of(world["JPN"]),
        "KOR store": files_of(kor),
        "USA store": files_of(world["USA"]),
        "wire": b"".join(wire),
        "JPN API": api_bodies(world["JPN"], items),
        "KOR API": api_bodies(kor, items),
    }
    assert wire and REPORT not in seen["wire"]
    for where, data in seen.items():
        for content in (REPORT, OTHER):
            for digest in digests(content):
                assert digest not in data, f"{where} holds a digest of an item's content"
    # Equal contents: their stored envelopes share nothing beyond the label's fixed fields.
    with kor.ctx.store.read() as uow:
        one, two = uow.item(first.item_ids[0]), uow.item(again.item_ids[0])
    assert one.ciphertext[-64:] != two.ciphertext[-64:]
