"""The store methods the workflows added (copy register, hand-over, re-marking, forgetting
sent items, dead letters, purging destroyed keys), on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.adapters.storage.sql import SqlStore, open_store
from gsomia.core.classification import builtin_schemes
from gsomia.errors import UnknownName
from gsomia.ports.store import ItemRecord, ItemState, OutboxMessage, OutboxState
from tests.support.seals import TestSeals

T0 = datetime(2019, 10, 2, 9, tzinfo=UTC)
ITEM = ItemRecord(
    id="a" * 32,
    agreement_id="jpn-kor-gsomia",
    originator="JPN",
    holder="KOR",
    state=ItemState.HELD,
    topic="nk-missile",
    purpose="warning",
    level_ref="JPN:GOKUHI",
    holder_level_ref="KOR:GUNSA_II",
    label_digest="sha256:" + "0" * 64,
    provided_at=T0,
    recorded_at=T0,
    review_on=date(2024, 10, 2),
    facility_id="kor-hq",
    ciphertext=b"ciphertext",
    binding=b"binding",
)

#: One state key for every store of these tests (a reopened store checks the same seals).
SEALS = TestSeals()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    schemes = builtin_schemes()
    if request.param == "memory":
        yield MemoryStore(ledger_origin="o/kor", seals=SEALS)  # type: ignore[misc]
        return
    if request.param == "sqlite":
        s = open_store(
            f"sqlite:///{tmp_path / 'node.db'}", schemes=schemes, ledger_origin="o/kor", seals=SEALS
        )
        yield s
        s.close()
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"wf_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in base else "?"
    url = f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"
    s = open_store(url, schemes=schemes, ledger_origin="o/kor", seals=SEALS)
    try:
        yield s
    finally:
        s.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_copies_come_back_in_number_order(store: SqlStore) -> None:
    copies = [
        replace(ITEM, id=f"{n:032x}", kind="copy", parent_id=ITEM.id, copy_number=n)
        for n in (2, 1, 3)
    ]
    with store.unit_of_work() as uow:
        uow.add_items([ITEM, *copies])
    with store.read() as uow:
        assert [c.copy_number for c in uow.copies(ITEM.id)] == [1, 2, 3]
        assert uow.copies(copies[0].id) == []
        assert uow.next_copy_number(ITEM.id) == 4


def test_facility_and_remarking_change_only_their_columns(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.add_item(ITEM)
        uow.set_item_facility(ITEM.id, "hanwha-1")
        uow.remark_item(
            ITEM.id,
            label_digest="sha256:" + "1" * 64,
            level_ref="JPN:HI",
            holder_level_ref="KOR:GUNSA_III",
        )
    with store.read() as uow:
        got = uow.item(ITEM.id)
    assert got == replace(
        ITEM,
        facility_id="hanwha-1",
        label_digest="sha256:" + "1" * 64,
        level_ref="JPN:HI",
        holder_level_ref="KOR:GUNSA_III",
    )
    for call in (
        lambda u: u.set_item_facility("b" * 32, "x"),
        lambda u: u.remark_item("b" * 32, label_digest="x", level_ref="y", holder_level_ref="z"),
    ):
        with pytest.raises(UnknownName), store.unit_of_work() as uow:
            call(uow)


def test_forget_sent_blanks_only_delivered_messages_and_dead_letters_are_listed(
    store: SqlStore,
) -> None:
    messages = [
        OutboxMessage(id=f"m{i}", destination="USA", kind="transfer", body=b"sealed", created_at=T0)
        for i in range(3)
    ]
    with store.unit_of_work() as uow:
        uow.enqueue_many(messages)
        uow.mark_delivered(["m0"])
        uow.mark_retry(
            "m2", attempts=1000, next_attempt_at=T0 + timedelta(days=1), error="x", dead=True
        )
    with store.unit_of_work() as uow:
        assert uow.forget_sent(["m0", "m1", "m2", "nope"]) == 1
    with store.read() as uow:
        (dead,) = uow.dead_letters()
        (pending,) = uow.due_messages(now=T0, limit=10)
    assert (dead.id, dead.state, dead.body) == ("m2", OutboxState.DEAD, b"sealed")
    assert pending.body == b"sealed"
    assert _body(store, "m0") == b""


def _body(store: SqlStore | MemoryStore, message_id: str) -> bytes:
    """A message's body as the store keeps it (delivered messages are listed by no port
    method)."""
    if isinstance(store, MemoryStore):
        return store._tables.outbox[message_id].body
    with store.engine.connect() as conn:
        body = conn.execute(text("SELECT body FROM outbox WHERE id = :id"), {"id": message_id})
        return bytes(body.scalar_one())


def test_purging_destroyed_keys_runs_outside_any_transaction(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.keys.destroy(ITEM.id)
    store.purge_destroyed_keys()
    store.purge_destroyed_keys()  # idempotent
    with store.read() as uow, pytest.raises(UnknownName):
        uow.keys.get(ITEM.id)
