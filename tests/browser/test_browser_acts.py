"""Officers do the day's work in Chromium, with JavaScript off: log in, answer a consent
request from another node and release the item, report and close an incident, provide an
item and see it arrive at the partner's console in the partner's marking; a person without
authority sees the act refused with its rule id."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import Officer, Person, wait_for

pytestmark = pytest.mark.cluster

SECRET_KOR = "군사II급비밀 · Gunsa II-geup Bimil · SECRET"
TOP_SECRET_JPN_WORD = "極秘"


def test_log_in_with_a_token_and_out(open_console: Any, cluster: dict[str, Officer]) -> None:
    console = open_console(cluster["KOR"], login=False)
    page = console.goto("")
    assert page.url.endswith("/console/login")  # no session: sent to log in
    page.get_by_label("Access token").fill("gst_not-a-token")
    page.get_by_label("Access token").press("Enter")  # the keyboard alone submits
    assert "was not accepted" in page.get_by_role("alert").inner_text()
    console.login(cluster["KOR"].token)
    assert "KOR security officer (kor-officer)" in page.locator(".who").inner_text()
    console.shoot("overview")
    page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/console/login")
    console.goto("/items")
    assert page.url.endswith("/console/login")


def test_the_keyboard_alone_logs_in_and_reaches_every_field_of_a_form(
    open_console: Any, cluster: dict[str, Officer]
) -> None:
    console = open_console(cluster["KOR"], login=False)
    page = console.goto("/login")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.locator("#token:focus").count():
            break
    assert page.locator("#token:focus").count() == 1
    page.keyboard.type(cluster["KOR"].token)
    page.keyboard.press("Tab")
    assert page.locator("button:focus").inner_text() == "Log in"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console$"))
    console.goto("/incidents")
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.locator("#report-incident :focus")
        if focused.count():
            reached.append(focused.get_attribute("name") or focused.inner_text())
        if reached and reached[-1] == "Report":
            break
    assert reached == ["items", "kind", "possible", "description", "Report"]


def test_a_consent_request_from_another_node_is_answered_and_the_release_goes_through(
    open_console: Any, cluster: dict[str, Officer], held_item: str
) -> None:
    jpn, kor, usa = cluster["JPN"], cluster["KOR"], cluster["USA"]
    at_kor = open_console(kor)
    page = at_kor.goto(f"/items/{held_item}")
    at_kor.shoot("item")
    page.get_by_label("Release to", exact=True).select_option("USA")
    page.get_by_label("Reason").fill("share the launch point with the United States")
    page.get_by_role("button", name="Ask the originator's consent").click()
    assert "Consent asked" in at_kor.done()

    at_jpn = open_console(jpn)

    def waiting() -> bool:
        at_jpn.goto("/inbox")
        return at_jpn.page.locator("table.consents tr", has_text=held_item).count() == 1

    wait_for(waiting)
    row = at_jpn.page.locator("table.consents tr", has_text=held_item)
    assert TOP_SECRET_JPN_WORD in row.locator(".marking").inner_text()  # portion marking
    assert all(TOP_SECRET_JPN_WORD in b for b in at_jpn.banners())
    at_jpn.shoot("inbox")
    row.get_by_role("link", name="Answer").click()
    answer = at_jpn.page.locator("table.consents tr", has_text=held_item)
    answer.get_by_label("Note with the answer").fill("granted for the missile warning")
    answer.get_by_role("button", name="Grant").click()
    assert "Consent granted" in at_jpn.done()
    assert at_jpn.page.url.endswith("/console/consents?done=granted")  # POST-redirect-GET
    granted = at_jpn.page.locator("table.consents tr", has_text=held_item)
    assert "granted" in granted.locator(".state").inner_text()
    at_jpn.shoot("consents")

    def answered() -> bool:
        at_kor.goto("/consents")
        row = at_kor.page.locator("table.consents tr", has_text=held_item)
        return "granted for the missile warning" in row.inner_text()

    wait_for(answered)
    page = at_kor.goto(f"/items/{held_item}")
    page.get_by_label("Release to (with consent)").select_option("USA")
    page.get_by_role("button", name="Release", exact=True).click()
    assert "Released to the third party" in at_kor.done()
    assert wait_for(lambda: usa.holds(held_item))["originator"] == "JPN"


def test_an_incident_is_reported_investigated_and_closed(
    open_console: Any, cluster: dict[str, Officer], held_item: str
) -> None:
    console = open_console(cluster["KOR"])
    page = console.goto("/incidents")
    form = page.locator("#report-incident")
    form.get_by_label("Items").fill(held_item)
    form.get_by_label("Kind").select_option("compromise")
    form.get_by_label("What happened").fill("a courier bag was found open at Osan")
    form.get_by_role("button", name="Report").click()
    assert "Incident reported" in console.done()
    row = page.locator("table.incidents tr", has_text="courier bag was found open")
    assert SECRET_KOR in row.locator(".marking").inner_text()
    row.get_by_label("Progress").fill("the bag's seal log is being checked")
    row.get_by_role("button", name="Record progress").click()
    assert "progress is recorded" in console.done()
    row = page.locator("table.incidents tr", has_text="courier bag was found open")
    assert "investigating" in row.locator(".state").inner_text()
    row.get_by_label("Result").fill("no compromise: the inner envelope was intact")
    row.get_by_label("Measures taken").fill("couriers retrained on bag seals")
    row.get_by_role("button", name="Close").click()
    assert "Incident closed" in console.done()
    row = page.locator("table.incidents tr", has_text="courier bag was found open")
    assert "closed" in row.locator(".state").inner_text()
    console.shoot("incidents")


def test_a_provided_item_arrives_at_the_partners_console_in_the_partners_marking(
    open_console: Any, cluster: dict[str, Officer]
) -> None:
    at_jpn = open_console(cluster["JPN"])
    page = at_jpn.goto("/provide")
    at_jpn.shoot("provide")
    page.get_by_label("File").set_input_files(
        files=[{"name": "track.txt", "mimeType": "text/plain", "buffer": b"track 41.2N 129.1E"}]
    )
    page.get_by_label("Recipient").select_option("KOR")
    page.get_by_label("Level (JPN scheme)").select_option("極秘")
    page.get_by_label("Topic").fill("nk-missile")
    page.get_by_label("Purpose of provision").fill("missile warning")
    page.get_by_label("Agreement").select_option("jpn-kor-gsomia")
    page.get_by_role("button", name="Provide").click()
    assert "Provided" in at_jpn.done()
    found = re.search(r"/items/([0-9a-f]{32})\?done=provided$", page.url)
    assert found, page.url
    item_id = found.group(1)
    assert all(b.startswith("極秘") for b in at_jpn.banners())

    at_kor = open_console(cluster["KOR"])

    def arrived() -> bool:
        at_kor.goto("/items")
        return at_kor.page.locator("table.items tr", has_text=item_id).count() == 1

    wait_for(arrived)
    row = at_kor.page.locator("table.items tr", has_text=item_id)
    assert row.locator(".marking").inner_text() == SECRET_KOR
    assert at_kor.banners() == [SECRET_KOR, SECRET_KOR]
    at_kor.shoot("items")
    at_kor.goto(f"/items/{item_id}")
    assert at_kor.banners() == [SECRET_KOR, SECRET_KOR]
    # The native marking is drawn in a CJK font, not as empty boxes: its glyphs are wider
    # than the fallback's notdef boxes would make a Latin-only rendering of the same text.
    assert at_kor.page.locator("#banner-top").bounding_box()["height"] > 10


def test_a_person_without_authority_sees_the_act_refused_with_its_rule_id(
    open_console: Any, cluster: dict[str, Officer], people: dict[str, Person]
) -> None:
    console = open_console(people["jpn-nocl"])
    page = console.goto("/notes")
    form = page.locator("#give-note")
    form.get_by_label("Agreement").select_option("jpn-kor-gsomia")
    form.get_by_label("Kind").select_option("notice")
    form.get_by_label("Text").fill("Japan gives notice of termination")
    form.get_by_role("button", name="Give the note").click()
    assert page.locator("h1").inner_text() == "Refused"
    assert "JK-21.1" in page.locator(".rule-id").all_inner_texts()
    console.shoot("refused")
    entries = cluster["JPN"].call("GET", "/v1/audit/entries", limit=50).json()
    refusals = [
        e for e in entries if e["event"] == "item.refused" and e["actor"]["person"] == "jpn-nocl"
    ]
    assert refusals and refusals[-1]["rules"] == ["JK-21.1"]
    status = cluster["JPN"].call("GET", "/v1/agreements/jpn-kor-gsomia/status", on="2030-01-01")
    assert status.json()["in_force"], status.text
