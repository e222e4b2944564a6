"""The console's overview shows the node's inventory by state, its outbox and its ledger
(size, latest checkpoint, witness alarms) only to those the rules let see the ledger (JK-6.f),
as ``/v1/outbox`` and ``/metrics`` do; anyone else logged in sees the node, themselves and
the agreements."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.crypto import FormKey
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.integration.api.test_console import Browser
from tests.support.console import console_app
from tests.support.workflows import LEVEL, TOPIC, World, build, enrol, officer


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("overview"))
    made.provide()  # JPN to KOR, under Japan–ROK GSOMIA
    made.provide("USA", "KOR", agreement="kor-usa-gsomia")
    made.provide("KOR", "JPN")  # queued: an outbox entry on KOR
    for node in made.nodes.values():
        node.audit.checkpoint(now=made.clock.now())
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


def _page(node: Node, person: str) -> str:
    token = AuthService(node.ctx).issue(person_id=person, by=NODE_ACTOR).token
    browser = Browser(console_app(node, FormKey.drawn()))
    try:
        assert browser.login(token).status_code == 303
        answer = browser.get("/console")
        assert answer.status_code == 200, answer.text
        return re.sub(r"\s+", " ", answer.text)
    finally:
        browser.close()


def _people(node: Node) -> dict[str, str]:
    p = node.party.lower()
    ids = {
        "uncleared": f"{p}-overview-uncleared",
        "cleared": f"{p}-overview-cleared",
        "contractor": f"{p}-overview-contractor",
    }
    with node.ctx.store.read() as uow:
        if ids["uncleared"] in {x.id for x in uow.persons()}:
            return ids
    hq = frozenset({f"{p}-hq"})
    enrol(node, ids["uncleared"])
    enrol(node, ids["cleared"], clearance=LEVEL[node.party], need=frozenset({TOPIC}), facilities=hq)
    enrol(node, ids["contractor"], role="contractor-staff", clearance=LEVEL[node.party])
    return ids


@pytest.mark.parametrize("party", ["KOR", "JPN"])
@pytest.mark.parametrize("who", ["uncleared", "cleared", "contractor"])
def test_the_overview_leaves_out_the_inventory_outbox_and_ledger(
    world: World, party: str, who: str
) -> None:
    node = world[party]
    page = _page(node, _people(node)[who])
    size = node.ctx.store.ledger.size()
    assert "Items by state" not in page and 'class="num"' not in page
    assert "<h2>Outbox</h2>" not in page and "Delivery state" not in page
    assert f"<dt>Entries</dt><dd>{size}</dd>" not in page
    assert "Latest checkpoint" not in page and "Witness alarms" not in page
    assert "shown to those who may see the ledger" in page


@pytest.mark.parametrize("party", ["KOR", "JPN"])
def test_a_security_officer_sees_the_inventory_outbox_and_ledger(world: World, party: str) -> None:
    node = world[party]
    page = _page(node, officer(party))
    assert "Items by state" in page and "<h2>Outbox</h2>" in page
    assert f"<dt>Entries</dt><dd>{node.ctx.store.ledger.size()}</dd>" in page
    assert "Latest checkpoint</dt><dd>size" in page


def test_the_summary_query_answers_only_those_who_may_see_the_ledger(world: World) -> None:
    node = world["KOR"]
    people = _people(node)
    assert node.overview.summary_for(viewer=officer("KOR")) is not None
    for person in people.values():
        assert node.overview.summary_for(viewer=person) is None
