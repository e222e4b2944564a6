"""A token lets whoever holds it act as its person, so it is issued only for the issuer
themselves or for a person holding no authority the issuer does not hold (JK-6.e): a
registry officer may not make themselves, by a token, an official who gives notes, answers
for consent or keeps the inventory. The node itself (its operator, who holds the master
secret) issues any token of its party. Revocation, which only narrows access, stays with
the registry authority. The rules decide, and a refusal is recorded."""

from __future__ import annotations

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.errors import PolicyDenied
from gsomia.ledger.entries import Event
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import (
    LEVEL,
    TOPIC,
    World,
    acts,
    enrol,
    officer,
    official,
    refusals,
    registrar,
)

PARTIES = ["JPN", "KOR", "USA"]


def _tokens(node: Node) -> int:
    with node.ctx.store.read() as uow:
        return len(uow.records("token"))


def _register_ids(node: Node) -> set[str]:
    """The registry article of every agreement the node's party answers to."""
    return {a.rule_id("register") for a in node.ctx.rulebook.governing(node.party)}


def _refused_token(node: Node, person_id: str, by: str, *, lacking: str) -> None:
    before, stored = len(refusals(node)), _tokens(node)
    with pytest.raises(PolicyDenied, match=f"{lacking}") as refused:
        AuthService(node.ctx).issue(person_id=person_id, by=by)
    assert set(refused.value.rule_ids) == _register_ids(node)
    assert len(refusals(node)) == before + 1
    assert refusals(node)[-1][2] == by
    assert _tokens(node) == stored  # nothing issued


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize(
    ("role", "authority"),
    [
        ("official", "consent"),
        ("official", "notes"),
        ("official", "reclassification"),
        ("security-officer", "incidents"),
        ("security-officer", "liaison"),
        ("official", "forwarding"),
    ],
)
def test_a_registrar_is_refused_a_token_for_a_person_holding_an_authority_it_lacks(
    world: World, party: str, role: str, authority: str
) -> None:
    node = world[party]
    person = enrol(
        node,
        f"{party.lower()}-{role}-{authority}",
        role=role,
        clearance=LEVEL[party],
        need=frozenset({TOPIC}),
        authorities=(authority,),
    )
    _refused_token(node, person, registrar(party), lacking=authority)


@pytest.mark.parametrize("party", PARTIES)
def test_a_registrar_is_refused_a_token_for_the_officer_who_holds_every_authority(
    world: World, party: str
) -> None:
    _refused_token(world[party], officer(party), registrar(party), lacking="notes")


@pytest.mark.parametrize("party", PARTIES)
def test_a_second_registry_officer_issues_only_within_what_they_hold(
    world: World, party: str
) -> None:
    node = world[party]
    p = party.lower()
    second = enrol(
        node,
        f"{p}-second-registrar",
        role="security-officer",
        clearance=LEVEL[party],
        authorities=("registry", "consent"),
    )
    consent = enrol(node, f"{p}-consent", clearance=LEVEL[party], authorities=("consent",))
    notes = enrol(node, f"{p}-notes", clearance=LEVEL[party], authorities=("consent", "notes"))
    custody = enrol(
        node,
        f"{p}-keeper",
        role="security-officer",
        clearance=LEVEL[party],
        authorities=("custody",),
    )
    auth = AuthService(node.ctx)
    assert auth.person(auth.issue(person_id=consent, by=second).token).id == consent
    _refused_token(node, notes, second, lacking="notes")
    _refused_token(node, custody, second, lacking="custody")
    # the founding registrar holds custody, not consent: the other way round
    assert auth.person(auth.issue(person_id=custody, by=registrar(party)).token).id == custody
    _refused_token(node, consent, registrar(party), lacking="consent")


@pytest.mark.parametrize("party", PARTIES)
def test_a_registrar_issues_for_themselves_and_for_persons_holding_nothing_more(
    world: World, party: str
) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    p = party.lower()
    for person in (registrar(party), official(party), f"{p}-low", f"{p}-translator"):
        assert auth.person(auth.issue(person_id=person, by=registrar(party)).token).id == person
    # the officer holding every authority issues a token for anyone holding no registry
    # authority, and their own (a registry officer's token is the node's or their own)
    for person in (officer(party), official(party), f"{p}-translator"):
        assert auth.person(auth.issue(person_id=person, by=officer(party)).token).id == person
    _refused_token(node, registrar(party), officer(party), lacking="registry")


@pytest.mark.parametrize("party", PARTIES)
def test_the_node_issues_any_token_of_its_party_on_the_record(world: World, party: str) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    for person in (officer(party), registrar(party), official(party)):
        issued = auth.issue(person_id=person, by=NODE_ACTOR)
        assert auth.person(issued.token).id == person
        entry = acts(node)[-1]
        assert entry.event is Event.TOKEN_ISSUED
        assert (entry.actor.person, entry.details["subject"]) == (NODE_ACTOR, person)
    # but not a token of another party's person, nor of nobody
    with pytest.raises(Exception, match="person"):
        auth.issue(person_id=officer("KOR" if party != "KOR" else "JPN"), by=NODE_ACTOR)


@pytest.mark.parametrize("party", PARTIES)
def test_a_registrar_still_revokes_the_token_of_a_person_holding_more(
    world: World, party: str
) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    issued = auth.issue(person_id=officer(party), by=NODE_ACTOR)
    auth.revoke(token_id=issued.token_id, by=registrar(party))
    with pytest.raises(Exception, match="revoked"):
        auth.person(issued.token)
    # a person without the registry authority does not revoke
    other = auth.issue(person_id=officer(party), by=officer(party))
    with pytest.raises(PolicyDenied):
        auth.revoke(token_id=other.token_id, by=official(party))
