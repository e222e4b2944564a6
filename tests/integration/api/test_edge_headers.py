"""Headers, redirects, documentation pages and throttles of the user API and the console
(security review L3, L4, L6, L9).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from gsomia.api.app import create_app
from gsomia.api.console import SECURITY_HEADERS
from gsomia.config import Limits
from gsomia.services.plumbing.context import SYSTEM_ACTOR
from tests.support.edge import Api, make_api


def _has_console_headers(answer: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (answer, name)


# The console's headers on every answer --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/console/nope", 404),
        ("GET", "/console/items/not-an-id/more", 404),
        ("DELETE", "/console/items", 405),
        ("GET", "/console/logout", 405),
        ("PUT", "/console/login", 405),
        ("GET", "/console/login/", 404),  # was a 307 built from the Host header
        ("GET", "/console/", 404),
        ("GET", "/console", 303),
        ("POST", "/console/login", 403),
    ],
)
def test_every_console_answer_carries_the_security_headers(
    api: Api, method: str, path: str, status: int
) -> None:
    answer = api.call(method, path, token=None)
    assert answer.status_code == status, answer.text
    _has_console_headers(answer)


def test_no_redirect_is_built_from_the_host_header(api: Api) -> None:
    for path in ("/console/login/", "/console/items/", "/v1/items/", "/console/audit/"):
        answer = api.call("GET", path, host="evil.example")
        assert answer.status_code == 404, (path, answer.status_code)
        assert "location" not in answer.headers
    answer = api.call("GET", "/console", token=None, host="evil.example")
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


def test_redirects_follow_the_configured_root_path(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    api.app.root_path = "/gsomia"
    try:
        answer = api.call("GET", "/gsomia/console", token=None, host="evil.example")
        assert (answer.status_code, answer.headers["location"]) == (303, "/gsomia/console/login")
        _has_console_headers(answer)
    finally:
        for node in api.world.nodes.values():
            node.ctx.store.close()


def test_api_answers_are_marked_and_not_given_console_headers(api: Api) -> None:
    answer = api.call("GET", "/v1/me")
    assert answer.status_code == 200
    assert answer.headers["x-gsomia-handling"].startswith("contains labels")
    assert "content-security-policy" not in answer.headers


# The documentation pages ----------------------------------------------------------------------


def test_the_docs_pages_are_not_served_and_openapi_needs_a_token(api: Api) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert api.call("GET", path).status_code == 404, path
    assert api.call("GET", "/openapi.json", token=None).status_code == 401
    assert api.call("GET", "/openapi.json", token="gst_forged").status_code == 401
    document = api.call("GET", "/openapi.json")
    assert document.status_code == 200
    assert "/v1/items" in document.json()["paths"]
    assert "/openapi.json" not in document.json()["paths"]


def test_no_page_loads_a_script_or_font_from_elsewhere(api: Api) -> None:
    pages = ["/console/login", "/docs", "/redoc", "/openapi.json", "/v1/health"]
    text = "".join(api.call("GET", p).text for p in pages)
    assert "<script" not in text
    assert not re.search(r"https?://(?!jpn\.test)", text.split('"servers"')[0])
    assert "cdn.jsdelivr.net" not in text and "fonts.googleapis.com" not in text


# Refused tokens, per client address ---------------------------------------------------------


def _throttled_api(tmp_path: Path, per_minute: int = 5) -> Api:
    api = make_api(tmp_path)
    limits = Limits(
        requests_per_minute_per_person=10**6, failed_logins_per_minute_per_address=per_minute
    )
    api.app = create_app(api.node, limits=limits)
    return api


@pytest.mark.parametrize("path", ["/v1/me", "/v1/items", "/v1/audit/alarms", "/taxii2/"])
def test_refused_bearer_tokens_are_throttled_per_address_without_a_lookup(
    tmp_path: Path, path: str
) -> None:
    api = _throttled_api(tmp_path)
    try:
        guesses = [api.call("GET", path, token=f"gst_guess{i}").status_code for i in range(7)]
        assert guesses == [401] * 5 + [429] * 2
        answer = api.call("GET", path, token="gst_another")
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "60")
        looked_up: list[str | None] = []
        real = api.app.state.auth.person

        def spy(token: str | None) -> object:
            looked_up.append(token)
            return real(token)

        api.app.state.auth.person = spy
        assert api.call("GET", path, token="gst_more").status_code == 429
        assert api.call("GET", path).status_code == 429  # even a good token, from there
        assert looked_up == []
        assert api.call("GET", path, address="192.0.2.77").status_code == 200
        assert api.call("GET", path, address="192.0.2.77", token="gst_x").status_code == 401
        assert looked_up == [api.token, "gst_x"]
    finally:
        for node in api.world.nodes.values():
            node.ctx.store.close()


def test_a_missing_token_is_not_counted_as_a_guess(tmp_path: Path) -> None:
    api = _throttled_api(tmp_path, per_minute=2)
    try:
        assert [api.call("GET", "/v1/me", token=None).status_code for _ in range(5)] == [401] * 5
        assert api.call("GET", "/v1/me").status_code == 200
    finally:
        for node in api.world.nodes.values():
            node.ctx.store.close()


def test_failed_console_logins_are_throttled_per_address(tmp_path: Path) -> None:
    api = _throttled_api(tmp_path, per_minute=3)
    try:
        form = api.call("GET", "/console/login", token=None)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', form.text)
        nonce = form.cookies.get("gsomia_console_login")
        assert csrf and nonce
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"gsomia_console_login={nonce}",
        }

        def login(token: str, address: str = "192.0.2.1") -> int:
            body = f"token={token}&csrf={csrf.group(1)}".encode()
            return api.call(
                "POST", "/console/login", token=None, content=body, headers=headers, address=address
            ).status_code

        assert [login(f"gst_guess{i}") for i in range(5)] == [401] * 3 + [429] * 2
        assert login(api.token) == 429
        # The API counts against the same address: the bearer token is refused there too.
        assert api.call("GET", "/v1/me").status_code == 429
        assert login(api.token, address="192.0.2.9") == 303
        cookie = {"Cookie": "gsomia_console=gst_stale"}
        pages = [
            api.call("GET", "/console", token=None, headers=cookie, address="192.0.2.5")
            for _ in range(4)
        ]
        assert [p.status_code for p in pages] == [303] * 3 + [429]
        _has_console_headers(pages[-1])
    finally:
        for node in api.world.nodes.values():
            node.ctx.store.close()


# Full ledger verification: at most one run per period ---------------------------------------


def test_ledger_verification_is_reused_for_a_period_on_the_api_and_the_console(
    tmp_path: Path,
) -> None:
    api = make_api(tmp_path)
    try:
        api.node.witness.request(
            by=SYSTEM_ACTOR
        )  # a ledger with no signed checkpoint does not verify
        runs: list[int] = []
        real = api.node.audit.verify_all

        def counted(**kwargs: object) -> object:
            runs.append(1)
            return real(**kwargs)

        api.node.audit.verify_all = counted  # type: ignore[method-assign]
        limits = Limits(requests_per_minute_per_person=10**6, audit_verify_seconds=3600)
        api.app = create_app(api.node, limits=limits)
        answers = [api.call("GET", "/v1/audit/verify") for _ in range(5)]
        assert {a.status_code for a in answers} == {200}
        assert len({a.json()["verified_at"] for a in answers}) == 1
        assert answers[0].json()["ok"] is True
        signed_in = {"Cookie": f"gsomia_console={api.token}"}
        page = api.call("GET", "/console/audit", token=None, headers=signed_in)
        assert page.status_code == 200 and "The ledger verifies." in page.text
        assert len(runs) == 1
        provided = api.call(
            "POST",
            "/v1/items",
            json={
                "to": "KOR",
                "level": "極秘",
                "topic": "nk-missile",
                "purpose": "w",
                "contents": ["QUFB"],
            },
        )
        assert provided.status_code == 201, provided.text
        assert api.call("POST", "/v1/audit/checkpoint").status_code == 200
        after = api.call("GET", "/v1/audit/verify")  # a new checkpoint: verified again
        assert (
            after.status_code == 200
            and after.json()["checkpoints"] > answers[0].json()["checkpoints"]
        )
        assert len(runs) == 2
        fresh = Limits(requests_per_minute_per_person=10**6, audit_verify_seconds=0)
        api.app = create_app(api.node, limits=fresh)
        for _ in range(3):
            assert api.call("GET", "/v1/audit/verify").status_code == 200
        assert len(runs) == 5
    finally:
        for node in api.world.nodes.values():
            node.ctx.store.close()
