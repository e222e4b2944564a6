"""The node store's first schema: registry, items, labels, item keys, records, outbox, inbox.

The tables are declared here as they stood when this revision was first released (labels
keyed by digest, the inbox by message id alone, no seals); later revisions alter them with
explicit operations, so a new database passes through every revision a released one did.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TABLES = (
    "facilities",
    "persons",
    "registrations",
    "items",
    "labels",
    "item_keys",
    "records",
    "outbox",
    "inbox",
)


def _id() -> sa.String:
    return sa.String(64)


def _ref() -> sa.String:
    return sa.String(48)


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("party", sa.String(3), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("contractor", sa.Text),
    )
    op.create_table(
        "persons",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("party", sa.String(3), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("clearance_ref", _ref()),
        sa.Column("clearance_granted_on", sa.Date),
        sa.Column("clearance_expires_on", sa.Date),
        sa.Column("need_to_know", sa.Text, nullable=False),
        sa.Column("rank", sa.Text, nullable=False),
        sa.Column("nationality", sa.String(3), nullable=False),
    )
    op.create_table(
        "registrations",
        sa.Column("facility_id", _id(), primary_key=True),
        sa.Column("person_id", _id(), primary_key=True),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("agreement_id", _id(), nullable=False),
        sa.Column("originator", sa.String(3), nullable=False),
        sa.Column("holder", sa.String(3), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("topic", _id(), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("level_ref", _ref(), nullable=False),
        sa.Column("holder_level_ref", _ref(), nullable=False),
        sa.Column("label_digest", sa.String(71), nullable=False),
        sa.Column("provided_at", _time(), nullable=False),
        sa.Column("recorded_at", _time(), nullable=False),
        sa.Column("review_on", sa.Date),
        sa.Column("facility_id", _id()),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("binding", sa.LargeBinary, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.String(32)),
        sa.Column("copy_number", sa.Integer),
        sa.Column("purpose_lapsed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_items_state", "items", ["state"])
    op.create_index("ix_items_parent", "items", ["parent_id"])
    op.create_table(
        "labels",
        sa.Column("digest", sa.String(71), primary_key=True),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("label", sa.LargeBinary, nullable=False),
        sa.Column("recorded_at", _time(), nullable=False),
        sa.UniqueConstraint("item_id", "revision"),
    )
    op.create_table(
        "item_keys",
        sa.Column("item_id", sa.String(32), primary_key=True),
        sa.Column("key_id", sa.LargeBinary, nullable=False),
        sa.Column("record", sa.LargeBinary),
    )
    op.create_index("ix_item_keys_key", "item_keys", ["key_id"])
    op.create_table(
        "records",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("id", _id(), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(32)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
    )
    op.create_index("ix_records_item", "records", ["kind", "item_id"])
    op.create_table(
        "outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("id", _id(), nullable=False, unique=True),
        sa.Column("destination", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _time()),
        sa.Column("last_error", sa.Text, nullable=False),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "inbox",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("sender", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("received_at", _time(), nullable=False),
        sa.Column("reply", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
