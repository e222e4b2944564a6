"""The console in a real browser: Debian's Chromium driven by Playwright against a running
three-node cluster (JPN, KOR, USA as separate processes on loopback).

Chromium is the system's (``/usr/bin/chromium``, or ``GSOMIA_CHROMIUM``); Playwright downloads
none. Act tests run with JavaScript off, as the console needs none; the accessibility audit
runs axe-core (installed from npm into ``tests/browser/node_modules`` by ``make
browser-deps``) in a context of its own. A failed test leaves a screenshot of its page in
``build/browser-failures/``. With ``GSOMIA_CONSOLE_SCREENSHOTS`` set to a folder, the tests
also save a screenshot of each page there (``docs/console/`` is made that way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from gsomia.cluster import up
from tests.support.browser import Console, Officer, Person, enrol, wait_for
from tests.support.cluster import down_at_once

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("GSOMIA_CHROMIUM", "/usr/bin/chromium")
FAILURES = HERE.parent.parent / "build" / "browser-failures"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Officer]]:
    root = tmp_path_factory.mktemp("browser-cluster")
    nodes = up(root)
    try:
        yield {n.party: Officer(node=n, root=root) for n in nodes}
    finally:
        down_at_once(root)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser-deps`")
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    yield browser
    browser.close()


def _context(browser: Browser, *, javascript: bool) -> BrowserContext:
    context = browser.new_context(
        java_script_enabled=javascript,
        bypass_csp=javascript,
        viewport={"width": 1280, "height": 800},
        locale="en-GB",
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def open_console(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open a console as someone, in a browser context of its own (JavaScript off unless
    asked); each page is screenshotted on failure."""
    opened: list[tuple[str, Page]] = []

    def opener(who: Officer | Person, *, javascript: bool = False, login: bool = True) -> Console:
        page = _context(browser, javascript=javascript).new_page()
        opened.append((who.label, page))
        console = Console(page=page, base=who.api_url + "/console")
        if login:
            console.login(who.token)
        return console

    yield opener
    failed = request.node.stash.get(_FAILED, False)
    for label, page in opened:
        if failed:
            FAILURES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=FAILURES / f"{request.node.name}-{label}.png", full_page=True)
        page.context.close()


@pytest.fixture(scope="session")
def people(cluster: dict[str, Officer]) -> dict[str, Person]:
    """Persons enrolled through the officers' API: an official of each party with no
    clearance and no authority."""
    return {f"{p.lower()}-nocl": enrol(o, f"{p.lower()}-nocl") for p, o in cluster.items()}


@pytest.fixture(scope="session")
def held_item(cluster: dict[str, Officer]) -> str:
    """An item JPN provided to KOR (極秘 under the Japan–ROK GSOMIA), held at KOR."""
    item_id = cluster["JPN"].provide_to_kor(b"launch 39.0N 125.7E apogee 6000km")
    wait_for(lambda: cluster["KOR"].holds(item_id))
    return item_id
