"""A console form loaded before its node restarts is accepted after: the CSRF key is derived
from the master secret, not drawn per process. Runs last (it restarts the KOR node)."""

from __future__ import annotations

from typing import Any

import pytest

from gsomia.cluster import start_node, stop_node
from tests.support.browser import Officer

pytestmark = pytest.mark.cluster


def test_a_form_posted_after_a_node_restart_is_accepted(
    open_console: Any, cluster: dict[str, Officer]
) -> None:
    kor = cluster["KOR"]
    console = open_console(kor)
    page = console.goto("/registry")
    console.shoot("registry")
    form = page.locator("#add-facility")
    form.get_by_label("Facility id").fill("kor-annex")
    form.get_by_label("Name").fill("KOR headquarters annex")
    assert stop_node(kor.root, "KOR")
    start_node(kor.root, "KOR", wait=30)
    form.get_by_role("button", name="Add the facility").click()
    assert "facility is added" in console.done()
    assert "kor-annex" in page.locator("table.facilities").inner_text()


def test_a_forged_form_is_refused(open_console: Any, cluster: dict[str, Officer]) -> None:
    console = open_console(cluster["KOR"])
    page = console.goto("/registry")
    assert page.locator("#add-facility input[name=csrf]").count() == 1
    response = page.request.post(
        console.base + "/registry/facilities",
        form={"csrf": "0" * 64, "id": "kor-forged", "name": "forged"},
    )
    assert response.status in {400, 403}, response.status
    assert "has expired or did not come from this console" in response.text()
    assert "kor-forged" not in console.goto("/registry").locator("table.facilities").inner_text()
