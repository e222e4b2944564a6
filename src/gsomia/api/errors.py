"""gsomia errors to HTTP answers, in one place for both the user API and the peer API."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from gsomia.errors import (
    ConfigError,
    ConflictError,
    GsomiaError,
    InputError,
    IntegrityError,
    PolicyDenied,
    StorageError,
    TransportError,
    UnknownName,
)

__all__ = [
    "STATUS_OF",
    "KeyReused",
    "TooLarge",
    "TooManyRequests",
    "Unauthenticated",
    "error_response",
    "handle_validation_error",
]

_logger = logging.getLogger(__name__)


class TooLarge(InputError):
    """The request body is larger than the node accepts."""


class WrongMediaType(InputError):
    """The body is not of the media type the route takes."""


class TooManyRequests(InputError):
    """The person, or the client address, has used up their rate for now."""


class KeyReused(InputError):
    """An ``Idempotency-Key`` came back with another request than the one it was made for."""


class Unauthenticated(IntegrityError):
    """No valid access token."""


#: Status of each error, most specific first; the first ``isinstance`` match wins.
STATUS_OF: tuple[tuple[type[GsomiaError], int], ...] = (
    (TooLarge, 413),
    (WrongMediaType, 415),
    (TooManyRequests, 429),
    (KeyReused, 422),
    (Unauthenticated, 401),
    (PolicyDenied, 403),
    (IntegrityError, 403),
    (UnknownName, 404),
    (InputError, 400),
    (ConflictError, 409),
    (TransportError, 503),
    (StorageError, 503),
    (ConfigError, 500),
    (GsomiaError, 500),
)


def error_response(exc: Exception, *, opaque_integrity: str) -> Response:
    """The JSON answer for ``exc``: its class, one sentence, and rule ids for a refusal.

    Integrity failures answer ``opaque_integrity`` only (no oracle); the detail is logged.
    """
    status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 500)
    body: dict[str, object] = {"error": type(exc).__name__, "message": str(exc)}
    headers: dict[str, str] = {}
    if isinstance(exc, PolicyDenied):
        body.update(error="PolicyDenied", rule_ids=list(exc.rule_ids), message=exc.reason)
    elif isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, IntegrityError):
        body.update(error="IntegrityError", message=opaque_integrity)
    elif isinstance(exc, TooManyRequests):
        headers["Retry-After"] = "60"
    elif status >= 500:
        body.update(error="Unavailable", message="the node cannot serve this now; retry later")
    log = _logger.warning if status >= 500 else _logger.info
    log("answered %d: %s: %s", status, type(exc).__name__, exc)
    return JSONResponse(body, status_code=status, headers=headers)


async def handle_gsomia_error(_request: Request, exc: Exception) -> Response:
    """FastAPI exception handler for :class:`GsomiaError`."""
    return error_response(exc, opaque_integrity="the request did not verify")


def _printable(value: object) -> str:
    """``value`` as text that any encoder takes: a lone surrogate is written ``\\ud800``."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


async def handle_validation_error(_request: Request, exc: Exception) -> Response:
    """422 for a request that does not fit the route's schema: where and what, never the
    input itself (it may not even be encodable, e.g. a lone surrogate)."""
    found = exc.errors() if isinstance(exc, RequestValidationError) else []
    errors = [
        {
            "loc": [_printable(p) for p in e.get("loc", ())],
            "msg": _printable(e.get("msg", "")).removeprefix("Value error, "),
        }
        for e in found[:20]
    ]
    first = errors[0] if errors else {"loc": [], "msg": "not valid"}
    where = ".".join(first["loc"]) or "the request"
    body = {
        "error": "InputError",
        "message": f"{where}: {first['msg']}",
        "errors": errors,
    }
    _logger.info("answered 422: %s", body["message"])
    return JSONResponse(body, status_code=422)
