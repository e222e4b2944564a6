"""A checkpoint of the ledger is decided by the rules in the service (design rule 11,
``Act.REQUEST_CHECKPOINT``, JK-6.f): whoever asks through the API, the console or the
service itself, only a security officer of the node who keeps its inventory has the node
sign one and ask its partners to cosign it; anyone else is refused, the refusal recorded in
the ledger, and nothing is signed or queued."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.crypto import FormKey, MasterSecret
from gsomia.errors import PolicyDenied
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.console import Client, console_app, csrf_of
from tests.support.edge import Api, make_api
from tests.support.workflows import LEVEL, TOPIC, enrol, officer, refusals, registrar

PARTIES = ("JPN", "KOR")
MASTER = MasterSecret.from_text(MasterSecret.generate())


def _uncleared(node: Node) -> str:
    return enrol(node, f"{node.party.lower()}-no-clearance", role="official")


def _staff(node: Node) -> str:
    p = node.party.lower()
    node.registry.add_facility(
        facility_id=f"{p}-works", name="Works", contractor="Works Co", by=registrar(node.party)
    )
    return enrol(
        node,
        f"{p}-works-staff",
        role="contractor-staff",
        clearance=LEVEL[node.party],
        need=frozenset({TOPIC}),
        facilities=frozenset({f"{p}-works"}),
    )


def _registrar_only(node: Node) -> str:
    """A security officer granted the registry authority, not the custody of the inventory."""
    return enrol(
        node,
        f"{node.party.lower()}-second-registrar",
        role="security-officer",
        clearance=LEVEL[node.party],
        authorities=("registry",),
    )


def _cleared_official(node: Node) -> str:
    return enrol(
        node, f"{node.party.lower()}-analyst", clearance=LEVEL[node.party], need=frozenset({TOPIC})
    )


ASKERS = {
    "uncleared official": _uncleared,
    "contractor staff": _staff,
    "registrar without custody": _registrar_only,
    "cleared official": _cleared_official,
}


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    made = make_api(tmp_path_factory.mktemp("checkpoint"))
    made.world.provide()
    made.world.provide("KOR", "JPN")
    made.world.drain()
    yield made
    for node in made.world.nodes.values():
        node.ctx.store.close()


def _queued(node: Node) -> int:
    return node.delivery.counts().get("pending", 0)


def _signed(node: Node) -> tuple[int, int, int]:
    """The latest checkpoint's size, how many checkpoints there are, and what is queued."""
    return node.audit.latest_size(), len(node.audit.checkpoints()), _queued(node)


def _token(node: Node, person: str) -> str:
    return AuthService(node.ctx).issue(person_id=person, by=NODE_ACTOR).token


def _assert_refused_and_recorded(node: Node, person: str, before: int) -> None:
    after = refusals(node)
    assert len(after) == before + 1
    agreement_id, rule_ids, who = after[-1]
    assert who == person
    assert node.ctx.agreement(agreement_id).rule_id("inventory") in rule_ids


@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("asker", sorted(ASKERS))
def test_the_service_refuses_a_checkpoint_to_anyone_but_the_inventorys_keeper(
    api: Api, party: str, asker: str
) -> None:
    node = api.world[party]
    person = ASKERS[asker](node)
    signed, before = _signed(node), len(refusals(node))
    with pytest.raises(PolicyDenied) as refused:
        node.witness.request(by=person)
    assert node.ctx.agreement(refusals(node)[-1][0]).rule_id("inventory") in refused.value.rule_ids
    _assert_refused_and_recorded(node, person, before)
    assert _signed(node) == signed


@pytest.mark.parametrize("asker", sorted(ASKERS))
def test_the_api_refuses_through_the_service_and_records_it(api: Api, asker: str) -> None:
    node = api.node
    person = ASKERS[asker](node)
    signed, before = _signed(node), len(refusals(node))
    answer = api.call("POST", "/v1/audit/checkpoint", token=_token(node, person))
    assert answer.status_code == 403, answer.text
    _assert_refused_and_recorded(node, person, before)
    assert _signed(node) == signed


@pytest.mark.parametrize("party", PARTIES)
def test_a_security_officer_of_either_party_gets_the_checkpoint(api: Api, party: str) -> None:
    node = api.world[party]
    before = len(refusals(node))
    size = node.witness.request(by=officer(party))
    assert size == node.audit.latest_size() == node.ctx.store.ledger.size()
    assert _queued(node) >= 1  # the partner is asked to cosign it
    assert len(refusals(node)) == before


def test_the_api_gives_the_officer_the_checkpoint(api: Api) -> None:
    answer = api.call("POST", "/v1/audit/checkpoint")
    assert answer.status_code == 200, answer.text
    assert answer.json()["size"] == api.node.audit.latest_size() > 0


@pytest.mark.parametrize("party", PARTIES)
def test_the_console_refuses_through_the_service_and_records_it(api: Api, party: str) -> None:
    node = api.world[party]
    person = _registrar_only(node)
    client = Client(console_app(node, FormKey.from_master(MASTER)))
    try:
        client.login(_token(node, person))
        csrf = csrf_of(client.get("/console"))
        signed, before = _signed(node), len(refusals(node))
        answer = client.post("/console/audit/checkpoint", {"csrf": csrf})
        assert answer.status_code == 403, answer.text
        _assert_refused_and_recorded(node, person, before)
        assert _signed(node) == signed
    finally:
        client.close()


def test_the_console_gives_the_officer_the_checkpoint(api: Api) -> None:
    node = api.world["KOR"]
    client = Client(console_app(node, FormKey.from_master(MASTER)))
    try:
        client.login(_token(node, officer("KOR")))
        csrf = csrf_of(client.get("/console/audit"))
        answer = client.post("/console/audit/checkpoint", {"csrf": csrf})
        assert answer.status_code == 303, answer.text
        assert node.audit.latest_size() == node.ctx.store.ledger.size()
    finally:
        client.close()
