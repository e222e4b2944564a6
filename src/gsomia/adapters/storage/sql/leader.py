"""Who runs a node's delivery pump and witness when several processes serve it: the holder
of a PostgreSQL session-level advisory lock.

Every worker process of a node asks for the lock; the one that gets it keeps the database
session that holds it open and is the leader while the session lives. If the leader dies
(even by SIGKILL), its session ends, PostgreSQL releases the lock, and the next worker to
ask (each asks every ``retry`` seconds) takes over. The leader checks its session at most
every ``retry`` seconds too, so a leader whose session was cut stops pumping within that
time. Exactly-once delivery does not rest on the lock alone: a message is marked delivered
only on its partner's signed reply, and a resend under the same id is answered from the
partner's inbox, so two pumps at the same moment would waste work, not duplicate items.

On SQLite a node is one process (``gsomia node run`` refuses several workers there), which
is always the leader.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["LeaderLock", "lock_key"]

_logger = logging.getLogger(__name__)


def lock_key(party: str, role: str, store: str = "") -> int:
    """The advisory lock's key: a signed 64-bit number from the party, the role and the
    store's URL (its schema: two nodes' stores may share one database)."""
    digest = hashlib.sha256(f"gsomia/{party}/{role}/{store}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    """One role of a node (``pump``), held by one process at a time; thread-safe."""

    def __init__(self, engine: Engine, *, party: str, role: str, retry: float = 1.0) -> None:
        self._engine = engine
        self._key = lock_key(party, role, engine.url.render_as_string(hide_password=True))
        self._name = f"gsomia-{party.lower()}-{role}-{os.getpid()}"
        self._retry = retry
        self._conn: Connection | None = None
        self._checked = 0.0
        self._postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The session's ``application_name`` (``pg_stat_activity`` shows the holder)."""
        return self._name

    def held(self) -> bool:
        """Whether this process leads now: asks for the lock if it does not hold it (at
        most every ``retry`` seconds), checks its session if it does."""
        if not self._postgres:
            return True
        with self._lock:
            return self._held()

    def _held(self) -> bool:
        now = time.monotonic()
        if now - self._checked < self._retry:
            return self._conn is not None
        self._checked = now
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            return self._acquire()
        except SQLAlchemyError as exc:
            if self._conn is not None:
                _logger.warning("lost the lead (%s): its database session ended", self._name)
            self._drop()
            _logger.info("leader lock: %s", exc)
            return False

    def _acquire(self) -> bool:
        conn = self._engine.connect()
        try:
            conn.execute(
                text("SELECT set_config('application_name', :n, false)"), {"n": self._name}
            )
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar()
            )
            conn.commit()
        except SQLAlchemyError:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        _logger.warning("%s took the lead: this process runs delivery and witnessing", self._name)
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except SQLAlchemyError:
                pass
        self._conn = None

    def release(self) -> None:
        """Give the lead up (closing the session releases the lock)."""
        with self._lock:
            self._release()

    def _release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
            except SQLAlchemyError:
                pass
        self._drop()
