"""A security officer with no clearance in effect neither reads the ledger (it carries the
items' markings) nor has it checkpointed, even holding the custody authority (JK-6.f,
JK-7.2): the rules decide, and the refusal is recorded."""

from __future__ import annotations

from datetime import date

import pytest

from gsomia.errors import PolicyDenied
from tests.support.workflows import LEVEL, World, enrol, officer, refusals


@pytest.mark.parametrize("party", ["JPN", "KOR", "USA"])
@pytest.mark.parametrize("expired", [False, True])
def test_an_uncleared_custody_officer_is_refused_the_ledger_and_checkpoints(
    world: World, party: str, expired: bool
) -> None:
    node = world[party]
    person = f"{party.lower()}-so-{'expired' if expired else 'none'}"
    enrol(node, person, role="security-officer", authorities=("custody",))
    if expired:  # cleared once, lapsed long before the test's dates
        person = f"{person}-x"
        node.registry.add_person(
            person_id=person,
            name="Lapsed",
            role="security-officer",
            clearance=str(LEVEL[party]),
            granted_on=date(2001, 1, 1),
            expires_on=date(2002, 1, 1),
            by=officer(party),
        )
        node.registry.grant(person_id=person, authority="custody", by=officer(party))
    before = len(refusals(node))
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.queries.ledger(viewer=person)
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.witness.request(by=person)
    assert len(refusals(node)) == before + 2
    assert [r[2] for r in refusals(node)[-2:]] == [person, person]
    # the node's cleared officer still does both
    assert node.queries.ledger(viewer=officer(party)) is not None
    assert node.witness.request(by=officer(party)) > 0
