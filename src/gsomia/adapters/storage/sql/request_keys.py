"""Idempotency keys in the SQL store: recorded in the unit of work of the act they ask for.

:meth:`SqlStore.claiming <gsomia.adapters.storage.sql.SqlStore.claiming>` puts a
:class:`PendingClaim` in a context variable; the store's unit of work calls
:func:`record_claim` just before it commits, so the key's row and the act's rows commit in
one transaction. A key recorded already makes the insert fail: the transaction is rolled
back, the claim is marked ``duplicate`` and :class:`~gsomia.errors.ConflictError` raised.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.errors import ConflictError
from gsomia.ports.store import RequestKey

__all__ = [
    "CURRENT_CLAIM",
    "PendingClaim",
    "RequestKeyMethods",
    "keep_answer",
    "record_claim",
    "request_key",
]


@dataclass
class PendingClaim:
    """A key waiting for the first unit of work that commits (see ``ports.store.Claim``)."""

    key: RequestKey
    recorded: bool = False
    duplicate: bool = False


#: The claim of the request being served in this context, if it brought a key.
CURRENT_CLAIM: ContextVar[PendingClaim | None] = ContextVar("gsomia_request_claim", default=None)


def record_claim(conn: Connection, claim: PendingClaim) -> None:
    """Insert the claim's key in the transaction of ``conn``; ConflictError if it exists
    (the caller's transaction is then rolled back)."""
    key = claim.key
    try:
        conn.execute(
            insert(t.request_keys).values(
                scope=key.scope,
                key=key.key,
                fingerprint=key.fingerprint,
                created_at=key.created_at,
                status=None,
                media_type="",
                answer=b"",
            )
        )
    except SqlIntegrityError:
        claim.duplicate = True
        raise ConflictError(
            "a request with this Idempotency-Key was carried out already; nothing was done again"
        ) from None


def request_key(conn: Connection, scope: str, key: str) -> RequestKey | None:
    """The recorded key, with its answer if one was kept."""
    c = t.request_keys.c
    row = conn.execute(select(t.request_keys).where(c.scope == scope, c.key == key)).first()
    if row is None:
        return None
    return RequestKey(
        scope=row.scope,
        key=row.key,
        fingerprint=row.fingerprint,
        created_at=row.created_at,
        status=row.status,
        media_type=row.media_type,
        answer=row.answer,
    )


def keep_answer(conn: Connection, key: RequestKey, *, purge_before: datetime) -> None:
    """Keep the answer of a recorded key; forget keys recorded before ``purge_before``."""
    c = t.request_keys.c
    conn.execute(
        update(t.request_keys)
        .where(c.scope == key.scope, c.key == key.key)
        .values(status=key.status, media_type=key.media_type, answer=key.answer)
    )
    conn.execute(delete(t.request_keys).where(c.created_at < purge_before))


class RequestKeyMethods(UnitParts):
    """Idempotency keys inside the unit of work's transaction."""

    def request_key(self, scope: str, key: str) -> RequestKey | None:
        return request_key(self._conn, scope, key)

    def keep_answer(self, key: RequestKey, *, purge_before: datetime) -> None:
        keep_answer(self._conn, key, purge_before=purge_before)
