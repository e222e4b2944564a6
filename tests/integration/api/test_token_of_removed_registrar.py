"""Over the API: a registry officer cleared below an item issues a token for an official
cleared for it, and so could open it as that official. Once the registrar's grant is
revoked, the token answers 401 like an unknown one, to the API's every route, and the
official opens the item with a token of the node's (JK-6.e, JK-7.2)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import LEVEL, LOW, TOPIC, World, build, enrol, officer

#: The party whose API is attacked, and who provides it the item.
CASES = [("JPN", "KOR"), ("KOR", "USA"), ("USA", "JPN")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("removed-registrar"))
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


class Api:
    def __init__(self, world: World, party: str) -> None:
        app = create_app(world[party], limits=Limits(requests_per_minute_per_person=10**6))
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://node.test"
        )

    def call(self, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return self._runner.run(self._client.request(method, path, json=body, headers=headers))

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@pytest.mark.parametrize(("party", "sender"), CASES)
def test_a_removed_registrars_token_for_a_cleared_official_opens_nothing(
    world: World, party: str, sender: str
) -> None:
    node, p = world[party], party.lower()
    auth = AuthService(node.ctx)
    registrar = enrol(
        node,
        f"{p}-low-registrar",
        role="security-officer",
        clearance=LOW[party],
        need=frozenset({TOPIC}),
        authorities=("registry",),
    )
    analyst = enrol(
        node,
        f"{p}-analyst",
        clearance=LEVEL[party],
        need=frozenset({TOPIC}),
        facilities=frozenset({f"{p}-hq"}),
    )
    provided = world.provide(sender, party, agreement="tisa" if "USA" in (party, sender) else None)
    world.drain()
    item = provided.item_ids[0]
    node.custody.place(item_id=item, facility_id=f"{p}-hq", by=officer(party))
    api = Api(world, party)
    try:
        mine = auth.issue(person_id=registrar, by=registrar).token
        token = api.call("POST", "/v1/tokens", mine, {"person": analyst}).json()["token"]
        assert api.call("POST", f"/v1/items/{item}/open", mine, {}).status_code == 403
        assert api.call("POST", f"/v1/items/{item}/open", token, {}).status_code == 200
        boss = auth.issue(person_id=officer(party), by=NODE_ACTOR).token
        path = f"/v1/persons/{registrar}/authorities/registry"
        assert api.call("DELETE", path, boss).status_code == 200
        unknown = api.call("GET", "/v1/me", "gst_" + "A" * 43)
        for method, route in (("GET", "/v1/me"), ("POST", f"/v1/items/{item}/open")):
            answer = api.call(method, route, token, {} if method == "POST" else None)
            assert answer.status_code == 401
            assert answer.json() == unknown.json()
        fresh = auth.issue(person_id=analyst, by=NODE_ACTOR).token
        assert api.call("POST", f"/v1/items/{item}/open", fresh, {}).status_code == 200
    finally:
        api.close()
