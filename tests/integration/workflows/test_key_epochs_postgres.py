"""Crypto review M4 on PostgreSQL: destroying an item does not depend on WAL recycling.

After ``destroy``, ``VACUUM`` and a checkpoint, the destroyed item-key record can still be in
the write-ahead log (and so in archives and replicas). Once the node starts a new at-rest
epoch (``gsomia keys rotate --kind at-rest``: re-wrap, retire the old key), what the WAL kept
opens nothing with the node's keyring.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from gsomia.crypto import Envelope, ItemKey, KeyKind, open_stored
from gsomia.errors import IntegrityError
from tests.support.pg import postgres_world
from tests.support.workflows import World, ledger_events, official

pytestmark = pytest.mark.services


@pytest.fixture
def pg_world(postgres_url: str) -> Iterator[World]:
    with postgres_world(postgres_url, ("JPN", "KOR")) as world:
        yield world


def wal_holds(postgres_url: str, data: bytes) -> bool | None:
    """Whether the current WAL segment holds ``data`` (None when it cannot be read)."""
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            name = conn.execute(text("SELECT pg_walfile_name(pg_current_wal_lsn())")).scalar()
            wal = conn.execute(
                text("SELECT pg_read_binary_file('pg_wal/' || :name)"), {"name": name}
            ).scalar()
    except Exception:  # not a superuser, or another layout: nothing to look at
        return None
    finally:
        engine.dispose()
    return data in bytes(wal)


def test_a_wal_copy_of_a_destroyed_record_opens_nothing_after_a_new_epoch(
    pg_world: World, postgres_url: str
) -> None:
    w = pg_world
    item = w.provide("JPN", "KOR", contents=(b"destroy me",)).item_ids[0]
    kept = w.provide("JPN", "KOR", contents=(b"keep me",)).item_ids[0]
    w.drain()
    kor = w["KOR"]
    with kor.ctx.store.read() as uow:
        record: ItemKey = uow.keys.get(item)
        envelope = Envelope.from_bytes(uow.item(item).ciphertext)
    kor.handling.destroy(item_id=item, by=official("KOR"))
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("CHECKPOINT"))
    finally:
        admin.dispose()
    in_wal = wal_holds(postgres_url, record.wrapped)
    # Whatever the WAL (or an archive, or a replica) kept opens with the keyring so far...
    assert open_stored(keyring=kor.ctx.keyring, envelope=envelope, item_key=record) == (
        b"destroy me"
    )
    kor.keys.rotate(kinds=[KeyKind.AT_REST])
    # ...and with nothing once the at-rest epoch changed.
    with pytest.raises(IntegrityError):
        open_stored(keyring=kor.ctx.keyring, envelope=envelope, item_key=record)
    assert kor.custody.open(item_id=kept, person_id=official("KOR")) == b"keep me"
    assert {"key.rotated", "key.rewrapped", "key.retired"} <= set(ledger_events(kor))
    # Where the WAL can be read (a superuser), it shows the premise: VACUUM and CHECKPOINT
    # left the destroyed record in the log.
    assert in_wal is not False
