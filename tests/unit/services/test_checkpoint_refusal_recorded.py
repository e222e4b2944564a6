"""A refused checkpoint request is recorded as a refusal that says what was asked for: the
entry names the person and carries ``method`` ``checkpoint`` (ledger-entry-v1 as it is), so
an auditor tells it from a refused view of the ledger or registry (JK-6.f)."""

from __future__ import annotations

import pytest

from gsomia.errors import PolicyDenied
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.services.node import Node
from tests.support.workflows import LEVEL, TOPIC, World, acts, enrol, official

PARTIES = ["JPN", "KOR", "USA"]


def _asker(node: Node, kind: str) -> str:
    p, level = node.party.lower(), LEVEL[node.party]
    if kind == "official":
        return official(node.party)
    if kind == "uncleared official":
        return enrol(node, f"{p}-plain-official")
    if kind == "consent official":
        return enrol(
            node, f"{p}-consent-official", clearance=level, need=frozenset({TOPIC}),
            authorities=("consent",),
        )  # fmt: skip
    if kind == "registrar without custody":
        return enrol(
            node, f"{p}-second-registrar", role="security-officer", clearance=level,
            authorities=("registry",),
        )  # fmt: skip
    return enrol(node, f"{p}-staff", role="contractor-staff", clearance=level)


def _last_refusal(node: Node) -> LedgerEntry:
    return [e for e in acts(node) if e.event is Event.ITEM_REFUSED][-1]


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize(
    "kind",
    [
        "official",
        "uncleared official",
        "consent official",
        "registrar without custody",
        "contractor staff",
    ],
)
def test_a_refused_checkpoint_request_is_recorded_as_one(
    world: World, party: str, kind: str
) -> None:
    node = world[party]
    person = _asker(node, kind)
    with pytest.raises(PolicyDenied):
        node.witness.request(by=person)
    entry = _last_refusal(node)
    assert (entry.actor.party, entry.actor.person, entry.item_id) == (party, person, None)
    assert entry.details.get("method") == "checkpoint"
    assert node.ctx.agreement(entry.agreement_id).rule_id("inventory") in entry.rule_ids


@pytest.mark.parametrize("party", PARTIES)
def test_a_refused_view_of_the_ledger_is_not_recorded_as_a_checkpoint_request(
    world: World, party: str
) -> None:
    node = world[party]
    person = _asker(node, "uncleared official")
    with pytest.raises(PolicyDenied):
        node.queries.ledger(viewer=person)
    assert "method" not in _last_refusal(node).details
    with pytest.raises(PolicyDenied):
        node.witness.request(by=person)
    assert _last_refusal(node).details.get("method") == "checkpoint"
