"""JPN → USA → KOR under TISA with the originator's consent; a notice that would end the
Japan–ROK GSOMIA early is refused (JK-21.1); an exercise agreement without a notice period
ends on both nodes: the direct path under it is refused and the hub path still works within
TISA's scope."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gsomia.cluster import down, up
from tests.support.cluster import Api

pytestmark = pytest.mark.cluster


EXERCISE = Path(__file__).resolve().parents[2] / "data" / "exercise"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    root: Path = tmp_path_factory.mktemp("hub")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GSOMIA_AGREEMENTS_PATH", str(EXERCISE))
        started = up(root)
        try:
            yield {n.party: Api(n) for n in started}
        finally:
            down(root)


def wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def held(api: Api, item_id: str) -> list[dict[str, Any]]:
    return [i for i in api.items() if i["id"] == item_id]


def through_the_hub(nodes: dict[str, Api], text: bytes, topic: str = "nk-missile") -> str:
    jpn, usa, kor = nodes["JPN"], nodes["USA"], nodes["KOR"]
    r = jpn.provide(text, to="KOR", level="極秘", topic=topic, agreement="tisa")
    assert r.status_code == 201, r.text
    assert r.json()["route"] == ["JPN", "USA", "KOR"]
    (item,) = r.json()["items"]
    relaying = wait_for(lambda: held(usa, item))
    assert relaying[0]["state"] == "relaying" and relaying[0]["marking"] == "USA:SECRET"
    refused = usa.post(f"/v1/items/{item}/forward")
    assert refused.status_code == 403 and "TI-3" in refused.json()["rule_ids"]
    asked = usa.post(
        "/v1/consents", {"item": item, "to_party": "KOR", "reason": "share with the ROK under TISA"}
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    wait_for(lambda: [c for c in jpn.get("/v1/consents").json() if c["id"] == request_id])
    assert jpn.post(f"/v1/consents/{request_id}/grant", {"note": "approved"}).status_code == 200
    wait_for(
        lambda: [
            c
            for c in usa.get("/v1/consents").json()
            if c["id"] == request_id and c["state"] == "granted"
        ]
    )
    forwarded = usa.post(f"/v1/items/{item}/forward")
    assert forwarded.status_code == 200, forwarded.text
    arrived = wait_for(lambda: held(kor, item))
    assert arrived[0]["marking"] == "KOR:GUNSA_II" and arrived[0]["originator"] == "JPN"
    return item


def test_tisa_path_with_the_originators_consent(nodes: dict[str, Api]) -> None:
    item = through_the_hub(nodes, b"TISA warning summary")
    opened = nodes["KOR"].post(f"/v1/items/{item}/open")
    assert opened.status_code == 200


def test_a_notice_cannot_end_the_gsomia_early(nodes: dict[str, Api]) -> None:
    kor, jpn = nodes["KOR"], nodes["JPN"]
    ends = datetime.now(UTC) + timedelta(seconds=45)
    note = kor.post(
        "/v1/agreements/jpn-kor-gsomia/notes",
        {"kind": "notice", "text": "end in 45 s", "terminates_at": ends.isoformat()},
    )
    assert note.status_code == 403 and note.json()["rule_ids"] == ["JK-21.1"], note.text
    now = datetime.now(UTC).isoformat()
    assert jpn.get("/v1/agreements/jpn-kor-gsomia/status", on=now).json()["phase"] == "in force"


def test_after_termination_direct_is_refused_and_the_hub_path_still_works(
    nodes: dict[str, Api],
) -> None:
    jpn, kor = nodes["JPN"], nodes["KOR"]
    ends = datetime.now(UTC) + timedelta(seconds=4)
    note = kor.post(
        "/v1/agreements/jpn-kor-exercise/notes",
        {
            "kind": "notice",
            "text": "notice of termination (no notice period in this exercise)",
            "terminates_at": ends.isoformat(),
        },
    )
    assert note.status_code == 201, note.text

    def phase() -> str:
        now = datetime.now(UTC).isoformat()
        return str(jpn.get("/v1/agreements/jpn-kor-exercise/status", on=now).json()["phase"])

    wait_for(lambda: phase() == "notice pending")  # JPN's node recorded KOR's note
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.5)
    assert phase() == "terminated"
    direct = jpn.provide(b"after the end", to="KOR", level="極秘", agreement="jpn-kor-exercise")
    assert direct.status_code == 403 and "EX-TERM" in direct.json()["rule_ids"]
    through_the_hub(nodes, b"still shared through the US")
    outside = jpn.provide(b"naval matters", to="KOR", level="極秘", topic="naval", agreement="tisa")
    assert outside.status_code == 403 and "TI-1" in outside.json()["rule_ids"]
