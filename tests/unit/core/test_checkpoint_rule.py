"""Who may have the node checkpoint its ledger (``Act.REQUEST_CHECKPOINT``, JK-6.f): the node
itself, or a security officer of its own party who keeps the inventory."""

from __future__ import annotations

import pytest

from gsomia.core.agreements import Agreement
from gsomia.core.classification import SchemeRegistry
from gsomia.core.people import Authority, Person, Role
from gsomia.core.rules import Act, CheckpointRequest, Rulebook
from tests.support.core import officer, on


def _ask(rulebook: Rulebook, agreement: Agreement, person: Person | None, party: str) -> bool:
    request = CheckpointRequest(
        agreement=agreement, person=person, party=party, at=on(agreement, "2020-01-01")
    )
    decision = rulebook.decide(Act.REQUEST_CHECKPOINT, request)
    assert agreement.rule_id("inventory") in decision.rule_ids
    return decision.allowed


def test_the_node_itself_checkpoints_its_ledger(rulebook: Rulebook, jk: Agreement) -> None:
    assert _ask(rulebook, jk, None, "KOR")
    assert _ask(rulebook, jk, None, "JPN")


@pytest.mark.parametrize(
    ("role", "authorities", "allowed"),
    [
        (Role.SECURITY_OFFICER, frozenset({Authority.CUSTODY}), True),
        (Role.SECURITY_OFFICER, frozenset(Authority), True),
        (Role.SECURITY_OFFICER, frozenset({Authority.REGISTRY}), False),
        (Role.SECURITY_OFFICER, frozenset(), False),
        (Role.OFFICIAL, frozenset({Authority.INCIDENTS}), False),
        (Role.CONTRACTOR_STAFF, frozenset(), False),
        (Role.TRANSLATOR, frozenset(), False),
    ],
)
def test_only_a_security_officer_keeping_the_inventory_asks_for_one(
    rulebook: Rulebook,
    jk: Agreement,
    schemes: SchemeRegistry,
    role: Role,
    authorities: frozenset[Authority],
    allowed: bool,
) -> None:
    person = officer(schemes, role=role, authorities=authorities)
    assert _ask(rulebook, jk, person, "KOR") is allowed


def test_a_person_of_another_party_is_refused_whatever_they_hold(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    person = officer(schemes, role=Role.SECURITY_OFFICER, authorities=frozenset(Authority))
    assert _ask(rulebook, jk, person, "KOR")
    assert not _ask(rulebook, jk, person, "JPN")
