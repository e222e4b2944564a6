"""A token lets whoever holds it act as its person, and its issuer has seen it: so at every
use its person holds no authority its issuer lacks (JK-6.e), not only on the day it was
issued. A registrar who issues a token for a person holding nothing, then has that person
granted an authority the registrar lacks, does not act with it by the token: the token is
refused, as opaquely as an unknown one, and the refusal is recorded once (the token is
revoked by the node with it), however often the token is presented again. Tokens of the
node, a person's own, and those of an issuer who holds the authority granted keep working.
"""

from __future__ import annotations

import pytest

from gsomia.core.people import NODE_ACTOR, Authority
from gsomia.errors import IntegrityError
from gsomia.ledger.entries import Event
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import LEVEL, TOPIC, World, acts, enrol, officer, registrar

PARTIES = ["JPN", "KOR", "USA"]

#: (who issues, the role of the token's person, the authority granted after, who grants it)
ISSUE_THEN_GRANT = [
    ("registrar", "official", "consent", "issuer"),
    ("registrar", "official", "notes", "officer"),
    ("registrar", "security-officer", "incidents", "issuer"),
    ("registrar", "official", "liaison", "officer"),
    ("second", "official", "notes", "issuer"),
    ("second", "security-officer", "custody", "officer"),
    ("second", "official", "reclassification", "issuer"),
    ("second", "official", "forwarding", "officer"),
]


def _second(node: Node) -> str:
    """A second registry officer, who also holds consent (not custody)."""
    return enrol(
        node,
        f"{node.party.lower()}-second-registrar",
        role="security-officer",
        clearance=LEVEL[node.party],
        authorities=("registry", "consent"),
    )


def _register_ids(node: Node) -> set[str]:
    return {a.rule_id("register") for a in node.ctx.rulebook.governing(node.party)}


def _opaque(auth: AuthService) -> str:
    """What an unknown token is told."""
    with pytest.raises(IntegrityError) as unknown:
        auth.person("gst_" + "A" * 43)
    return str(unknown.value)


def _refused_once(node: Node, auth: AuthService, token: str, token_id: str, holder: str) -> None:
    """``token`` is refused as an unknown one is; one refusal and one revocation are
    recorded, citing each agreement's registry article, and no more on later tries."""
    before = len(acts(node))
    for _ in range(3):
        with pytest.raises(IntegrityError) as refused:
            auth.person(token)
        assert str(refused.value) == _opaque(auth)
    recorded = acts(node)[before:]
    assert [e.event for e in recorded] == [Event.ITEM_REFUSED, Event.TOKEN_REVOKED]
    for entry in recorded:
        assert set(entry.rule_ids) == _register_ids(node)
        assert entry.details["token"] == token_id
        assert entry.details["subject"] == holder
    assert recorded[0].details["method"] == "use-token"
    assert recorded[1].actor.person == NODE_ACTOR
    views = {t.token_id: t.state for t in auth.tokens(viewer=officer(node.party))}
    assert views[token_id] == "revoked"


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize(("issuer", "role", "authority", "grantor"), ISSUE_THEN_GRANT)
def test_a_token_issued_for_a_person_then_granted_what_its_issuer_lacks_is_refused(
    world: World, party: str, issuer: str, role: str, authority: str, grantor: str
) -> None:
    node = world[party]
    by = registrar(party) if issuer == "registrar" else _second(node)
    holder = enrol(
        node,
        f"{party.lower()}-{role}-{authority}",
        role=role,
        clearance=LEVEL[party],
        need=frozenset({TOPIC}),
    )
    auth = AuthService(node.ctx)
    issued = auth.issue(person_id=holder, by=by)
    assert auth.person(issued.token).authorities == frozenset()
    granted_by = by if grantor == "issuer" else officer(party)
    node.registry.grant(person_id=holder, authority=authority, by=granted_by)
    _refused_once(node, auth, issued.token, issued.token_id, holder)
    # The person is not locked out: a token from the node carries what they were granted.
    fresh = auth.issue(person_id=holder, by=NODE_ACTOR)
    assert Authority(authority) in auth.person(fresh.token).authorities


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("authority", ["consent", "notes", "liaison"])
def test_tokens_of_the_node_of_the_person_and_of_an_issuer_holding_more_keep_working(
    world: World, party: str, authority: str
) -> None:
    node = world[party]
    p = party.lower()
    second = _second(node)
    holder = enrol(node, f"{p}-holder", clearance=LEVEL[party], need=frozenset({TOPIC}))
    auth = AuthService(node.ctx)
    tokens = {
        holder: [
            auth.issue(person_id=holder, by=NODE_ACTOR),  # the node's
            auth.issue(person_id=holder, by=officer(party)),  # the officer holds everything
        ],
        second: [auth.issue(person_id=second, by=second)],  # their own
    }
    if authority == "consent":  # the second registry officer holds consent
        tokens[holder].append(auth.issue(person_id=holder, by=second))
    before = len(acts(node))
    node.registry.grant(person_id=holder, authority=authority, by=registrar(party))
    if authority != "consent":  # their own token, then a grant to themselves by another
        node.registry.grant(person_id=second, authority=authority, by=registrar(party))
    for person, issued in tokens.items():
        for token in issued:
            assert Authority(authority) in auth.person(token.token).authorities, person
    events = [e.event for e in acts(node)[before:]]
    assert events == [Event.AUTHORITY_GRANTED] * (2 if authority != "consent" else 1)


@pytest.mark.parametrize("party", PARTIES)
def test_a_token_is_refused_once_its_issuer_no_longer_holds_what_its_person_holds(
    world: World, party: str
) -> None:
    node = world[party]
    second = _second(node)
    holder = enrol(
        node,
        f"{party.lower()}-consent",
        clearance=LEVEL[party],
        need=frozenset({TOPIC}),
        authorities=("consent",),
    )
    auth = AuthService(node.ctx)
    issued = auth.issue(person_id=holder, by=second)
    assert Authority.CONSENT in auth.person(issued.token).authorities
    node.registry.revoke(person_id=second, authority="consent", by=registrar(party))
    _refused_once(node, auth, issued.token, issued.token_id, holder)
