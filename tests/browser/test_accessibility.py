"""axe-core, run in Chromium, finds no serious or critical accessibility violation on any
page of the console: each page as the KOR security officer sees it, the login page, a
refusal and an error. The violations of every impact are written to
``build/axe-results.json`` for the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import Console, Officer, Person

pytestmark = pytest.mark.cluster

RESULTS = Path(__file__).parent.parent.parent / "build" / "axe-results.json"
PAGES = (
    "",
    "/inbox",
    "/items",
    "/item",
    "/provide",
    "/consents",
    "/incidents",
    "/notes",
    "/visits",
    "/registry",
    "/audit",
    "/agreements/jpn-kor-gsomia",
)


#: The pages whose screenshot for the documentation this test takes (the act tests take
#: the others, after their acts).
SHOTS = {
    "/login": "login",
    "/notes": "notes",
    "/visits": "visits",
    "/audit": "audit",
    "/agreements/jpn-kor-gsomia": "agreement",
}


def _audit(console: Console, path: str) -> list[dict[str, Any]]:
    console.goto(path)
    if path in SHOTS:
        console.shoot(SHOTS[path])
    return console.axe()


def test_no_page_has_a_serious_or_critical_violation(
    open_console: Any,
    cluster: dict[str, Officer],
    people: dict[str, Person],
    held_item: str,
) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    anonymous = open_console(cluster["KOR"], javascript=True, login=False)
    found["/login"] = _audit(anonymous, "/login")
    console = open_console(cluster["KOR"], javascript=True)
    for path in PAGES:
        found[path or "/"] = _audit(console, f"/items/{held_item}" if path == "/item" else path)
    found["/items/<unknown> (error)"] = _audit(console, "/items/" + "0" * 32)
    refused = open_console(people["kor-nocl"], javascript=True)
    found[f"/items/{held_item} (refused)"] = _audit(refused, f"/items/{held_item}")
    assert refused.page.locator(".rule-id").count() >= 1
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(found, indent=1, ensure_ascii=False), encoding="utf-8")
    assert len(found) == len(PAGES) + 3
    grave = {
        page: [v for v in violations if v["impact"] in {"serious", "critical"}]
        for page, violations in found.items()
    }
    assert not any(grave.values()), json.dumps(grave, indent=1, ensure_ascii=False)
