"""Transfers in bulk: their items on the wire, and the records and ledger entries of their
items made a batch at a time.

A transfer (JK-9.1) carries up to a thousand sealed items. In message-v2 each item is two
binary parts, its envelope then its binding, and the body says how many items there are;
message-v1 transfers (base64 in the JSON body) are still read, since single-item workflows
send them. The ledger records one or two entries per item, alike but for the item and a
digest or two, so they are made from one validated entry per group of alike items
(:meth:`gsomia.ledger.entries.LedgerEntry.batch`), in the items' order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from typing import Any

from gsomia.core.decisions import Decision
from gsomia.core.labels import Label
from gsomia.core.unchecked import builder
from gsomia.crypto import Binding, Envelope
from gsomia.errors import InputError
from gsomia.formats.messages import Message, unb64
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import ItemRecord, ItemState, LabelRecord
from gsomia.services.plumbing.context import NodeContext

__all__ = [
    "entries_by_template",
    "item_record",
    "label_row",
    "receipt_entries",
    "transfer_body",
    "transfer_items",
]

_logger = logging.getLogger(__name__)


def transfer_body(
    envelopes: Sequence[Envelope], bindings: Sequence[Binding]
) -> tuple[dict[str, Any], tuple[bytes, ...]]:
    """The body and the parts of a message-v2 transfer of these items."""
    parts = [
        part
        for envelope, binding in zip(envelopes, bindings, strict=True)
        for part in (envelope.to_bytes(), binding.to_bytes())
    ]
    return {"items": len(envelopes)}, tuple(parts)


def transfer_items(message: Message) -> list[tuple[bytes, bytes]]:
    """The envelope and binding bytes of each item a transfer carries, in order.

    Reads message-v2 parts, or message-v1 base64 in the body. Raises :class:`InputError`
    when the body does not describe a non-empty list of items.
    """
    raw = message.body.get("items")
    parts = message.parts
    if parts:
        count = len(parts) // 2
        if isinstance(raw, bool) or raw != count or count == 0 or len(parts) % 2:
            raise InputError("transfer: 'items' must count the envelope and binding parts")
        return list(zip(parts[0::2], parts[1::2], strict=True))
    if not isinstance(raw, list) or not raw:
        raise InputError("transfer: 'items' must be a non-empty list")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InputError(f"transfer item {i}: an object with envelope and binding expected")
        out.append(
            (
                unb64(item.get("envelope"), what=f"item {i} envelope"),
                unb64(item.get("binding"), what=f"item {i} binding"),
            )
        )
    return out


def entries_by_template(
    groups: Sequence[Hashable],
    make: Callable[[int], LedgerEntry],
    *,
    item_ids: Sequence[str],
    details: Mapping[str, Sequence[str]],
) -> list[LedgerEntry]:
    """One entry per item, in order: ``make(i)`` for the first item of each group, and the
    rest of the group spliced from it with their own item ids and ``details`` values.

    Items in one group must differ only in those; raises :class:`InputError` as
    :meth:`LedgerEntry.batch` does.
    """
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    out: list[LedgerEntry | None] = [None] * len(groups)
    for indices in members.values():
        batch = LedgerEntry.batch(
            make(indices[0]),
            item_ids=[item_ids[i] for i in indices],
            details={key: [column[i] for i in indices] for key, column in details.items()},
        )
        for index, entry in zip(indices, batch, strict=True):
            out[index] = entry
    return [entry for entry in out if entry is not None]


def receipt_entries(
    ctx: NodeContext,
    message: Message,
    received: list[Label],
    *,
    digests: tuple[list[str], list[str]],
    levels: list[str],
    decisions: list[Decision],
    now: datetime,
) -> list[tuple[LedgerEntry, ...]]:
    """Each item's ``item.received`` and ``item.marked`` entries, made a batch at a time,
    citing the rules' decision to take it (its marking included); ``digests`` are the
    received labels' and the re-marked labels'."""
    ids = [label.item_id for label in received]
    was, now_is = digests

    def receipt(i: int) -> LedgerEntry:
        label = received[i]
        return ctx.entry(
            event=Event.ITEM_RECEIVED,
            agreement_id=label.agreement_id,
            at=now,
            item_id=label.item_id,
            decision=decisions[i],
            label=was[i],
            counterparty=message.sender,
            transfer=message.id,
            facility=ctx.default_facility,
        )

    def marking(i: int) -> LedgerEntry:
        label = received[i]
        return ctx.entry(
            event=Event.ITEM_MARKED,
            agreement_id=label.agreement_id,
            at=now,
            item_id=label.item_id,
            decision=decisions[i],
            label=now_is[i],
            previous_label=was[i],
            equivalent_level=levels[i],
        )

    agreements = [
        (label.agreement_id, d.rule_ids) for label, d in zip(received, decisions, strict=True)
    ]
    receipts = entries_by_template(agreements, receipt, item_ids=ids, details={"label": was})
    markings = entries_by_template(
        list(zip(agreements, levels, strict=True)),
        marking,
        item_ids=ids,
        details={"label": now_is, "previous_label": was},
    )
    return list(zip(receipts, markings, strict=True))


# Records of items whose labels were validated are built without re-running ``__init__``.
_new_label_row = builder(LabelRecord)
_new_record = builder(ItemRecord)


def label_row(label: Label, digest: str, now: datetime) -> LabelRecord:
    """A label version as the store keeps it; ``digest`` is the label's."""
    return _new_label_row(
        digest=digest,
        item_id=label.item_id,
        revision=label.revision,
        label=label.canonical_bytes(),
        recorded_at=now,
    )


def item_record(
    label: Label,
    *,
    holder: str,
    state: ItemState,
    holder_level: str,
    now: datetime,
    stored: bytes,
    binding: bytes,
    label_digest: str,
    facility: str | None = None,
) -> ItemRecord:
    """The record of an item as this node keeps it, under its current label version (whose
    digest is ``label_digest``)."""
    return _new_record(
        id=label.item_id,
        agreement_id=label.agreement_id,
        originator=label.originator,
        holder=holder,
        state=state,
        topic=label.topic,
        purpose=label.purpose,
        level_ref=label.level,
        holder_level_ref=holder_level,
        label_digest=label_digest,
        provided_at=label.created_at,
        recorded_at=now,
        review_on=label.review_on,
        facility_id=facility,
        ciphertext=stored,
        binding=binding,
        kind="original",
        parent_id=None,
        copy_number=None,
        purpose_lapsed=False,
        label=b"",
    )
