"""A token another person issued acts only while its issuer could issue it now (JK-6.e,
JK-7.2): a security officer of the party holding the registry authority with a clearance in
effect. Its issuer has seen it, so a registrar whose registry authority is revoked, or whose
clearance lapses, would otherwise go on acting as every person they issued a token for,
opening items at that person's clearance. Such a token is refused as opaquely as an unknown
one, the refusal is recorded once and the node revokes it; the node's tokens and a person's
own keep working, and so do the tokens of a registrar still in standing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.errors import IntegrityError
from gsomia.ledger.entries import Event
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import (
    LEVEL,
    LOW,
    TOPIC,
    World,
    acts,
    enrol,
    lapsing_officer,
    officer,
    registrar,
)

PARTIES = ["JPN", "KOR", "USA"]
#: (how the issuer loses standing, the token's person: role, clearance, authority granted)
CASES = [
    ("registry-revoked", "official", "low", None),
    ("registry-revoked", "security-officer", "level", "consent"),
    ("clearance-lapsed", "official", "level", None),
    ("clearance-lapsed", "security-officer", "level", "custody"),
]


def _issuer(world: World, node: Node, how: str) -> str:
    """A registry officer of ``node`` holding consent and custody as well, whose standing
    ``how`` ends later (their clearance lapses in a day, or an officer revokes their grant)."""
    if how == "clearance-lapsed":
        person = lapsing_officer(node, "registry", suffix="-issuer")
    else:
        person = enrol(
            node,
            f"{node.party.lower()}-issuer",
            role="security-officer",
            clearance=LEVEL[node.party],
            authorities=("registry",),
        )
    for authority in ("consent", "custody"):
        node.registry.grant(person_id=person, authority=authority, by=officer(node.party))
    return person


def _end_standing(world: World, node: Node, how: str, issuer: str) -> None:
    if how == "clearance-lapsed":
        world.later(days=2)
    else:
        node.registry.revoke(person_id=issuer, authority="registry", by=officer(node.party))


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize(("how", "role", "cleared", "authority"), CASES)
def test_a_token_is_refused_once_its_issuer_could_no_longer_issue_it(
    world: World, party: str, how: str, role: str, cleared: str, authority: str | None
) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    issuer = _issuer(world, node, how)
    holder = enrol(
        node,
        f"{party.lower()}-holder",
        role=role,
        clearance=(LOW if cleared == "low" else LEVEL)[party],
        need=frozenset({TOPIC}),
        authorities=(authority,) if authority else (),
    )
    issued = auth.issue(person_id=holder, by=issuer, ttl=timedelta(days=5))
    own = auth.issue(person_id=issuer, by=issuer, ttl=timedelta(days=5))
    assert auth.person(issued.token).id == holder
    _end_standing(world, node, how, issuer)
    with pytest.raises(IntegrityError) as unknown:
        auth.person("gst_" + "A" * 43)
    before = len(acts(node))
    for _ in range(3):
        with pytest.raises(IntegrityError) as refused:
            auth.person(issued.token)
        assert str(refused.value) == str(unknown.value)
    recorded = acts(node)[before:]
    assert [e.event for e in recorded] == [Event.ITEM_REFUSED, Event.TOKEN_REVOKED]
    registers = {a.rule_id("register") for a in node.ctx.rulebook.governing(party)}
    assert all(set(e.rule_ids) == registers for e in recorded)
    assert recorded[0].details["subject"] == holder
    assert recorded[1].actor.person == NODE_ACTOR
    # the issuer's own token and the node's token for the person still act
    assert auth.person(own.token).id == issuer
    assert auth.person(auth.issue(person_id=holder, by=NODE_ACTOR).token).id == holder


@pytest.mark.parametrize("party", PARTIES)
def test_a_registrar_in_standing_keeps_their_tokens_acting(world: World, party: str) -> None:
    node = world[party]
    auth = AuthService(node.ctx)
    holder = enrol(node, f"{party.lower()}-holder", clearance=LOW[party])
    issued = auth.issue(person_id=holder, by=registrar(party), ttl=timedelta(days=5))
    world.later(days=2)
    # another registrar's grant is revoked, and the clock moves: this one's standing holds
    other = _issuer(world, node, "registry-revoked")
    _end_standing(world, node, "registry-revoked", other)
    assert auth.person(issued.token).id == holder
