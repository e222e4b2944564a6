"""Three government nodes on loopback: real processes, real sockets, mutual TLS."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import Api

pytestmark = pytest.mark.cluster


def wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_jpn_provides_to_kor_directly_under_the_gsomia(cluster: dict[str, Api]) -> None:
    jpn, kor = cluster["JPN"], cluster["KOR"]
    r = jpn.provide(
        b"launch from Sunan at 06:57", to="KOR", level="極秘", agreement="jpn-kor-gsomia"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["route"] == ["JPN", "KOR"]
    assert body["rule_ids"] == ["JK-21.1", "JK-9.1", "JK-4.1", "JK-4.2"]
    (item_id,) = body["items"]
    held = wait_for(lambda: [i for i in kor.items() if i["id"] == item_id])
    assert held[0]["marking"] == "KOR:GUNSA_II" and held[0]["originator"] == "JPN"
    opened = kor.post(f"/v1/items/{item_id}/open")
    assert opened.status_code == 200
    assert base64.b64decode(opened.json()["content"]) == b"launch from Sunan at 06:57"
    # JPN's node relays nothing to USA under the bilateral agreement.
    assert not [i for i in cluster["USA"].items() if i["id"] == item_id]


def test_the_user_api_refuses_without_a_valid_token(cluster: dict[str, Api]) -> None:
    url = cluster["KOR"].node.api_url
    assert httpx.get(url + "/v1/items").status_code == 401
    assert (
        httpx.get(url + "/v1/items", headers={"Authorization": "Bearer gst_forged"}).status_code
        == 401
    )
    assert httpx.get(url + "/v1/health").status_code == 200


def test_a_level_not_covered_is_refused_with_its_rule(cluster: dict[str, Api]) -> None:
    r = cluster["JPN"].provide(b"x", to="KOR", level="機密", agreement="jpn-kor-gsomia")
    assert r.status_code == 403
    assert "JK-4.1" in r.json()["rule_ids"]


def test_the_peer_endpoint_refuses_a_client_without_a_certificate(
    cluster: dict[str, Api], tmp_path: Path
) -> None:
    peer = cluster["KOR"].node.peer_url
    before = len(cluster["KOR"].items())
    with pytest.raises(httpx.HTTPError):
        httpx.post(peer + "/peer/v1/messages", content=b"x", verify=False, timeout=5)
    assert len(cluster["KOR"].items()) == before
