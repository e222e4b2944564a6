"""One suite, every ledger store: memory, SQLite and PostgreSQL (ports/ledger.py contract)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from gsomia.adapters.storage.memory_ledger import MemoryLedgerStore
from gsomia.adapters.storage.sql.ledger import SqlLedgerStore, sqlite_engine
from gsomia.crypto.signed_notes import generate_signer_key, parse_signer_key
from gsomia.errors import ConflictError, InputError, UnknownName
from gsomia.ledger import merkle
from gsomia.ledger.checkpoint import Checkpoint, sign_checkpoint
from gsomia.ports.ledger import AlarmRecord, LedgerStore, WitnessRecord

ORIGIN = "jpn.gsomia.example/ledger"
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SIGNER = parse_signer_key(generate_signer_key(ORIGIN, seed=b"\x11" * 32)[0])


def data(i: int) -> bytes:
    return f"entry {i} ".encode() * (1 + i % 5)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    if request.param == "memory":
        yield MemoryLedgerStore(origin=ORIGIN, tile_cache=4)
        return
    if request.param == "sqlite":
        sql = SqlLedgerStore.open_sqlite(tmp_path / "node.db", origin=ORIGIN, tile_cache=4)
        yield sql
        sql.close()
        return
    url = request.getfixturevalue("postgres_url")
    sql = SqlLedgerStore(
        create_engine(url), origin=ORIGIN, prefix=f"t{uuid.uuid4().hex[:10]}_", tile_cache=4
    )
    sql.create_schema()
    try:
        yield sql
    finally:
        sql.drop_schema()
        sql.close()


def fill(store: LedgerStore, n: int, batch: int = 97) -> list[bytes]:
    entries = [data(i) for i in range(store.size(), store.size() + n)]
    for at in range(0, n, batch):
        store.append_batch(entries[at : at + batch])
    return entries


def test_an_empty_log(store: LedgerStore) -> None:
    assert store.origin == ORIGIN
    assert (store.size(), store.integrated_size(), store.integrate()) == (0, 0, 0)
    assert store.root(0) == merkle.EMPTY_ROOT
    assert store.entries(0, 0) == [] and store.find("x") == []
    assert store.checkpoints() == [] and store.latest_checkpoint() is None
    assert store.witnessed("kor") is None and store.alarms() == []


def test_appends_are_dense_and_read_back(store: LedgerStore) -> None:
    assert store.append_batch([b"a", b"b"], keys=["k1", None]) == 0
    assert store.append_batch([b"c"], keys=["k1"]) == 2
    assert store.append_batch([]) == 3
    assert store.size() == 3
    assert store.entries(0, 3) == [b"a", b"b", b"c"] and store.entries(1, 2) == [b"b"]
    assert list(store.iter_entries(1)) == [b"b", b"c"]
    assert store.leaf_hashes(0, 3) == [merkle.leaf_hash(x) for x in (b"a", b"b", b"c")]
    assert store.find("k1") == [0, 2] and store.find("k2") == []
    with pytest.raises(IndexError):
        store.entries(2, 4)


def test_expect_size_makes_retries_safe(store: LedgerStore) -> None:
    store.append_batch([b"a"], expect_size=0)
    with pytest.raises(ConflictError):
        store.append_batch([b"a"], expect_size=0)
    assert store.size() == 1


def test_a_bad_batch_appends_nothing(store: LedgerStore) -> None:
    store.append_batch([b"a"])
    with pytest.raises(InputError):
        store.append_batch([b"ok", b"x" * 70_000])
    with pytest.raises(InputError):
        store.append_batch([b"ok"], keys=[])
    assert store.size() == 1 and store.entries(0, 1) == [b"a"]


def test_the_tree_follows_the_entries_across_tile_boundaries(store: LedgerStore) -> None:
    entries = fill(store, 600)
    assert store.integrated_size() == 0
    with pytest.raises(IndexError):
        store.root(1)
    assert store.integrate() == 600 and store.integrate() == 600
    hashes = [merkle.leaf_hash(e) for e in entries]
    for size in (1, 255, 256, 257, 512, 599, 600):
        assert store.root(size) == merkle.root(hashes[:size])
    every = merkle.all_inclusion_proofs(hashes)
    for index in (0, 255, 256, 511, 599):
        assert store.inclusion_proof(index, 600) == every[index]
    for old in (0, 1, 256, 300, 600):
        assert store.consistency_proof(old, 600) == merkle.consistency_proof(hashes, old)
    more = fill(store, 300, batch=300)
    assert store.integrate() == 900
    assert store.root(900) == merkle.root(hashes + [merkle.leaf_hash(e) for e in more])
    assert store.entries(598, 602) == entries[598:] + more[:2]


def test_tiles_are_read_as_tlog_tiles_lay_them_out(store: LedgerStore) -> None:
    entries = fill(store, 600)
    store.integrate()
    hashes = [merkle.leaf_hash(e) for e in entries]
    assert store.read_tile(0, 0) == b"".join(hashes[:256])
    assert store.read_tile(0, 2) == b"".join(hashes[512:600])
    level1 = [merkle.root(hashes[:256]), merkle.root(hashes[256:512])]
    assert store.read_tile(1, 0) == b"".join(level1)
    assert store.read_tile(1, 1) == b"" and store.read_tile(0, 9) == b""


def note(size: int, root: bytes = b"\x01" * 32) -> str:
    return sign_checkpoint(Checkpoint(origin=ORIGIN, size=size, root=root), SIGNER).to_text()


def test_checkpoints_are_facts(store: LedgerStore) -> None:
    store.add_checkpoint(size=5, note=note(5), created_at=T0)
    store.add_checkpoint(size=2, note=note(2), created_at=T0)
    store.add_checkpoint(size=5, note=note(5), created_at=T0 + timedelta(hours=1))
    with pytest.raises(ConflictError):
        store.add_checkpoint(size=5, note=note(5, b"\x02" * 32), created_at=T0)
    assert [c.size for c in store.checkpoints()] == [2, 5]
    latest = store.latest_checkpoint()
    assert latest is not None and latest.note == note(5) and latest.created_at == T0
    store.add_cosignature(size=5, cosigner="w1", line="— w1 AAAA\n")
    store.add_cosignature(size=5, cosigner="w1", line="— w1 AAAA\n")
    store.add_cosignature(size=5, cosigner="w2", line="— w2 BBBB\n")
    with pytest.raises(UnknownName):
        store.add_cosignature(size=4, cosigner="w1", line="— w1 AAAA\n")
    assert store.checkpoints()[1].cosignatures == ("— w1 AAAA\n", "— w2 BBBB\n")


def test_witness_state_is_a_compare_and_set(store: LedgerStore) -> None:
    first = WitnessRecord(origin="kor", size=3, root=b"\x03" * 32, note="n3", cosigned_at=T0)
    store.record_witnessed(first, previous_size=None)
    with pytest.raises(ConflictError):
        store.record_witnessed(first, previous_size=None)
    later = WitnessRecord(origin="kor", size=9, root=b"\x09" * 32, note="n9", cosigned_at=T0)
    with pytest.raises(ConflictError):
        store.record_witnessed(later, previous_size=4)
    store.record_witnessed(later, previous_size=3)
    assert store.witnessed("kor") == later
    for finding in ("fork", "rollback"):
        store.add_alarm(
            AlarmRecord(raised_at=T0, origin="kor", finding=finding, message="m", evidence="{}")
        )
    assert [a.finding for a in store.alarms()] == ["fork", "rollback"]


def test_concurrent_appends_are_sequenced_without_loss(store: LedgerStore) -> None:
    errors: list[BaseException] = []

    def writer(tag: int) -> None:
        try:
            for i in range(10):
                store.append_batch([f"{tag}-{i}-{j}".encode() for j in range(7)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    entries = store.entries(0, store.size())
    assert len(entries) == len(set(entries)) == 280
    for tag in range(4):
        mine = [e for e in entries if e.startswith(f"{tag}-".encode())]
        assert mine == [f"{tag}-{i}-{j}".encode() for i in range(10) for j in range(7)]
    assert store.integrate() == 280
    assert store.root(280) == merkle.root([merkle.leaf_hash(e) for e in entries])


@pytest.fixture(params=["sqlite", "postgres"])
def sql(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlLedgerStore]:
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "node.db")
        prefix = "ledger_"
    else:
        engine = create_engine(request.getfixturevalue("postgres_url"))
        prefix = f"t{uuid.uuid4().hex[:10]}_"
    store = SqlLedgerStore(engine, origin=ORIGIN, prefix=prefix)
    store.create_schema()
    try:
        yield store
    finally:
        if request.param == "postgres":
            store.drop_schema()
        store.close()


def test_sql_appends_join_the_callers_transaction(sql: SqlLedgerStore) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), sql.engine.begin() as conn:
        sql.append_batch([b"rolled back"], conn=conn)
        raise Abort
    assert sql.size() == 0
    with sql.engine.begin() as conn:
        assert sql.append_batch([b"kept", b"too"], conn=conn) == 0
        sql.integrate(conn=conn)
    assert sql.entries(0, 2) == [b"kept", b"too"] and sql.integrated_size() == 2
    with sql.engine.begin() as conn, pytest.raises(ConflictError):
        sql.append_batch([b"stale"], expect_size=0, conn=conn)
    assert sql.size() == 2 and sql.entries(0, 2) == [b"kept", b"too"]


def test_sql_state_survives_reopening(sql: SqlLedgerStore) -> None:
    fill(sql, 300)
    sql.integrate()
    sql.add_checkpoint(size=300, note=note(300), created_at=T0)
    again = SqlLedgerStore(sql.engine, origin=ORIGIN, prefix=sql.prefix)
    assert again.size() == 300 and again.integrated_size() == 300
    assert again.root(300) == sql.root(300)
    assert SqlLedgerStore.origins(sql.engine, prefix=sql.prefix) == [ORIGIN]


def test_sqlite_normal_mode_still_syncs_checkpoints(tmp_path: Path) -> None:
    store = SqlLedgerStore.open_sqlite(tmp_path / "n.db", origin=ORIGIN, synchronous="NORMAL")
    fill(store, 10)
    store.add_checkpoint(size=10, note=note(10), created_at=T0)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    assert store.latest_checkpoint() is not None
    store.close()
