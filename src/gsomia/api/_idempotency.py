"""``Idempotency-Key`` on the API's creating requests: a retry gets the first answer.

A client that sends ``POST /v1/...`` with ``Idempotency-Key: <1-255 visible ASCII
characters>`` and loses the answer (a timeout, a dropped connection, a node that restarted)
sends the same request with the same key again, and the act is not done twice:

* The key is recorded in the unit of work of the act itself (:meth:`Store.claiming
  <gsomia.ports.store.Store.claiming>`), so a key is stored if and only if its act is.
* The answer is kept next to the key once it is made; a retry gets it back, byte for byte,
  with ``Idempotent-Replayed: true``.
* Two requests with one key at the same time: one acts, the other is rolled back and
  answered with the first one's answer, or 409 while that is not yet kept.
* The same key with another request (method, path, query, media type or body) is 422.
* If the node stopped between the act's commit and keeping its answer, a retry gets 409
  saying the act was carried out and when; nothing is done again.
* An answer that carries a secret (an opened item's content, an issued token) is marked
  ``Cache-Control: no-store`` by its route and is never kept: kept, it would lie in the
  store in clear, outlive the item's destruction, and give the content again without the
  rules deciding the open. A retry of such a request gets 409 like any answer not kept; a
  new key asks again, and the rules decide again.

Keys belong to the authenticated person (another person's key is another key) and are kept
``limits.idempotency_hours`` (24 by default). A request without the header behaves as
before. Only requests that authenticate are keyed: any other is passed on, and the route
refuses it as usual.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool

from gsomia.api._edge import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    answer_error,
    buffered,
    header,
    relative_path,
    under,
)
from gsomia.api.errors import KeyReused
from gsomia.errors import ConflictError, InputError
from gsomia.ports.store import RequestKey
from gsomia.services.plumbing.request_keys import RequestKeys

__all__ = ["HEADER", "NO_STORE", "REPLAYED", "Idempotency"]

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
#: The ``Cache-Control`` of an answer that carries a secret: never kept, here or by a cache.
NO_STORE = "no-store"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")

#: Names the person a request's bearer token belongs to, or ``None`` (never raises).
PersonOf = Callable[[Scope], str | None]


@dataclass
class _Captured:
    """The app's answer, held until it is known whether to send it."""

    messages: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    def answer(self) -> tuple[int, str, bytes] | None:
        """Status, media type and body of a complete answer, or None."""
        start = next((m for m in self.messages if m["type"] == "http.response.start"), None)
        if start is None:
            return None
        media = next((bytes(v) for k, v in start.get("headers", []) if k == b"content-type"), b"")
        body = b"".join(m.get("body", b"") for m in self.messages if m["type"] != start["type"])
        return int(start["status"]), media.decode("latin-1"), body

    def keepable(self) -> bool:
        """Whether the answer may be kept: not one its route marked ``no-store``."""
        start = next((m for m in self.messages if m["type"] == "http.response.start"), None)
        if start is None:
            return False
        cache = b",".join(bytes(v) for k, v in start.get("headers", []) if k == b"cache-control")
        return b"no-store" not in cache.lower()


class Idempotency:
    """Record ``Idempotency-Key`` with the act, and answer a retry with the first answer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: RequestKeys,
        person_of: PersonOf,
        now: Callable[[], datetime],
        hours: int,
        prefix: str = "/v1",
    ) -> None:
        self.app = app
        self._keys = keys
        self._person_of = person_of
        self._now = now
        self._keep = timedelta(hours=hours)
        self._prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, HEADER.lower().encode()) if _creating(scope, self._prefix) else None
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.fullmatch(key):
            error = InputError(f"{HEADER} must be 1 to 255 visible ASCII characters")
            await answer_error(scope, receive, send, error)
            return
        person = await run_in_threadpool(self._person_of, scope)
        if person is None:
            await self.app(scope, receive, send)
            return
        chunks = await _drain(receive)
        if chunks is None:
            return
        wanted = RequestKey(
            scope=person, key=key, fingerprint=_fingerprint(scope, chunks), created_at=self._now()
        )
        if await self._replayed(wanted, scope, receive, send):
            return
        await self._act(wanted, scope, buffered(chunks, receive), send)

    async def _act(self, wanted: RequestKey, scope: Scope, receive: Receive, send: Send) -> None:
        captured = _Captured()
        with self._keys.claiming(wanted) as claim:
            await self.app(scope, receive, captured.send)
        if claim.duplicate and await self._replayed(wanted, scope, receive, send):
            return
        answer = captured.answer()
        if claim.recorded and answer is not None and captured.keepable():
            status, media_type, body = answer
            kept = replace(wanted, status=status, media_type=media_type, answer=body)
            await run_in_threadpool(self._keep_answer, kept)
        for message in captured.messages:
            await send(message)

    async def _replayed(
        self, wanted: RequestKey, scope: Scope, receive: Receive, send: Send
    ) -> bool:
        """Answer from the recorded key, if there is one; whether it answered."""
        stored = await run_in_threadpool(self._lookup, wanted)
        if stored is None:
            return False
        if stored.fingerprint != wanted.fingerprint:
            error: InputError | ConflictError = KeyReused(
                f"this {HEADER} was used for another request; use a new key for a new request"
            )
        elif stored.status is None:
            error = ConflictError(
                f"the request with this {HEADER} was carried out at "
                f"{stored.created_at.isoformat()}, but its answer was not kept; look up what it "
                "made before sending it again under a new key"
            )
        else:
            await _send_stored(stored, send)
            return True
        await answer_error(scope, receive, send, error)
        return True

    def _lookup(self, wanted: RequestKey) -> RequestKey | None:
        return self._keys.recorded(scope=wanted.scope, key=wanted.key)

    def _keep_answer(self, kept: RequestKey) -> None:
        self._keys.keep_answer(kept, purge_before=self._now() - self._keep)


def _creating(scope: Scope, prefix: str) -> bool:
    return (
        scope["type"] == "http"
        and scope.get("method") == "POST"
        and under(relative_path(scope), prefix)
    )


async def _drain(receive: Receive) -> list[bytes] | None:
    """The body's chunks (already bounded by :class:`~gsomia.api._edge.BodyLimit`), or
    ``None`` if the client left."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks


def _fingerprint(scope: Scope, chunks: list[bytes]) -> str:
    """SHA-256 over the method, path, query, media type and body, each length-prefixed."""
    digest = hashlib.sha256()
    parts = [
        str(scope.get("method", "")).encode(),
        relative_path(scope).encode("utf-8", "surrogateescape"),
        bytes(scope.get("query_string", b"")),
        (header(scope, b"content-type") or "").encode("latin-1"),
    ]
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(sum(map(len, chunks)).to_bytes(8, "big"))
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


async def _send_stored(stored: RequestKey, send: Send) -> None:
    headers = [
        (b"content-length", str(len(stored.answer)).encode()),
        (REPLAYED.lower().encode(), b"true"),
    ]
    if stored.media_type:
        headers.append((b"content-type", stored.media_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.answer})
