"""The registry authority grants authorities and issues tokens, so a token of a person who
holds it, issued by someone else, would let that someone grant themselves through it what
no other person decided (the grantor never grants to themselves, JK-6.e), or issue its
person a token of their own, which no issuer bounds. Such a token is issued only by the
node or by its person, and one issued by another does not act for a person who holds the
registry authority, however they came to hold it: refused, opaque, recorded once.
"""

from __future__ import annotations

import pytest

from gsomia.core.people import NODE_ACTOR, Authority
from gsomia.errors import IntegrityError, PolicyDenied
from gsomia.ledger.entries import Event
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import LEVEL, World, acts, enrol, officer, registrar

PARTIES = ["JPN", "KOR", "USA"]


def _deputy(node: Node, **kw: tuple[str, ...]) -> str:
    """A cleared security officer, eligible for the registry and custody authorities."""
    return enrol(
        node,
        f"{node.party.lower()}-deputy",
        role="security-officer",
        clearance=LEVEL[node.party],
        **kw,
    )


def _granted(node: Node, person_id: str) -> frozenset[Authority]:
    with node.ctx.store.read() as uow:
        return node.ctx.granted(uow, person_id)


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("authority", ["consent", "notes", "liaison"])
def test_a_registrar_does_not_grant_themselves_through_a_token_they_issued_another(
    world: World, party: str, authority: str
) -> None:
    node = world[party]
    me = registrar(party)  # holds the registry and custody authorities
    deputy = _deputy(node)
    auth = AuthService(node.ctx)
    issued = auth.issue(person_id=deputy, by=me)  # the deputy holds nothing yet
    node.registry.grant(person_id=deputy, authority="registry", by=me)
    before = len(acts(node))
    with pytest.raises(IntegrityError):
        as_deputy = auth.person(issued.token)
        node.registry.grant(person_id=me, authority=authority, by=as_deputy.id)
    assert Authority(authority) not in _granted(node, me)
    events = [e.event for e in acts(node)[before:]]
    assert events == [Event.ITEM_REFUSED, Event.TOKEN_REVOKED]
    # a token of their own, or the node's, acts for the deputy with the registry authority
    for by in (NODE_ACTOR, deputy):
        fresh = auth.issue(person_id=deputy, by=by)
        assert Authority.REGISTRY in auth.person(fresh.token).authorities


@pytest.mark.parametrize("party", PARTIES)
def test_a_token_issued_by_another_is_not_laundered_into_the_persons_own(
    world: World, party: str
) -> None:
    node = world[party]
    me = registrar(party)
    deputy = _deputy(node)
    auth = AuthService(node.ctx)
    issued = auth.issue(person_id=deputy, by=me)
    node.registry.grant(person_id=deputy, authority="registry", by=me)
    with pytest.raises(IntegrityError):
        as_deputy = auth.person(issued.token)
        # as the deputy, a token "of their own", which no issuer would bound afterwards
        auth.issue(person_id=deputy, by=as_deputy.id)


@pytest.mark.parametrize("party", PARTIES)
def test_a_token_for_a_registry_officer_is_issued_by_the_node_or_themselves_only(
    world: World, party: str
) -> None:
    node = world[party]
    deputy = _deputy(node, authorities=("registry",))
    auth = AuthService(node.ctx)
    # the officer holds every authority, the registrar the registry authority too
    for by in (officer(party), registrar(party)):
        with pytest.raises(PolicyDenied, match="registry"):
            auth.issue(person_id=deputy, by=by)
    # nor for the registrar by the officer, who holds everything the registrar holds
    with pytest.raises(PolicyDenied, match="registry"):
        auth.issue(person_id=registrar(party), by=officer(party))
    for by in (NODE_ACTOR, deputy):
        assert auth.person(auth.issue(person_id=deputy, by=by).token).id == deputy


@pytest.mark.parametrize("party", PARTIES)
def test_an_issuer_who_lost_an_authority_does_not_win_it_back_through_a_registrar_token(
    world: World, party: str
) -> None:
    node = world[party]
    holder = _deputy(node, authorities=("registry", "custody"))
    deputy = enrol(
        node,
        f"{party.lower()}-deputy2",
        role="security-officer",
        clearance=LEVEL[party],
    )
    auth = AuthService(node.ctx)
    issued = auth.issue(person_id=deputy, by=holder)
    node.registry.grant(person_id=deputy, authority="registry", by=holder)
    node.registry.revoke(person_id=holder, authority="custody", by=registrar(party))
    with pytest.raises(IntegrityError):
        as_deputy = auth.person(issued.token)
        node.registry.grant(person_id=holder, authority="custody", by=as_deputy.id)
    assert Authority.CUSTODY not in _granted(node, holder)
