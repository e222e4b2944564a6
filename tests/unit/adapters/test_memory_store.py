"""What the memory store promises beyond the shared conformance suite: one writer at a time,
reads of the version committed when they began, and nothing shared with its callers."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.core.people import Facility
from gsomia.errors import StorageError
from gsomia.ports.store import OutboxMessage
from tests.support.seals import TestSeals

T0 = datetime(2019, 10, 2, 9, tzinfo=UTC)
HQ = Facility(id="kor-hq", party="KOR", name="HQ")


def _store() -> MemoryStore:
    return MemoryStore(ledger_origin="gsomia.node/kor", seals=TestSeals())


def _message(n: int) -> OutboxMessage:
    return OutboxMessage(
        id=f"m{n:04d}", destination="JPN", kind="transfer", body=b"x", created_at=T0
    )


def test_a_read_sees_the_version_committed_when_it_began() -> None:
    store = _store()
    with store.read() as before:
        with store.unit_of_work() as uow:
            uow.add_facility(HQ)
        assert before.facilities() == []
    with store.read() as after:
        assert after.facilities() == [HQ]


def test_a_second_unit_of_work_in_one_thread_is_refused_and_the_first_commits() -> None:
    store = _store()
    with store.unit_of_work() as uow:
        uow.add_facility(HQ)
        with pytest.raises(StorageError, match="already open"), store.unit_of_work():
            pass
    with store.read() as view:
        assert view.facilities() == [HQ]


def test_writers_in_many_threads_lose_nothing_and_keep_the_ledger_in_step() -> None:
    store = _store()

    def write(n: int) -> None:
        for k in range(20):
            with store.unit_of_work() as uow:
                uow.enqueue(_message(n * 100 + k))
                uow.add_facility(replace(HQ, id=f"f{n}-{k}"))
                uow.append_ledger([f"{n}/{k}".encode()], keys=[None])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.read() as view:
        assert view.outbox_counts() == {"pending": 120}
        assert len(view.facilities()) == 120
        assert view.journal_size() == 120
        # One entry of the writer's own and one accounting for its sealed row, per unit.
        assert store.ledger.size() == 240
        assert {r.entry for r in view.journal(limit=1000)} == set(range(1, 240, 2))
        assert [m.seq for m in view.due_messages(now=T0, limit=1000)] == list(range(1, 121))
