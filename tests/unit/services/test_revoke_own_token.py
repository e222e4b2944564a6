"""A person ends a token of their own (``Act.REVOKE_TOKEN``, JK-6.e): one who fears it was
seen need not wait for a registry officer while whoever holds it acts as them. Revoking a
token of anyone else still needs the registry authority; each revocation, and each
refusal, is recorded in the ledger under every agreement's registry article."""

from __future__ import annotations

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.errors import IntegrityError, PolicyDenied
from gsomia.ledger.entries import Event
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import LEVEL, LOW, World, acts, enrol, official, registrar

PARTIES = ["JPN", "KOR", "USA"]


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize(
    ("role", "authorities"),
    [("official", ()), ("official", ("notes",)), ("security-officer", ("custody",))],
)
def test_a_person_revokes_their_own_token_and_no_one_elses(
    world: World, party: str, role: str, authorities: tuple[str, ...]
) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    person = enrol(
        node,
        f"{party.lower()}-holder",
        role=role,
        clearance=LEVEL[party],
        authorities=authorities,
    )
    mine = auth.issue(person_id=person, by=NODE_ACTOR)
    spare = auth.issue(person_id=person, by=NODE_ACTOR)
    others = auth.issue(person_id=official(party), by=NODE_ACTOR)
    before = len(acts(node))
    auth.revoke(token_id=mine.token_id, by=person)
    with pytest.raises(IntegrityError):
        auth.person(mine.token)
    assert auth.person(spare.token).id == person  # only that token ends
    with pytest.raises(PolicyDenied, match="registry"):
        auth.revoke(token_id=others.token_id, by=person)
    assert auth.person(others.token).id == official(party)
    recorded = acts(node)[before:]
    assert [e.event for e in recorded] == [Event.TOKEN_REVOKED, Event.ITEM_REFUSED]
    assert [e.actor.person for e in recorded] == [person, person]
    registers = {a.rule_id("register") for a in node.ctx.rulebook.governing(party)}
    assert all(set(e.rule_ids) == registers for e in recorded)


@pytest.mark.parametrize("party", PARTIES)
def test_a_registry_officer_still_revokes_anyones_token(world: World, party: str) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    low = enrol(node, f"{party.lower()}-low-holder", clearance=LOW[party])
    issued = auth.issue(person_id=low, by=registrar(party))
    auth.revoke(token_id=issued.token_id, by=registrar(party))
    with pytest.raises(IntegrityError):
        auth.person(issued.token)
