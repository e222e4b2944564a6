"""The security review's attempts H1, H2, M2 and M3 against a three-node cluster over real
sockets: each is refused, with the right agreement's rule id, and recorded in the ledger.

Before one decision path existed every one of them was accepted (an uncleared official ended
the Japan–ROK GSOMIA in 45 s, granted consent, downgraded an item, lapsed a purpose; a US
official destroyed a relaying item; every person saw every marking and the registry;
contractor staff certified their own facility)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.cluster import Api

pytestmark = pytest.mark.cluster


class Person:
    """A person registered through the officer's API, with a token of their own."""

    def __init__(self, officer: Api, person_id: str, token: str) -> None:
        self.officer = officer
        self.id = person_id
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(
            method,
            self.officer.node.api_url + path,
            headers={"Authorization": f"Bearer {self.token}"},
            json=body,
            timeout=60,
        )


def enrol(officer: Api, person_id: str, **fields: Any) -> Person:
    body = {"id": person_id, "name": person_id.title(), "role": "official", **fields}
    added = officer.post("/v1/persons", body)
    assert added.status_code == 201, added.text
    issued = officer.post("/v1/tokens", {"person": person_id, "hours": 1})
    assert issued.status_code == 201, issued.text
    return Person(officer, person_id, issued.json()["token"])


def last_refusal(officer: Api, person_id: str) -> dict[str, Any]:
    entries = officer.get("/v1/audit/entries", limit=50).json()
    mine = [
        e for e in entries if e["event"] == "item.refused" and e["actor"]["person"] == person_id
    ]
    assert mine, f"no refusal recorded for {person_id}"
    return mine[-1]


def wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@pytest.fixture(scope="module")
def people(cluster: dict[str, Api]) -> dict[str, Person]:
    out = {}
    for party, api in cluster.items():
        p = party.lower()
        out[f"{p}-nocl"] = enrol(api, f"{p}-nocl")
    kor = cluster["KOR"]
    assert (
        kor.post(
            "/v1/facilities", {"id": "kor-contr", "name": "Plant", "contractor": "Works"}
        ).status_code
        == 201
    )
    out["kor-ctr"] = enrol(
        kor,
        "kor-ctr",
        role="contractor-staff",
        clearance="군사II급비밀",
        need_to_know=["nk-missile"],
        facilities=["kor-contr"],
    )
    return out


@pytest.fixture(scope="module")
def item(cluster: dict[str, Api]) -> str:
    sent = cluster["JPN"].provide(
        b"launch 39.0N 125.7E", to="KOR", level="極秘", agreement="jpn-kor-gsomia"
    )
    assert sent.status_code == 201, sent.text
    (item_id,) = sent.json()["items"]
    wait_for(lambda: [i for i in cluster["KOR"].items() if i["id"] == item_id])
    return item_id


def test_h1_an_uncleared_official_cannot_give_notice(
    cluster: dict[str, Api], people: dict[str, Person]
) -> None:
    nocl = people["kor-nocl"]
    ends = datetime.now(UTC) + timedelta(seconds=45)
    r = nocl.call(
        "POST",
        "/v1/agreements/jpn-kor-gsomia/notes",
        {"kind": "notice", "text": "end", "terminates_at": ends.isoformat()},
    )
    assert r.status_code == 403 and r.json()["rule_ids"] == ["JK-21.1"], r.text
    entry = last_refusal(cluster["KOR"], "kor-nocl")
    assert entry["agreement"] == "jpn-kor-gsomia" and entry["rules"] == ["JK-21.1"]


def test_h2_uncleared_officials_decide_nothing(
    cluster: dict[str, Api], people: dict[str, Person], item: str
) -> None:
    jpn, kor = cluster["JPN"], cluster["KOR"]
    asked = kor.post("/v1/consents", {"item": item, "to_party": "USA", "reason": "share"})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    wait_for(lambda: [c for c in jpn.get("/v1/consents").json() if c["id"] == request_id])
    grant = people["jpn-nocl"].call("POST", f"/v1/consents/{request_id}/grant", {"note": "ok"})
    assert grant.status_code == 403 and "JK-5.1" in grant.json()["rule_ids"], grant.text
    assert last_refusal(jpn, "jpn-nocl")["rules"][0] == "JK-5.1"
    lapse = people["kor-nocl"].call("POST", f"/v1/items/{item}/lapse")
    assert lapse.status_code == 403 and "JK-7.2" in lapse.json()["rule_ids"], lapse.text
    down = people["jpn-nocl"].call(
        "POST", f"/v1/items/{item}/reclassify", {"level": "秘", "text": "downgrade"}
    )
    assert down.status_code == 403 and "JK-6.g" in down.json()["rule_ids"], down.text


def test_h2_an_uncleared_hub_official_cannot_destroy_a_relaying_item(
    cluster: dict[str, Api], people: dict[str, Person]
) -> None:
    sent = cluster["JPN"].provide(b"via the hub", to="KOR", level="極秘", agreement="tisa")
    assert sent.status_code == 201, sent.text
    (item_id,) = sent.json()["items"]
    usa = cluster["USA"]
    wait_for(lambda: [i for i in usa.items() if i["id"] == item_id])
    r = people["usa-nocl"].call("POST", f"/v1/items/{item_id}/destroy", {})
    assert r.status_code == 403 and "TI-5" in r.json()["rule_ids"], r.text
    assert [i["state"] for i in usa.items() if i["id"] == item_id] == ["relaying"]
    assert last_refusal(usa, "usa-nocl")["agreement"] == "tisa"


def test_m2_markings_the_registry_and_the_ledger_are_not_shown_to_the_uncleared(
    cluster: dict[str, Api], people: dict[str, Person], item: str
) -> None:
    nocl = people["kor-nocl"]
    assert nocl.call("GET", "/v1/items").json() == []
    assert [i["id"] for i in cluster["KOR"].items()].count(item) == 1
    detail = nocl.call("GET", f"/v1/items/{item}")
    assert detail.status_code == 403 and "JK-7.2" in detail.json()["rule_ids"]
    for path in ("/v1/persons", "/v1/audit/entries", "/v1/facilities", "/v1/audit/verify"):
        r = nocl.call("GET", path)
        assert (r.status_code == 403 and "JK-6.e" in r.json()["rule_ids"]) or (
            r.status_code == 403 and "JK-6.f" in r.json()["rule_ids"]
        ), (path, r.status_code, r.text)
    assert nocl.call("GET", "/v1/consents").json() == []
    assert last_refusal(cluster["KOR"], "kor-nocl")["event"] == "item.refused"


def test_m3_contractor_staff_cannot_certify_their_own_facility(
    cluster: dict[str, Api], people: dict[str, Person]
) -> None:
    ctr = people["kor-ctr"]
    for condition in ("a", "g", "o"):
        r = ctr.call(
            "POST",
            "/v1/facilities/kor-contr/conditions",
            {"condition": condition, "evidence": "self-attested"},
        )
        assert r.status_code == 403 and "JK-16.x" in r.json()["rule_ids"], r.text
    entry = last_refusal(cluster["KOR"], "kor-ctr")
    assert "JK-16.x" in entry["rules"]
