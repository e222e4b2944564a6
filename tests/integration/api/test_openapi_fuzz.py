"""schemathesis against the node's OpenAPI document: no input earns a 5xx answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gsomia.adapters.clock import SimulatedClock
from gsomia.agreement_files import load_library
from gsomia.api.app import create_app
from gsomia.bootstrap import Member, demonstration_registry, fresh_node
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR, Authority
from gsomia.services.plumbing.auth import AuthService


def _app(root: Path, *, per_minute: int = 1_000_000) -> tuple[object, str]:
    library = load_library([])
    clock = SimulatedClock(datetime(2019, 10, 2, 9, tzinfo=UTC))
    node = fresh_node(
        f"sqlite:///{root}/jpn.db",
        party="JPN",
        library=library,
        clock=clock,
        default_facility="jpn-hq",
    )
    demonstration_registry(
        node,
        facility="jpn-hq",
        facility_name="Ichigaya",
        registrar=Member(
            person_id="registrar", name="Registrar", role="security-officer", clearance="極秘"
        ),
        members=[
            Member(
                person_id="sato",
                name="Sato",
                role="security-officer",
                clearance="極秘",
                need_to_know=frozenset({"nk-missile"}),
                authorities=tuple(Authority),
            )
        ],
    )
    token = AuthService(node.ctx).issue(person_id="sato", by=NODE_ACTOR).token
    return create_app(node, limits=Limits(requests_per_minute_per_person=per_minute)), token


ROOT = Path(__import__("tempfile").mkdtemp(prefix="gsomia-fuzz-"))
APP, TOKEN = _app(ROOT)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", APP, headers={"Authorization": f"Bearer {TOKEN}"}
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_earns_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (
        case.method,
        case.path,
        response.status_code,
        response.text[:300],
    )


async def _statuses(headers: dict[str, str], paths: list[str]) -> list[int]:
    transport = httpx.ASGITransport(app=APP)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        return [(await client.get(path, headers=headers)).status_code for path in paths]


@pytest.mark.parametrize("token", [None, "gst_forged", "not-a-token"])
def test_every_route_but_health_needs_a_valid_token(token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    paths = ["/v1/me", "/v1/items", "/v1/agreements", "/v1/outbox", "/v1/audit/alarms"]
    assert asyncio.run(_statuses(headers, ["/v1/health"])) == [200]
    assert asyncio.run(_statuses(headers, paths)) == [401] * len(paths)
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert asyncio.run(_statuses(good, paths)) == [200] * len(paths)


def test_a_person_over_their_rate_gets_429_and_a_retry_after(tmp_path: Path) -> None:
    app, token = _app(tmp_path, per_minute=3)

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return [
                await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
                for _ in range(5)
            ]

    answers = asyncio.run(burst())
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert answers[-1].headers["retry-after"] == "60"


def test_an_oversized_request_gets_413_and_stores_nothing(tmp_path: Path) -> None:
    app, token = _app(tmp_path)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            body = b'{"contents": ["' + b"A" * (9 * 1024 * 1024) + b'"]}'
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return await client.post("/v1/items", content=body, headers=headers)

    answer = asyncio.run(post())
    assert answer.status_code == 413
    assert answer.json()["error"] == "TooLarge"
    with app.state.node.ctx.store.read() as uow:  # type: ignore[attr-defined]
        assert uow.count_items() == 0
