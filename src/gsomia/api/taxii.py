"""TAXII 2.1 on the node's user API, at ``/taxii2/`` (OASIS TAXII 2.1, 10 June 2021).

Discovery at ``/taxii2/``, one API root per node (``/taxii2/<party>/``), its collections,
objects with ``limit``/``next`` pagination and the ``added_after`` and ``match[...]``
filters, one object, its versions, the manifest, posting an envelope, and status. Every
route takes the person's token (``Authorization: Bearer gst_...``, or ``Token gst_...`` as
OASIS ``taxii2-client`` sends it), answers ``application/taxii+json;version=2.1`` and
turns errors into TAXII error messages here, in one place. Routes stay thin: they parse,
call :class:`~gsomia.services.taxii.TaxiiService` once and render.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from gsomia.api.deps import authenticate
from gsomia.api.errors import STATUS_OF, TooManyRequests, Unauthenticated, WrongMediaType
from gsomia.core.people import Person
from gsomia.errors import GsomiaError, InputError, IntegrityError, PolicyDenied
from gsomia.interop.stix import timestamp
from gsomia.interop.taxii import TAXII_MEDIA_TYPE, ObjectQuery
from gsomia.services.node import Node
from gsomia.services.taxii import Page, TaxiiService

__all__ = ["TAXII_MEDIA_TYPE", "taxii_router"]

_SCHEMES = ("bearer", "token")


class _NotAcceptable(InputError):
    """The client does not accept TAXII 2.1 media."""


def _answer(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers)


def _error(exc: GsomiaError) -> Response:
    """A TAXII error message (§3.6.1); integrity failures stay opaque."""
    status = (
        406
        if isinstance(exc, _NotAcceptable)
        else next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 500)
    )
    description = exc.reason if isinstance(exc, PolicyDenied) else str(exc)
    if isinstance(exc, IntegrityError):
        description = "the request did not verify"
    if status >= 500:
        description = "the node cannot serve this now; retry later"
    body: dict[str, Any] = {
        "title": type(exc).__name__,
        "description": description,
        "http_status": str(status),
    }
    if isinstance(exc, PolicyDenied):
        body["details"] = {"rule_ids": list(exc.rule_ids)}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": "60"}
    return _answer(body, status=status, headers=headers)


class _TaxiiRoute(APIRoute):
    """Checks ``Accept`` and renders gsomia errors as TAXII error messages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            accept = request.headers.get("accept", TAXII_MEDIA_TYPE).replace(" ", "")
            if not any(a in accept for a in ("application/taxii+json", "*/*")):
                return _error(_NotAcceptable(f"this server answers {TAXII_MEDIA_TYPE} only"))
            try:
                return await handler(request)
            except GsomiaError as exc:
                return _error(exc)

        return route


def _person(request: Request) -> Person:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() not in _SCHEMES:
        raise Unauthenticated("a bearer token is required")
    try:
        # as every route authenticates: a refused token counts against the client
        # address, which past its budget is answered 429 without a lookup
        person = authenticate(request, token.strip())
    except IntegrityError as exc:
        raise Unauthenticated(str(exc)) from None
    request.app.state.limiter.take(person.id)
    return person


def _page_headers(page: Page) -> dict[str, str]:
    if not page.entries:
        return {}
    added = sorted(e.date_added for e in page.entries)
    return {
        "X-TAXII-Date-Added-First": timestamp(added[0]),
        "X-TAXII-Date-Added-Last": timestamp(added[-1]),
    }


def _envelope(page: Page, key: str, items: list[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more, key: items}
    if page.more and page.next:
        body["next"] = page.next
    return body


def taxii_router(node: Node, *, max_content_length: int) -> APIRouter:
    """The TAXII routes of ``node`` (its service is made now, so that the warning board
    holds every warning from the start); ``max_content_length`` is the request limit."""
    service = TaxiiService(node.ctx, node.custody, node.feed)
    router = APIRouter(prefix="/taxii2", tags=["taxii"], route_class=_TaxiiRoute)
    root = f"/{service.api_root}"

    def _root_url(request: Request) -> str:
        return str(request.base_url).rstrip("/") + f"/taxii2{root}/"

    @router.get("/")
    def discovery(request: Request) -> Response:
        """TAXII discovery (§4.1): this node's one API root."""
        _person(request)
        url = _root_url(request)
        return _answer(
            {
                "title": f"gsomia node {node.party}",
                "description": "Classified military information under GSOMIA-style agreements",
                "default": url,
                "api_roots": [url],
            }
        )

    @router.get(f"{root}/")
    def api_root(request: Request) -> Response:
        """The API root (§4.2)."""
        _person(request)
        return _answer(
            {
                "title": f"{node.party} items and warnings",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": max_content_length,
            }
        )

    @router.get(f"{root}/collections/")
    def collections(request: Request) -> Response:
        """The collections (§5.1)."""
        person = _person(request)
        return _answer({"collections": [c.to_taxii() for c in service.collections(person)]})

    @router.get(f"{root}/collections/{{collection_id}}/")
    def collection(request: Request, collection_id: str) -> Response:
        """One collection (§5.2)."""
        return _answer(service.collection(_person(request), collection_id).to_taxii())

    _object_routes(router, service, root)
    return router


def _object_routes(router: APIRouter, service: TaxiiService, root: str) -> None:
    """The routes under one collection: objects, one object, versions, manifest, status."""

    @router.get(f"{root}/collections/{{collection_id}}/objects/")
    def objects(request: Request, collection_id: str) -> Response:
        """A page of objects (§5.4); reading an item's object opens it (recorded)."""
        person = _person(request)
        page = service.objects(person, collection_id, ObjectQuery.parse(request.query_params))
        body = _envelope(page, "objects", [e.obj for e in page.entries])
        return _answer(body, headers=_page_headers(page))

    @router.post(f"{root}/collections/{{collection_id}}/objects/")
    async def add_objects(request: Request, collection_id: str) -> Response:
        """Provide an envelope's objects as items (§5.5), all or nothing."""
        person = _person(request)
        kind = request.headers.get("content-type", "").replace(" ", "")
        if not kind.startswith("application/taxii+json"):
            raise WrongMediaType(f"post {TAXII_MEDIA_TYPE}, not {kind or 'nothing'}")
        try:
            envelope = json.loads(await request.body())
        except ValueError:
            raise InputError("the body is not JSON") from None
        status = service.add(person, collection_id, envelope)
        return _answer(status.to_taxii(), status=202)

    @router.get(f"{root}/collections/{{collection_id}}/objects/{{object_id}}/")
    def get_object(request: Request, collection_id: str, object_id: str) -> Response:
        """One object's versions selected by ``match[version]`` (§5.6)."""
        person = _person(request)
        params = dict(request.query_params)
        params["match[id]"] = object_id
        page = service.objects(person, collection_id, ObjectQuery.parse(params))
        if not page.entries:
            service.versions(person, collection_id, object_id)  # raises UnknownName
        return _answer(_envelope(page, "objects", [e.obj for e in page.entries]))

    @router.get(f"{root}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
    def versions(request: Request, collection_id: str, object_id: str) -> Response:
        """Every version of one object (§5.8)."""
        entries = service.versions(_person(request), collection_id, object_id)
        return _answer({"more": False, "versions": sorted({e.version for e in entries})})

    @router.get(f"{root}/collections/{{collection_id}}/manifest/")
    def manifest(request: Request, collection_id: str) -> Response:
        """The manifest (§5.3)."""
        person = _person(request)
        page = service.manifest(person, collection_id, ObjectQuery.parse(request.query_params))
        body = _envelope(page, "objects", [e.manifest() for e in page.entries])
        return _answer(body, headers=_page_headers(page))

    @router.get(f"{root}/status/{{status_id}}/")
    def status(request: Request, status_id: str) -> Response:
        """The status of a posted envelope (§4.3)."""
        return _answer(service.status(_person(request), status_id).to_taxii())
