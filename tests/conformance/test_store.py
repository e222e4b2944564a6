"""One suite, every node store: memory, SQLite and PostgreSQL (the contract of
``ports/store.py``; what only a database has, SQLite and PostgreSQL),
and every item-key store: memory, SQLite and PostgreSQL (the contract of ``ports/keys.py``).

Each PostgreSQL test runs in a schema of its own, created before and dropped after.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, inspect, text

from gsomia import crypto
from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.adapters.storage.sql import SqlStore, open_store
from gsomia.adapters.storage.sql.keys import SqlItemKeyStore
from gsomia.core.classification import builtin_schemes
from gsomia.core.people import Clearance, Facility, Person, Role
from gsomia.crypto import ItemKey, KeyKind
from gsomia.errors import ConflictError, StateTampered, StorageError, UnknownName
from gsomia.ports.keys import ItemKeyStore
from gsomia.ports.state import SEALED_TABLES
from gsomia.ports.store import (
    InboxRecord,
    ItemRecord,
    ItemState,
    LabelRecord,
    OutboxMessage,
    OutboxState,
    UnitOfWork,
    WorkflowRecord,
)
from tests.support.crypto import LATER, MemoryItemKeyStore, World, make_world, sealed
from tests.support.pg import postgres_schema
from tests.support.seals import TestSeals

ORIGIN = "gsomia.node/kor"
SCHEMES = builtin_schemes()
T0 = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
KST = timezone(timedelta(hours=9), "KST")
HQ = Facility(id="kor-hq", party="KOR", name="ROK JCS headquarters")
ANNEX = Facility(id="kor-annex", party="KOR", name="Annex", contractor="Hanwha Systems")
PERSON = Person(
    id="kor-officer",
    party="KOR",
    name="김 대령",
    role=Role.SECURITY_OFFICER,
    clearance=Clearance(
        level=SCHEMES.parse("군사II급비밀"),
        granted_on=date(2019, 3, 1),
        expires_on=date(2029, 2, 28),
    ),
    need_to_know=frozenset({"nk-missile", "nk-nuclear"}),
    registered_at=frozenset({"kor-hq", "kor-annex"}),
    rank="대령",
    nationality="KOR",
)

#: One state key for every store of these tests (a reopened store checks the same seals).
SEALS = TestSeals()
#: The node stores every test of the port runs on.
STORES = ["memory", "sqlite", "postgres"]


def memory_store() -> MemoryStore:
    """A memory store under the tests' seals."""
    return MemoryStore(ledger_origin=ORIGIN, seals=SEALS)


class Abort(Exception):
    """Raised inside a unit of work to make it roll back."""


# Backends --------------------------------------------------------------------------------


@dataclass
class Backend:
    """A store under test, and where its database is."""

    store: SqlStore
    url: str
    path: Path | None = None

    def reopen(self) -> SqlStore:
        """A second, independent store on the same database."""
        return open_store(self.url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)


@contextmanager
def sql_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQL store of ``kind`` (sqlite or postgres), closed afterwards."""
    if kind == "sqlite":
        path = tmp_path / "node.db"
        url = f"sqlite:///{path}"
        store = open_store(url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)
        try:
            yield Backend(store=store, url=url, path=path)
        finally:
            store.close()
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        store = open_store(url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)
        try:
            yield Backend(store=store, url=url)
        finally:
            store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQL store, for what only a database has (reopening it, its files, its schema)."""
    with sql_backend(request.param, request, tmp_path) as backend:
        yield backend


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """Every node store: memory, SQLite and PostgreSQL."""
    if request.param == "memory":
        yield memory_store()  # type: ignore[misc]
        return
    with sql_backend(request.param, request, tmp_path) as backend:
        yield backend.store


# Records ---------------------------------------------------------------------------------


def iid(n: int) -> str:
    return f"{n:032x}"


def digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def item(n: int, **changes: Any) -> ItemRecord:
    record = ItemRecord(
        id=iid(n),
        agreement_id="jpn-kor-gsomia",
        originator="JPN",
        holder="KOR",
        state=ItemState.HELD,
        topic="nk-missile",
        purpose="Launch detection and track data for early warning",
        level_ref="JPN:GOKUHI",
        holder_level_ref="KOR:GUNSA_II",
        label_digest=digest(n, 2),
        provided_at=T0,
        recorded_at=T0 + timedelta(seconds=n),
        review_on=date(2031, 11, 28),
        facility_id="kor-hq",
        ciphertext=b"GSE\x01" + bytes([n % 256]) * 300,
        binding=b"GSB\x01" + bytes(range(64)),
    )
    return replace(record, **changes)


def label(n: int, revision: int, **changes: Any) -> LabelRecord:
    record = LabelRecord(
        digest=digest(n, revision),
        item_id=iid(n),
        revision=revision,
        label=f'{{"item":"{iid(n)}","revision":{revision}}}'.encode(),
        recorded_at=T0,
    )
    return replace(record, **changes)


def message(mid: str, **changes: Any) -> OutboxMessage:
    return replace(
        OutboxMessage(
            id=mid,
            destination="JPN",
            kind="transfer",
            body=b"signed " + mid.encode(),
            created_at=T0,
        ),
        **changes,
    )


def inbox(mid: str, reply: bytes = b"signed receipt") -> InboxRecord:
    return InboxRecord(id=mid, sender="JPN", kind="transfer", received_at=T0, reply=reply)


def wf(rid: str, version: int = 1, **changes: Any) -> WorkflowRecord:
    record = WorkflowRecord(
        kind="consent",
        id=rid,
        state="asked",
        body={"to": "USA", "note": "제3국 제공 동의 요청", "levels": [1, 2]},
        updated_at=T0,
        version=version,
        item_id=iid(1),
        document=b"signed request",
    )
    return replace(record, **changes)


def item_key(n: int, *, key_id: bytes = b"K" * 8, salt: bytes = b"") -> ItemKey:
    def fixed(size: int, what: str) -> bytes:
        return hashlib.sha256(f"{n}/{what}".encode() + salt).digest()[:size].ljust(size, b"!")

    return ItemKey(
        item_id=iid(n),
        key_id=key_id,
        label_digest=fixed(32, "label"),
        nonce=fixed(12, "nonce"),
        wrapped=fixed(32, "wrapped") + fixed(16, "tag"),
    )


def write_everything(uow: UnitOfWork) -> None:
    """One of every kind of record, and two ledger entries."""
    uow.add_facility(HQ)
    uow.add_person(PERSON)
    uow.add_item(item(1))
    uow.add_labels([label(1, 1), label(1, 2)])
    uow.put_record(wf("c1"))
    uow.enqueue(message("m1"))
    uow.remember(inbox("i1"))
    uow.keys.put(item_key(1))
    uow.append_ledger([b"item.received 1", b"item.marked 1"], keys=[iid(1), iid(1)])


def snapshot(store: SqlStore) -> dict[str, object]:
    """Everything a unit of work can write, as read back through the port."""
    with store.read() as uow:
        return {
            "facilities": uow.facilities(),
            "persons": uow.persons(),
            "items": uow.items(),
            "labels": uow.labels(iid(1)),
            "records": uow.records("consent"),
            "outbox": uow.outbox_counts(),
            "inbox": uow.inbox_count(),
            "keys": list(uow.keys.under_key(b"K" * 8)),
            "ledger": store.ledger.size(),
        }


EMPTY = {
    "facilities": [],
    "persons": [],
    "items": [],
    "labels": [],
    "records": [],
    "outbox": {},
    "inbox": 0,
    "keys": [],
    "ledger": 0,
}


# Units of work ---------------------------------------------------------------------------


def test_a_unit_of_work_commits_everything_together(backend: Backend) -> None:
    with backend.store.unit_of_work() as uow:
        write_everything(uow)
    other = backend.reopen()
    try:
        for store in (backend.store, other):
            seen = snapshot(store)
            assert seen["facilities"] == [HQ] and seen["persons"] == [PERSON]
            assert seen["items"] == [item(1)] and seen["labels"] == [label(1, 1), label(1, 2)]
            assert seen["records"] == [wf("c1")] and seen["outbox"] == {"pending": 1}
            assert seen["inbox"] == 1 and seen["keys"] == [iid(1)]
            assert store.ledger.entries(0, 2) == [b"item.received 1", b"item.marked 1"]
            assert store.ledger.find(iid(1)) == [0, 1]
    finally:
        other.close()


def test_every_store_commits_a_unit_of_work_whole(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        write_everything(uow)
    seen = snapshot(store)
    assert seen["facilities"] == [HQ] and seen["persons"] == [PERSON]
    assert seen["items"] == [item(1)] and seen["labels"] == [label(1, 1), label(1, 2)]
    assert seen["records"] == [wf("c1")] and seen["outbox"] == {"pending": 1}
    assert seen["inbox"] == 1 and seen["keys"] == [iid(1)]
    # The two entries, then the one that accounts for the journal of the sealed writes.
    assert store.ledger.entries(0, 2) == [b"item.received 1", b"item.marked 1"]
    assert store.ledger.size() == 3 and store.ledger.find(iid(1)) == [0, 1]


def test_an_exception_inside_leaves_nothing_not_even_ledger_entries(store: SqlStore) -> None:
    with pytest.raises(Abort), store.unit_of_work() as uow:
        write_everything(uow)
        assert uow.has_item(iid(1)) and uow.inbox_reply("i1", sender="JPN") == b"signed receipt"
        raise Abort
    assert snapshot(store) == EMPTY
    with store.read() as uow:
        with pytest.raises(UnknownName):
            uow.keys.get(iid(1))
        assert uow.inbox_reply("i1", sender="JPN") is None
    # The ledger's sequence numbers were rolled back too: the next entry is entry 0.
    with store.unit_of_work() as uow:
        assert uow.append_ledger([b"first"], keys=[None]) == 0
    assert store.ledger.entries(0, 1) == [b"first"]


def test_the_durability_settings_hold(backend: Backend) -> None:
    with backend.store.engine.connect() as conn:
        if backend.path is not None:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        else:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_a_read_never_commits(store: SqlStore) -> None:
    with store.read() as uow:
        uow.add_facility(HQ)
        assert uow.facilities() == [HQ]
    with store.read() as uow:
        assert uow.facilities() == []


# Duplicates and unknown names ------------------------------------------------------------

DUPLICATES: dict[str, Callable[[UnitOfWork], None]] = {
    "facility": lambda u: u.add_facility(replace(HQ, name="another name")),
    "person": lambda u: u.add_person(replace(PERSON, name="someone else")),
    "item": lambda u: u.add_item(item(1, topic="other")),
    "item in a batch": lambda u: u.add_items([item(7), item(1)]),
    "label digest": lambda u: u.add_label(label(1, 1)),
    "label revision": lambda u: u.add_label(label(1, 1, digest=digest("other"))),
    "outbox message": lambda u: u.enqueue_many([message("m7"), message("m1")]),
    "inbox message": lambda u: u.remember(inbox("i1", reply=b"another reply")),
    "workflow version": lambda u: u.put_record(wf("c1", state="given")),
    "item key": lambda u: u.keys.put(item_key(1, salt=b"another")),
}


@pytest.mark.parametrize("duplicate", DUPLICATES, ids=list(DUPLICATES))
def test_a_duplicate_raises_conflict_and_rolls_back_the_unit_of_work(
    store: SqlStore, duplicate: str
) -> None:
    with store.unit_of_work() as uow:
        write_everything(uow)
    before = snapshot(store)
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.add_facility(ANNEX)
        uow.append_ledger([b"refused"], keys=[None])
        DUPLICATES[duplicate](uow)
    assert snapshot(store) == before
    with store.read() as uow:
        assert uow.inbox_reply("i1", sender="JPN") == b"signed receipt"
        assert uow.keys.get(iid(1)) == item_key(1)
        assert not uow.has_item(iid(7))
        (queued,) = uow.due_messages(now=T0, limit=10)
        assert (queued.id, queued.body) == ("m1", message("m1").body)


@pytest.mark.parametrize(
    "duplicate", ["item in a batch", "outbox message", "label digest", "inbox message"]
)
def test_a_conflict_caught_inside_the_unit_of_work_still_stores_nothing(
    backend: Backend, duplicate: str
) -> None:
    """An insert refused halfway through its rows leaves no row behind, and a caller that
    catches the ConflictError cannot commit the rest of its unit of work (on PostgreSQL the
    database refuses the next statement of the aborted transaction already)."""
    store = backend.store
    with store.unit_of_work() as uow:
        write_everything(uow)
    before = snapshot(store)
    with pytest.raises((ConflictError, StorageError)), store.unit_of_work() as uow:
        uow.add_facility(ANNEX)
        with pytest.raises(ConflictError):
            DUPLICATES[duplicate](uow)
        uow.append_ledger([b"after the conflict"], keys=[None])
    assert snapshot(store) == before
    with store.unit_of_work() as uow:
        uow.add_facility(ANNEX)
    with store.read() as uow:
        assert ANNEX in uow.facilities()


UNKNOWN: dict[str, Callable[[UnitOfWork], object]] = {
    "facility": lambda u: u.facility("nowhere"),
    "person": lambda u: u.person("nobody"),
    "replaced person": lambda u: u.replace_person(replace(PERSON, id="nobody")),
    "item": lambda u: u.item(iid(9)),
    "item state": lambda u: u.set_item_state(iid(9), ItemState.DESTROYED),
    "item facility": lambda u: u.set_item_facility(iid(9), "kor-hq"),
    "re-marked item": lambda u: u.remark_item(
        iid(9), label_digest=digest(9), level_ref="JPN:HI", holder_level_ref="KOR:GUNSA_III"
    ),
    "record": lambda u: u.record("consent", "c9"),
    "record of another kind": lambda u: u.record("incident", "c1"),
    "item key": lambda u: u.keys.get(iid(9)),
    "replaced item key": lambda u: u.keys.replace(item_key(9)),
}


@pytest.mark.parametrize("unknown", UNKNOWN, ids=list(UNKNOWN))
def test_an_unknown_name_raises_UnknownName_and_changes_nothing(
    store: SqlStore, unknown: str
) -> None:
    with store.unit_of_work() as uow:
        write_everything(uow)
    before = snapshot(store)
    with pytest.raises(UnknownName), store.unit_of_work() as uow:
        UNKNOWN[unknown](uow)
    assert snapshot(store) == before


def test_library_errors_become_StorageError(backend: Backend) -> None:
    with backend.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE inbox"))
    with pytest.raises(StorageError), backend.store.read() as uow:
        uow.inbox_count()
    with pytest.raises(StorageError), backend.store.unit_of_work() as uow:
        uow.add_facility(HQ)
        uow.remember(inbox("i1"))
    with backend.store.read() as uow:
        assert uow.facilities() == []


# Registry --------------------------------------------------------------------------------


def test_persons_with_clearances_and_registers_round_trip(store: SqlStore) -> None:
    uncleared = Person(id="kor-clerk", party="KOR", name="Clerk", role=Role.OFFICIAL)
    no_expiry = replace(
        PERSON,
        id="kor-analyst",
        role=Role.TRANSLATOR,
        clearance=Clearance(level=SCHEMES.parse("KOR:GUNSA_III"), granted_on=date(2020, 1, 2)),
        registered_at=frozenset(),
    )
    with store.unit_of_work() as uow:
        uow.add_facility(HQ)
        uow.add_facility(ANNEX)
        for person in (PERSON, uncleared, no_expiry):
            uow.add_person(person)
    with store.read() as uow:
        assert uow.facility("kor-annex") == ANNEX and uow.facilities() == [ANNEX, HQ]
        assert uow.person("kor-officer") == PERSON
        assert uow.persons() == [no_expiry, uncleared, PERSON]
        assert uow.person("kor-officer").clearance_on(date(2029, 3, 1)) is None
    moved = replace(PERSON, registered_at=frozenset({"kor-annex"}), rank="준장")
    with store.unit_of_work() as uow:
        uow.replace_person(moved)
    with store.read() as uow:
        assert uow.person("kor-officer") == moved
        assert uow.persons() == [no_expiry, uncleared, moved]


# Items and labels ------------------------------------------------------------------------


def test_items_round_trip_page_and_count(store: SqlStore) -> None:
    special = item(
        3,
        state=ItemState.RELAYING,
        review_on=None,
        facility_id=None,
        kind="translation",
        parent_id=iid(1),
        copy_number=2,
        purpose_lapsed=True,
        ciphertext=bytes(range(256)) * 4,
    )
    records = [item(n) for n in (1, 2, 4, 5)] + [special]
    with store.unit_of_work() as uow:
        uow.add_items(records)
        uow.add_items([])
    with store.read() as uow:
        assert uow.item(iid(3)) == special
        assert uow.items() == sorted(records, key=lambda r: r.id)
        assert [r.id for r in uow.items(limit=2)] == [iid(1), iid(2)]
        assert [r.id for r in uow.items(after=iid(2), limit=2)] == [iid(3), iid(4)]
        assert uow.items(state=ItemState.RELAYING) == [special]
        assert uow.items(state=ItemState.DESTROYED) == []
        assert uow.count_items() == 5 and uow.count_items(state=ItemState.HELD) == 4
        assert uow.has_item(iid(5)) and not uow.has_item(iid(6))


def test_item_state_facility_and_marking_change_only_what_is_named(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.add_items([item(1), item(2)])
        uow.set_item_state(iid(1), ItemState.FORWARDED)
        uow.set_item_state(
            iid(2),
            ItemState.DESTROYED,
            label_digest=digest(2, 3),
            holder_level_ref="KOR:GUNSA_III",
            purpose_lapsed=True,
        )
        uow.erase_ciphertext(iid(2))
    with store.read() as uow:
        assert uow.item(iid(1)) == item(1, state=ItemState.FORWARDED)
        assert uow.item(iid(2)) == item(
            2,
            state=ItemState.DESTROYED,
            label_digest=digest(2, 3),
            holder_level_ref="KOR:GUNSA_III",
            purpose_lapsed=True,
            ciphertext=b"",
        )
    with store.unit_of_work() as uow:
        uow.set_item_facility(iid(1), "kor-annex")
        uow.remark_item(
            iid(1), label_digest=digest(1, 3), level_ref="JPN:HI", holder_level_ref="KOR:GUNSA_III"
        )
    with store.read() as uow:
        assert uow.item(iid(1)) == item(
            1,
            state=ItemState.FORWARDED,
            facility_id="kor-annex",
            label_digest=digest(1, 3),
            level_ref="JPN:HI",
            holder_level_ref="KOR:GUNSA_III",
        )


def test_copies_are_numbered_per_parent(store: SqlStore) -> None:
    with store.read() as uow:
        assert uow.next_copy_number(iid(1)) == 1 and uow.copies(iid(1)) == []
    copies = [
        item(12, kind="copy", parent_id=iid(1), copy_number=2),
        item(11, kind="translation", parent_id=iid(1), copy_number=1),
        item(13, kind="copy", parent_id=iid(2), copy_number=1),
    ]
    with store.unit_of_work() as uow:
        uow.add_items([item(1), item(2), *copies])
    with store.read() as uow:
        assert uow.copies(iid(1)) == [copies[1], copies[0]]
        assert uow.next_copy_number(iid(1)) == 3 and uow.next_copy_number(iid(2)) == 2


def test_label_versions_are_kept_in_order(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.add_item(item(1))
        uow.add_labels([label(1, 2), label(1, 1)])
        uow.add_labels([])
    with store.unit_of_work() as uow:
        uow.add_label(label(1, 3, recorded_at=T0 + timedelta(days=30)))
        uow.remark_item(
            iid(1), label_digest=digest(1, 3), level_ref="JPN:HI", holder_level_ref="KOR:GUNSA_III"
        )
    with store.read() as uow:
        assert uow.labels(iid(1)) == [
            label(1, 1),
            label(1, 2),
            label(1, 3, recorded_at=T0 + timedelta(days=30)),
        ]
        assert uow.labels(iid(2)) == []
        assert uow.item(iid(1)).label_digest == digest(1, 3)


def test_listeners_hear_of_queued_messages_only_once_committed(store: SqlStore) -> None:
    heard: list[int] = []

    def count() -> None:
        with store.read() as uow:
            heard.append(sum(uow.outbox_counts().values()))

    store.on_enqueued(count)
    with store.unit_of_work() as uow:
        uow.add_facility(HQ)
    assert heard == [], "a unit of work that queued nothing wakes no one"
    with pytest.raises(Abort), store.unit_of_work() as uow:
        uow.enqueue(message("m1"))
        raise Abort
    assert heard == [], "a rolled-back message wakes no one"
    with store.unit_of_work() as uow:
        uow.enqueue_many([message("m1"), message("m2")])
    assert heard == [2], "the listener runs after the commit and sees the messages"


def label_key(backend: Backend) -> list[str]:
    engine = backend.store.engine
    return list(inspect(engine).get_pk_constraint("labels")["constrained_columns"])


def test_a_store_of_the_first_schema_is_upgraded_with_its_labels(backend: Backend) -> None:
    """Revision 0002 rebuilds the labels table of a 0001 database under the (item, revision)
    key and keeps every label; downgrading restores the digest key."""
    from alembic import command
    from alembic.config import Config

    import gsomia.adapters.storage.sql.store as sql_store

    with backend.store.unit_of_work() as uow:
        uow.add_item(item(1))
        uow.add_labels([label(1, 1), label(1, 2)])
    assert label_key(backend) == ["item_id", "revision"]
    config = Config()
    config.set_main_option("script_location", str(Path(sql_store.__file__).parent / "migrations"))
    with backend.store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    assert label_key(backend) == ["digest"]

    again = backend.reopen()
    try:
        assert label_key(backend) == ["item_id", "revision"]
        # Rows kept before revision 0006 have no seal: unreadable until the node seals them.
        with pytest.raises(StateTampered), again.read() as uow:
            uow.labels(iid(1))
        with again.unit_of_work() as uow:
            for table in SEALED_TABLES:
                assert uow.reseal_rows(table, trust=True) is None or table in ("items", "labels")
        with again.read() as uow:
            assert uow.labels(iid(1)) == [label(1, 1), label(1, 2)]
        with pytest.raises(ConflictError), again.unit_of_work() as uow:
            uow.add_label(label(1, 2, digest=digest("other")))
    finally:
        again.close()


def test_existing_items_answers_across_query_chunks(store: SqlStore) -> None:
    stored = range(0, 1500, 2)
    with store.unit_of_work() as uow:
        uow.add_items([item(n) for n in stored])
    asked = [iid(n) for n in range(1200)] + [iid(4), iid(99_999)]
    with store.read() as uow:
        assert uow.existing_items(asked) == {iid(n) for n in range(0, 1200, 2)}
        assert uow.existing_items([]) == set()
        assert uow.existing_items([iid(1), iid(3)]) == set()


# Workflow records --------------------------------------------------------------------------


def test_workflow_records_are_versioned_and_stale_versions_refused(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.put_record(wf("c1"))
        uow.put_record(wf("c2", item_id=iid(2)))
        uow.put_record(wf("c1", kind="incident"))
    for stale in (wf("c1", state="given"), wf("c1", version=3, state="given")):
        with pytest.raises(ConflictError), store.unit_of_work() as uow:
            uow.put_record(stale)
    given = wf("c1", version=2, state="given", body={}, updated_at=T0 + timedelta(hours=1))
    with store.unit_of_work() as uow:
        uow.put_record(given)
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.put_record(replace(given, state="refused"))
    with store.read() as uow:
        assert uow.record("consent", "c1") == given
        assert uow.record("incident", "c1") == wf("c1", kind="incident")
        assert uow.records("consent") == [given, wf("c2", item_id=iid(2))]
        assert uow.records("consent", state="asked") == [wf("c2", item_id=iid(2))]
        assert uow.records("consent", state="given") == [given]
        assert uow.records("consent", item_id=iid(2)) == [wf("c2", item_id=iid(2))]
        assert uow.records("visit") == []


def test_a_records_body_is_what_was_stored_whatever_the_caller_changes(store: SqlStore) -> None:
    body = {"to": "USA", "levels": [1, 2], "nested": {"note": "원본"}}
    record = wf("c1", body=body)
    with store.unit_of_work() as uow:
        uow.put_record(record)
        body["to"] = "CHN"  # the caller's dict, changed after it was stored
    with store.read() as uow:
        read = uow.record("consent", "c1")
        listed = uow.records("consent")[0]
    read.body["levels"].append(3)  # and the dicts handed out, changed after they were read
    listed.body["nested"]["note"] = "changed"
    with store.read() as uow:
        expected = {"to": "USA", "levels": [1, 2], "nested": {"note": "원본"}}
        assert uow.record("consent", "c1").body == expected
        assert uow.records("consent")[0].body == expected
        assert uow.sealed_row("records", "consent/c1", 1).intact  # type: ignore[union-attr]


# Outbox and inbox ------------------------------------------------------------------------


def test_the_outbox_serves_due_messages_in_the_order_they_were_queued(store: SqlStore) -> None:
    later = T0 + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        uow.enqueue_many([message("m3"), message("m1", destination="USA")])
        uow.enqueue(message("m0", next_attempt_at=later.astimezone(KST)))
    with store.unit_of_work() as uow:
        uow.enqueue(message("m2", created_at=T0.astimezone(KST)))
    with store.read() as uow:
        due = uow.due_messages(now=T0, limit=10)
        assert [m.id for m in due] == ["m3", "m1", "m2"]
        assert [m.seq for m in due] == sorted(m.seq for m in due)
        assert due[0] == replace(message("m3"), next_attempt_at=T0, seq=due[0].seq)
        assert [m.id for m in uow.due_messages(now=T0, limit=2)] == ["m3", "m1"]
        assert [m.id for m in uow.due_messages(now=T0, limit=10, destination="JPN")] == [
            "m3",
            "m2",
        ]
        assert [m.id for m in uow.due_messages(now=later, limit=10)] == ["m3", "m1", "m0", "m2"]
        assert uow.due_messages(now=T0 - timedelta(microseconds=1), limit=10) == []
        assert uow.outbox_counts() == {"pending": 4}


def test_the_outbox_retries_gives_up_and_delivers(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.enqueue_many([message(f"m{i}") for i in range(4)])
    retry_at = T0 + timedelta(seconds=30)
    with store.unit_of_work() as uow:
        uow.mark_retry("m0", attempts=1, next_attempt_at=retry_at, error="E" * 5000, dead=False)
        uow.mark_retry("m1", attempts=7, next_attempt_at=retry_at, error="gone", dead=True)
        uow.mark_delivered(["m2", "m9"])
        uow.mark_delivered([])
    with store.read() as uow:
        assert [m.id for m in uow.due_messages(now=T0, limit=10)] == ["m3"]
        m0, m3 = uow.due_messages(now=retry_at, limit=10)
        assert (m0.id, m0.attempts, m0.next_attempt_at, m0.state) == (
            "m0",
            1,
            retry_at,
            OutboxState.PENDING,
        )
        assert m0.last_error.startswith("EEE") and 0 < len(m0.last_error) <= 5000
        assert m3.id == "m3" and m3.attempts == 0
        (dead,) = uow.dead_letters()
        assert (dead.id, dead.state, dead.attempts, dead.last_error) == (
            "m1",
            OutboxState.DEAD,
            7,
            "gone",
        )
        assert uow.outbox_counts() == {"pending": 2, "dead": 1, "delivered": 1}
    with store.unit_of_work() as uow:
        assert uow.forget_sent(["m0", "m1", "m2", "m9"]) == 1
        uow.mark_delivered(["m0", "m3"])
    with store.read() as uow:
        assert uow.due_messages(now=retry_at, limit=10) == []
        assert uow.outbox_counts() == {"dead": 1, "delivered": 3}
        assert uow.dead_letters()[0].body == message("m1").body


def test_the_inbox_remembers_each_message_and_its_reply_once(store: SqlStore) -> None:
    with store.read() as uow:
        assert uow.inbox_reply("i1", sender="JPN") is None and uow.inbox_count() == 0
    with store.unit_of_work() as uow:
        uow.remember(inbox("i1", reply=b"\x00receipt\xff"))
        uow.remember(inbox("i2"))
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.remember(inbox("i3"))
        uow.remember(inbox("i1", reply=b"a second answer"))
    with store.read() as uow:
        assert uow.inbox_reply("i1", sender="JPN") == b"\x00receipt\xff"
        assert uow.inbox_reply("i3", sender="JPN") is None and uow.inbox_count() == 2


def test_the_inbox_keeps_each_partners_message_ids_apart(store: SqlStore) -> None:
    """Crypto review L3: the inbox is keyed by (sender, id), so one partner's message id
    never answers with the reply kept for another partner, and both are remembered."""
    with store.unit_of_work() as uow:
        uow.remember(inbox("i1", reply=b"receipt for JPN"))
        uow.remember(replace(inbox("i1", reply=b"ack for USA"), sender="USA"))
    with store.read() as uow:
        assert uow.inbox_reply("i1", sender="JPN") == b"receipt for JPN"
        assert uow.inbox_reply("i1", sender="USA") == b"ack for USA"
        assert uow.inbox_reply("i1", sender="KOR") is None
        assert uow.inbox_count() == 2
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.remember(replace(inbox("i1", reply=b"again"), sender="USA"))


def test_an_inbox_keyed_by_id_alone_is_upgraded_with_its_replies(backend: Backend) -> None:
    """Revision 0003 rebuilds a 0002 inbox under the (sender, id) key, keeping its rows."""
    from alembic import command
    from alembic.config import Config

    import gsomia.adapters.storage.sql.store as sql_store

    with backend.store.unit_of_work() as uow:
        uow.remember(inbox("i1", reply=b"kept"))
    config = Config()
    config.set_main_option("script_location", str(Path(sql_store.__file__).parent / "migrations"))
    with backend.store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    key = inspect(backend.store.engine).get_pk_constraint("inbox")["constrained_columns"]
    assert list(key) == ["id"]
    again = backend.reopen()
    try:
        key = inspect(again.engine).get_pk_constraint("inbox")["constrained_columns"]
        assert sorted(key) == ["id", "sender"]
        with again.read() as uow:
            assert uow.inbox_reply("i1", sender="JPN") == b"kept"
    finally:
        again.close()


# Times -----------------------------------------------------------------------------------

_record_ids = itertools.count()
offsets = st.integers(min_value=-86_399, max_value=86_399).map(
    lambda s: timezone(timedelta(seconds=s))
)
instants = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(at=instants)
def test_aware_times_round_trip_exactly_in_utc(store: SqlStore, at: datetime) -> None:
    rid = f"t{next(_record_ids)}"
    with store.unit_of_work() as uow:
        uow.put_record(wf(rid, updated_at=at))
    with store.read() as uow:
        back = uow.record("consent", rid).updated_at
    assert back == at and back.utcoffset() == timedelta(0)
    assert back.replace(tzinfo=None) == at.astimezone(UTC).replace(tzinfo=None)


def test_every_time_column_keeps_its_instant(store: SqlStore) -> None:
    at = datetime(2019, 11, 22, 23, 59, 59, 999_999, tzinfo=KST)
    with store.unit_of_work() as uow:
        uow.add_item(item(1, provided_at=at, recorded_at=at + timedelta(microseconds=1)))
        uow.add_label(label(1, 1, recorded_at=at))
        uow.enqueue(message("m1", created_at=at, next_attempt_at=at))
        uow.remember(replace(inbox("i1"), received_at=at))
    with store.read() as uow:
        back = uow.item(iid(1))
        assert (back.provided_at, back.recorded_at) == (at, at + timedelta(microseconds=1))
        assert back.provided_at.tzinfo == UTC and back.provided_at.hour == 14
        assert uow.labels(iid(1))[0].recorded_at == at
        (sent,) = uow.due_messages(now=at, limit=1)
        assert sent.created_at == sent.next_attempt_at == at
        assert uow.due_messages(now=at - timedelta(microseconds=1), limit=1) == []


NAIVE = datetime(2026, 11, 28, 12, 0)
NAIVE_WRITES: dict[str, Callable[[UnitOfWork], object]] = {
    "item": lambda u: u.add_item(item(1, provided_at=NAIVE)),
    "label": lambda u: u.add_label(label(1, 1, recorded_at=NAIVE)),
    "record": lambda u: u.put_record(wf("c1", updated_at=NAIVE)),
    "outbox": lambda u: u.enqueue(message("m1", created_at=NAIVE)),
    "retry": lambda u: u.mark_retry("m0", attempts=1, next_attempt_at=NAIVE, error="e", dead=False),
    "inbox": lambda u: u.remember(replace(inbox("i1"), received_at=NAIVE)),
    "due query": lambda u: u.due_messages(now=NAIVE, limit=1),
}


@pytest.mark.parametrize("write", NAIVE_WRITES, ids=list(NAIVE_WRITES))
def test_naive_times_are_refused_and_nothing_is_stored(store: SqlStore, write: str) -> None:
    with store.unit_of_work() as uow:
        uow.enqueue(message("m0"))
    with pytest.raises(StorageError, match="naive"), store.unit_of_work() as uow:
        uow.add_facility(HQ)
        NAIVE_WRITES[write](uow)
    with store.read() as uow:
        assert uow.facilities() == [] and uow.count_items() == 0 and uow.inbox_count() == 0
        assert uow.due_messages(now=T0, limit=5)[0].attempts == 0


# Item keys: the ItemKeyStore contract on every adapter ------------------------------------


class CommittedKeys:
    """A SQL store's item keys as a standalone :class:`ItemKeyStore`: every call is a unit
    of work of its own, so each one is durable when it returns."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def put(self, key: ItemKey) -> None:
        with self._store.unit_of_work() as uow:
            uow.keys.put(key)

    def put_many(self, keys: list[ItemKey]) -> None:
        with self._store.unit_of_work() as uow:
            uow.keys.put_many(keys)

    def get(self, item_id: str) -> ItemKey:
        with self._store.read() as uow:
            return uow.keys.get(item_id)

    def replace(self, key: ItemKey) -> None:
        with self._store.unit_of_work() as uow:
            uow.keys.replace(key)

    def destroy(self, item_id: str) -> None:
        with self._store.unit_of_work() as uow:
            uow.keys.destroy(item_id)

    def under_key(self, key_id: bytes) -> Iterator[str]:
        with self._store.read() as uow:
            found = list(uow.keys.under_key(key_id))
        return iter(found)

    def reseal(self, key: ItemKey) -> None:
        with self._store.unit_of_work() as uow:
            uow.keys.reseal(key)

    def uses(self, key_id: bytes) -> int:
        with self._store.read() as uow:
            return uow.keys.uses(key_id)

    def count_under_key(self, key_id: bytes) -> int:
        with self._store.read() as uow:
            return uow.keys.count_under_key(key_id)


@pytest.fixture(params=["memory", "memory-store", "sqlite", "postgres"])
def item_keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ItemKeyStore]:
    if request.param == "memory":
        yield MemoryItemKeyStore()
        return
    if request.param == "memory-store":
        yield CommittedKeys(memory_store())  # type: ignore[arg-type]
        return
    if request.param == "sqlite":
        store = open_store(
            f"sqlite:///{tmp_path / 'node.db'}", schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS
        )
        yield CommittedKeys(store)
        store.close()
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        store = open_store(url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)
        try:
            yield CommittedKeys(store)
        finally:
            store.close()


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


CONTENT = b"impact area predicted: sea, 300 km west of Oki"


def receive(world: World, item_keys: ItemKeyStore, database: dict[str, bytes], n: int) -> str:
    """KOR receives, verifies and keeps one item as a node does; returns its id."""
    envelope, binding = sealed(world, CONTENT, item=n)
    stored, key = crypto.keep(keyring=world.kor, envelope=envelope, binding=binding)
    database[stored.label.item_id] = stored.to_bytes()
    item_keys.put(key)
    return stored.label.item_id


def test_every_item_key_store_satisfies_the_port(item_keys: ItemKeyStore, tmp_path: Path) -> None:
    assert isinstance(item_keys, ItemKeyStore)
    store = open_store(
        f"sqlite:///{tmp_path / 'other.db'}", schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS
    )
    with store.read() as uow:
        assert isinstance(uow.keys, ItemKeyStore) and isinstance(uow.keys, SqlItemKeyStore)
    store.close()


def test_records_are_counted_per_at_rest_key_and_resealed_in_place(
    item_keys: ItemKeyStore,
) -> None:
    item_keys.put_many([item_key(1), item_key(2)])
    item_keys.put(item_key(3, key_id=b"L" * 8))
    kid = item_key(1).key_id
    assert item_keys.count_under_key(kid) == 2 and item_keys.count_under_key(b"L" * 8) == 1
    assert item_keys.uses(kid) >= 2
    item_keys.reseal(item_key(2, salt=b"sealed again"))
    assert item_keys.get(iid(2)) == item_key(2, salt=b"sealed again")
    item_keys.destroy(iid(1))
    assert item_keys.count_under_key(kid) == 1
    with pytest.raises(UnknownName):
        item_keys.reseal(item_key(1, salt=b"after destruction"))
    with pytest.raises(UnknownName):
        item_keys.reseal(item_key(9))


def test_put_is_idempotent_and_refuses_a_different_record(item_keys: ItemKeyStore) -> None:
    with pytest.raises(UnknownName):
        item_keys.get(iid(1))
    item_keys.put(item_key(1))
    item_keys.put(item_key(1))
    item_keys.put_many([item_key(1), item_key(2), item_key(3)])
    item_keys.put_many([])
    with pytest.raises(ConflictError):
        item_keys.put(item_key(2, salt=b"different"))
    with pytest.raises(ConflictError):
        item_keys.put_many([item_key(3, key_id=b"L" * 8)])
    assert [item_keys.get(iid(n)) for n in (1, 2, 3)] == [item_key(n) for n in (1, 2, 3)]


def test_a_destroyed_item_cannot_be_re_keyed(world: World, item_keys: ItemKeyStore) -> None:
    database: dict[str, bytes] = {}
    item_id = receive(world, item_keys, database, 0)
    record = item_keys.get(item_id)
    item_keys.put(record)
    item_keys.destroy(item_id)
    item_keys.destroy(item_id)
    with pytest.raises(UnknownName):
        item_keys.get(item_id)
    with pytest.raises(ConflictError):
        item_keys.put(record)
    with pytest.raises(ConflictError):
        item_keys.put_many([record])
    with pytest.raises(UnknownName):
        item_keys.replace(record)


def test_destroying_an_unknown_item_leaves_a_tombstone(item_keys: ItemKeyStore) -> None:
    item_keys.destroy(iid(5))
    with pytest.raises(UnknownName):
        item_keys.get(iid(5))
    with pytest.raises(ConflictError):
        item_keys.put(item_key(5))


def test_replace_swaps_a_record_but_keeps_its_label_binding(item_keys: ItemKeyStore) -> None:
    item_keys.put(item_key(1))
    rewrapped = replace(item_key(1), key_id=b"N" * 8, wrapped=b"W" * 48)
    item_keys.replace(rewrapped)
    assert item_keys.get(iid(1)) == rewrapped
    with pytest.raises(ConflictError):
        item_keys.replace(replace(rewrapped, label_digest=b"\x00" * 32))
    with pytest.raises(UnknownName):
        item_keys.replace(item_key(2))
    assert item_keys.get(iid(1)) == rewrapped


def test_rotation_re_wraps_kept_items_under_the_newest_at_rest_key(
    world: World, item_keys: ItemKeyStore
) -> None:
    database: dict[str, bytes] = {}
    ids = [receive(world, item_keys, database, n) for n in range(3)]
    old_key = world.kor.newest(KeyKind.AT_REST).key_id
    rotated = crypto.rotate(world.kor, now=LATER)
    new_key = rotated.newest(KeyKind.AT_REST).key_id
    assert sorted(item_keys.under_key(old_key)) == sorted(ids)
    item_keys.destroy(ids[2])
    assert sorted(item_keys.under_key(old_key)) == sorted(ids[:2])
    for item_id in list(item_keys.under_key(old_key)):
        item_keys.replace(crypto.rewrap_item_key(keyring=rotated, item_key=item_keys.get(item_id)))
    assert list(item_keys.under_key(old_key)) == []
    assert sorted(item_keys.under_key(new_key)) == sorted(ids[:2])
    retired = rotated.retire(key_id=old_key)
    for item_id in ids[:2]:
        stored = crypto.Envelope.from_bytes(database[item_id])
        record = item_keys.get(item_id)
        assert crypto.open_stored(keyring=retired, envelope=stored, item_key=record) == CONTENT
        assert crypto.rewrap_item_key(keyring=retired, item_key=record) is record


def test_sql_item_keys_commit_and_roll_back_with_the_unit_of_work(backend: Backend) -> None:
    store = backend.store
    with pytest.raises(Abort), store.unit_of_work() as uow:
        uow.keys.put_many([item_key(1), item_key(2)])
        raise Abort
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.keys.put(item_key(3))
        uow.keys.put_many([item_key(4), item_key(3, salt=b"different")])
    with store.unit_of_work() as uow:
        uow.keys.put(item_key(5))
        uow.keys.destroy(iid(6))
    other = backend.reopen()
    try:
        with other.read() as uow:
            assert uow.keys.get(iid(5)) == item_key(5)
            for n in (1, 2, 3, 4, 6):
                with pytest.raises(UnknownName):
                    uow.keys.get(iid(n))
        with pytest.raises(ConflictError), other.unit_of_work() as uow:
            uow.keys.put(item_key(6))
    finally:
        other.close()


# Crypto-shredding at rest ------------------------------------------------------------------


def database_files(path: Path) -> dict[str, bytes]:
    """The raw bytes of a SQLite database and its companions (WAL, shared memory, journal)."""
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


def holding(path: Path, needle: bytes) -> list[str]:
    return sorted(name for name, data in database_files(path).items() if needle in data)


def keep_keys(store: SqlStore, count: int) -> list[ItemKey]:
    keys = [item_key(n) for n in range(count)]
    with store.unit_of_work() as uow:
        uow.add_items([item(n) for n in range(count)])
        uow.keys.put_many(keys)
    return keys


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    path = tmp_path / "node.db"
    url = f"sqlite:///{path}"
    store = open_store(url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)
    yield Backend(store=store, url=url, path=path)
    store.close()


def observer(path: Path) -> sqlite3.Connection:
    """Another connection to the database, as a running node's readers are: while one is
    open, the WAL file stays on disk between transactions."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("SELECT COUNT(*) FROM item_keys").fetchall()
    return conn


def test_sqlite_shredded_key_bytes_are_nowhere_in_the_files(sqlite_backend: Backend) -> None:
    store, path = sqlite_backend.store, sqlite_backend.path
    assert path is not None
    watcher = observer(path)
    keys = keep_keys(store, 40)
    victim, survivor = keys[17], keys[18]
    assert holding(path, victim.wrapped) != []
    with store.unit_of_work() as uow:
        uow.keys.destroy(victim.item_id)
        uow.set_item_state(victim.item_id, ItemState.DESTROYED)
        uow.erase_ciphertext(victim.item_id)
    # The committed destruction alone leaves the old page image in the WAL.
    assert holding(path, victim.wrapped) == ["node.db-wal"]
    store.purge_destroyed_keys()
    assert holding(path, victim.wrapped) == []
    assert holding(path, victim.to_bytes()[:60]) == []
    assert holding(path, item(17).ciphertext[:100]) == []
    assert holding(path, survivor.wrapped) == ["node.db"]
    watcher.close()


def test_sqlite_purge_does_not_report_success_while_old_pages_are_pinned(
    sqlite_backend: Backend,
) -> None:
    store, path = sqlite_backend.store, sqlite_backend.path
    assert path is not None

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 200")

    event.listen(store.engine, "connect", short_wait)
    watcher = observer(path)
    victim = keep_keys(store, 10)[3]
    watcher.execute("BEGIN")
    watcher.execute("SELECT COUNT(*) FROM item_keys").fetchall()
    with store.unit_of_work() as uow:
        uow.keys.destroy(victim.item_id)
    with pytest.raises(StorageError):
        store.purge_destroyed_keys()
    assert holding(path, victim.wrapped) == ["node.db-wal"]
    watcher.execute("COMMIT")
    store.purge_destroyed_keys()
    assert holding(path, victim.wrapped) == []
    watcher.close()


def test_postgres_shredded_key_bytes_are_not_returned_after_vacuum(postgres_url: str) -> None:
    with postgres_schema(postgres_url) as url:
        store = open_store(url, schemes=SCHEMES, ledger_origin=ORIGIN, seals=SEALS)
        try:
            with store.engine.begin() as conn:
                schema = conn.execute(text("SELECT current_schema()")).scalar_one()
                conn.execute(text(f'CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA "{schema}"'))
            keys = keep_keys(store, 40)
            victim, survivor = keys[17], keys[39]
            assert postgres_holding(store, victim.wrapped) == {"rows", "tuples", "pages"}
            with store.unit_of_work() as uow:
                uow.keys.destroy(victim.item_id)
            # Committed but not vacuumed: the dead row version is still in the heap.
            assert postgres_holding(store, victim.wrapped) == {"tuples", "pages"}
            store.purge_destroyed_keys()
            assert postgres_holding(store, victim.wrapped) == set()
            assert postgres_holding(store, survivor.wrapped) == {"rows", "tuples", "pages"}
        finally:
            store.close()


def postgres_holding(store: SqlStore, needle: bytes) -> set[str]:
    """Where ``needle`` can still be read: in a row of any table of the schema (``rows``), in
    any row version of the item-key heap, live or dead (``tuples``), or in its raw pages."""
    found: set[str] = set()
    with store.engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in list(tables):
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                if any(isinstance(v, bytes | memoryview) and needle in bytes(v) for v in row):
                    found.add("rows")
        pages = conn.execute(text("SELECT pg_relation_size('item_keys') / 8192")).scalar_one()
        for page in range(int(pages)):
            raw = bytes(
                conn.execute(text("SELECT get_raw_page('item_keys', :p)"), {"p": page}).scalar_one()
            )
            if needle in raw:
                found.add("pages")
            tuples = conn.execute(
                text(
                    "SELECT t_data FROM heap_page_items(get_raw_page('item_keys', :p))"
                    " WHERE t_data IS NOT NULL"
                ),
                {"p": page},
            ).scalars()
            if any(needle in bytes(t) for t in tuples):
                found.add("tuples")
    return found
