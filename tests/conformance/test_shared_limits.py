"""Shared request limits and the leader lock (issue 14): the token buckets in the store
are one budget for every worker process, and one process at a time holds a node's lead."""

from __future__ import annotations

import pytest
from test_store import Backend, backend  # noqa: F401 - the store fixture, sqlite and postgres

from gsomia.adapters.storage.sql.leader import LeaderLock
from gsomia.adapters.storage.sql.rate_limits import SqlBuckets
from gsomia.api._throttle import SharedAddressLimiter, SharedRateLimiter
from gsomia.api.errors import TooManyRequests


def test_two_workers_spend_one_budget(backend: Backend) -> None:  # noqa: F811
    other = backend.reopen()  # a second worker: its own engine on the same database
    try:
        first = SharedRateLimiter(SqlBuckets(backend.store.engine), per_minute=5)
        second = SharedRateLimiter(SqlBuckets(other.engine), per_minute=5)
        for limiter in (first, second, first, second, first):
            limiter.take("jpn-officer")
        with pytest.raises(TooManyRequests):
            second.take("jpn-officer")
        with pytest.raises(TooManyRequests):
            first.take("jpn-officer")
        second.take("kor-officer")  # another person's budget is whole
    finally:
        other.close()


def test_refused_tokens_from_an_address_count_across_workers(backend: Backend) -> None:  # noqa: F811
    other = backend.reopen()
    try:
        first = SharedAddressLimiter(SqlBuckets(backend.store.engine), per_minute=2)
        second = SharedAddressLimiter(SqlBuckets(other.engine), per_minute=2)
        first.check("192.0.2.1")
        first.refused("192.0.2.1")
        second.refused("192.0.2.1")
        with pytest.raises(TooManyRequests):
            second.check("192.0.2.1")
        with pytest.raises(TooManyRequests):
            first.check("192.0.2.1")
        second.check("192.0.2.2")
    finally:
        other.close()


def test_one_process_at_a_time_leads_and_the_lead_passes_when_it_ends(
    backend: Backend,  # noqa: F811
) -> None:
    other = backend.reopen()
    try:
        a = LeaderLock(backend.store.engine, party="JPN", role="pump", retry=0.0)
        b = LeaderLock(other.engine, party="JPN", role="pump", retry=0.0)
        if backend.path is not None:  # SQLite: one process, always the leader
            assert a.held() and b.held()
            return
        assert a.held()
        assert not b.held()
        assert a.held()  # still its session's
        a.release()
        assert b.held()
        assert not a.held()
        # Another party's node on the same database has a lead of its own.
        kor = LeaderLock(backend.store.engine, party="KOR", role="pump", retry=0.0)
        assert kor.held()
        kor.release()
        b.release()
    finally:
        other.close()
