"""Taking an authority back is its own act (``Act.REVOKE_AUTHORITY``, JK-6.e), decided by
the registry authority of whoever revokes it and by what the person holds, not by whether
the person could be granted it today: a security officer whose clearance has lapsed loses
the registry or custody authority like anyone else, and a registrar may give up an
authority of their own. Each revocation is recorded in the ledger under every agreement's
registry article; grants to the lapsed officer are still refused."""

from __future__ import annotations

import pytest

from gsomia.core.people import Authority
from gsomia.errors import PolicyDenied
from gsomia.ledger.entries import Event
from gsomia.services.node import Node
from tests.support.workflows import World, acts, lapsing_officer, officer, registrar

PARTIES = ["JPN", "KOR", "USA"]


def _held(node: Node, person: str) -> frozenset[Authority]:
    with node.ctx.store.read() as uow:
        return node.ctx.granted(uow, person)


def _registers(node: Node) -> set[str]:
    return {a.rule_id("register") for a in node.ctx.rulebook.governing(node.party)}


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("authority", ["registry", "custody"])
@pytest.mark.parametrize("by", ["officer", "registrar"])
def test_an_officer_whose_clearance_lapsed_has_their_authority_revoked(
    world: World, party: str, authority: str, by: str
) -> None:
    node = world[party]
    person = lapsing_officer(node, authority)
    world.later(days=2)
    revoker = officer(party) if by == "officer" else registrar(party)
    before = len(acts(node))
    record = node.registry.revoke(person_id=person, authority=authority, by=revoker)
    assert record.state == "revoked"
    assert Authority(authority) not in _held(node, person)
    recorded = acts(node)[before:]
    assert [e.event for e in recorded] == [Event.AUTHORITY_REVOKED]
    assert recorded[0].actor.person == revoker
    assert set(recorded[0].rule_ids) == _registers(node)
    # granting it back is still refused while no clearance is in effect
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.grant(person_id=person, authority=authority, by=revoker)


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("authority", ["consent", "notes"])
def test_a_registrar_gives_up_an_authority_of_their_own(
    world: World, party: str, authority: str
) -> None:
    node = world[party]
    node.registry.grant(person_id=registrar(party), authority=authority, by=officer(party))
    node.registry.revoke(person_id=registrar(party), authority=authority, by=registrar(party))
    assert Authority(authority) not in _held(node, registrar(party))
    # nobody grants to themselves, still
    with pytest.raises(PolicyDenied, match="themselves"):
        node.registry.grant(person_id=registrar(party), authority=authority, by=registrar(party))


@pytest.mark.parametrize("party", PARTIES)
def test_a_person_without_the_registry_authority_revokes_nothing(world: World, party: str) -> None:
    node = world[party]
    person = lapsing_officer(node, "custody")
    before = len(acts(node))
    with pytest.raises(PolicyDenied, match="registry"):
        node.registry.revoke(person_id=officer(party), authority="notes", by=person)
    assert [e.event for e in acts(node)[before:]] == [Event.ITEM_REFUSED]
    assert Authority.NOTES in _held(node, officer(party))
