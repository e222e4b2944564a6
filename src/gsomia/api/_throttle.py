"""Throttles at the edge: refused tokens per client address, and full ledger verifications.

:class:`AddressLimiter` counts refused tokens (a bearer token, a console login or cookie)
per client address in a token bucket; once an address has used its budget, further
attempts from it are answered 429 before the token is looked up, so guessing costs no
database read. :class:`LedgerCheck` runs the full ledger verification at most once per
``seconds`` for everyone (one run at a time; callers meanwhile share its result), since
each run re-hashes the whole ledger (security review L9); a new signed checkpoint makes the
next request run it again at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gsomia.api.errors import TooManyRequests
from gsomia.errors import IntegrityError
from gsomia.services.plumbing.audit import AuditReport, Check

__all__ = [
    "AddressLimiter",
    "Buckets",
    "LedgerCheck",
    "SharedAddressLimiter",
    "SharedRateLimiter",
    "Verification",
]

#: Addresses remembered at most; past it, those whose budget is whole again are forgotten.
_MAX_ADDRESSES = 10_000


class AddressLimiter:
    """A token bucket per client address: ``per_minute`` refused tokens, refilled
    continuously. Thread-safe."""

    def __init__(self, per_minute: int) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise :class:`TooManyRequests` if ``address`` has no budget left."""
        with self._lock:
            if self._level(address, time.monotonic()) < 1.0:
                raise TooManyRequests(
                    "too many refused tokens from this address; wait a minute and try again"
                )

    def refused(self, address: str) -> None:
        """Count one refused token from ``address``."""
        now = time.monotonic()
        with self._lock:
            level = self._level(address, now)
            self._buckets[address] = (max(0.0, level - 1.0), now)
            if len(self._buckets) > _MAX_ADDRESSES:
                self._forget_whole(now)

    def _level(self, address: str, now: float) -> float:
        tokens, last = self._buckets.get(address, (self._capacity, now))
        return min(self._capacity, tokens + (now - last) * self._rate)

    def _forget_whole(self, now: float) -> None:
        whole = [a for a in self._buckets if self._level(a, now) >= self._capacity]
        for address in whole:
            del self._buckets[address]


class Buckets(Protocol):
    """Token buckets shared by a node's worker processes (kept in its database)."""

    def take(self, key: str, *, capacity: float, per_second: float) -> bool: ...
    def spend(self, key: str, *, capacity: float, per_second: float) -> None: ...
    def level(self, key: str, *, capacity: float, per_second: float) -> float: ...


class SharedRateLimiter:
    """The per-person request limit over shared buckets: ``per_minute`` requests."""

    def __init__(self, buckets: Buckets, per_minute: int) -> None:
        self._buckets = buckets
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0

    def take(self, who: str) -> None:
        if not self._buckets.take(f"person:{who}", capacity=self._capacity, per_second=self._rate):
            raise TooManyRequests(f"{who} has sent too many requests; slow down")


class SharedAddressLimiter:
    """:class:`AddressLimiter` over shared buckets."""

    def __init__(self, buckets: Buckets, per_minute: int) -> None:
        self._buckets = buckets
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0

    def check(self, address: str) -> None:
        level = self._buckets.level(
            f"address:{address}", capacity=self._capacity, per_second=self._rate
        )
        if level < 1.0:
            raise TooManyRequests(
                "too many refused tokens from this address; wait a minute and try again"
            )

    def refused(self, address: str) -> None:
        self._buckets.spend(f"address:{address}", capacity=self._capacity, per_second=self._rate)


@dataclass(frozen=True, slots=True)
class Verification:
    """One full ledger verification: its checks, its report (or the failure), and when
    (``verified_at`` on the node's clock, ``at`` on the monotonic clock)."""

    checks: tuple[Check, ...]
    report: AuditReport | None
    failure: IntegrityError | None
    verified_at: datetime
    at: float
    checkpoint: int = 0

    def raise_failure(self) -> AuditReport:
        """The report; raises the verification's :class:`IntegrityError` if it failed."""
        if self.failure is not None:
            raise self.failure
        assert self.report is not None  # one of the two is always set
        return self.report


class LedgerCheck:
    """The node's full ledger verification, run at most once per ``seconds`` while the
    latest signed checkpoint (``checkpoint()``, its size) stays the same."""

    def __init__(
        self,
        verify_all: Callable[..., AuditReport],
        *,
        checkpoint: Callable[[], int],
        seconds: float,
        now: Callable[[], datetime],
    ) -> None:
        self._verify_all = verify_all
        self._checkpoint = checkpoint
        self._seconds = seconds
        self._now = now
        self._last: Verification | None = None
        self._lock = threading.Lock()

    def latest(self) -> Verification:
        """A verification no older than ``seconds``: the last one, or a new run now."""
        with self._lock:
            last, checkpoint = self._last, self._checkpoint()
            fresh = last is not None and time.monotonic() - last.at < self._seconds
            if last is not None and fresh and last.checkpoint == checkpoint:
                return last
            self._last = self._run(checkpoint)
            return self._last

    def _run(self, checkpoint: int) -> Verification:
        checks: list[Check] = []
        started = self._now()
        report, failure = None, None
        try:
            report = self._verify_all(on_check=checks.append)
        except IntegrityError as exc:
            failure = exc
        return Verification(
            tuple(checks), report, failure, started, time.monotonic(), checkpoint=checkpoint
        )
