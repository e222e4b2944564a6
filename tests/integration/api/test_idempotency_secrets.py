"""An answer that carries a secret is never kept with its ``Idempotency-Key``.

An opened item's content kept with the key would lie in the store in clear, outlive the
item's destruction (whose keys are shredded), and be given again on a retry with no open
decided by the rules (JK-7.2) and none recorded. An issued token kept with the key would
lie in clear where the node otherwise keeps only its hash. Such an answer is marked
``no-store``; a retry gets 409 (the act was done, its answer is gone), and a new key asks
the rules again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from gsomia.services.node import Node
from tests.support.edge import Api, make_api
from tests.support.workflows import LEVEL, LOW, officer

SECRET = b"launch point 39.0N 125.7E apogee 6000km"


def _answers(api: Api) -> list[bytes]:
    """Every answer the node keeps with a key, of any person."""
    with api.node.ctx.store.read() as uow:
        return [
            k.answer
            for person in (officer("JPN"), "jpn-official")
            for key in ("open-1", "open-2", "token-1")
            if (k := uow.request_key(person, key)) is not None
        ]


def _destroy(node: Node, item: str) -> None:
    node.handling.destroy(item_id=item, by=officer("JPN"))


def _return(node: Node, item: str) -> None:
    node.handling.return_item(item_id=item, by=officer("JPN"))


def _nothing(node: Node, item: str) -> None:
    return None


@pytest.mark.parametrize(
    ("level", "then"),
    [(LEVEL["KOR"], _destroy), (LOW["KOR"], _return), (LEVEL["KOR"], _nothing)],
)
def test_an_opened_items_content_is_not_kept_nor_given_again_without_a_decision(
    tmp_path: Path, level: str, then: Callable[[Node, str], None]
) -> None:
    api = make_api(tmp_path)
    item = api.world.provide("KOR", "JPN", contents=(SECRET,), level=level).item_ids[0]
    api.world.drain()
    first = api.call("POST", f"/v1/items/{item}/open", headers={"Idempotency-Key": "open-1"})
    assert first.status_code == 200, first.text
    assert base64.b64decode(first.json()["content"]) == SECRET
    then(api.node, item)
    size = api.node.ctx.store.ledger.size()
    again = api.call("POST", f"/v1/items/{item}/open", headers={"Idempotency-Key": "open-1"})
    assert again.status_code == 409, again.text
    assert base64.b64encode(SECRET) not in again.content
    assert api.node.ctx.store.ledger.size() == size  # nothing opened, nothing to record
    encoded = base64.b64encode(SECRET)
    assert not any(encoded in a or SECRET in a for a in _answers(api))
    assert "no-store" in first.headers.get("cache-control", "")


def test_a_new_key_opens_again_only_as_the_rules_decide(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    item = api.world.provide("KOR", "JPN", contents=(SECRET,)).item_ids[0]
    api.world.drain()
    assert api.call(
        "POST", f"/v1/items/{item}/open", headers={"Idempotency-Key": "open-1"}
    ).is_success
    _destroy(api.node, item)
    refused = api.call("POST", f"/v1/items/{item}/open", headers={"Idempotency-Key": "open-2"})
    assert refused.status_code == 403, refused.text


def test_an_issued_token_is_not_kept_with_its_key(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    body = {"person": "jpn-official"}
    first = api.call("POST", "/v1/tokens", json=body, headers={"Idempotency-Key": "token-1"})
    assert first.status_code == 201, first.text
    token = first.json()["token"]
    assert not any(token.encode() in a for a in _answers(api))
    again = api.call("POST", "/v1/tokens", json=body, headers={"Idempotency-Key": "token-1"})
    assert again.status_code == 409 and token not in again.text
    me = api.call("GET", "/v1/me", token=token)
    assert me.status_code == 200 and me.json()["id"] == "jpn-official"
    assert "no-store" in first.headers.get("cache-control", "")
