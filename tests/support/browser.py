"""Helpers of the browser tests: the officers' API for setting the scene, and a console page
as a person sees it in Chromium."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from playwright.sync_api import Page

from gsomia.cluster import ClusterNode

T = TypeVar("T")

AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = os.environ.get("GSOMIA_CONSOLE_SCREENSHOTS", "")


def wait_for(predicate: Callable[[], T], timeout: float = 30.0) -> T:
    """The first truthy value of ``predicate``, polled; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@dataclass
class Officer:
    """A party's duty security officer (every authority), and the API as they call it."""

    node: ClusterNode
    root: Path

    @property
    def label(self) -> str:
        return self.node.officer

    @property
    def api_url(self) -> str:
        return self.node.api_url

    @property
    def token(self) -> str:
        return self.node.token

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        return httpx.request(
            method,
            self.api_url + path,
            headers={"Authorization": f"Bearer {self.token}"},
            json=body,
            params=params,
            timeout=60,
        )

    def items(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/v1/items", limit=1000).json())

    def holds(self, item_id: str) -> dict[str, Any] | None:
        return next((i for i in self.items() if i["id"] == item_id), None)

    def provide_to_kor(self, content: bytes, *, level: str = "極秘") -> str:
        body = {
            "to": "KOR",
            "level": level,
            "topic": "nk-missile",
            "purpose": "missile warning",
            "agreement": "jpn-kor-gsomia",
            "contents": [base64.b64encode(content).decode()],
        }
        sent = self.call("POST", "/v1/items", body)
        assert sent.status_code == 201, sent.text
        return str(sent.json()["items"][0])


@dataclass
class Person:
    """A person enrolled by an officer, with a token of their own."""

    officer: Officer
    id: str
    token: str

    @property
    def label(self) -> str:
        return self.id

    @property
    def api_url(self) -> str:
        return self.officer.api_url


def enrol(officer: Officer, person_id: str, **fields: Any) -> Person:
    """Register ``person_id`` (an official, by default without clearance) and issue a token."""
    body = {"id": person_id, "name": person_id.title(), "role": "official", **fields}
    added = officer.call("POST", "/v1/persons", body)
    assert added.status_code == 201, added.text
    issued = officer.call("POST", "/v1/tokens", {"person": person_id, "hours": 1})
    assert issued.status_code == 201, issued.text
    return Person(officer, person_id, issued.json()["token"])


@dataclass
class Console:
    """One person's console in one browser page."""

    page: Page
    base: str

    def goto(self, path: str = "") -> Page:
        response = self.page.goto(self.base + path)
        assert response is not None
        return self.page

    def login(self, token: str) -> None:
        self.goto("/login")
        self.page.get_by_label("Access token").fill(token)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(re.compile(r"/console$"))

    def banners(self) -> list[str]:
        """The top and bottom banners' text."""
        return [
            self.page.locator("#banner-top").inner_text(),
            self.page.locator("#banner-bottom").inner_text(),
        ]

    def done(self) -> str:
        return self.page.locator("p.done").inner_text()

    def shoot(self, name: str) -> None:
        """Save a screenshot of the page for the documentation, when asked to."""
        if SHOTS:
            from PIL import Image  # matplotlib's dependency; a palette keeps the files small

            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            path = Path(SHOTS) / f"{name}.png"
            self.page.screenshot(path=path, full_page=True)
            with Image.open(path) as shot:
                small = shot.convert("RGB").quantize(colors=64)
            small.save(path, optimize=True)

    def axe(self) -> list[dict[str, Any]]:
        """The axe-core violations of the page (WCAG 2 A and AA, and best practices)."""
        self.page.add_script_tag(path=str(AXE))
        found: str = self.page.evaluate(
            "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' '))})))"
        )
        return list(json.loads(found))
