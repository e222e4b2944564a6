"""Contractor staff see an item's marking only once the Art. 16 conditions are met where
they are registered (JK-16.x): a marking is shown only to whoever could be given the item
(security review M2, the contractor case). Until then the item lists, the item detail and
the records about items leave the items out, or refuse and record, as for an uncleared
person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gsomia.services.node import Node
from tests.support.edge import get_as
from tests.support.workflows import LEVEL, TOPIC, World, build, enrol, officer, refusals, registrar

STAFF = "{p}-works-staff"


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("contractors"))
    made.provide()  # JPN to KOR under Japan–ROK GSOMIA
    made.provide("USA", "KOR", agreement="kor-usa-gsomia")
    made.provide("KOR", "JPN")
    made.drain()
    for node in (made["KOR"], made["JPN"]):
        p = node.party.lower()
        node.registry.add_facility(
            facility_id=f"{p}-works", name="Works", contractor="Works Co", by=registrar(node.party)
        )
        enrol(
            node,
            STAFF.format(p=p),
            role="contractor-staff",
            clearance=LEVEL[node.party],
            need=frozenset({TOPIC}),
            facilities=frozenset({f"{p}-works"}),
        )
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


def _get(node: Node, person: str, path: str) -> httpx.Response:
    return get_as(node, person, path)


def _held(node: Node) -> list[Any]:
    return node.queries.items(viewer=officer(node.party))


def _meet_article_16(node: Node) -> None:
    p = node.party.lower()
    for condition in node.registry.conditions():
        node.registry.record_condition(
            facility_id=f"{p}-works",
            condition=condition,
            evidence="inspected",
            by=officer(node.party),
        )


@pytest.mark.parametrize("party", ["KOR", "JPN"])
def test_contractor_staff_see_no_marking_before_article_16_is_met(world: World, party: str) -> None:
    node = world[party]
    staff = STAFF.format(p=party.lower())
    held = _held(node)
    assert held, "the node holds items"
    assert _get(node, staff, "/v1/items").json() == []
    assert node.queries.items(viewer=staff) == []
    before = len(refusals(node))
    for record in held:
        answer = _get(node, staff, f"/v1/items/{record.id}")
        assert answer.status_code == 403, answer.text
        assert record.id not in answer.text
    assert len(refusals(node)) == before + len(held)
    assert node.overview.inbox(viewer=staff).markings == {}


def test_records_about_items_follow_the_contractors_markings(world: World) -> None:
    kor = world["KOR"]
    staff = STAFF.format(p="kor")
    item = next(r for r in _held(kor) if r.originator == "JPN")
    kor.consent.request(item_id=item.id, to_party="USA", by=officer("KOR"), reason="share")
    assert _get(kor, staff, "/v1/consents").json() == []
    _meet_article_16(kor)
    assert [c["item"] for c in _get(kor, staff, "/v1/consents").json()] == [item.id]


@pytest.mark.parametrize("party", ["KOR", "JPN"])
def test_contractor_staff_see_the_markings_once_article_16_is_met(world: World, party: str) -> None:
    node = world[party]
    staff = STAFF.format(p=party.lower())
    _meet_article_16(node)
    shown = {i["id"] for i in _get(node, staff, "/v1/items").json()}
    assert shown == {r.id for r in _held(node)}
    for record in _held(node):
        assert _get(node, staff, f"/v1/items/{record.id}").status_code == 200
