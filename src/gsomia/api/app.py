"""The node's user-facing REST API (FastAPI): one route per workflow, thin.

Each route parses its input, calls one service method as the authenticated person, and
renders the result; errors become HTTP answers in :mod:`gsomia.api.errors` only. Persons
authenticate with bearer tokens (:mod:`gsomia.services.auth`); every request is counted
against the person's rate and the body against the size limit.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from gsomia import __version__
from gsomia.api.console import router as console_routes
from gsomia.api.deps import NodeDep, PersonDep
from gsomia.api.errors import TooLarge, TooManyRequests, handle_gsomia_error
from gsomia.api.registry import router as registry_routes
from gsomia.api.schemas import (
    CheckSendIn,
    DecisionOut,
    ItemOut,
    OpenIn,
    OpenOut,
    PersonOut,
    ProvideIn,
    ProvideOut,
)
from gsomia.api.taxii import taxii_router
from gsomia.api.tlog import tlog_router
from gsomia.api.workflows import router as workflow_routes
from gsomia.config import Limits
from gsomia.core.rules import Act
from gsomia.errors import GsomiaError, InputError
from gsomia.services.auth import AuthService
from gsomia.services.custody import Provision
from gsomia.services.node import Node
from gsomia.services.policy import PolicyService, SendQuestion
from gsomia.services.views import agreement_view, decision_view, status_view

__all__ = ["create_app"]

_BANNER_HEADER = "X-Gsomia-Handling"


class _RateLimiter:
    """A token bucket per person: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._buckets[who] = (tokens, now)
                raise TooManyRequests(f"{who} has sent too many requests; slow down")
            self._buckets[who] = (tokens - 1.0, now)


def create_app(node: Node, *, limits: Limits | None = None) -> FastAPI:
    """The user API of ``node``."""
    limits = limits or Limits()
    app = FastAPI(
        title=f"gsomia node {node.party}",
        version=__version__,
        description=(
            "A government node under GSOMIA-style agreements. Every decision cites the rules "
            "it rests on (JK-7.2, TI-3); every act is recorded in the node's ledger."
        ),
    )
    app.state.node = node
    app.state.auth = AuthService(node.ctx)
    app.state.limiter = _RateLimiter(limits.requests_per_minute_per_person)
    app.add_exception_handler(GsomiaError, handle_gsomia_error)

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length")
        try:
            if declared is not None and int(declared) > limits.max_request_bytes:
                raise TooLarge(f"the request is larger than {limits.max_request_bytes} bytes")
        except ValueError:
            return await handle_gsomia_error(request, InputError("bad Content-Length"))
        except TooLarge as exc:
            return await handle_gsomia_error(request, exc)
        response = await call_next(request)
        response.headers[_BANNER_HEADER] = "contains labels of classified military information"
        return response

    _routes(app)
    app.include_router(workflow_routes)
    app.include_router(registry_routes)
    app.include_router(console_routes)
    app.include_router(taxii_router(node, max_content_length=limits.max_request_bytes))
    app.include_router(tlog_router(node))
    return app


ItemId = Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")]


def _policy(request: Request) -> PolicyService:
    """What-if answers over the agreements as this node knows them now (files and notes)."""
    node: Node = request.app.state.node
    return PolicyService(node.ctx.agreements)


def _routes(app: FastAPI) -> None:
    @app.get("/v1/health", tags=["node"])
    def health(node: NodeDep) -> dict[str, Any]:
        """Liveness: the node's party and version (no authentication)."""
        return {"party": node.party, "version": __version__, "status": "ok"}

    @app.get("/v1/me", tags=["node"])
    def me(person: PersonDep) -> PersonOut:
        """The authenticated person."""
        return PersonOut.of(person)

    @app.get("/v1/agreements", tags=["agreements"])
    def agreements(request: Request, _p: PersonDep) -> list[dict[str, Any]]:
        """The agreements this node knows."""
        return [agreement_view(a) for a in _policy(request).agreements()]

    @app.get("/v1/agreements/{agreement_id}", tags=["agreements"])
    def agreement(request: Request, agreement_id: str, _p: PersonDep) -> dict[str, Any]:
        """One agreement as its file states it."""
        return agreement_view(_policy(request).agreement(agreement_id))

    @app.get("/v1/agreements/{agreement_id}/status", tags=["agreements"])
    def agreement_status(
        request: Request,
        agreement_id: str,
        _p: PersonDep,
        on: Annotated[str, Query(max_length=40)],
    ) -> dict[str, Any]:
        """The agreement's status on a date (end of that day, agreement time) or instant."""
        return status_view(_policy(request).status(agreement_id, on=on))

    @app.post("/v1/check/send", tags=["agreements"])
    def check_send(request: Request, body: CheckSendIn, _p: PersonDep) -> list[DecisionOut]:
        """What-if: may an item be provided? Decided under each shared agreement."""
        results = _policy(request).check_send(
            SendQuestion(
                originator=body.originator,
                recipient=body.recipient,
                level=body.level,
                topic=body.topic,
                on=body.on,
                agreement=body.agreement,
            )
        )
        return [DecisionOut(agreement=a.id, **decision_view(d)) for a, d in results]

    @app.post("/v1/items", tags=["custody"], status_code=201)
    def provide(node: NodeDep, body: ProvideIn, person: PersonDep) -> ProvideOut:
        """Provide items to a partner along the agreement's route (JK-4, JK-9, TI-2)."""
        contents = [_unb64(c, i) for i, c in enumerate(body.contents)]
        result = node.custody.provide(
            contents=contents,
            provision=Provision(
                recipient=body.to,
                level=body.level,
                topic=body.topic,
                purpose=body.purpose,
                agreement_id=body.agreement,
            ),
            by=person.id,
        )
        return ProvideOut(
            agreement=result.agreement_id,
            route=list(result.route),
            items=list(result.item_ids),
            transfers=list(result.transfer_ids),
            **decision_view(result.decision),
        )

    @app.get("/v1/items", tags=["custody"])
    def items(
        node: NodeDep,
        person: PersonDep,
        after: Annotated[str, Query(max_length=32, pattern="^[0-9a-f]*$")] = "",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[ItemOut]:
        """Items in this node's custody whose markings the person may see (JK-7.2), by id, a
        page at a time (``after`` is the cursor)."""
        shown = node.queries.items(viewer=person.id, after=after, limit=limit)
        return [ItemOut.of(r) for r in shown]

    @app.get("/v1/items/{item_id}", tags=["custody"])
    def item(node: NodeDep, item_id: ItemId, person: PersonDep) -> ItemOut:
        """One item's record and markings (never its content), for a person cleared for
        them; a refusal is recorded."""
        detail = node.queries.item(viewer=person.id, item_id=item_id)
        return ItemOut.of(detail.record, labels=detail.labels)

    @app.post("/v1/items/{item_id}/open", tags=["custody"])
    def open_item(
        node: NodeDep, item_id: ItemId, person: PersonDep, body: OpenIn | None = None
    ) -> OpenOut:
        """Open an item as the authenticated person (JK-7), for the purpose it was provided
        for or another one the originator consented to (JK-5.2); the act is recorded."""
        purpose = body.purpose if body else None
        content = node.custody.open(item_id=item_id, person_id=person.id, purpose=purpose)
        return OpenOut(item=item_id, content=base64.b64encode(content).decode("ascii"))

    @app.post("/v1/audit/checkpoint", tags=["audit"])
    def checkpoint(node: NodeDep, person: PersonDep) -> dict[str, Any]:
        """Sign a checkpoint of the ledger now and ask partners to cosign it (security
        officers)."""
        node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="ledger")
        size = node.witness.request()
        return {"origin": node.audit.origin, "size": size}

    @app.get("/v1/audit/verify", tags=["audit"])
    def audit_verify(node: NodeDep, person: PersonDep) -> dict[str, Any]:
        """Re-hash every entry to the latest checkpoint and check every signature (security
        officers)."""
        node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="ledger")
        report = node.audit.verify_all()
        return {
            "origin": report.origin,
            "entries": report.entries,
            "checkpoints": report.checkpoints,
            "ok": not report.failures,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
        }

    @app.get("/v1/audit/entries", tags=["audit"])
    def audit_entries(
        node: NodeDep,
        person: PersonDep,
        item: Annotated[str | None, Query(pattern="^[0-9a-f]{32}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        """Ledger entries about one item, or the latest ones (security officers)."""
        shown = node.queries.ledger(viewer=person.id, item_id=item, limit=None if item else limit)
        return [{"index": i, **e.to_dict()} for i, e in shown]

    @app.get("/v1/audit/alarms", tags=["audit"])
    def audit_alarms(node: NodeDep, person: PersonDep) -> list[dict[str, Any]]:
        """Witness alarms: a partner's log forked or rolled back. A person must look
        (security officers)."""
        node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="ledger")
        return [
            {
                "raised_at": a.raised_at.isoformat(),
                "origin": a.origin,
                "finding": a.finding,
                "message": a.message,
            }
            for a in node.audit.alarms()
        ]

    @app.get("/v1/outbox", tags=["node"])
    def outbox(node: NodeDep, person: PersonDep) -> dict[str, int]:
        """Outgoing messages by delivery state (security officers)."""
        node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="outbox")
        return node.delivery.counts()


def _unb64(text: str, i: int) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise InputError(f"contents[{i}] is not valid base64") from None
