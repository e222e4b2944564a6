"""The registry and custody authorities go to security officers who hold a clearance in
effect on the day of the grant (JK-6.e): an officer never cleared, whose clearance has lapsed
or is not yet in effect is refused the grant, by the rules and on the record, whoever grants
it; the same officer, cleared, is granted it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gsomia.errors import PolicyDenied
from gsomia.records import AuthorityRecord
from gsomia.services.node import Node
from tests.support.workflows import LEVEL, World, officer, refusals, registrar

PARTIES = ["JPN", "KOR", "USA"]


def _officer(node: Node, name: str, clearance: str) -> str:
    """A security officer of ``node``'s party: never cleared, lapsed, not yet cleared, or
    cleared now."""
    today = node.ctx.clock.now().date()
    days = {
        "none": None,
        "lapsed": (date(2001, 1, 1), date(2002, 1, 1)),
        "yesterday": (today - timedelta(days=400), today - timedelta(days=1)),
        "future": (today + timedelta(days=1), None),
        "cleared": (today - timedelta(days=30), None),
    }[clearance]
    person = f"{node.party.lower()}-{name}-{clearance}"
    node.registry.add_person(
        person_id=person,
        name=person.title(),
        role="security-officer",
        clearance=str(LEVEL[node.party]) if days else None,
        granted_on=days[0] if days else None,
        expires_on=days[1] if days else None,
        by=registrar(node.party),
    )
    return person


def _granted(node: Node) -> int:
    with node.ctx.store.read() as uow:
        return len(uow.records(AuthorityRecord.KIND, state="granted"))


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("authority", ["custody", "registry"])
@pytest.mark.parametrize("clearance", ["none", "lapsed", "yesterday", "future"])
@pytest.mark.parametrize("grantor", ["registrar", "officer"])
def test_an_officer_without_a_clearance_in_effect_is_refused_registry_or_custody(
    world: World, party: str, authority: str, clearance: str, grantor: str
) -> None:
    node = world[party]
    by = registrar(party) if grantor == "registrar" else officer(party)
    person = _officer(node, "so", clearance)
    before, granted = len(refusals(node)), _granted(node)
    with pytest.raises(PolicyDenied, match="no clearance in effect") as refused:
        node.registry.grant(person_id=person, authority=authority, by=by)
    register = {a.rule_id("register") for a in node.ctx.rulebook.governing(party)}
    assert set(refused.value.rule_ids) == register
    assert len(refusals(node)) == before + 1
    assert refusals(node)[-1][2] == by
    assert _granted(node) == granted


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("authority", ["custody", "registry"])
def test_a_cleared_officer_is_granted_registry_or_custody(
    world: World, party: str, authority: str
) -> None:
    node = world[party]
    person = _officer(node, "so", "cleared")
    node.registry.grant(person_id=person, authority=authority, by=registrar(party))
    with node.ctx.store.read() as uow:
        assert node.ctx.person(uow, person).holds(authority)  # type: ignore[arg-type]
