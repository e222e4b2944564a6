"""Every authority the registry grants by name goes to, and is exercised by, a person
holding a clearance in effect (JK-6.e, JK-7.2): an official without one is granted no
authority, and one whose clearance lapses after the grant gives no notice ending an
agreement, answers no consent and reports no incident. The rules decide, and each refusal
is recorded in the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gsomia.core.lifecycle import Phase, status
from gsomia.errors import PolicyDenied
from tests.support.workflows import World, lapsing_officer, officer, refusals

AUTHORITIES = ["notes", "consent", "incidents", "liaison", "reclassification"]
#: An agreement without fixed terms each party may give notice of (the notice names its end).
NOTICE = {"JPN": "tisa", "KOR": "kor-usa-gsomia", "USA": "kor-usa-gsomia"}


@pytest.mark.parametrize("party", ["JPN", "KOR", "USA"])
@pytest.mark.parametrize("authority", AUTHORITIES)
def test_an_uncleared_official_is_granted_no_authority(
    world: World, party: str, authority: str
) -> None:
    node = world[party]
    person = f"{party.lower()}-uncleared-{authority}"
    node.registry.add_person(person_id=person, name="Uncleared", role="official", by=officer(party))
    before = len(refusals(node))
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.grant(person_id=person, authority=authority, by=officer(party))
    assert len(refusals(node)) == before + 1
    assert refusals(node)[-1][2] == officer(party)
    with node.ctx.store.read() as uow:
        assert node.ctx.person(uow, person).authorities == frozenset()


@pytest.mark.parametrize("party", ["JPN", "KOR", "USA"])
@pytest.mark.parametrize("lapsed", [False, True])
def test_an_official_whose_clearance_lapsed_gives_no_notice(
    world: World, party: str, lapsed: bool
) -> None:
    node = world[party]
    agreement = NOTICE[party]
    person = lapsing_officer(node, "notes", lapses_in=3, role="official")
    world.later(days=4 if lapsed else 1)
    before = len(refusals(node))
    ends = world.clock.now() + timedelta(days=400)
    if not lapsed:
        note = node.notes.give(
            agreement_id=agreement, kind="notice", by=person, text="end", terminates_at=ends
        )
        assert note.id
        return
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.notes.give(
            agreement_id=agreement, kind="notice", by=person, text="end", terminates_at=ends
        )
    assert len(refusals(node)) == before + 1
    assert refusals(node)[-1][2] == person
    # nothing changed: the agreement is still in force, with no notice pending
    now = world.clock.now()
    assert status(node.ctx.agreement(agreement), at=now).phase is Phase.IN_FORCE
