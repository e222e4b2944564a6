"""The personnel registry (persons with their clearances, need-to-know topics, registers
and authorities; the authorities granted; the tokens issued) is seen by security officers
holding a clearance in effect only (JK-6.e, JK-7.2): one whose clearance has lapsed, even
holding the registry or custody authority, is refused, on the record, and a listing that
shows facilities beside other things leaves them out. A cleared officer still sees it."""

from __future__ import annotations

import pytest

from gsomia.errors import PolicyDenied
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import World, lapsing_officer, officer, refusals


@pytest.mark.parametrize("party", ["JPN", "KOR", "USA"])
@pytest.mark.parametrize("authority", ["registry", "custody"])
def test_a_security_officer_whose_clearance_lapsed_does_not_see_the_registry(
    world: World, party: str, authority: str
) -> None:
    node = world[party]
    person = lapsing_officer(node, authority)
    assert node.registry.persons(viewer=person)  # cleared today
    world.later(days=2)
    before = len(refusals(node))
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.persons(viewer=person)
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.authorities(viewer=person)
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        AuthService(node.ctx).tokens(viewer=person)
    assert [r[2] for r in refusals(node)[before:]] == [person] * 3
    assert node.queries.facilities(viewer=person) == []
    # the cleared officer still sees all of it
    assert node.registry.persons(viewer=officer(party))
    assert node.queries.facilities(viewer=officer(party))
