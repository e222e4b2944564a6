"""Through the hub from three consoles: the US officer asks Japan's consent for an item
relaying to Korea, the Japanese officer grants it in Japan's console, the US officer
forwards it, and it is held in Korea in Korea's marking. Each act through the console's
forms, over the same services and rules as the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.crypto import FormKey
from gsomia.services.plumbing.auth import AuthService
from tests.support.console import Client, console_app, csrf_of
from tests.support.workflows import LEVEL, World, build, officer

SECRET_KOR = "군사II급비밀 · Gunsa II-geup Bimil · SECRET"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    world = build(tmp_path_factory.mktemp("console-hub"))
    yield world
    for node in world.nodes.values():
        node.ctx.store.close()


def _console(world: World, party: str) -> Client:
    node = world[party]
    token = AuthService(node.ctx).issue(person_id=officer(party), by=NODE_ACTOR).token
    client = Client(console_app(node, FormKey.drawn()))
    client.login(token)
    return client


def _post(client: Client, page: str, action: str, data: dict[str, str]) -> str:
    csrf = csrf_of(client.get("/console" + page))
    answer = client.post("/console" + action, {"csrf": csrf, **data})
    assert answer.status_code == 303, answer.text
    return client.get(answer.headers["location"]).text


def test_a_relaying_item_is_forwarded_by_the_hub_once_the_originator_consents(
    world: World,
) -> None:
    item = world.provide(agreement="tisa", level=LEVEL["JPN"]).item_ids[0]
    world.drain()
    usa, jpn, kor = (_console(world, p) for p in ("USA", "JPN", "KOR"))
    try:
        page = usa.get(f"/console/items/{item}").text
        assert 'id="forward-item"' in page and "relaying" in page
        refused = usa.post(f"/console/items/{item}/forward", {"csrf": csrf_of(usa.get("/console"))})
        assert (
            refused.status_code == 403 and '<strong class="rule-id">TI-3</strong>' in refused.text
        )
        asked = _post(
            usa, f"/items/{item}", f"/items/{item}/consent", {"to_party": "KOR", "reason": "TISA"}
        )
        assert "Consent asked" in asked
        world.drain()
        inbox = jpn.get("/console/inbox").text
        request = re.search(r'href="/console/consents#consent-([0-9a-f]{32})"', inbox)
        assert request, inbox
        granted = _post(
            jpn, "/consents", f"/consents/{request.group(1)}/grant", {"note": "approved"}
        )
        assert "Consent granted" in granted
        world.drain()
        assert "approved" in usa.get("/console/consents").text
        forwarded = _post(usa, f"/items/{item}", f"/items/{item}/forward", {})
        assert "Forwarded to the recipient" in forwarded
        world.drain()
        held = kor.get(f"/console/items/{item}")
        assert held.status_code == 200 and held.text.count(SECRET_KOR) >= 2
    finally:
        for c in (usa, jpn, kor):
            c.close()


def test_consent_to_another_purpose_is_asked_granted_and_lets_the_item_open(
    world: World,
) -> None:
    item = world.provide(agreement="jpn-kor-gsomia", level=LEVEL["JPN"]).item_ids[0]
    world.drain()
    world["KOR"].custody.place(item_id=item, facility_id="kor-hq", by=officer("KOR"))
    kor, jpn = _console(world, "KOR"), _console(world, "JPN")
    try:
        purpose = {"purpose": "air defence planning"}
        early = kor.post(
            f"/console/items/{item}/open", {"csrf": csrf_of(kor.get("/console")), **purpose}
        )
        assert early.status_code == 403 and 'class="rule-id"' in early.text
        asked = _post(
            kor, f"/items/{item}", f"/items/{item}/purpose", {**purpose, "reason": "planning"}
        )
        assert "Consent asked" in asked and "air defence planning" in asked
        world.drain()
        request = re.search(
            r'href="/console/consents#consent-([0-9a-f]{32})"', jpn.get("/console/inbox").text
        )
        assert request
        _post(jpn, "/consents", f"/consents/{request.group(1)}/grant", {"note": "yes"})
        world.drain()
        opened = kor.post(
            f"/console/items/{item}/open", {"csrf": csrf_of(kor.get("/console")), **purpose}
        )
        assert opened.status_code == 200 and opened.content == b"launch point 39.0N 125.7E"
    finally:
        kor.close()
        jpn.close()


def test_a_visit_asked_by_another_party_is_approved_or_refused_by_the_host(
    world: World,
) -> None:
    day = world.clock.now().date() + timedelta(days=3)
    asked = [
        world["KOR"].liaison.request_visit(
            agreement_id="jpn-kor-gsomia",
            host="JPN",
            facility="jpn-hq",
            visitors=[officer("KOR")],
            purpose=purpose,
            subject="radar data handling",
            scope="briefing room only",
            start=day,
            end=day,
            by=officer("KOR"),
            max_level="極秘",
        )
        for purpose in ("exchange of warning procedures", "tour of the radar site")
    ]
    world.drain()
    jpn = _console(world, "JPN")
    try:
        page = jpn.get("/console/visits").text
        ids = re.findall(r'action="/console/visits/([0-9a-f]{32})/approve"', page)
        assert len(ids) == len(asked) == 2
        rows = {i: r for r in re.findall(r"<tr>.*?</tr>", page, flags=re.S) for i in ids if i in r}
        first = next(i for i in ids if "exchange of warning" in rows[i])
        second = next(i for i in ids if i != first)
        approved = _post(jpn, "/visits", f"/visits/{first}/approve", {})
        assert "The visit is approved" in approved
        refused = _post(jpn, "/visits", f"/visits/{second}/refuse", {"reason": "site closed"})
        assert "The visit is refused" in refused
        assert 'action="/console/visits/' not in refused  # nothing waits for an answer
        states = re.findall(r"<td>(approved|refused)</td>", refused)
        assert sorted(states) == ["approved", "refused"]
    finally:
        jpn.close()
