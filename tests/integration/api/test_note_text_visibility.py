"""The text of a diplomatic note is shown only to those who may see the notes records (JK-21;
security officers and holders of the notes authority), wherever it appears: in the notes
listing, and in an agreement's events through ``/v1/agreements``, ``/v1/agreements/{id}``
and the console's agreement page. Everyone else still sees each event's kind, party, date
and the boundary it sets, and the agreement's status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.integration.api.test_console import Browser
from tests.support.edge import get_as
from tests.support.workflows import LEVEL, TOPIC, World, build, enrol, officer

TEXT = "Written notice of the intention to terminate, delivered by hand 0417"
FILE_TEXT = "the ROK NSC decided on 22 August"  # a note the agreement file records


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build(tmp_path_factory.mktemp("notes"))
    made["KOR"].notes.give(
        agreement_id="kor-usa-gsomia",
        kind="notice",
        by=officer("KOR"),
        text=TEXT,
        terminates_at=made.clock.now() + timedelta(days=400),
    )
    made.drain()
    for node in made.nodes.values():
        p = node.party.lower()
        hq = frozenset({f"{p}-hq"})
        enrol(node, f"{p}-n-uncleared")
        enrol(
            node,
            f"{p}-n-cleared",
            clearance=LEVEL[node.party],
            need=frozenset({TOPIC}),
            facilities=hq,
        )
        enrol(
            node, f"{p}-n-notes", clearance=LEVEL[node.party], authorities=("notes",), facilities=hq
        )
    yield made
    for node in made.nodes.values():
        node.ctx.store.close()


def _get(node: Node, person: str, path: str) -> httpx.Response:
    return get_as(node, person, path)


def _console(node: Node, person: str, path: str) -> str:
    token = AuthService(node.ctx).issue(person_id=person, by=NODE_ACTOR).token
    browser = Browser(create_app(node, limits=Limits(requests_per_minute_per_person=10**6)))
    try:
        assert browser.login(token).status_code == 303
        page = browser.get(path)
        assert page.status_code == 200, page.text
        return re.sub(r"\s+", " ", page.text)
    finally:
        browser.close()


CASES = [
    ("KOR", "kor-usa-gsomia", TEXT),  # the note KOR gave
    ("USA", "kor-usa-gsomia", TEXT),  # the same note, received
    ("JPN", "jpn-kor-gsomia", FILE_TEXT),
]


@pytest.mark.parametrize(("party", "agreement", "text"), CASES)
@pytest.mark.parametrize("who", ["uncleared", "cleared"])
def test_a_notes_text_is_left_out_for_those_who_may_not_see_the_notes(
    world: World, party: str, agreement: str, text: str, who: str
) -> None:
    node = world[party]
    person = f"{party.lower()}-n-{who}"
    one = _get(node, person, f"/v1/agreements/{agreement}")
    assert one.status_code == 200
    assert text not in one.text
    assert any(e["kind"] == "notice" for e in one.json()["events"])  # the event is shown
    assert text not in _get(node, person, "/v1/agreements").text
    assert _get(node, person, f"/v1/agreements/{agreement}/notes").json() == []
    assert text not in _console(node, person, f"/console/agreements/{agreement}")


@pytest.mark.parametrize(("party", "agreement", "text"), CASES)
@pytest.mark.parametrize("who", ["notes", "officer"])
def test_a_notes_text_is_shown_to_those_who_may_see_the_notes(
    world: World, party: str, agreement: str, text: str, who: str
) -> None:
    node = world[party]
    person = officer(party) if who == "officer" else f"{party.lower()}-n-notes"
    assert text in _get(node, person, f"/v1/agreements/{agreement}").text
    assert text in _console(node, person, f"/console/agreements/{agreement}")
