"""The node's user-facing REST API (FastAPI): one route per workflow, thin.

Each route parses its input, calls one service method as the authenticated person, and
renders the result; errors become HTTP answers in :mod:`gsomia.api.errors` only. Persons
authenticate with bearer tokens (:mod:`gsomia.services.plumbing.auth`); every request is counted
against the person's rate and the body against the size limit, refused tokens against the
client address's budget, and a creating request may carry an ``Idempotency-Key``
(:mod:`gsomia.api._idempotency`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError

from gsomia import __version__
from gsomia.api._console_acts import MAX_UPLOAD_BYTES
from gsomia.api._console_auth import MAX_CONSOLE_BODY_BYTES
from gsomia.api._console_auth import PREFIX as CONSOLE
from gsomia.api._edge import BodyLimit, ResponseHeaders, Scope, header
from gsomia.api._idempotency import NO_STORE, Idempotency
from gsomia.api._throttle import (
    AddressLimiter,
    Buckets,
    LedgerCheck,
    SharedAddressLimiter,
    SharedRateLimiter,
)
from gsomia.api.console import SECURITY_HEADERS
from gsomia.api.console import router as console_routes
from gsomia.api.deps import NodeDep, PersonDep
from gsomia.api.errors import TooManyRequests, handle_gsomia_error, handle_validation_error
from gsomia.api.metrics import RequestMetrics, instrument
from gsomia.api.metrics import router as metrics_routes
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
from gsomia.core.people import Person
from gsomia.core.rules import Act
from gsomia.crypto import FormKey
from gsomia.errors import GsomiaError, InputError
from gsomia.services.acts.custody import Provision
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from gsomia.services.plumbing.views import agreement_view, decision_view, status_view
from gsomia.services.what_if import SendQuestion, WhatIfService

__all__ = ["create_app"]

_JSON = "application/json"
_BANNER_HEADER = "X-Gsomia-Handling"
_BANNER = "contains labels of classified military information"


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


def create_app(
    node: Node,
    *,
    limits: Limits | None = None,
    form_key: FormKey | None = None,
    shared_limits: Buckets | None = None,
) -> FastAPI:
    """The user API of ``node``, with the web console under ``/console``.

    ``form_key`` binds the console's forms to their sessions; a node passes the one its
    master secret derives (:meth:`FormKey.from_master`), so that its forms survive a restart
    and hold across workers. Without one, a key is drawn for this app alone. With
    ``shared_limits`` (buckets in the node's database, which the composition root that
    opened the store makes) the request limits are counted there, so that the worker
    processes of one node share them (``gsomia node run --workers N``).

    Every request meets the edge first (:mod:`gsomia.api._edge`): its body is counted as it
    streams and refused past the limit (413) before anything parses it or looks at a token.
    The API's documentation pages are not served (they load scripts from elsewhere); the
    OpenAPI document is at ``/openapi.json`` for an authenticated person.
    """
    limits = limits or Limits()
    app = FastAPI(
        title=f"gsomia node {node.party}",
        version=__version__,
        description=(
            "A government node under GSOMIA-style agreements. Every decision cites the rules "
            "it rests on (JK-7.2, TI-3); every act is recorded in the node's ledger."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        swagger_ui_oauth2_redirect_url=None,
        redirect_slashes=False,
    )
    app.state.node = node
    app.state.form_key = form_key or FormKey.drawn()
    app.state.auth = AuthService(node.ctx)
    per_person = limits.requests_per_minute_per_person
    per_address = limits.failed_logins_per_minute_per_address
    if shared_limits is not None:
        app.state.limiter = SharedRateLimiter(shared_limits, per_person)
        app.state.refusals = SharedAddressLimiter(shared_limits, per_address)
    else:
        app.state.limiter = _RateLimiter(per_person)
        app.state.refusals = AddressLimiter(per_address)
    app.state.ledger_check = LedgerCheck(
        node.audit.verify_all,
        checkpoint=node.audit.latest_size,
        seconds=limits.audit_verify_seconds,
        now=node.ctx.clock.now,
    )
    app.add_exception_handler(GsomiaError, handle_gsomia_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    _edges(app, node, limits)
    _routes(app)
    app.include_router(workflow_routes)
    app.include_router(registry_routes)
    app.include_router(console_routes)
    app.include_router(taxii_router(node, max_content_length=limits.max_request_bytes))
    app.include_router(tlog_router(node))
    app.include_router(metrics_routes)
    instrument(node)
    return app


def _edges(app: FastAPI, node: Node, limits: Limits) -> None:
    """The middlewares, innermost first: idempotency keys, the body limit, the headers."""
    app.add_middleware(
        Idempotency,
        keys=node.request_keys,
        person_of=lambda scope: _keyed_person(app, scope),
        now=node.ctx.clock.now,
        hours=limits.idempotency_hours,
    )
    app.add_middleware(
        BodyLimit,
        limits={
            "": limits.max_request_bytes,
            CONSOLE: MAX_CONSOLE_BODY_BYTES,
            CONSOLE + "/provide": MAX_UPLOAD_BYTES + MAX_CONSOLE_BODY_BYTES,
        },
    )
    app.add_middleware(ResponseHeaders, prefix="", headers={_BANNER_HEADER: _BANNER})
    app.add_middleware(ResponseHeaders, prefix=CONSOLE, headers=SECURITY_HEADERS)
    app.add_middleware(RequestMetrics)


def _keyed_person(app: FastAPI, scope: Scope) -> str | None:
    """The person of a keyed request's bearer token, if it is valid (no counting: the
    route authenticates it again, or the stored answer is given to that same person)."""
    address = scope["client"][0] if scope.get("client") else ""
    authorization = header(scope, b"authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        app.state.refusals.check(address)
        person: Person = app.state.auth.person(token.strip())
    except GsomiaError:
        return None
    return person.id


ItemId = Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")]


def _policy(request: Request) -> WhatIfService:
    """What-if answers over the agreements as this node knows them now (files and notes)."""
    node: Node = request.app.state.node
    return WhatIfService(node.ctx.agreements)


def _routes(app: FastAPI) -> None:
    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_p: PersonDep) -> dict[str, Any]:
        """The API's OpenAPI document (for an authenticated person)."""
        return app.openapi()

    @app.get("/v1/health", tags=["node"])
    def health(node: NodeDep) -> dict[str, Any]:
        """Liveness: the node's party and version (no authentication)."""
        return {"party": node.party, "version": __version__, "status": "ok"}

    @app.get("/v1/me", tags=["node"])
    def me(person: PersonDep) -> PersonOut:
        """The authenticated person."""
        return PersonOut.of(person)

    @app.get("/v1/agreements", tags=["agreements"])
    def agreements(request: Request, node: NodeDep, person: PersonDep) -> list[dict[str, Any]]:
        """The agreements this node knows (the text of their notes for those who may see
        the notes)."""
        return [
            agreement_view(node.queries.agreement(a, viewer=person.id))
            for a in _policy(request).agreements()
        ]

    @app.get("/v1/agreements/{agreement_id}", tags=["agreements"])
    def agreement(
        request: Request, node: NodeDep, agreement_id: str, person: PersonDep
    ) -> dict[str, Any]:
        """One agreement as its file states it, with its events (the text of its notes for
        those who may see the notes)."""
        return agreement_view(
            node.queries.agreement(_policy(request).agreement(agreement_id), viewer=person.id)
        )

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

    @app.post("/v1/items", tags=["custody"], status_code=201, response_model=ProvideOut)
    def provide(node: NodeDep, body: ProvideIn, person: PersonDep) -> Response:
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
            officer=person,
        )
        out = ProvideOut(
            agreement=result.agreement_id,
            route=list(result.route),
            items=list(result.item_ids),
            transfers=list(result.transfer_ids),
            **decision_view(result.decision),
        )
        # The answer as it is: a returned model is checked again by FastAPI, and for a
        # synchronous route on the thread pool, one more hand-over per provision.
        return Response(out.model_dump_json(), status_code=201, media_type=_JSON)

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
        node: NodeDep,
        item_id: ItemId,
        person: PersonDep,
        response: Response,
        body: OpenIn | None = None,
    ) -> OpenOut:
        """Open an item as the authenticated person (JK-7), for the purpose it was provided
        for or another one the originator consented to (JK-5.2); the act is recorded. The
        answer is never stored, by a cache or with an ``Idempotency-Key``: each open is
        decided again."""
        response.headers["Cache-Control"] = NO_STORE
        purpose = body.purpose if body else None
        content = node.custody.open(item_id=item_id, person_id=person.id, purpose=purpose)
        return OpenOut(item=item_id, content=base64.b64encode(content).decode("ascii"))

    @app.post("/v1/audit/checkpoint", tags=["audit"])
    def checkpoint(node: NodeDep, person: PersonDep) -> dict[str, Any]:
        """Sign a checkpoint of the ledger now and ask partners to cosign it (security
        officers; a refusal is recorded)."""
        size = node.witness.request(by=person.id)
        return {"origin": node.audit.origin, "size": size}

    @app.get("/v1/audit/verify", tags=["audit"])
    def audit_verify(request: Request, node: NodeDep, person: PersonDep) -> dict[str, Any]:
        """Re-hash every entry to the latest checkpoint and check every signature (security
        officers; a run at most ``limits.audit_verify_seconds`` old, ``verified_at`` says
        when it ran), and hold what the store wrote since the last clean check to the ledger
        (``store``; ``gsomia audit verify`` checks every row)."""
        node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="ledger")
        verification = request.app.state.ledger_check.latest()
        report = verification.raise_failure()
        store = node.check_store(incremental=True)
        return {
            "verified_at": verification.verified_at.isoformat(),
            "origin": report.origin,
            "entries": report.entries,
            "checkpoints": report.checkpoints,
            "ok": not report.failures and store.ok,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
            "store": {
                "ok": store.ok,
                "incremental": store.incremental,
                "rows": store.rows,
                "journal_rows": store.journal,
                "findings": [
                    {"table": f.table, "row": f.row, "problem": f.problem, "detail": f.detail}
                    for f in store.findings
                ],
            },
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
        """Alarms: a partner's log forked or rolled back, or a row of this node's store
        changed outside it (``state-tampered``, its evidence naming the table and row). A
        person must look (security officers)."""
        node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="ledger")
        return [
            {
                "raised_at": a.raised_at.isoformat(),
                "origin": a.origin,
                "finding": a.finding,
                "message": a.message,
                "evidence": json.loads(a.evidence),
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
