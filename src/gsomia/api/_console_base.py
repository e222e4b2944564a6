"""What every console page shares: the route class, rendering, refusal and error pages.

A console route redirects to the login page without a session, renders every error as a
page (a refusal cites the rules it rests on), and answers with the security headers. Pages
are rendered from the templates in ``templates/console`` under banners of the highest level
they show (:mod:`gsomia.api.banners`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from types import MappingProxyType
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined

from gsomia.api import _console_auth as auth
from gsomia.api import _console_views as views
from gsomia.api.banners import banner, marking
from gsomia.api.errors import STATUS_OF, TooManyRequests
from gsomia.errors import GsomiaError, InputError, IntegrityError, PolicyDenied

__all__ = ["SECURITY_HEADERS", "ConsoleRoute", "acting", "done", "field", "render"]

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

#: What a page says after an act redirected to it (``?done=`` names one of these; the
#: console never echoes text from the address).
DONE: Mapping[str, str] = MappingProxyType(
    {
        "granted": "Consent granted; the answer was signed and sent to the requester.",
        "refused": "Consent refused; the answer was signed and sent to the requester.",
        "asked": "Consent asked of the originator in writing.",
        "reported": "Incident reported; the originator is told at once.",
        "investigating": "The investigation's progress is recorded.",
        "closed": "Incident closed; the originator is told of the result and measures.",
        "provided": "Provided: the items are sealed and on their way.",
        "placed": "The item is placed in the facility and entered on its register.",
        "copied": "A numbered copy was made; it carries the original's markings.",
        "translated": "The translation is recorded under the original's markings.",
        "forwarded": "Forwarded to the recipient with the originator's consent.",
        "law-notice": "The change of law is notified to the other parties.",
        "person": "The person is registered.",
        "released": "Released to the third party with the originator's consent.",
        "returned": "The item is on its way back to the party that provided it.",
        "destroyed": "The item and its copies are destroyed; the keys are shredded.",
        "noted": "The note is signed, recorded and given to the other parties.",
        "approved": "The visit is approved.",
        "visit-refused": "The visit is refused.",
        "facility": "The facility is added to the registry.",
        "authority": "The authority is granted; the grant is recorded.",
        "revoked": "The authority is revoked; the revocation is recorded.",
        "condition": "The Art. 16 condition is recorded as met.",
        "verified": "The ledger was verified again.",
        "checkpoint": "A checkpoint is signed; partners are asked to cosign it.",
    }
)

_templates = Environment(
    loader=PackageLoader("gsomia.api", "templates/console"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class ConsoleRoute(APIRoute):
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


def render(
    request: Request,
    template: str,
    *,
    title: str,
    page: views.Page | None = None,
    session: auth.Session | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The page ``template`` under the banners of the levels ``page`` shows."""
    done = request.query_params.get("done", "")
    html = _templates.get_template(template).render(
        base=auth.base(request),
        title=title,
        party=request.app.state.node.party,
        banner=banner(page.levels) if page else marking(None),
        session=session,
        done=DONE.get(done, ""),
        **(page.context if page else {}),
        **extra,
    )
    return HTMLResponse(html, status_code=status)


def done(request: Request, path: str, what: str) -> RedirectResponse:
    """Redirect after an act to ``path`` (below the console), which then says ``what``
    (POST-redirect-GET: reloading the page does not repeat the act)."""
    if what not in DONE:
        raise KeyError(what)
    return RedirectResponse(f"{auth.base(request)}{path}?done={what}", status_code=303)


def acting(request: Request, session: auth.Session, form: dict[str, str]) -> str:
    """The person acting, once the form's CSRF token is checked against their cookie."""
    auth.check_csrf(request, form, request.cookies.get(auth.COOKIE))
    return session.person.id


def field(
    form: dict[str, str], name: str, *, pattern: str | None = None, optional: bool = False
) -> str:
    """A form field, stripped; raises InputError when missing, too long or malformed."""
    value = form.get(name, "").strip()
    if not value:
        if optional:
            return ""
        raise InputError(f"the form needs a value for {name!r}")
    if len(value) > 2000:
        raise InputError(f"{name!r} is longer than 2000 characters")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise InputError(f"{name!r} is not in the expected form")
    return value


def _error_page(request: Request, exc: Exception) -> Response:
    status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
    rules: tuple[str, ...] = ()
    if isinstance(exc, RequestValidationError):
        message = "this address or form is not one the console knows"
    elif isinstance(exc, IntegrityError) and not isinstance(exc, auth.FormExpired):
        message = "the request did not verify"
    elif status >= 500:
        message = "the node cannot serve this now; retry later"
    elif isinstance(exc, PolicyDenied):
        message, rules = exc.reason, tuple(exc.rule_ids)
    else:
        message = str(exc)
    log = _logger.warning if status >= 500 else _logger.info
    log("console answered %d: %s: %s", status, type(exc).__name__, exc)
    title = "Refused" if rules else "Error"
    response = render(
        request, "error.html", title=title, status=status, message=message, rules=rules
    )
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = "60"
    return response
