"""What every request of the user API meets before a route: the body limit and the headers.

Plain ASGI middlewares (Starlette's ``BaseHTTPMiddleware`` would hand the body to the app
unread and unbounded):

* :class:`BodyLimit` counts the body while it streams, ``Transfer-Encoding: chunked``
  included, and answers 413 as soon as it passes the limit of the route's prefix, before
  anything parses it or looks at a token. A declared ``Content-Length`` over the limit is
  refused before a byte is read, one that is not a number with 400. At most the limit is
  ever held in memory; the rest of an oversized body is never read.
* :class:`ResponseHeaders` adds headers to every answer under a path prefix: the console's
  security headers on every console answer (404, 405, 413 and redirects included), and the
  handling header on every API answer.

Errors are answered in the API's JSON shape (:func:`gsomia.api.errors.error_response`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from gsomia.api.errors import TooLarge, error_response
from gsomia.errors import GsomiaError, InputError

__all__ = [
    "BodyLimit",
    "ResponseHeaders",
    "answer_error",
    "buffered",
    "header",
    "relative_path",
    "under",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def relative_path(scope: Scope) -> str:
    """The request's path below the app's root path."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it (``/console``, ``/console/items``)."""
    return prefix in ("", path) or path.startswith(prefix + "/")


async def answer_error(scope: Scope, receive: Receive, send: Send, exc: GsomiaError) -> None:
    """Answer ``exc`` as the API answers errors."""
    response = error_response(exc, opaque_integrity="the request did not verify")
    await response(scope, receive, send)


def buffered(chunks: list[bytes], receive: Receive) -> Receive:
    """A ``receive`` that gives the app ``chunks`` as the body, then waits on the client."""
    pending = list(chunks) or [b""]

    async def replay() -> Message:
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        return await receive()

    return replay


class BodyLimit:
    """Refuse a request body past the limit of its path's prefix, counted as it streams.

    ``limits`` maps path prefixes to byte limits; the longest matching prefix wins (``""``
    matches every path).
    """

    def __init__(self, app: ASGIApp, *, limits: Mapping[str, int]) -> None:
        self.app = app
        self._limits = sorted(limits.items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        """The byte limit of ``path``."""
        return next(limit for prefix, limit in self._limits if under(path, prefix))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(relative_path(scope))
        try:
            _check_declared(scope, limit)
            chunks = await _read_body(receive, limit)
        except GsomiaError as exc:
            await answer_error(scope, receive, send, exc)
            return
        if chunks is not None:
            await self.app(scope, buffered(chunks, receive), send)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header ``name`` (lower case), decoded as Latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _check_declared(scope: Scope, limit: int) -> None:
    declared = header(scope, b"content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise InputError("the Content-Length header is not a number of bytes")
    if int(declared) > limit:
        raise TooLarge(f"the request is larger than {limit} bytes")


async def _read_body(receive: Receive, limit: int) -> list[bytes] | None:
    """The body's chunks, read until its end (``None`` if the client left first);
    :class:`TooLarge` past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise TooLarge(f"the request is larger than {limit} bytes")
        if body:
            chunks.append(body)
        if not message.get("more_body", False):
            return chunks


class ResponseHeaders:
    """Add ``headers`` to every answer whose path is under ``prefix`` (existing values of
    the same names are replaced)."""

    def __init__(self, app: ASGIApp, *, prefix: str, headers: Mapping[str, str]) -> None:
        self.app = app
        self._prefix = prefix
        self._names = {k.lower().encode("latin-1") for k in headers}
        self._headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not under(relative_path(scope), self._prefix):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k not in self._names]
                message["headers"] = kept + self._headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
