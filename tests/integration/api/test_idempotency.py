"""``Idempotency-Key`` on creating requests (security review I1): a client's retry after a
lost answer gets the first answer, and the act is not done twice.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.ports.store import RequestKey
from gsomia.services.acts.custody import Provision
from gsomia.services.plumbing.auth import AuthService
from tests.support.edge import Api, make_api
from tests.support.workflows import officer

CONTENT = base64.b64encode(b"launch point 39.0N 125.7E").decode()
PROVIDE = {
    "to": "KOR",
    "level": "極秘",
    "topic": "nk-missile",
    "purpose": "missile warning",
    "contents": [CONTENT, CONTENT],
}


def _keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def _outbox(api: Api) -> int:
    with api.node.ctx.store.read() as uow:
        return sum(uow.outbox_counts().values())


def test_a_retried_provision_gets_the_first_answer_and_makes_no_second_item(api: Api) -> None:
    first = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("retry-1"))
    assert first.status_code == 201, first.text
    state = (api.items(), _outbox(api), api.node.ctx.store.ledger.size())
    again = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("retry-1"))
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert (api.items(), _outbox(api), api.node.ctx.store.ledger.size()) == state
    other = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("retry-2"))
    assert other.status_code == 201 and other.json()["items"] != first.json()["items"]
    assert api.items() == state[0] + 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/facilities", {"id": "jpn-depot", "name": "Depot"}),
        ("/v1/persons", {"id": "jpn-analyst", "name": "Analyst", "role": "official"}),
        (
            "/v1/law-notices",
            {
                "agreement": "jpn-kor-gsomia",
                "title": "Act on the Protection of Specially Designated Secrets",
                "summary": "amended",
                "effective_on": "2019-12-01",
            },
        ),
    ],
)
def test_other_creating_requests_are_answered_once_per_key(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    first = api.call("POST", path, json=body, headers=_keyed(f"k-{path}"))
    assert first.status_code == 201, first.text
    again = api.call("POST", path, json=body, headers=_keyed(f"k-{path}"))
    assert (again.status_code, again.content) == (201, first.content)
    unkeyed = api.call("POST", path, json=body)
    assert unkeyed.status_code in (201, 409), unkeyed.text  # no key: acted on again


def test_a_refusal_is_kept_as_the_answer_too(api: Api) -> None:
    refused = {**PROVIDE, "level": "機密"}  # JPN's top secret: out of the agreement's scope
    first = api.call("POST", "/v1/items", json=refused, headers=_keyed("refused"))
    assert first.status_code == 403, first.text
    ledger = api.node.ctx.store.ledger.size()
    again = api.call("POST", "/v1/items", json=refused, headers=_keyed("refused"))
    assert (again.status_code, again.content) == (403, first.content)
    assert api.node.ctx.store.ledger.size() == ledger  # the refusal is not recorded twice


def test_the_same_key_with_another_request_is_422(api: Api) -> None:
    assert api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("k")).status_code == 201
    items = api.items()
    changed = {**PROVIDE, "purpose": "something else"}
    for method_path, body in (("/v1/items", changed), ("/v1/persons", {"id": "x", "name": "x"})):
        answer = api.call("POST", method_path, json=body, headers=_keyed("k"))
        assert answer.status_code == 422, answer.text
        assert "Idempotency-Key" in answer.json()["message"]
    assert api.items() == items


def test_keys_belong_to_their_person(api: Api) -> None:
    other = AuthService(api.node.ctx).issue(person_id="jpn-official", by="jpn-registrar").token
    mine = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("shared"))
    theirs = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("shared"), token=other)
    assert mine.status_code == 201
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["items"] != mine.json()["items"]
    # A stranger's key gets no answer: the route refuses the token first.
    stranger = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("shared"), token=None)
    assert stranger.status_code == 401
    assert "idempotent-replayed" not in stranger.headers


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "tab\tkey"])
def test_a_malformed_key_is_refused_before_anything_is_done(api: Api, key: str) -> None:
    answer = api.call("POST", "/v1/items", json=PROVIDE, headers={"Idempotency-Key": key})
    assert answer.status_code == 400, answer.text
    assert api.items() == 0


def test_a_key_survives_a_restart_of_the_api(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    try:
        first = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("durable"))
        api.app = create_app(api.node, limits=Limits(requests_per_minute_per_person=10**6))
        again = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("durable"))
        assert (again.status_code, again.content) == (201, first.content)
        assert api.items() == 2
    finally:
        for node in api.world.nodes.values():
            node.ctx.store.close()


def test_an_act_whose_answer_was_lost_is_not_done_again(api: Api) -> None:
    # The node committed the act with its key, then stopped before keeping the answer.
    body = api.call("POST", "/v1/items", json=PROVIDE, headers=_keyed("probe"))
    request = body.request
    fingerprint = _stored(api, "probe").fingerprint
    claim = RequestKey(
        scope=officer("JPN"),
        key="lost",
        fingerprint=fingerprint,
        created_at=api.node.ctx.clock.now(),
    )
    with api.node.ctx.store.claiming(claim) as held:
        api.node.custody.provide(
            contents=[b"x"],
            provision=Provision(recipient="KOR", level="極秘", topic="nk-missile", purpose="w"),
            by=officer("JPN"),
        )
    assert held.recorded
    items = api.items()
    retry = api.call(
        "POST",
        "/v1/items",
        content=request.content,
        headers={"Idempotency-Key": "lost", "Content-Type": "application/json"},
    )
    assert retry.status_code == 409, retry.text
    assert "was carried out at" in retry.json()["message"]
    assert api.items() == items


def test_two_requests_with_one_key_at_once_act_once(api: Api) -> None:
    async def both() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app, client=("192.0.2.1", 5000))
        headers = {"Authorization": f"Bearer {api.token}", **_keyed("race")}
        async with httpx.AsyncClient(transport=transport, base_url="http://jpn.test") as c:
            calls = [c.post("/v1/items", json=PROVIDE, headers=headers) for _ in range(4)]
            return list(await asyncio.gather(*calls))

    answers = asyncio.run(both())
    assert api.items() == 2
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.content == created[0].content for a in created)
    assert {a.status_code for a in answers} <= {201, 409}


def test_a_claim_is_recorded_only_with_a_committed_act(api: Api) -> None:
    claim = RequestKey(
        scope="p", key="k", fingerprint="f" * 64, created_at=api.node.ctx.clock.now()
    )
    store = api.node.ctx.store
    with store.claiming(claim) as held, pytest.raises(RuntimeError), store.unit_of_work():
        raise RuntimeError("the act failed")
    assert not held.recorded
    with store.read() as uow:
        assert uow.request_key("p", "k") is None


def _stored(api: Api, key: str) -> RequestKey:
    with api.node.ctx.store.read() as uow:
        found = uow.request_key(officer("JPN"), key)
    assert found is not None
    return found
