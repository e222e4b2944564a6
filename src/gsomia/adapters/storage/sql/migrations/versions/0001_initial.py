"""The node store's first schema: registry, items, labels, item keys, records, outbox, inbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from gsomia.adapters.storage.sql.tables import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Revision 0001 is the table set of ``tables.py`` as first released; later revisions
    # alter it with explicit operations.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
