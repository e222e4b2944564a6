"""Request limits kept in the node's database, so that every worker process of a node
counts against the same budget (``gsomia node run --workers N``).

A token bucket per key (a person, a client address): ``capacity`` tokens, refilled at
``per_second``. :meth:`SqlBuckets.take` refills and takes a token in one statement (an
upsert: PostgreSQL serialises concurrent takes on the key's row), so two workers never
spend the same token. One round trip per request.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, select, text

from gsomia.adapters.storage.sql import tables as t

__all__ = ["SqlBuckets"]

_TAKE = """
INSERT INTO rate_buckets (key, tokens, at, ok) VALUES (:key, :cap - 1, :now, true)
ON CONFLICT (key) DO UPDATE SET
  tokens = CASE WHEN {refill} >= 1 THEN {refill} - 1 ELSE {refill} END,
  ok = {refill} >= 1,
  at = :now
RETURNING ok
"""
_SPEND = """
INSERT INTO rate_buckets (key, tokens, at, ok) VALUES (:key, :cap - 1, :now, true)
ON CONFLICT (key) DO UPDATE SET
  tokens = {floor}({refill} - 1, 0),
  ok = true,
  at = :now
"""


class SqlBuckets:
    """Token buckets in the ``rate_buckets`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        sqlite = engine.dialect.name == "sqlite"
        least, greatest = ("min", "max") if sqlite else ("LEAST", "GREATEST")
        refill = f"{least}(:cap, rate_buckets.tokens + (:now - rate_buckets.at) * :rate)"
        self._take = text(_TAKE.format(refill=refill))
        self._spend = text(_SPEND.format(refill=refill, floor=greatest))

    def take(self, key: str, *, capacity: float, per_second: float) -> bool:
        """Take one token from ``key``'s bucket; False (nothing taken) if it has none."""
        params = {"key": key, "cap": capacity, "rate": per_second, "now": time.time()}
        with self._engine.begin() as conn:
            return bool(conn.execute(self._take, params).scalar())

    def spend(self, key: str, *, capacity: float, per_second: float) -> None:
        """Take one token from ``key``'s bucket whether or not it has one left."""
        params = {"key": key, "cap": capacity, "rate": per_second, "now": time.time()}
        with self._engine.begin() as conn:
            conn.execute(self._spend, params)

    def level(self, key: str, *, capacity: float, per_second: float) -> float:
        """The tokens ``key``'s bucket holds now."""
        q = select(t.rate_buckets.c.tokens, t.rate_buckets.c.at).where(t.rate_buckets.c.key == key)
        with self._engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return capacity
        return float(min(capacity, row.tokens + (time.time() - row.at) * per_second))
