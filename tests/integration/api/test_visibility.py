"""Markings, the registry and the ledger are shown only where the rules allow (security review
M2; JK-7.2, JK-6.e, JK-6.f), through the REST API, the console and the CLI alike: a listing
leaves out what the person may not see, a direct request is refused and recorded, and the
console's banner is the highest marking actually shown."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import (
    LEVEL,
    LOW,
    TOPIC,
    World,
    build,
    enrol,
    officer,
    refusals,
)

NEED = frozenset({TOPIC})


class Client:
    """The app over ASGI, called synchronously."""

    def __init__(self, app: Any) -> None:
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://node.test"
        )

    def get(self, path: str, *, headers: dict[str, str]) -> httpx.Response:
        return self._runner.run(self._client.get(path, headers=headers))

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@dataclass
class Setup:
    world: World
    node: Node
    client: Client
    tokens: dict[str, str]
    secret: str
    low: str

    def get(self, who: str, path: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    world = build(tmp_path_factory.mktemp("visibility"), parties=("JPN", "KOR"))
    secret = world.provide()
    low = world.provide(level=LOW["JPN"])
    world.drain()
    kor = world["KOR"]
    kor.audit.checkpoint(now=world.clock.now())
    people = {
        "officer": officer("KOR"),
        "nocl": enrol(kor, "kor-nocl"),
        "low": enrol(
            kor, "kor-lowly", clearance=LOW["KOR"], need=NEED, facilities=frozenset({"kor-hq"})
        ),
        "noneed": enrol(
            kor, "kor-needless", clearance=LEVEL["KOR"], facilities=frozenset({"kor-hq"})
        ),
        "cleared": enrol(
            kor, "kor-cleared", clearance=LEVEL["KOR"], need=NEED, facilities=frozenset({"kor-hq"})
        ),
    }
    auth = AuthService(kor.ctx)
    tokens = {k: auth.issue(person_id=v, by=NODE_ACTOR).token for k, v in people.items()}
    app = create_app(kor, limits=Limits(requests_per_minute_per_person=1_000_000))
    client = Client(app)
    try:
        yield Setup(
            world=world,
            node=kor,
            client=client,
            tokens=tokens,
            secret=secret.item_ids[0],
            low=low.item_ids[0],
        )
    finally:
        client.close()
    for node in world.nodes.values():
        node.ctx.store.close()


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("officer", {"secret", "low"}),
        ("cleared", {"secret", "low"}),
        ("low", {"low"}),
        ("noneed", set()),
        ("nocl", set()),
    ],
)
def test_the_item_list_shows_only_markings_the_person_is_cleared_for(
    setup: Setup, who: str, seen: set[str]
) -> None:
    ids = {i["id"] for i in setup.get(who, "/v1/items").json()}
    expected = {getattr(setup, name) for name in seen}
    assert ids == expected


@pytest.mark.parametrize("who", ["nocl", "low", "noneed"])
def test_an_item_detail_not_cleared_for_is_refused_and_recorded(setup: Setup, who: str) -> None:
    r = setup.get(who, f"/v1/items/{setup.secret}")
    assert r.status_code == 403 and "JK-7.2" in r.json()["rule_ids"]
    assert refusals(setup.node)[-1][0] == "jpn-kor-gsomia"


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/v1/persons", "JK-6.e"),
        ("/v1/facilities", "JK-6.e"),
        ("/v1/audit/entries", "JK-6.f"),
        ("/v1/audit/verify", "JK-6.f"),
        ("/v1/audit/alarms", "JK-6.f"),
        ("/v1/outbox", "JK-6.f"),
        ("/v1/authorities", "JK-6.e"),
    ],
)
@pytest.mark.parametrize("who", ["nocl", "cleared"])
def test_the_registry_and_the_ledger_are_for_security_officers(
    setup: Setup, path: str, rule: str, who: str
) -> None:
    r = setup.get(who, path)
    assert r.status_code == 403, (path, r.text)
    assert rule in r.json()["rule_ids"]
    assert setup.get("officer", path).status_code == 200


def test_records_about_items_follow_the_items_visibility(setup: Setup) -> None:
    kor = setup.node
    kor.consent.request(item_id=setup.secret, to_party="USA", by=officer("KOR"), reason="x")
    assert setup.get("nocl", "/v1/consents").json() == []
    assert setup.get("low", "/v1/consents").json() == []
    assert len(setup.get("cleared", "/v1/consents").json()) == 1
    assert len(setup.get("officer", "/v1/consents").json()) == 1


def test_the_cli_lists_only_what_the_person_may_see(setup: Setup) -> None:
    shown = setup.node.queries.items(viewer="kor-lowly")
    assert [r.id for r in shown] == [setup.low]
    with pytest.raises(Exception) as denied:
        setup.node.registry.persons(viewer="kor-cleared")
    assert "JK-6.e" in str(denied.value)
