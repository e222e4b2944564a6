"""A security officer with no clearance in effect neither reads the ledger (it carries the
items' markings) nor has it checkpointed, even holding the custody authority (JK-6.f,
JK-7.2): the rules decide, and the refusal is recorded."""

from __future__ import annotations

import pytest

from gsomia.errors import PolicyDenied
from tests.support.workflows import World, lapsing_officer, officer, refusals


@pytest.mark.parametrize("party", ["JPN", "KOR", "USA"])
@pytest.mark.parametrize("lapses_in", [1, 30])
def test_an_uncleared_custody_officer_is_refused_the_ledger_and_checkpoints(
    world: World, party: str, lapses_in: int
) -> None:
    # Custody goes to cleared security officers only (JK-6.e): the officer was cleared when
    # granted it, and the clearance has lapsed since.
    node = world[party]
    person = lapsing_officer(node, "custody", lapses_in=lapses_in, suffix=f"-{lapses_in}")
    world.later(days=lapses_in + 1)
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
