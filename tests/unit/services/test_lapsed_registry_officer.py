"""The registry and custody authorities go to security officers holding a clearance in
effect (JK-6.e), and are exercised only while it is (JK-7.2): a registry officer whose
clearance has lapsed since the grant neither grants authorities, nor adds persons, nor
issues tokens, and a custody officer whose clearance has lapsed places no item on a
register. The rules decide, and each refusal is recorded; the node itself, and a cleared
officer, still act."""

from __future__ import annotations

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.errors import PolicyDenied
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import World, lapsing_officer, officer, official, refusals

PARTIES = ["JPN", "KOR", "USA"]
#: Who provides each party an item to place.
SENDER = {"JPN": "KOR", "KOR": "JPN", "USA": "JPN"}


@pytest.mark.parametrize("party", PARTIES)
def test_a_registry_officer_whose_clearance_lapsed_no_longer_administers(
    world: World, party: str
) -> None:
    node = world[party]
    person = lapsing_officer(node, "registry")
    world.later(days=2)
    auth = AuthService(node.ctx)
    before = len(refusals(node))
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.grant(person_id=official(party), authority="notes", by=person)
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        auth.issue(person_id=official(party), by=person)
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.add_person(
            person_id=f"{party.lower()}-new", name="New", role="official", by=person
        )
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.add_facility(facility_id=f"{party.lower()}-annex", name="Annex", by=person)
    assert len(refusals(node)) == before + 4
    assert {r[2] for r in refusals(node)[before:]} == {person}
    # the node and the cleared officer still do
    assert auth.issue(person_id=official(party), by=NODE_ACTOR).person_id == official(party)
    node.registry.grant(person_id=official(party), authority="notes", by=officer(party))


@pytest.mark.parametrize("party", PARTIES)
def test_a_registry_officer_still_cleared_administers(world: World, party: str) -> None:
    node = world[party]
    person = lapsing_officer(node, "registry")
    node.registry.grant(person_id=official(party), authority="notes", by=person)
    node.registry.add_person(
        person_id=f"{party.lower()}-new", name="New", role="official", by=person
    )


@pytest.mark.parametrize("party", PARTIES)
def test_a_custody_officer_whose_clearance_lapsed_places_nothing(world: World, party: str) -> None:
    node = world[party]
    person = lapsing_officer(node, "custody")
    item = world.provide(SENDER[party], party).item_ids[0]
    world.drain()
    world.later(days=2)
    hq = f"{party.lower()}-hq"
    before = len(refusals(node))
    with pytest.raises(PolicyDenied, match="clearance"):
        node.custody.place(item_id=item, facility_id=hq, by=person)
    assert len(refusals(node)) == before + 1
    assert refusals(node)[-1][2] == person
    # the cleared officer still does
    node.custody.place(item_id=item, facility_id=hq, by=officer(party))
