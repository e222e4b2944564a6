"""The idempotency-key contract of ``ports/store.py`` on memory, SQLite and PostgreSQL: a key is
recorded with the first unit of work that commits inside ``claiming``, in its transaction,
and a second act under the same key is rolled back whole."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from test_store import ORIGIN, SCHEMES, T0, Abort, message, wf

from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.adapters.storage.sql import SqlStore, open_store
from gsomia.errors import ConflictError
from gsomia.ports.store import RequestKey
from tests.support.pg import postgres_schema
from tests.support.seals import TestSeals

SEALS = TestSeals()
KEY = RequestKey(scope="kor-officer", key="retry-7", fingerprint="a" * 64, created_at=T0)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def keyed_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "memory":
        yield MemoryStore(ledger_origin=ORIGIN, seals=SEALS)  # type: ignore[misc]
        return
    if request.param == "sqlite":
        store = open_store(
            f"sqlite:///{tmp_path / 'node.db'}", schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS
        )
        yield store
        store.close()
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        store = open_store(url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)
        try:
            yield store
        finally:
            store.close()


def _rows(store: SqlStore | MemoryStore) -> dict[str, int]:
    if isinstance(store, MemoryStore):
        with store.read() as uow:
            return {
                "records": uow.count_rows("records"),
                "outbox": sum(uow.outbox_counts().values()),
                "request_keys": store.table_sizes()["request_keys"],
            }
    with store.engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
            for t in ("records", "outbox", "request_keys")
        }


def test_the_key_commits_with_the_first_unit_of_work_and_only_it(keyed_store: SqlStore) -> None:
    with keyed_store.claiming(KEY) as claim:
        with keyed_store.read() as uow:
            assert uow.request_key(KEY.scope, KEY.key) is None
        assert not claim.recorded
        with keyed_store.unit_of_work() as uow:
            uow.put_record(wf("c1"))
            uow.enqueue(message("m1"))
        assert claim.recorded and not claim.duplicate
        with keyed_store.unit_of_work() as uow:  # a later one in the same request
            uow.put_record(wf("c2"))
    with keyed_store.read() as uow:
        stored = uow.request_key(KEY.scope, KEY.key)
    assert stored == KEY
    assert _rows(keyed_store) == {"records": 2, "outbox": 1, "request_keys": 1}


def test_a_second_act_under_a_recorded_key_is_rolled_back_whole(keyed_store: SqlStore) -> None:
    with keyed_store.claiming(KEY), keyed_store.unit_of_work() as uow:
        uow.put_record(wf("c1"))
    before = _rows(keyed_store)
    duplicate = replace(KEY, fingerprint="b" * 64)
    with (
        keyed_store.claiming(duplicate) as claim,
        pytest.raises(ConflictError, match="Idempotency-Key"),
        keyed_store.unit_of_work() as uow,
    ):
        uow.put_record(wf("c9"))
        uow.enqueue(message("m9"))
    assert claim.duplicate and not claim.recorded
    assert _rows(keyed_store) == before
    with keyed_store.read() as uow:
        assert uow.request_key(KEY.scope, KEY.key) == KEY  # the first one's fingerprint


def test_a_failed_act_records_no_key_and_outside_claiming_nothing_is_recorded(
    keyed_store: SqlStore,
) -> None:
    with (
        keyed_store.claiming(KEY) as claim,
        pytest.raises(Abort),
        keyed_store.unit_of_work() as uow,
    ):
        uow.put_record(wf("c1"))
        raise Abort
    assert not claim.recorded
    with keyed_store.unit_of_work() as uow:
        uow.put_record(wf("c2"))
    assert _rows(keyed_store) == {"records": 1, "outbox": 0, "request_keys": 0}


def test_keys_are_per_scope_and_answers_are_kept_then_purged(keyed_store: SqlStore) -> None:
    other = replace(KEY, scope="kor-official")
    for key in (KEY, other):
        with keyed_store.claiming(key), keyed_store.unit_of_work() as uow:
            uow.put_record(wf(key.scope))
    answered = replace(KEY, status=201, media_type="application/json", answer=b'{"ok":1}')
    with keyed_store.unit_of_work() as uow:
        uow.keep_answer(answered, purge_before=T0 - timedelta(hours=1))
    with keyed_store.read() as uow:
        assert uow.request_key(KEY.scope, KEY.key) == answered
        assert uow.request_key(other.scope, other.key) == other
    later = replace(KEY, key="later", created_at=T0 + timedelta(days=2))
    with keyed_store.claiming(later), keyed_store.unit_of_work() as uow:
        uow.put_record(wf("c3"))
    with keyed_store.unit_of_work() as uow:
        uow.keep_answer(replace(later, status=200), purge_before=T0 + timedelta(days=1))
    with keyed_store.read() as uow:
        assert uow.request_key(KEY.scope, KEY.key) is None
        assert uow.request_key(other.scope, other.key) is None
        assert uow.request_key(later.scope, "later") == replace(later, status=200)
