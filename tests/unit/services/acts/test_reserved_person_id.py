"""No person may be registered under the name the node itself acts under: a person so named
would be taken for the node (a checkpoint, a key change) wherever a service compares the
actor with it."""

from __future__ import annotations

import pytest

from gsomia.core.people import NODE_ACTOR, Person, Role
from gsomia.errors import InputError
from gsomia.services.plumbing.context import SYSTEM_ACTOR
from tests.support.workflows import World, counts, registrar


def test_the_services_act_for_the_node_under_the_reserved_name() -> None:
    assert SYSTEM_ACTOR == NODE_ACTOR


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("party", ["JPN", "KOR", "USA"])
def test_a_person_cannot_hold_the_nodes_name(party: str, role: Role) -> None:
    with pytest.raises(InputError, match="reserved for the node"):
        Person(id=NODE_ACTOR, party=party, name="Node", role=role)


@pytest.mark.parametrize("party", ["JPN", "KOR"])
@pytest.mark.parametrize("role", ["official", "security-officer"])
def test_the_registry_refuses_the_nodes_name_and_stores_nothing(
    world: World, party: str, role: str
) -> None:
    node = world[party]
    before = counts(node)
    with pytest.raises(InputError, match="reserved for the node"):
        node.registry.add_person(person_id=NODE_ACTOR, name="Node", role=role, by=registrar(party))
    assert counts(node) == before
