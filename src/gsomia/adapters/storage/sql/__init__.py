"""The node store on SQLAlchemy Core 2: SQLite (the embedded default, WAL) and PostgreSQL."""

from gsomia.adapters.storage.sql.store import SqlStore, open_store

__all__ = ["SqlStore", "open_store"]
