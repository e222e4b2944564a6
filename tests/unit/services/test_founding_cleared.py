"""A node's registry is founded by a cleared security officer (JK-6.e, JK-7.2): naming a
new first officer without a clearance is refused before anything is stored, with a sentence
saying so; an existing officer with no clearance in effect is refused by the rules, on the
record; a cleared officer founds it and then administers the registry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gsomia.adapters.clock import SimulatedClock
from gsomia.agreement_files import load_library
from gsomia.bootstrap import fresh_node
from gsomia.core.people import Authority, Person, Role
from gsomia.errors import InputError, PolicyDenied
from gsomia.services.acts.registry import MissingFounderClearance, authority_holders
from gsomia.services.node import Node
from tests.support.workflows import LEVEL, refusals

PARTIES = ["JPN", "KOR", "USA"]


def _unfounded(party: str) -> Node:
    return fresh_node(
        "memory://",
        party=party,
        library=load_library([]),
        clock=SimulatedClock(datetime(2019, 10, 2, 9, tzinfo=UTC)),
    )


def _holders(node: Node) -> list[str]:
    with node.ctx.store.read() as uow:
        return authority_holders(uow, Authority.REGISTRY)


@pytest.mark.parametrize("party", PARTIES)
def test_a_new_first_officer_without_a_clearance_does_not_found_the_registry(
    party: str,
) -> None:
    node = _unfounded(party)
    with pytest.raises(InputError, match="without a clearance") as refused:
        node.registry.found(officer_id="duty", name="Duty")
    assert isinstance(refused.value, MissingFounderClearance)
    assert "cleared security officer" in str(refused.value)
    assert _holders(node) == []
    with node.ctx.store.read() as uow:
        assert [p.id for p in uow.persons()] == []


@pytest.mark.parametrize("party", PARTIES)
def test_a_cleared_first_officer_founds_the_registry_and_administers_it(party: str) -> None:
    node = _unfounded(party)
    officer = node.registry.found(officer_id="duty", name="Duty", clearance=str(LEVEL[party]))
    assert officer.authorities == {Authority.REGISTRY, Authority.CUSTODY}
    assert _holders(node) == ["duty"]
    node.registry.add_facility(facility_id="hq", name="HQ", by="duty")
    node.registry.register(person_id="duty", facility_id="hq", by="duty")


def test_an_existing_officer_without_a_clearance_is_refused_the_founding() -> None:
    """A node whose registry predates authorities names an existing security officer: one
    holding no clearance in effect is refused by the rules, and the refusal recorded."""
    node = _unfounded("JPN")
    with node.ctx.store.unit_of_work() as uow:
        uow.add_person(Person(id="duty", party="JPN", name="Duty", role=Role.SECURITY_OFFICER))
    before = len(refusals(node))
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.found(officer_id="duty")
    assert len(refusals(node)) == before + 1
    assert _holders(node) == []
