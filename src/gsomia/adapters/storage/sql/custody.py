"""The custody side of the SQL unit of work: items, their label versions, copies, and the
transitions an item goes through, each row sealed (see :mod:`gsomia.ports.state`). Bulk
inserts go through the driver's ``executemany`` (:mod:`gsomia.adapters.storage.sql._rows`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import attrgetter
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update

from gsomia.adapters.storage._shared import item_state_changes
from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._rows import chunks
from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.adapters.storage.sql.sealing import tuple_sealing
from gsomia.errors import UnknownName
from gsomia.ports.store import ItemRecord, ItemState, LabelRecord

__all__ = ["CustodyMethods"]


class CustodyMethods(UnitParts):
    """Custody reads and writes inside the unit of work's transaction."""

    def add_item(self, item: ItemRecord) -> None:
        self.add_items([item])

    def add_items(self, items: Sequence[ItemRecord]) -> None:
        if items:
            rows = self._sealed_tuples("items", [_ITEM_FIELDS(item) for item in items])
            self._insert_rows(t.items, rows, what="item")

    def item(self, item_id: str) -> ItemRecord:
        row = self._conn.execute(_ITEMS.where(t.items.c.id == item_id)).first()
        if row is None:
            raise UnknownName(kind="item", name=item_id)
        record = self._item(row)
        self.sealer.fresh("items", [row._mapping])
        return record

    def has_item(self, item_id: str) -> bool:
        return (
            self._conn.execute(select(t.items.c.id).where(t.items.c.id == item_id)).first()
            is not None
        )

    def existing_items(self, item_ids: Sequence[str]) -> set[str]:
        """Which of ``item_ids`` are stored (one query per 500 ids)."""
        found: set[str] = set()
        for chunk in chunks(list(item_ids), 500):
            found.update(self._conn.execute(_ITEM_IDS_IN, {"ids": chunk}).scalars())
        return found

    def items(
        self, *, state: ItemState | None = None, limit: int = 1000, after: str = ""
    ) -> list[ItemRecord]:
        q = _ITEMS.where(t.items.c.id > after).order_by(t.items.c.id).limit(limit)
        if state is not None:
            q = q.where(t.items.c.state == state.value)
        return [self._item(r) for r in self._conn.execute(q)]

    def count_items(self, *, state: ItemState | None = None) -> int:
        q = select(func.count()).select_from(t.items)
        if state is not None:
            q = q.where(t.items.c.state == state.value)
        return int(self._conn.execute(q).scalar_one())

    def set_item_state(
        self,
        item_id: str,
        state: ItemState,
        *,
        label_digest: str | None = None,
        holder_level_ref: str | None = None,
        purpose_lapsed: bool | None = None,
    ) -> None:
        changes = item_state_changes(
            label_digest=label_digest,
            holder_level_ref=holder_level_ref,
            purpose_lapsed=purpose_lapsed,
        )
        self._update_item(item_id, {"state": state.value, **changes})

    def _update_item(self, item_id: str, values: dict[str, Any]) -> None:
        if not self.sealer.update("items", item_id, values):
            raise UnknownName(kind="item", name=item_id)

    def reseal_item(self, item_id: str, *, ciphertext: bytes, binding: bytes) -> None:
        self._update_item(item_id, {"ciphertext": ciphertext, "binding": binding})

    def erase_ciphertext(self, item_id: str) -> None:
        self._conn.execute(update(t.items).where(t.items.c.id == item_id).values(ciphertext=b""))

    def add_label(self, label: LabelRecord) -> None:
        self.add_labels([label])

    def add_labels(self, labels: Sequence[LabelRecord]) -> None:
        if labels:
            rows = self._sealed_tuples("labels", [_LABEL_FIELDS(label) for label in labels])
            self._insert_rows(t.labels, rows, what="label")

    def labels(self, item_id: str) -> list[LabelRecord]:
        rows = self._conn.execute(
            select(t.labels).where(t.labels.c.item_id == item_id).order_by(t.labels.c.revision)
        )
        return [
            LabelRecord(
                digest=r.digest,
                item_id=r.item_id,
                revision=r.revision,
                label=r.label,
                recorded_at=r.recorded_at,
            )
            for r in rows
            if self.sealer.checked("labels", r._mapping)
        ]

    def next_copy_number(self, parent_id: str) -> int:
        q = select(func.max(t.items.c.copy_number)).where(t.items.c.parent_id == parent_id)
        return int(self._conn.execute(q).scalar() or 0) + 1

    def copies(self, parent_id: str) -> list[ItemRecord]:
        q = _ITEMS.where(t.items.c.parent_id == parent_id).order_by(
            t.items.c.copy_number, t.items.c.id
        )
        return [self._item(r) for r in self._conn.execute(q)]

    def set_item_facility(self, item_id: str, facility_id: str) -> None:
        self._update_item(item_id, {"facility_id": facility_id})

    def remark_item(
        self, item_id: str, *, label_digest: str, level_ref: str, holder_level_ref: str
    ) -> None:
        self._update_item(
            item_id,
            {
                "label_digest": label_digest,
                "level_ref": level_ref,
                "holder_level_ref": holder_level_ref,
            },
        )

    def _item(self, row: Any) -> ItemRecord:
        """An item from its sealed row, with its current label version's sealed bytes."""
        self.sealer.checked("items", row._mapping)
        if row.label_bytes is None:
            return _item(row, b"")
        label = {
            "item_id": row.id,
            "revision": row.label_revision,
            "digest": row.label_digest,
            "label": bytes(row.label_bytes),
            "recorded_at": row.label_recorded_at,
            "seal": row.label_seal,
        }
        self.sealer.checked("labels", label)
        return _item(row, label["label"])

    def _sealed_tuples(self, table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Rows given as tuples of every column but the seal, each with its seal added (the
        rows sealed a batch at a time)."""
        seals = self.sealer.seal_many(table, list(map(_SEALING[table], rows)))
        return [(*row, seal) for row, seal in zip(rows, seals, strict=True)]


_TUPLE_COLUMNS = {
    "items": tuple(c.name for c in t.items.columns if c.name != "seal"),
    "labels": tuple(c.name for c in t.labels.columns if c.name != "seal"),
}
_SEALING = {table: tuple_sealing(table, names) for table, names in _TUPLE_COLUMNS.items()}
_ITEM_FIELDS = attrgetter(*_TUPLE_COLUMNS["items"])
_LABEL_FIELDS = attrgetter(*_TUPLE_COLUMNS["labels"])


#: Which of some item ids are stored: built once, so a transfer's check of its thousand ids
#: pays for executing it, not for compiling a thousand bound values again.
_ITEM_IDS_IN = select(t.items.c.id).where(t.items.c.id.in_(bindparam("ids", expanding=True)))

#: Items with their current label version (the one whose digest the row names).
_ITEMS = select(
    t.items,
    t.labels.c.label.label("label_bytes"),
    t.labels.c.revision.label("label_revision"),
    t.labels.c.recorded_at.label("label_recorded_at"),
    t.labels.c.seal.label("label_seal"),
).outerjoin(
    t.labels, and_(t.labels.c.item_id == t.items.c.id, t.labels.c.digest == t.items.c.label_digest)
)


def _item(r: Any, label: bytes) -> ItemRecord:
    review: date | None = r.review_on
    return ItemRecord(
        id=r.id,
        agreement_id=r.agreement_id,
        originator=r.originator,
        holder=r.holder,
        state=ItemState(r.state),
        topic=r.topic,
        purpose=r.purpose,
        level_ref=r.level_ref,
        holder_level_ref=r.holder_level_ref,
        label_digest=r.label_digest,
        provided_at=r.provided_at,
        recorded_at=r.recorded_at,
        review_on=review,
        facility_id=r.facility_id,
        ciphertext=bytes(r.ciphertext),
        binding=bytes(r.binding),
        kind=r.kind,
        parent_id=r.parent_id,
        copy_number=r.copy_number,
        purpose_lapsed=bool(r.purpose_lapsed),
        label=label,
    )
