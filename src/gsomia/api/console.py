"""The node's web console: a read-only, server-rendered view for security officers.

Mounted in the user API under ``/console``. A person logs in with their access token (the
same :class:`~gsomia.services.auth.AuthService` check as the API's bearer tokens, counted
against the same per-person rate); the token is kept in an HttpOnly, SameSite=Strict cookie
scoped to ``/console``. Every form that posts carries a CSRF token, an HMAC of the cookie
under a key drawn at random for each app. Pages show markings and custody, never an item's
content, under top and bottom banners of the highest level shown
(:mod:`gsomia.api.banners`). No JavaScript; one stylesheet served here; the headers forbid
everything else (see ``docs/console.md``).
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping
from importlib.resources import files
from types import MappingProxyType
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined

from gsomia.api import _console_auth as auth
from gsomia.api import _console_views as views
from gsomia.api._console_auth import COOKIE, FormDep, SessionDep
from gsomia.api.banners import banner, marking
from gsomia.api.deps import NodeDep
from gsomia.api.errors import STATUS_OF, TooManyRequests
from gsomia.errors import GsomiaError, IntegrityError

__all__ = ["COOKIE", "SECURITY_HEADERS", "router"]

_logger = logging.getLogger(__name__)

#: Headers on every console answer: no framing, no other origin, no caching, no sniffing.
SECURITY_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Security-Policy": (
            "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
)

_templates = Environment(
    loader=PackageLoader("gsomia.api", "templates/console"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class _ConsoleRoute(APIRoute):
    """A console route: redirects to login, renders errors as pages, adds the headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except auth.LoginRequired:
                response = RedirectResponse(auth.base(request) + "/login", status_code=303)
            except (GsomiaError, RequestValidationError) as exc:
                response = _error_page(request, exc)
            response.headers.update(SECURITY_HEADERS)
            return response

        return console_handler


router = APIRouter(prefix=auth.PREFIX, include_in_schema=False, route_class=_ConsoleRoute)


# Rendering --------------------------------------------------------------------------------


def _render(
    request: Request,
    template: str,
    *,
    title: str,
    page: views.Page | None = None,
    session: auth.Session | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    html = _templates.get_template(template).render(
        base=auth.base(request),
        title=title,
        party=request.app.state.node.party,
        banner=banner(page.levels) if page else marking(None),
        session=session,
        **(page.context if page else {}),
        **extra,
    )
    return HTMLResponse(html, status_code=status)


def _error_page(request: Request, exc: Exception) -> Response:
    status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
    if isinstance(exc, RequestValidationError):
        message = "this address is not one the console knows"
    elif isinstance(exc, IntegrityError) and not isinstance(exc, auth.FormExpired):
        message = "the request did not verify"
    elif status >= 500:
        message = "the node cannot serve this now; retry later"
    else:
        message = str(exc)
    log = _logger.warning if status >= 500 else _logger.info
    log("console answered %d: %s: %s", status, type(exc).__name__, exc)
    response = _render(request, "error.html", title="Error", status=status, message=message)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = "60"
    return response


@functools.cache
def _stylesheet() -> bytes:
    return files("gsomia.api").joinpath("static/console.css").read_bytes()


# Routes -----------------------------------------------------------------------------------


@router.get("/console.css")
def stylesheet() -> Response:
    """The console's one stylesheet."""
    return Response(_stylesheet(), media_type="text/css")


@router.get("/login")
def login_form(request: Request) -> Response:
    """The login form; a fresh nonce cookie binds its CSRF token."""
    nonce = secrets.token_urlsafe(32)
    response = _render(
        request, "login.html", title="Log in", csrf=auth.csrf(request, "login:" + nonce), error=""
    )
    auth.set_cookie(response, request, auth.LOGIN_COOKIE, nonce)
    return response


@router.post("/login")
def login(request: Request, form: FormDep) -> Response:
    """Check the token as the API does; on success keep it in the console cookie."""
    nonce = request.cookies.get(auth.LOGIN_COOKIE)
    auth.check_csrf(request, form, f"login:{nonce}" if nonce else None)
    try:
        auth.person_of(request, form.get("token", "").strip())
    except IntegrityError:
        return _render(
            request,
            "login.html",
            title="Log in",
            status=401,
            csrf=form["csrf"],
            error="That token was not accepted: it is unknown, expired or revoked.",
        )
    response = RedirectResponse(auth.base(request), status_code=303)
    auth.set_cookie(response, request, COOKIE, form["token"].strip())
    auth.clear_cookie(response, request, auth.LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, form: FormDep) -> Response:
    """Forget the console cookie (the token itself stays valid for the API)."""
    auth.check_csrf(request, form, request.cookies.get(COOKIE))
    response = RedirectResponse(auth.base(request) + "/login", status_code=303)
    auth.clear_cookie(response, request, COOKIE)
    return response


@router.get("")
def overview(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """The node, the person, agreements, counts, outbox and ledger."""
    page = views.overview_page(node, session.person)
    return _render(request, "overview.html", title="Overview", page=page, session=session)


@router.get("/items")
def items(
    request: Request,
    node: NodeDep,
    session: SessionDep,
    after: Annotated[str, Query(max_length=32, pattern="^[0-9a-f]*$")] = "",
) -> Response:
    """A page of items with their markings; ``after`` is the cursor."""
    page = views.items_page(node, session.person, after=after)
    return _render(request, "items.html", title="Items", page=page, session=session)


@router.get("/items/{item_id}")
def item(
    request: Request,
    node: NodeDep,
    session: SessionDep,
    item_id: Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")],
) -> Response:
    """One item's record, label versions and ledger entries."""
    page = views.item_page(node, session.person, item_id)
    return _render(request, "item.html", title=f"Item {item_id}", page=page, session=session)


@router.get("/agreements/{agreement_id}")
def agreement(
    request: Request,
    node: NodeDep,
    session: SessionDep,
    agreement_id: Annotated[str, PathParam(pattern="^[a-z0-9][a-z0-9-]{1,62}$")],
) -> Response:
    """An agreement's status now, events and equivalence table."""
    page = views.agreement_page(node, agreement_id)
    return _render(request, "agreement.html", title=agreement_id, page=page, session=session)


@router.get("/audit")
def audit(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """The ledger as last verified (at most ``limits.audit_verify_seconds`` ago), check by
    check (security officers)."""
    page = views.audit_page(node, session.person, request.app.state.ledger_check.latest())
    return _render(request, "audit.html", title="Audit", page=page, session=session)
