"""The console's acts over the real app, as a browser sends them: each goes through the
API's service and the rules, a refusal is a page citing its rule ids, a form without this
session's token changes nothing, and a form made under one app's key is accepted by another
app of the same node (a restart, a second worker) when both derive it from the master
secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gsomia.core.people import NODE_ACTOR
from gsomia.crypto import FormKey, MasterSecret
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.console import Client, console_app, csrf_of
from tests.support.workflows import LEVEL, World, build, ledger_events, officer, registrar

MASTER = MasterSecret.from_text(MasterSecret.generate())
PLAINTEXT = b"launch point 39.0N 125.7E"


@dataclass
class Setup:
    world: World
    jpn: Node
    kor: Node
    item: str
    tokens: dict[str, str]

    def app(self, node: Node, key: FormKey | None = None) -> Any:
        return console_app(node, key or FormKey.from_master(MASTER))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    world = build(tmp_path_factory.mktemp("console-acts"), parties=("JPN", "KOR"))
    item = world.provide(level=LEVEL["JPN"], contents=(PLAINTEXT,)).item_ids[0]
    world.drain()
    jpn, kor = world["JPN"], world["KOR"]
    kor.custody.place(item_id=item, facility_id="kor-hq", by=officer("KOR"))
    tokens = {
        p: AuthService(n.ctx).issue(person_id=officer(p), by=NODE_ACTOR).token
        for p, n in (("JPN", jpn), ("KOR", kor))
    }
    yield Setup(world=world, jpn=jpn, kor=kor, item=item, tokens=tokens)
    for node in world.nodes.values():
        node.ctx.store.close()


@pytest.fixture
def kor(setup: Setup) -> Iterator[Client]:
    client = Client(setup.app(setup.kor))
    client.login(setup.tokens["KOR"])
    yield client
    client.close()


def test_a_form_from_one_app_is_accepted_by_another_with_the_same_master_secret(
    setup: Setup,
) -> None:
    elsewhere = FormKey.from_master(MasterSecret.from_text(MasterSecret.generate()))
    before = Client(setup.app(setup.kor))  # the node before a restart
    after = Client(setup.app(setup.kor))  # the node after it: a new app, the same key
    other = Client(setup.app(setup.kor, elsewhere))  # a key from another master secret
    try:
        before.login(setup.tokens["KOR"])
        form = csrf_of(before.get("/console/registry"))
        after.client.cookies = other.client.cookies = before.client.cookies
        data = {"csrf": form, "id": "kor-depot", "name": "Depot"}
        answer = after.post("/console/registry/facilities", data)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/console/registry?done=facility"
        assert "kor-depot" in after.get("/console/registry").text
        refused = other.post("/console/registry/facilities", {**data, "id": "kor-depot2"})
        assert refused.status_code == 403 and "has expired" in refused.text
        assert "kor-depot2" not in after.get("/console/registry").text
    finally:
        for c in (before, after, other):
            c.close()


def test_an_act_without_this_sessions_token_changes_nothing(kor: Client, setup: Setup) -> None:
    events = len(ledger_events(setup.kor))
    for csrf in ("", "0" * 64):
        answer = kor.post(f"/console/items/{setup.item}/copy", {"csrf": csrf})
        assert answer.status_code == 403, answer.text
        assert "load it again" in answer.text
    assert len(ledger_events(setup.kor)) == events


def test_opening_an_item_downloads_it_and_is_recorded(kor: Client, setup: Setup) -> None:
    csrf = csrf_of(kor.get(f"/console/items/{setup.item}"))
    answer = kor.post(f"/console/items/{setup.item}/open", {"csrf": csrf})
    assert answer.status_code == 200 and answer.content == PLAINTEXT
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["cache-control"] == "no-store"
    assert ledger_events(setup.kor)[-1] == "item.opened"


def test_a_copy_is_made_and_the_answer_redirects_to_it(kor: Client, setup: Setup) -> None:
    csrf = csrf_of(kor.get(f"/console/items/{setup.item}"))
    answer = kor.post(f"/console/items/{setup.item}/copy", {"csrf": csrf})
    assert answer.status_code == 303, answer.text
    copy = re.fullmatch(r"/console/items/([0-9a-f]{32})\?done=copied", answer.headers["location"])
    assert copy and copy.group(1) != setup.item
    page = kor.get(answer.headers["location"])
    assert "A numbered copy was made" in page.text and "copy 1" in page.text


def test_a_provision_the_agreement_does_not_cover_is_refused_with_its_rule(
    setup: Setup,
) -> None:
    jpn = Client(setup.app(setup.jpn))
    jpn.login(setup.tokens["JPN"])
    csrf = csrf_of(jpn.get("/console/provide"))
    fields = {
        "csrf": csrf,
        "to": "KOR",
        "level": "機密",
        "topic": "nk-missile",
        "purpose": "missile warning",
        "agreement": "jpn-kor-gsomia",
    }
    answer = jpn.post("/console/provide", fields, files={"content": ("t.txt", b"x", "text/plain")})
    assert answer.status_code == 403, answer.text
    assert '<strong class="rule-id">JK-4.1</strong>' in answer.text
    assert "<h1>Refused</h1>" in answer.text
    jpn.close()


def test_every_field_of_every_form_has_a_label(kor: Client, setup: Setup) -> None:
    paths = [
        "/inbox",
        "/consents",
        "/incidents",
        "/provide",
        "/notes",
        "/visits",
        "/registry",
        "/audit",
        f"/items/{setup.item}",
    ]
    for path in paths:
        page = kor.get("/console" + path)
        assert page.status_code == 200, (path, page.text)
        labelled = set(re.findall(r'<label for="([^"]+)"', page.text))
        fields = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page.text)
        for attrs in fields:
            if 'type="hidden"' in attrs:
                continue
            found = re.search(r'id="([^"]+)"', attrs)
            assert found and found.group(1) in labelled, (path, attrs)
        assert page.text.count('name="csrf"') == page.text.count("<form"), path


def _act(client: Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    csrf = csrf_of(client.get("/console" + page))
    answer = client.post("/console" + action, {"csrf": csrf, **data})
    assert answer.status_code == 303, answer.text
    return client.get(answer.headers["location"])


def test_a_translation_by_a_cleared_translator_is_recorded(kor: Client, setup: Setup) -> None:
    shown = _act(
        kor,
        f"/items/{setup.item}",
        f"/items/{setup.item}/translate",
        {"translator": "kor-translator", "language": "ko", "content": "발사 지점"},
    )
    assert "The translation is recorded" in shown.text
    assert "translation of" in shown.text and setup.item in shown.text
    refused = kor.post(
        f"/console/items/{setup.item}/translate",
        {
            "csrf": csrf_of(kor.get("/console/inbox")),
            "translator": "kor-uncleared-translator",
            "language": "ko",
            "content": "발사",
        },
    )
    assert refused.status_code == 403 and 'class="rule-id"' in refused.text


def test_a_person_and_a_notice_of_law_are_recorded(kor: Client, setup: Setup) -> None:
    registry = _act(
        kor,
        "/registry",
        "/registry/persons",
        {
            "id": "kor-analyst",
            "name": "Analyst Kim",
            "role": "official",
            "clearance": "군사II급비밀",
            "need_to_know": "nk-missile nk-nuclear",
            "facilities": "kor-hq",
        },
    )
    assert "The person is registered" in registry.text
    row = next(
        r for r in re.findall(r"<tr>.*?</tr>", registry.text, flags=re.S) if "kor-analyst" in r
    )
    assert "군사II급비밀" in row and "nk-missile, nk-nuclear" in row and "kor-hq" in row
    notes = _act(
        kor,
        "/notes",
        "/notices",
        {
            "agreement": "jpn-kor-gsomia",
            "title": "Military Secrets Protection Act",
            "summary": "penalties raised",
            "effective_on": "2027-03-01",
        },
    )
    assert "The change of law is notified" in notes.text
    assert "Military Secrets Protection Act" in notes.text and "2027-03-01" in notes.text
    bad = kor.post(
        "/console/notices",
        {
            "csrf": csrf_of(kor.get("/console/notes")),
            "agreement": "jpn-kor-gsomia",
            "title": "t",
            "summary": "s",
            "effective_on": "next week",
        },
    )
    assert bad.status_code == 400 and "is a date such as" in bad.text


def test_the_registry_is_refused_to_an_official_with_the_rule_it_rests_on(setup: Setup) -> None:
    token = AuthService(setup.kor.ctx).issue(person_id="kor-official", by=registrar("KOR")).token
    client = Client(setup.app(setup.kor))
    try:
        client.login(token)
        page = client.get("/console/registry")
        refusals = ledger_events(setup.kor).count("item.refused")
        inbox = client.get("/console/inbox")
        item = client.get(f"/console/items/{setup.item}")
    finally:
        client.close()
    assert page.status_code == 403, page.text
    assert "<h1>Refused</h1>" in page.text
    rules = re.findall(r'class="rule-id">([^<]+)<', page.text)
    assert rules == ["JK-6.e", "KU-REGISTER", "TI-5"]  # each agreement of KOR's, by its rule
    assert inbox.status_code == 200 and "No alarm" in inbox.text
    # The ledger is left out of the pages an official may see, and nothing is refused.
    assert item.status_code == 200 and "The ledger holds no entry about this item" in item.text
    assert ledger_events(setup.kor).count("item.refused") == refusals


def test_the_done_sentence_is_chosen_never_echoed(kor: Client) -> None:
    page = kor.get("/console/inbox?done=<script>alert(1)</script>")
    assert page.status_code == 200
    assert "alert(1)" not in page.text and 'class="done"' not in page.text
    assert 'class="done"' in kor.get("/console/inbox?done=placed").text


def test_an_upload_past_the_limit_is_refused_as_it_streams(setup: Setup) -> None:
    jpn = Client(setup.app(setup.jpn))
    try:
        jpn.login(setup.tokens["JPN"])
        csrf = csrf_of(jpn.get("/console/provide"))
        fields = {"csrf": csrf, "to": "KOR", "level": "極秘", "topic": "nk-missile"}
        big = jpn.post(
            "/console/provide",
            {**fields, "purpose": "p"},
            files={"content": ("t.bin", b"x" * (1 << 20) + b"x" * 8192, "text/plain")},
        )
        empty = jpn.post(
            "/console/provide",
            {**fields, "purpose": "p"},
            files={"content": ("t.bin", b"", "text/plain")},
        )
        urlencoded = jpn.post("/console/provide", {**fields, "purpose": "p"})
    finally:
        jpn.close()
    assert big.status_code == 413, big.text
    assert empty.status_code == 400 and "empty" in empty.text
    assert urlencoded.status_code == 400 and "multipart/form-data" in urlencoded.text


def test_an_item_is_placed_in_another_facility_from_its_page(kor: Client, setup: Setup) -> None:
    item = setup.world.provide(level=LEVEL["JPN"], contents=(b"to place",)).item_ids[0]
    setup.world.drain()
    page = kor.get(f"/console/items/{item}")
    assert 'id="place-item"' in page.text and '<option value="kor-annex">' in page.text
    answer = kor.post(
        f"/console/items/{item}/place", {"csrf": csrf_of(page), "facility": "kor-annex"}
    )
    assert answer.headers["location"] == f"/console/items/{item}?done=placed"
    placed = kor.get(answer.headers["location"]).text
    assert "KOR annex (kor-annex)" in placed and "entered on its register" in placed
    assert "item.placed" in ledger_events(setup.kor)
