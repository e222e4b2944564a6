"""Table definitions of the node store (the newest schema revision, see ``migrations/``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware instants stored in UTC on every dialect; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the store")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

_ID = String(64)
_REF = String(48)
_TS = UtcDateTime()

facilities = Table(
    "facilities",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("party", String(3), nullable=False),
    Column("name", Text, nullable=False),
    Column("contractor", Text),
    Column("seal", LargeBinary),  # state-v1 (gsomia.ports.state)
)

persons = Table(
    "persons",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("party", String(3), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("clearance_ref", _REF),
    Column("clearance_granted_on", Date),
    Column("clearance_expires_on", Date),
    Column("need_to_know", Text, nullable=False),  # JSON list
    Column("rank", Text, nullable=False),
    Column("nationality", String(3), nullable=False),
    Column("seal", LargeBinary),  # state-v1 (gsomia.ports.state)
)

registrations = Table(
    "registrations",
    metadata,
    Column("facility_id", _ID, primary_key=True),
    Column("person_id", _ID, primary_key=True),
    Column("seal", LargeBinary),  # state-v1 (gsomia.ports.state)
)

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("agreement_id", _ID, nullable=False),
    Column("originator", String(3), nullable=False),
    Column("holder", String(3), nullable=False),
    Column("state", String(16), nullable=False),
    Column("topic", _ID, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("level_ref", _REF, nullable=False),
    Column("holder_level_ref", _REF, nullable=False),
    Column("label_digest", String(71), nullable=False),
    Column("provided_at", _TS, nullable=False),
    Column("recorded_at", _TS, nullable=False),
    Column("review_on", Date),
    Column("facility_id", _ID),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("binding", LargeBinary, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_id", String(32)),
    Column("copy_number", Integer),
    Column("purpose_lapsed", Boolean, nullable=False),
    Column("seal", LargeBinary),  # state-v1 (gsomia.ports.state)
    Index("ix_items_state", "state"),
    Index("ix_items_parent", "parent_id"),
)

# Keyed by (item, revision), not by digest: item ids are time-ordered, so a transfer's
# labels land at the index's right-hand edge (revision 0002).
labels = Table(
    "labels",
    metadata,
    Column("digest", String(71), nullable=False),
    Column("item_id", String(32), nullable=False),
    Column("revision", Integer, nullable=False, autoincrement=False),
    Column("label", LargeBinary, nullable=False),
    Column("recorded_at", _TS, nullable=False),
    Column("seal", LargeBinary),  # state-v1 (gsomia.ports.state)
    PrimaryKeyConstraint("item_id", "revision"),
)

item_keys = Table(
    "item_keys",
    metadata,
    Column("item_id", String(32), primary_key=True),
    Column("key_id", LargeBinary, nullable=False),
    Column("record", LargeBinary),  # NULL once destroyed: the tombstone keeps only the id
    Index("ix_item_keys_key", "key_id"),
)

records = Table(
    "records",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("id", _ID, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("state", String(32), nullable=False),
    Column("item_id", String(32)),
    Column("body", Text, nullable=False),  # JSON object
    Column("document", LargeBinary, nullable=False),
    Column("updated_at", _TS, nullable=False),
    Column("seal", LargeBinary),  # state-v1 (gsomia.ports.state)
    Index("ix_records_item", "kind", "item_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", _ID, nullable=False, unique=True),
    Column("destination", String(3), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", _TS),
    Column("last_error", Text, nullable=False),
    # The batched transfer a queued transfer was joined into (revision 0008).
    Column("batch", _ID),
    Index("ix_outbox_due", "state", "next_attempt_at"),
    Index("ix_outbox_batch", "batch"),
)

# Keyed by (sender, id): a message id is its sender's, not unique across partners (0003).
inbox = Table(
    "inbox",
    metadata,
    Column("sender", String(3), primary_key=True),
    Column("id", _ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("received_at", _TS, nullable=False),
    Column("reply", LargeBinary, nullable=False),
)

# A frame stream's sender counter or receiver floor (revision 0004); see frames.py.
frame_states = Table(
    "frame_states",
    metadata,
    Column("role", String(8), primary_key=True),
    Column("stream", String(80), primary_key=True),
    Column("item_id", String(32)),
    Column("epoch", BigInteger, nullable=False),
    Column("value", BigInteger, nullable=False),
)

# How many data keys each at-rest key has wrapped: its nonce budget (revision 0005).
key_uses = Table(
    "key_uses",
    metadata,
    Column("key_id", LargeBinary, primary_key=True),
    Column("count", BigInteger, nullable=False),
)

# Every sealed write, in order; the ledger entry ``entry`` accounts for each unit of work's
# rows by digest (revision 0006, gsomia.ports.state).
state_journal = Table(
    "state_journal",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("entry", BigInteger, nullable=False),
    Column("tbl", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("seal", LargeBinary),
    Index("ix_state_journal_row", "tbl", "key", "version", "seq"),
    Index("ix_state_journal_entry", "entry", "seq"),
)

#: Idempotency keys of creating requests, each recorded in the unit of work of its act, with
#: the answer given (``status`` NULL until it is kept). Kept for a day, then purged.
request_keys = Table(
    "request_keys",
    metadata,
    Column("scope", _ID, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("status", Integer),
    Column("media_type", String(100), nullable=False),
    Column("answer", LargeBinary, nullable=False),
    Index("ix_request_keys_created", "created_at"),
)

# Token buckets of the request limits, shared by the worker processes of a node (0009).
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("at", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
)
