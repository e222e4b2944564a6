"""The node's web console: server-rendered pages where security officers do the day's work.

Mounted in the user API under ``/console``. A person logs in with their access token (the
same :class:`~gsomia.services.plumbing.auth.AuthService` check as the API's bearer tokens, counted
against the same per-person rate); the token is kept in an HttpOnly, SameSite=Strict cookie
scoped to ``/console``. Every form that posts carries a CSRF token, an HMAC of the cookie
under a key derived from the node's master secret, and every act answers with a redirect
(POST-redirect-GET). Each act calls the same service as the REST API, so the same rules
decide it; a refusal is shown on a page that cites its rule ids. Pages show markings and
custody under top and bottom banners of the highest level shown (:mod:`gsomia.api.banners`);
an item's content only leaves as a recorded download. No JavaScript; one stylesheet served
here; the headers forbid everything else (see ``docs/console.md``).
"""

from __future__ import annotations

import functools
import secrets
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from gsomia.api import _console_acts as acts
from gsomia.api import _console_admin as admin
from gsomia.api import _console_auth as auth
from gsomia.api import _console_pages as pages
from gsomia.api import _console_views as views
from gsomia.api._console_auth import COOKIE, FormDep, SessionDep
from gsomia.api._console_base import SECURITY_HEADERS, ConsoleRoute
from gsomia.api._console_base import render as _render
from gsomia.api.deps import NodeDep
from gsomia.errors import IntegrityError

__all__ = ["COOKIE", "SECURITY_HEADERS", "router"]

router = APIRouter(prefix=auth.PREFIX, include_in_schema=False, route_class=ConsoleRoute)


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
    page = views.agreement_page(node, session.person, agreement_id)
    return _render(request, "agreement.html", title=agreement_id, page=page, session=session)


@router.get("/audit")
def audit(request: Request, node: NodeDep, session: SessionDep) -> Response:
    """The ledger as last verified (at most ``limits.audit_verify_seconds`` ago), check by
    check (security officers)."""
    page = views.audit_page(node, session.person, request.app.state.ledger_check.latest())
    return _render(request, "audit.html", title="Audit", page=page, session=session)


router.include_router(pages.router)
router.include_router(acts.router)
router.include_router(admin.router)
