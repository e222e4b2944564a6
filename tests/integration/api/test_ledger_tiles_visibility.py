"""The ledger's entries served as tlog-tiles entry bundles go only to those who may see the
ledger (JK-6.f), as ``/v1/audit/entries`` does: an entry names who opened, provided or
destroyed which item under which agreement, at what level. The checkpoint and the hash
tiles carry only hashes and the log's size, and stay open to any person with a token.

What the rules decided a person may see is never kept by their browser (``no-store``): an
entry bundle cached for a year would outlive the person's access. The hash tiles, the same
for everyone and never changing, stay cacheable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.api.serve import start_server
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.integration.api.test_visibility import Client
from tests.support.workflows import LEVEL, TOPIC, World, build, enrol, officer, refusals


@dataclass
class Served:
    node: Node
    client: Client
    tokens: dict[str, str]

    def get(self, who: str, path: str) -> object:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("tiles"))
    made.provide()  # JPN to KOR
    made.provide("KOR", "USA", agreement="kor-usa-gsomia")
    made.drain()
    for node in made.nodes.values():
        node.audit.checkpoint(now=made.clock.now())
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


@pytest.fixture(params=["KOR", "USA"])
def served(world: World, request: pytest.FixtureRequest) -> Iterator[Served]:
    node = world[request.param]
    p = node.party.lower()
    hq = frozenset({f"{p}-hq"})
    people = {
        "officer": officer(node.party),
        "nocl": f"{p}-official-uncleared",
        "cleared": f"{p}-official-cleared",
        "contractor": f"{p}-contractor-staff",
    }
    with node.ctx.store.read() as uow:
        known = {x.id for x in uow.persons()}
    if people["nocl"] not in known:
        enrol(node, people["nocl"])
        enrol(
            node,
            people["cleared"],
            clearance=LEVEL[node.party],
            need=frozenset({TOPIC}),
            facilities=hq,
        )
        enrol(node, people["contractor"], role="contractor-staff", clearance=LEVEL[node.party])
    auth = AuthService(node.ctx)
    tokens = {k: auth.issue(person_id=v, by=NODE_ACTOR).token for k, v in people.items()}
    client = Client(create_app(node, limits=Limits(requests_per_minute_per_person=10**6)))
    yield Served(node=node, client=client, tokens=tokens)
    client.close()


@pytest.mark.parametrize("who", ["nocl", "cleared", "contractor"])
def test_entry_bundles_are_refused_to_those_who_may_not_see_the_ledger(
    served: Served, who: str
) -> None:
    before = len(refusals(served.node))
    for path in ("/tlog/tile/entries/000.p/3", "/tlog/tile/entries/000.p/1"):
        answer = served.get(who, path)
        assert answer.status_code == 403, answer.content[:300]
        assert "JK-6.f" in answer.json()["rule_ids"] or "KU-INVENTORY" in answer.json()["rule_ids"]
        assert b"ledger-entry" not in answer.content
    assert len(refusals(served.node)) == before + 2
    # The same person is refused the ledger's other listing alike.
    assert served.get(who, "/v1/audit/entries").status_code == 403


@pytest.mark.parametrize("who", ["nocl", "cleared", "contractor", "officer"])
def test_the_checkpoint_and_hash_tiles_stay_open_to_any_person(served: Served, who: str) -> None:
    assert served.get(who, "/tlog/checkpoint").status_code == 200
    assert served.get(who, "/tlog/tile/0/000.p/3").status_code == 200


def test_a_security_officer_reads_the_entry_bundles(served: Served) -> None:
    answer = served.get("officer", "/tlog/tile/entries/000.p/3")
    assert answer.status_code == 200 and b"gsomia/ledger-entry-v1" in answer.content


def _over_a_socket(served: Served, who: str, path: str) -> httpx.Response:
    app = create_app(served.node, limits=Limits(requests_per_minute_per_person=10**6))
    with start_server(app, ssl_context=None) as server:
        headers = {"Authorization": f"Bearer {served.tokens[who]}"}
        return httpx.get(server.url + path, headers=headers, timeout=30)


@pytest.mark.parametrize("width", [1, 3, "all"])
def test_an_entry_bundle_is_served_no_store(served: Served, width: int | str) -> None:
    size = served.node.audit.latest_size()
    path = f"/tlog/tile/entries/000.p/{size if width == 'all' else width}"
    answer = _over_a_socket(served, "officer", path)
    assert answer.status_code == 200, answer.text
    assert b"gsomia/ledger-entry-v1" in answer.content
    assert answer.headers["Cache-Control"] == "no-store"
    refused = _over_a_socket(served, "cleared", path)
    assert refused.status_code == 403
    assert "immutable" not in refused.headers.get("Cache-Control", "")


@pytest.mark.parametrize("who", ["officer", "cleared"])
def test_the_hash_tiles_stay_cacheable_and_the_checkpoint_fresh(served: Served, who: str) -> None:
    tile = _over_a_socket(served, who, "/tlog/tile/0/000.p/3")
    assert tile.status_code == 200
    assert tile.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    checkpoint = _over_a_socket(served, who, "/tlog/checkpoint")
    assert checkpoint.status_code == 200
    assert checkpoint.headers["Cache-Control"] == "no-store"
