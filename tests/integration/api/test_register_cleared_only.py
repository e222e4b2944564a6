"""A facility's register holds cleared persons only (JK-6.e): the registry refuses, by the
rules and on the record, to enter a person without a clearance in effect on a register,
whether as it adds the person or afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import LEVEL, World, build, refusals, registrar


class Api:
    """A node's API over ASGI, called as its registrar."""

    def __init__(self, world: World, party: str) -> None:
        self.node = world[party]
        self.token = (
            AuthService(self.node.ctx).issue(person_id=registrar(party), by=registrar(party)).token
        )
        app = create_app(self.node, limits=Limits(requests_per_minute_per_person=10**6))
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://node.test"
        )

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self._runner.run(self._client.post(path, json=body, headers=headers))

    def registered(self, person_id: str) -> frozenset[str]:
        with self.node.ctx.store.read() as uow:
            return uow.person(person_id).registered_at

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("registers"))
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


@pytest.fixture(params=["JPN", "KOR", "USA"])
def api(world: World, request: pytest.FixtureRequest) -> Iterator[Api]:
    made = Api(world, request.param)
    yield made
    made.close()


def _person(api: Api, name: str, **more: Any) -> dict[str, Any]:
    p = api.node.party.lower()
    return {"id": f"{p}-{name}", "name": name.title(), "facilities": [f"{p}-hq"], **more}


@pytest.mark.parametrize("role", ["official", "translator", "contractor-staff"])
def test_a_person_without_clearance_is_not_added_on_a_register(api: Api, role: str) -> None:
    before = len(refusals(api.node))
    answer = api.post("/v1/persons", _person(api, f"nopsc-{role}", role=role))
    assert answer.status_code == 403, answer.text
    assert answer.json()["rule_ids"]  # each agreement of the party cites its own article
    if api.node.party != "USA":
        assert "JK-6.e" in answer.json()["rule_ids"]
    assert len(refusals(api.node)) == before + 1
    with api.node.ctx.store.read() as uow:
        assert f"{api.node.party.lower()}-nopsc-{role}" not in {p.id for p in uow.persons()}


def test_a_person_whose_clearance_has_expired_is_not_added_on_a_register(api: Api) -> None:
    today = api.node.ctx.clock.now().date()
    body = _person(
        api,
        "lapsed",
        role="official",
        clearance=LEVEL[api.node.party],
        granted_on=(today - timedelta(days=800)).isoformat(),
        expires_on=(today - timedelta(days=1)).isoformat(),
    )
    assert api.post("/v1/persons", body).status_code == 403


def test_a_cleared_person_is_added_on_the_register_and_an_uncleared_one_on_none(
    api: Api,
) -> None:
    p = api.node.party.lower()
    cleared = _person(api, "cleared", role="official", clearance=LEVEL[api.node.party])
    assert api.post("/v1/persons", cleared).status_code == 201
    assert api.registered(f"{p}-cleared") == {f"{p}-hq"}
    bare = {**_person(api, "bare", role="official"), "facilities": []}
    assert api.post("/v1/persons", bare).status_code == 201
    assert api.registered(f"{p}-bare") == frozenset()


def test_an_uncleared_person_is_not_entered_on_a_register_afterwards(api: Api) -> None:
    p = api.node.party.lower()
    assert api.post("/v1/persons", {**_person(api, "later", role="official"), "facilities": []})
    before = len(refusals(api.node))
    for facility in (f"{p}-hq", f"{p}-annex"):
        answer = api.post(f"/v1/persons/{p}-later/registrations", {"facility": facility})
        assert answer.status_code == 403, answer.text
    assert len(refusals(api.node)) == before + 2
    assert api.registered(f"{p}-later") == frozenset()
    cleared = {**_person(api, "later-cleared", role="official", clearance=LEVEL[api.node.party])}
    assert api.post("/v1/persons", {**cleared, "facilities": []}).status_code == 201
    entered = api.post(f"/v1/persons/{p}-later-cleared/registrations", {"facility": f"{p}-annex"})
    assert entered.status_code == 201, entered.text
    assert api.registered(f"{p}-later-cleared") == {f"{p}-annex"}
