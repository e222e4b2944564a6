"""The workflow records of the SQL unit of work: versioned, sealed, the newest version of
each record the current one."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from gsomia.adapters.storage.sql import statements as st
from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.adapters.storage.sql.sealing import starting
from gsomia.errors import ConflictError, UnknownName
from gsomia.ports.store import WorkflowRecord

__all__ = ["RecordsMethods"]


class RecordsMethods(UnitParts):
    """Workflow record reads and writes inside the unit of work's transaction."""

    def put_record(self, record: WorkflowRecord) -> None:
        latest = self._latest_version(record.kind, record.id)
        if record.version != latest + 1:
            raise ConflictError(
                f"{record.kind} {record.id}: version {record.version} is stale (latest is {latest})"
            )
        row = {
            "kind": record.kind,
            "id": record.id,
            "version": record.version,
            "state": record.state,
            "item_id": record.item_id,
            "body": json.dumps(record.body, sort_keys=True, ensure_ascii=False),
            "document": record.document,
            "updated_at": record.updated_at,
        }
        self._insert(t.records, [self._sealed("records", row)], what=f"{record.kind} {record.id}")

    def _latest_version(self, kind: str, record_id: str) -> int:
        q = select(func.max(t.records.c.version)).where(
            t.records.c.kind == kind, t.records.c.id == record_id
        )
        return int(self._conn.execute(q).scalar() or 0)

    def record(self, kind: str, record_id: str) -> WorkflowRecord:
        row = self._conn.execute(st.RECORD, {"kind": kind, "id": record_id}).first()
        if row is None:
            raise UnknownName(kind=kind, name=record_id)
        self.sealer.fresh("records", [self.sealer.checked("records", row._mapping)])
        return _record(row)

    def records(
        self,
        kind: str,
        *,
        item_id: str | None = None,
        state: str | None = None,
        prefix: str | None = None,
    ) -> list[WorkflowRecord]:
        q = st.records_of(of_item=item_id is not None, under=prefix is not None)
        values = {"kind": kind, "item_id": item_id}
        if prefix is not None:
            values["pattern"] = starting(prefix)
        latest: dict[str, Any] = {}
        for row in self._conn.execute(q, values):
            latest[row.id] = row._mapping
        rows = [self.sealer.checked("records", r) for r in latest.values()]
        self.sealer.fresh("records", rows)
        out = [_record_of(r) for r in rows]
        return [r for r in out if state is None or r.state == state]


def _record(r: Any) -> WorkflowRecord:
    return _record_of(r._mapping)


def _record_of(r: Any) -> WorkflowRecord:
    return WorkflowRecord(
        kind=r["kind"],
        id=r["id"],
        state=r["state"],
        body=json.loads(r["body"]),
        updated_at=r["updated_at"],
        version=r["version"],
        item_id=r["item_id"],
        document=bytes(r["document"]),
    )
