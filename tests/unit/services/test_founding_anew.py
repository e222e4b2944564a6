"""A registry whose every registry officer can no longer act (each holds no clearance in
effect: it lapsed, or a node older than the clearance rule never recorded one) would be
administered by nobody again: no person can be added, cleared or granted anything, and
nobody can revoke the lapsed grant. Its operator founds it anew with a cleared security
officer (JK-6.e, JK-7.2), who then administers it and revokes the old grant; the founding is
refused, on the record, while any registry officer can still act."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gsomia.adapters.clock import SimulatedClock
from gsomia.agreement_files import load_library
from gsomia.bootstrap import fresh_node
from gsomia.core.people import Authority, Clearance, Person, Role
from gsomia.errors import PolicyDenied
from gsomia.ledger.entries import Event
from gsomia.records import AuthorityRecord
from gsomia.services.acts.registry import authority_holders
from gsomia.services.node import Node
from tests.support.workflows import LEVEL, acts, refusals

PARTIES = ["JPN", "KOR", "USA"]
T0 = datetime(2019, 10, 2, 9, tzinfo=UTC)


def _node(party: str) -> Node:
    return fresh_node("memory://", party=party, library=load_library([]), clock=SimulatedClock(T0))


def _lapsing_founder(node: Node, party: str) -> str:
    """A registry founded by an officer whose clearance lapses tomorrow."""
    level = node.ctx.files.schemes.parse(LEVEL[party], party=party)
    cleared = Clearance(level=level, granted_on=date(2015, 1, 5), expires_on=T0.date())
    with node.ctx.store.unit_of_work() as uow:
        uow.add_person(
            Person(
                id="first",
                party=party,
                name="First",
                role=Role.SECURITY_OFFICER,
                clearance=cleared,
            )
        )
    node.registry.found(officer_id="first")
    return "first"


def _uncleared_founder(node: Node, party: str) -> str:
    """A registry of a node older than the clearance rule: its officer holds the registry
    authority and no clearance."""
    with node.ctx.store.unit_of_work() as uow:
        uow.add_person(Person(id="first", party=party, name="First", role=Role.SECURITY_OFFICER))
        for authority in ("registry", "custody"):
            record = AuthorityRecord(
                id=f"first.{authority}",
                state="granted",
                person="first",
                authority=authority,
                by="node",
                at=T0.isoformat(),
            )
            node.ctx.put(uow, record, now=T0)
    return "first"


def _holders(node: Node) -> list[str]:
    with node.ctx.store.read() as uow:
        return authority_holders(uow, Authority.REGISTRY)


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("founder", [_lapsing_founder, _uncleared_founder])
def test_a_registry_no_officer_can_administer_is_founded_anew(party: str, founder) -> None:  # type: ignore[no-untyped-def]
    node = _node(party)
    first = founder(node, party)
    if founder is _lapsing_founder:
        # while the first officer is cleared, founding again is refused, on the record
        before = len(refusals(node))
        with pytest.raises(PolicyDenied, match="founded already"):
            node.registry.found(officer_id="second", name="Second", clearance=LEVEL[party])
        assert len(refusals(node)) == before + 1
    node.ctx.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    with pytest.raises(PolicyDenied, match="no clearance in effect"):
        node.registry.add_facility(facility_id="hq", name="HQ", by=first)
    second = node.registry.found(officer_id="second", name="Second", clearance=LEVEL[party])
    assert second.authorities == {Authority.REGISTRY, Authority.CUSTODY}
    assert _holders(node) == ["first", "second"]
    assert acts(node)[-3].event == Event.REGISTRY_FOUNDED
    node.registry.add_facility(facility_id="hq", name="HQ", by="second")
    node.registry.revoke(person_id=first, authority="registry", by="second")
    assert _holders(node) == ["second"]
    # and now that a registry officer can act, the registry is not founded a third time
    with pytest.raises(PolicyDenied, match="second administers it"):
        node.registry.found(officer_id="third", name="Third", clearance=LEVEL[party])
