"""The web console over the real user API app: login, banners, markings, headers, CSRF.

A Japanese node provides two items to a Korean node (one 極秘, one 秘); the Korean node's
console shows them under its own scheme's banners. Requests go through the ASGI app with a
cookie-keeping client, as a browser would send them.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gsomia.api import _console_views
from gsomia.api.app import create_app
from gsomia.api.banners import TIER_COLOURS, UNCLASSIFIED, Banner, banner, marking
from gsomia.api.console import COOKIE, SECURITY_HEADERS
from gsomia.config import Limits
from gsomia.core.classification import builtin_schemes
from gsomia.core.people import NODE_ACTOR
from gsomia.services.acts.custody import Provision
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.workflows import LEVEL, LOW, TOPIC, World, build, officer, registrar

PLAINTEXT = b"launch point 39.0N 125.7E apogee 6000km CONTENT-NEVER-SHOWN"
PLAINTEXT_LOW = b"radar track 41.2N 129.1E CONTENT-NEVER-SHOWN-EITHER"
PURPOSE = "<script>alert('purpose')</script> missile warning"
FACILITY = "<script>alert('facility')</script> vault"
SECRET_KOR = "군사II급비밀 · Gunsa II-geup Bimil · SECRET"
CONFIDENTIAL_KOR = "군사III급비밀 · Gunsa III-geup Bimil · CONFIDENTIAL"
KOR = builtin_schemes().scheme("KOR")


@dataclass
class Setup:
    """The Korean node holding two items, its app, and an officer's token."""

    world: World
    node: Node
    token: str
    secret_item: str
    confidential_item: str

    def app(self, *, per_minute: int = 1_000_000) -> Any:
        return create_app(self.node, limits=Limits(requests_per_minute_per_person=per_minute))


class Browser:
    """A browser over the app: keeps cookies, follows no redirects."""

    def __init__(self, app: Any, *, base_url: str = "http://console.test") -> None:
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app)
        self.client = httpx.AsyncClient(transport=transport, base_url=base_url)

    def get(self, path: str) -> httpx.Response:
        return self._runner.run(self.client.get(path))

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self._runner.run(self.client.post(path, data=data))

    def login(self, token: str) -> httpx.Response:
        form = self.get("/console/login")
        return self.post("/console/login", {"token": token, "csrf": csrf_of(form)})

    def close(self) -> None:
        self._runner.run(self.client.aclose())
        self._runner.close()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert found, page.text
    return found.group(1)


def banners_of(page: httpx.Response) -> list[tuple[str, str]]:
    """(class, text) of the top and bottom banners."""
    return re.findall(
        r'<div class="banner (tier-[a-z-]+)" id="banner-\w+"[^>]*>([^<]*)</div>', page.text
    )


def row_of(page: httpx.Response, item_id: str) -> str:
    rows = [r for r in re.findall(r"<tr>.*?</tr>", page.text, flags=re.S) if item_id in r]
    assert len(rows) == 1, page.text
    return rows[0]


def cookie_header(response: httpx.Response, name: str) -> str | None:
    return next(
        (h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")), None
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    world = build(tmp_path_factory.mktemp("console"), parties=("JPN", "KOR"))
    secret = world["JPN"].custody.provide(
        contents=[PLAINTEXT],
        provision=Provision(recipient="KOR", level=LEVEL["JPN"], topic=TOPIC, purpose=PURPOSE),
        by=officer("JPN"),
    )
    confidential = world.provide(level=LOW["JPN"], contents=(PLAINTEXT_LOW,))
    world.drain()
    kor = world["KOR"]
    kor.registry.add_facility(facility_id="kor-vault", name=FACILITY, by=registrar("KOR"))
    kor.custody.place(item_id=secret.item_ids[0], facility_id="kor-vault", by=officer("KOR"))
    kor.audit.checkpoint(now=world.clock.now())
    token = AuthService(kor.ctx).issue(person_id=officer("KOR"), by=NODE_ACTOR).token
    yield Setup(
        world=world,
        node=kor,
        token=token,
        secret_item=secret.item_ids[0],
        confidential_item=confidential.item_ids[0],
    )
    for node in world.nodes.values():
        node.ctx.store.close()


@pytest.fixture
def browser(setup: Setup) -> Iterator[Browser]:
    b = Browser(setup.app())
    yield b
    b.close()


@pytest.fixture
def signed_in(browser: Browser, setup: Setup) -> Browser:
    assert browser.login(setup.token).status_code == 303
    return browser


def pages(setup: Setup) -> list[str]:
    return [
        "/console",
        "/console/items",
        f"/console/items/{setup.secret_item}",
        f"/console/items/{setup.confidential_item}",
        "/console/agreements/jpn-kor-gsomia",
        "/console/audit",
    ]


# The banner function on its own.


@pytest.mark.parametrize(
    ("code", "text", "tier", "colours"),
    [
        (
            "GUNSA_I",
            "군사I급비밀 · Gunsa I-geup Bimil · TOP SECRET",
            "top-secret",
            ("#FF8C00", "#000000"),
        ),
        ("GUNSA_II", SECRET_KOR, "secret", ("#C8102E", "#FFFFFF")),
        ("GUNSA_III", CONFIDENTIAL_KOR, "confidential", ("#0033A0", "#FFFFFF")),
    ],
)
def test_the_banner_of_one_level_names_it_natively_and_colours_it_by_tier(
    code: str, text: str, tier: str, colours: tuple[str, str]
) -> None:
    shown = banner([KOR[code]])
    assert shown.text == text
    assert shown.css_class == f"tier-{tier}"
    assert (shown.background, shown.foreground) == colours


def test_the_banner_is_the_highest_level_shown_and_green_when_nothing_is() -> None:
    assert banner([KOR["GUNSA_III"], KOR["GUNSA_I"], KOR["GUNSA_II"]]).tier == "TOP SECRET"
    assert banner([KOR["GUNSA_III"], KOR["GUNSA_III"]]).tier == "CONFIDENTIAL"
    empty = banner([])
    assert (empty.text, empty.css_class, empty.background) == (
        UNCLASSIFIED,
        "tier-unclassified",
        "#007A33",
    )
    assert marking(builtin_schemes().scheme("USA")["SECRET"]).text == "SECRET"
    assert marking(builtin_schemes().scheme("JPN")["GOKUHI"]).text == "極秘 · Gokuhi · SECRET"
    with pytest.raises(TypeError):
        banner([KOR["GUNSA_II"], builtin_schemes().scheme("JPN")["GOKUHI"]])


def test_the_stylesheet_colours_each_tier_as_the_banner_function_says(browser: Browser) -> None:
    css = browser.get("/console/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    for tier, (background, foreground) in TIER_COLOURS.items():
        css_class = Banner(text=tier, tier=tier, background="", foreground="").css_class
        assert f".{css_class} {{ background: {background}; color: {foreground}; }}" in css.text


# Authentication.


def test_every_page_redirects_to_the_login_form_without_a_valid_cookie(
    browser: Browser, setup: Setup
) -> None:
    for path in pages(setup):
        answer = browser.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login"), path
    browser.client.cookies.set(COOKIE, "gst_forged", domain="console.test", path="/console")
    assert browser.get("/console").status_code == 303
    login = browser.get("/console/login")
    assert login.status_code == 200
    assert 'name="token"' in login.text


def test_a_revoked_or_expired_token_is_refused_as_the_api_refuses_it(
    browser: Browser, setup: Setup
) -> None:
    auth = AuthService(setup.node.ctx)
    revoked = auth.issue(person_id=officer("KOR"), by=NODE_ACTOR)
    assert browser.login(revoked.token).status_code == 303
    assert browser.get("/console").status_code == 200
    auth.revoke(token_id=revoked.token_id, by=registrar("KOR"))
    assert browser.get("/console").status_code == 303
    short = auth.issue(person_id=officer("KOR"), by=NODE_ACTOR, ttl=timedelta(minutes=1))
    assert browser.login(short.token).status_code == 303
    assert browser.get("/console").status_code == 200
    setup.world.later(minutes=2)
    assert browser.get("/console").status_code == 303


def test_a_bad_token_gets_a_401_page_and_no_cookie(browser: Browser) -> None:
    form = browser.get("/console/login")
    answer = browser.post("/console/login", {"token": "gst_forged", "csrf": csrf_of(form)})
    assert answer.status_code == 401
    assert "not accepted" in answer.text
    assert answer.headers.get_list("set-cookie") == []
    assert COOKIE not in browser.client.cookies
    assert browser.get("/console").status_code == 303


def test_login_sets_an_httponly_strict_cookie_scoped_to_the_console(
    browser: Browser, setup: Setup
) -> None:
    answer = browser.login(setup.token)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console")
    cookie = cookie_header(answer, COOKIE)
    assert cookie is not None
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= attributes
    assert "secure" not in attributes
    assert cookie.startswith(f"{COOKIE}={setup.token};")
    assert browser.get("/console").status_code == 200


def test_over_https_the_cookie_is_secure(setup: Setup) -> None:
    browser = Browser(setup.app(), base_url="https://console.test")
    try:
        cookie = cookie_header(browser.login(setup.token), COOKIE)
        assert cookie is not None
        assert "secure" in {a.strip().lower() for a in cookie.split(";")[1:]}
    finally:
        browser.close()


def test_console_pages_count_against_the_persons_rate(setup: Setup) -> None:
    browser = Browser(setup.app(per_minute=3))
    try:
        assert browser.login(setup.token).status_code == 303
        assert [browser.get("/console").status_code for _ in range(3)] == [200, 200, 429]
        assert browser.get("/console").headers["retry-after"] == "60"
    finally:
        browser.close()


# CSRF and logout.


def test_a_post_without_the_csrf_token_is_refused(signed_in: Browser, setup: Setup) -> None:
    for form in ({}, {"csrf": "0" * 64}):
        answer = signed_in.post("/console/logout", form)
        assert answer.status_code == 403
        assert "the form has expired" in answer.text
        assert cookie_header(answer, COOKIE) is None
    assert signed_in.get("/console").status_code == 200
    login = signed_in.post("/console/login", {"token": setup.token})
    assert login.status_code == 403
    assert cookie_header(login, COOKIE) is None


def test_logout_clears_the_cookie(signed_in: Browser) -> None:
    page = signed_in.get("/console")
    answer = signed_in.post("/console/logout", {"csrf": csrf_of(page)})
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    cleared = cookie_header(answer, COOKIE)
    assert cleared is not None
    assert "max-age=0" in cleared.lower()
    assert COOKIE not in signed_in.client.cookies
    assert signed_in.get("/console").status_code == 303


# Headers.


def test_every_console_answer_carries_the_security_headers(
    signed_in: Browser, setup: Setup
) -> None:
    answers = [signed_in.get(p) for p in [*pages(setup), "/console/console.css"]]
    answers.append(signed_in.get("/console/items/" + "0" * 32))  # an error page
    answers.append(signed_in.get("/console/login"))
    stranger = Browser(setup.app())
    answers.append(stranger.get("/console"))  # a redirect
    stranger.close()
    assert [a.status_code for a in answers[-3:]] == [404, 200, 303]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.url, name)
    assert SECURITY_HEADERS["Content-Security-Policy"].startswith("default-src 'self';")
    assert "<script" not in "".join(a.text for a in answers)


# What the pages show.


def test_the_items_page_banner_is_the_highest_level_and_each_row_its_marking(
    signed_in: Browser, setup: Setup
) -> None:
    page = signed_in.get("/console/items")
    assert page.status_code == 200
    assert banners_of(page) == [("tier-secret", SECRET_KOR)] * 2
    secret = row_of(page, setup.secret_item)
    assert f'<span class="marking tier-secret">{SECRET_KOR}</span>' in secret
    assert "jpn-kor-gsomia" in secret
    assert "JPN" in secret
    assert "held" in secret
    low = row_of(page, setup.confidential_item)
    assert f'<span class="marking tier-confidential">{CONFIDENTIAL_KOR}</span>' in low


def test_the_items_page_goes_on_by_cursor_and_marks_each_page_for_itself(
    signed_in: Browser, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_console_views, "PAGE_SIZE", 1)
    first_id, second_id = sorted([setup.secret_item, setup.confidential_item])
    first = signed_in.get("/console/items")
    assert first_id in first.text
    assert second_id not in first.text
    assert f'href="/console/items?after={first_id}" rel="next"' in first.text
    second = signed_in.get(f"/console/items?after={first_id}")
    assert second_id in second.text
    assert 'rel="next"' not in second.text
    expected = "tier-secret" if second_id == setup.secret_item else "tier-confidential"
    assert banners_of(second)[0][0] == expected


def test_an_item_page_lists_its_label_versions_and_ledger_entries(
    signed_in: Browser, setup: Setup
) -> None:
    page = signed_in.get(f"/console/items/{setup.secret_item}")
    assert page.status_code == 200
    assert banners_of(page) == [("tier-secret", SECRET_KOR)] * 2
    with setup.node.ctx.store.read() as uow:
        labels = uow.labels(setup.secret_item)
    assert len(labels) >= 2
    for label in labels:
        assert f"<code>{label.digest}</code>" in page.text
        assert f'<td class="num">{label.revision}</td>' in page.text
    assert "item.received" in page.text
    assert "item.marked" in page.text
    assert "極秘 (Gokuhi) [JPN:GOKUHI]" in page.text


def test_no_page_shows_an_items_content(signed_in: Browser, setup: Setup) -> None:
    bodies = [signed_in.get(p) for p in pages(setup)]
    assert all(b.status_code == 200 for b in bodies)
    text = "".join(b.text for b in bodies)
    for content in (PLAINTEXT, PLAINTEXT_LOW):
        assert content.decode() not in text
        assert base64.b64encode(content).decode() not in text
    assert "CONTENT-NEVER-SHOWN" not in text


def test_purpose_and_facility_names_are_escaped(signed_in: Browser, setup: Setup) -> None:
    page = signed_in.get(f"/console/items/{setup.secret_item}")
    assert "&lt;script&gt;alert(&#39;purpose&#39;)&lt;/script&gt; missile warning" in page.text
    assert "&lt;script&gt;alert(&#39;facility&#39;)&lt;/script&gt; vault" in page.text
    assert "<script" not in page.text


def test_pages_without_items_are_unclassified(signed_in: Browser, setup: Setup) -> None:
    green = [("tier-unclassified", UNCLASSIFIED)] * 2
    for path in ("/console", "/console/agreements/jpn-kor-gsomia", "/console/audit"):
        assert banners_of(signed_in.get(path)) == green, path
    stranger = Browser(setup.app())
    assert banners_of(stranger.get("/console/login")) == green
    stranger.close()


def test_the_overview_shows_party_person_agreements_counts_and_ledger(
    signed_in: Browser, setup: Setup
) -> None:
    page = signed_in.get("/console").text
    assert "<dt>Party</dt><dd>KOR</dd>" in page
    assert "Officer (kor-officer), security-officer" in page
    assert 'href="/console/agreements/jpn-kor-gsomia"' in page
    assert "Japan–ROK GSOMIA" in page
    assert "jpn-usa-gsomia" not in page  # Korea is not a party to it
    assert '<tr><td>held</td><td class="num">2</td></tr>' in page
    size = setup.node.ctx.store.ledger.size()
    assert f"<dt>Entries</dt><dd>{size}</dd>" in page
    latest = setup.node.ctx.store.ledger.latest_checkpoint()
    assert latest is not None
    assert f"size {latest.size}, signed" in page


def test_an_agreement_page_shows_status_events_and_equivalence(
    signed_in: Browser, setup: Setup
) -> None:
    page = signed_in.get("/console/agreements/jpn-kor-gsomia").text
    assert "<dt>Phase</dt>" in page
    assert "군사II급비밀 (Gunsa II-geup Bimil) <code>KOR:GUNSA_II</code>" in page
    assert "極秘 (Gokuhi) <code>JPN:GOKUHI</code>" in page
    assert "rok-notice-2019" in page
    missing = signed_in.get("/console/agreements/no-such-agreement")
    assert missing.status_code == 404
    assert "unknown agreement" in missing.text


def test_the_audit_page_shows_each_check(signed_in: Browser) -> None:
    page = signed_in.get("/console/audit").text
    assert "The ledger verifies." in page
    for name in ("signatures", "leaf-hashes", "entry-format", "leaves", "consistency"):
        assert re.search(rf"<td>ok</td>\s*<td>{name}</td>", page), name
    assert "FAIL" not in page


def test_the_audit_page_marks_a_failed_check(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    world.provide()
    world.drain()
    kor = world["KOR"]
    browser = Browser(create_app(kor))
    try:
        token = AuthService(kor.ctx).issue(person_id=officer("KOR"), by=NODE_ACTOR).token
        assert browser.login(token).status_code == 303
        page = browser.get("/console/audit").text
        assert "The ledger does NOT verify" in page
        assert re.search(r"<td>FAIL</td>\s*<td>leaves</td>", page)
    finally:
        browser.close()
        for node in world.nodes.values():
            node.ctx.store.close()


@dataclass
class Unplaced:
    """A Korean node with no receiving facility, holding an item nobody has placed yet."""

    node: Node
    item: str

    def app(self) -> Any:
        return create_app(self.node, limits=Limits(requests_per_minute_per_person=1_000_000))


@pytest.fixture(scope="module")
def unplaced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unplaced]:
    world = build(tmp_path_factory.mktemp("console-inbox"), parties=("JPN", "KOR"))
    kor = world["KOR"]
    kor.ctx.default_facility = None  # received items wait in the inbox to be placed
    kor.registry.add_facility(facility_id="kor-vault", name=FACILITY, by=registrar("KOR"))
    item = world.provide(level=LOW["JPN"], contents=(PLAINTEXT_LOW,)).item_ids[0]
    world.drain()
    yield Unplaced(node=kor, item=item)
    for node in world.nodes.values():
        node.ctx.store.close()


def _inbox_of(unplaced: Unplaced, person_id: str) -> httpx.Response:
    token = AuthService(unplaced.node.ctx).issue(person_id=person_id, by=NODE_ACTOR).token
    reader = Browser(unplaced.app())
    try:
        assert reader.login(token).status_code == 303
        return reader.get("/console/inbox")
    finally:
        reader.close()


def test_the_inbox_offers_facilities_only_to_a_reader_who_may_see_the_registry(
    unplaced: Unplaced,
) -> None:
    officers = _inbox_of(unplaced, officer("KOR")), _inbox_of(unplaced, registrar("KOR"))
    officials = _inbox_of(unplaced, "kor-official"), _inbox_of(unplaced, "kor-low")
    for page in (*officers, *officials):
        assert page.status_code == 200, page.text
        # Every reader is cleared for the unplaced item and sees it waiting.
        assert "Every item held here is placed" not in page.text
        assert unplaced.item in row_of(page, unplaced.item)
    for page in officers:
        offered = re.findall(r'<option value="([^"]+)">', page.text)
        assert {"kor-hq", "kor-annex", "kor-vault"} <= set(offered)
    for page in officials:
        assert re.findall(r'<option value="([^"]+)">', page.text) == []
        assert "vault" not in page.text and "kor-annex" not in page.text
    # A reader not cleared for the item sees neither it nor the facilities.
    stranger = _inbox_of(unplaced, "kor-noneed")
    assert unplaced.item not in stranger.text and "kor-annex" not in stranger.text


@pytest.mark.parametrize(
    ("person_id", "sees_registry", "sees_item"),
    [
        (officer("KOR"), True, True),
        (registrar("KOR"), True, True),
        ("kor-official", False, True),
        ("kor-low", False, True),
        ("kor-noneed", False, False),
        ("kor-uncleared-translator", False, False),
    ],
)
def test_the_inbox_query_shows_each_reader_only_what_the_rules_let_them_see(
    unplaced: Unplaced, person_id: str, sees_registry: bool, sees_item: bool
) -> None:
    inbox = unplaced.node.overview.inbox(viewer=person_id)
    facilities = {f.id for f in inbox.facilities}
    if sees_registry:
        assert {"kor-hq", "kor-annex", "kor-vault"} <= facilities
    else:
        assert facilities == set()
        assert inbox.alarms == [] and inbox.dead_letters == 0
    assert [r.id for r in inbox.unplaced] == ([unplaced.item] if sees_item else [])
    assert set(inbox.markings) == ({unplaced.item} if sees_item else set())
