"""The peer endpoint: a partner's node POSTs one signed message and gets the reply bytes.

``POST /peer/v1/messages`` with ``Content-Type: application/octet-stream`` carries the
opaque message (JK-9.1 official channel, JK-12.1 encrypted transfer: the items inside are
already sealed). The route is thin: it names the peer from the client certificate that TLS
verified (ASGI ``tls`` extension, see :mod:`gsomia.api.serve`), reads the body up to the
size limit, and calls the node's handler on a worker thread. A request without a verified
client certificate is refused even though TLS already requires one (defence in depth).

Errors map to statuses here and only here (:data:`STATUS_OF`): integrity failures and
policy refusals 403, bad input 400, too large 413, wrong media type 415, conflicts 409,
storage or transport trouble 503 (the sender retries), anything else 500.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from gsomia.api.errors import STATUS_OF, TooLarge, WrongMediaType, error_response
from gsomia.config import Limits
from gsomia.crypto.pki import PeerIdentity, read_peer_identity
from gsomia.errors import (
    GsomiaError,
    IntegrityError,
)

__all__ = [
    "CONTENT_TYPE",
    "MESSAGES_PATH",
    "STATUS_OF",
    "Identify",
    "PeerHandler",
    "PeerIdentity",
    "create_peer_app",
]

_logger = logging.getLogger(__name__)

MESSAGES_PATH = "/peer/v1/messages"
CONTENT_TYPE = "application/octet-stream"

#: The node's message handling: the payload and the authenticated peer in, the reply out.
PeerHandler = Callable[[bytes, PeerIdentity], bytes]
#: Names the partner from a verified DER client certificate; raises IntegrityError.
Identify = Callable[[bytes], PeerIdentity]


def create_peer_app(
    *, handler: PeerHandler, limits: Limits, identify: Identify = read_peer_identity
) -> FastAPI:
    """The peer API of a node (JK-9.1, JK-12.1).

    ``identify`` names the peer from its verified certificate; pass
    :meth:`gsomia.crypto.pki.PartnerTrust.identify` so that only a party's own pinned
    authority can vouch for that party (the default reads the party from the subject only).
    """
    app = FastAPI(
        title="gsomia peer",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    max_bytes = limits.max_request_bytes

    async def messages(request: Request) -> Response:
        peer = _peer_of(request.scope, identify)
        payload = await _read_body(request, max_bytes)
        reply = await run_in_threadpool(handler, payload, peer)
        return Response(reply, media_type=CONTENT_TYPE)

    app.add_route(MESSAGES_PATH, messages, methods=["POST"], include_in_schema=False)
    app.add_exception_handler(GsomiaError, _error_response)
    return app


def _peer_of(scope: Mapping[str, Any], identify: Identify) -> PeerIdentity:
    tls = (scope.get("extensions") or {}).get("tls")
    chain = tls.get("client_cert_chain") if isinstance(tls, dict) else None
    if not chain:
        raise IntegrityError("a verified client certificate is required")
    try:
        der = ssl.PEM_cert_to_DER_cert(chain[0])
    except ValueError:
        raise IntegrityError("the client certificate cannot be read") from None
    return identify(der)


async def _read_body(request: Request, max_bytes: int) -> bytes:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != CONTENT_TYPE:
        raise WrongMediaType(f"the body must be {CONTENT_TYPE}, not {media_type or 'untyped'}")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise TooLarge(f"the body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"the body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _error_response(_request: Request, exc: Exception) -> Response:
    return error_response(exc, opaque_integrity="the message or its sender did not verify")
