"""Clients' idempotency keys for creating requests: claimed with the act they ask for, and
the answer kept for a repeat (``Idempotency-Key``; :meth:`gsomia.ports.store.Store.claiming`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

from gsomia.ports.store import Claim, RequestKey, Store

__all__ = ["RequestKeys"]


class RequestKeys:
    """The node's record of idempotency keys, each stored if and only if its act is."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def claiming(self, key: RequestKey) -> AbstractContextManager[Claim]:
        """Record ``key`` with the first unit of work that commits inside the block; a key
        recorded already rolls that unit of work back (``Claim.duplicate``)."""
        return self._store.claiming(key)

    def recorded(self, *, scope: str, key: str) -> RequestKey | None:
        """The recorded key ``key`` of ``scope``, with its answer if one was kept."""
        with self._store.read() as uow:
            return uow.request_key(scope, key)

    def keep_answer(self, key: RequestKey, *, purge_before: datetime) -> None:
        """Keep the answer given to a recorded key, and forget every key recorded before
        ``purge_before``."""
        with self._store.unit_of_work() as uow:
            uow.keep_answer(key, purge_before=purge_before)
