"""Sessions of the web console: the token cookie, its CSRF tokens, and small forms.

The cookie holds the person's access token and is checked on every request exactly as the
API checks a bearer token (:class:`~gsomia.services.plumbing.auth.AuthService`: unknown, expired and
revoked tokens fail alike), then counted against the person's rate. A form's CSRF token is
the HMAC-SHA256 of the cookie it goes with, under the app's :class:`~gsomia.crypto.FormKey`
(derived from the node's master secret, so a restart or a second worker accepts the form);
the login form's is bound the same way to a random nonce cookie set with the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.responses import Response

from gsomia.api.deps import authenticate
from gsomia.core.people import Person
from gsomia.crypto import FormKey
from gsomia.errors import InputError, IntegrityError

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "MAX_CONSOLE_BODY_BYTES",
    "PREFIX",
    "FormDep",
    "FormExpired",
    "LoginRequired",
    "Session",
    "SessionDep",
    "base",
    "check_csrf",
    "clear_cookie",
    "csrf",
    "person_of",
    "set_cookie",
]

PREFIX = "/console"
COOKIE = "gsomia_console"
LOGIN_COOKIE = "gsomia_console_login"
_MAX_FORM_BYTES = 4096
#: The body limit of every console request (the edge refuses more with 413 as it streams).
MAX_CONSOLE_BODY_BYTES = _MAX_FORM_BYTES


class FormExpired(IntegrityError):
    """A form came without the CSRF token of this console session."""


class LoginRequired(Exception):
    """No valid console cookie: the person is sent to the login page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """The person a console cookie belongs to, and the CSRF token of their forms."""

    person: Person
    csrf: str


def base(request: Request) -> str:
    """The console's path in this app (``/console`` below any root path)."""
    return str(request.scope.get("root_path", "")) + PREFIX


def _form_key(request: Request) -> FormKey:
    key: FormKey = request.app.state.form_key
    return key


def csrf(request: Request, value: str) -> str:
    """The CSRF token bound to ``value`` (a cookie), under the app's form key."""
    return _form_key(request).token(value)


def check_csrf(request: Request, form: dict[str, str], value: str | None) -> None:
    """Raises :class:`FormExpired` unless the form carries the CSRF token of ``value``."""
    try:
        if not value:
            raise IntegrityError("no session")
        _form_key(request).check(value=value, token=form.get("csrf", ""))
    except IntegrityError:
        raise FormExpired(
            "the form has expired or did not come from this console; load it again"
        ) from None


def person_of(request: Request, token: str | None) -> Person:
    """The token's person, counted against their rate; raises IntegrityError otherwise.

    A refused token counts against the client address's budget; past it, TooManyRequests
    is raised before the token is looked up.
    """
    person: Person = authenticate(request, token)
    request.app.state.limiter.take(person.id)
    return person


def _session(request: Request) -> Session:
    token = request.cookies.get(COOKIE)
    try:
        person = person_of(request, token)
    except IntegrityError:
        raise LoginRequired from None
    return Session(person=person, csrf=csrf(request, token or ""))


SessionDep = Annotated[Session, Depends(_session)]


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form body (empty is an empty form); InputError for anything else."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body:
        return {}
    if kind != "application/x-www-form-urlencoded" or len(body) > _MAX_FORM_BYTES:
        raise InputError("the console takes small urlencoded forms only")
    try:
        return dict(parse_qsl(body.decode("utf-8"), max_num_fields=8))
    except (UnicodeDecodeError, ValueError):
        raise InputError("the form is not valid") from None


FormDep = Annotated[dict[str, str], Depends(_form)]


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """Set a console cookie: HttpOnly, SameSite=Strict, on the console's path, Secure on
    https."""
    response.set_cookie(
        name,
        value,
        path=base(request),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Expire a console cookie."""
    response.delete_cookie(
        name,
        path=base(request),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
