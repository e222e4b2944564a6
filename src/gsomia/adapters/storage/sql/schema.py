"""The whole schema of a node's database at the newest revision: the store's tables
(:mod:`~gsomia.adapters.storage.sql.tables`) and its ledger's (``ledger_`` prefix).

Alembic's migrations (``migrations/``) make it; they declare their own tables as they were at
their revision, and a test holds a migrated database equal to :func:`node_schema`.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from gsomia.adapters.storage.sql import tables
from gsomia.adapters.storage.sql.ledger_tables import ledger_tables

__all__ = ["node_schema"]


def node_schema() -> MetaData:
    """A fresh :class:`MetaData` holding every table of a node's database."""
    metadata = MetaData()
    for table in tables.metadata.sorted_tables:
        table.to_metadata(metadata)
    ledger_tables(metadata)
    return metadata
