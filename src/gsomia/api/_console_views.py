"""What each page of the web console shows, read from the node: markings and custody only.

Every function returns plain values for a template and the levels the page shows (for its
banner), each in the node's own scheme. Nothing here reads an item's content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gsomia.api._throttle import Verification
from gsomia.api.banners import Banner, marking
from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.labels import Label
from gsomia.core.people import Person
from gsomia.core.rules import Act
from gsomia.errors import GsomiaError
from gsomia.ports.store import ItemRecord, LabelRecord
from gsomia.services.node import Node
from gsomia.services.plumbing.views import agreement_view, status_view
from gsomia.services.what_if import WhatIfService

__all__ = [
    "PAGE_SIZE",
    "ItemRow",
    "Page",
    "agreement_page",
    "audit_page",
    "item_page",
    "items_page",
    "overview_page",
]

_logger = logging.getLogger(__name__)

#: Items on one page of the items list.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """What a page shows (``context``) and the levels of the items it shows."""

    context: dict[str, Any]
    levels: tuple[Level, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRow:
    """One item as the list shows it: custody and its marking, never its content."""

    id: str
    agreement: str
    originator: str
    level: Level
    marking: Banner
    state: str
    topic: str
    provided_at: str


def own_level(node: Node, agreement: Agreement, ref: str) -> Level:
    """The level of ``ref`` in the node's own scheme (through the agreement's table).

    A reference that cannot be placed in the node's scheme is shown at the scheme's highest
    level: a page is over-marked rather than under-marked.
    """
    try:
        level = agreement.schemes.parse(ref)
        if level.party == node.party:
            return level
        return agreement.equivalent(level, for_party=node.party)
    except GsomiaError as exc:
        _logger.warning("cannot place %s in %s's scheme: %s", ref, node.party, exc)
        return max(node.ctx.files.schemes.scheme(node.party))


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ") if at is not None else ""


def _row(node: Node, record: ItemRecord) -> ItemRow:
    level = own_level(node, node.ctx.agreement(record.agreement_id), record.holder_level_ref)
    return ItemRow(
        id=record.id,
        agreement=record.agreement_id,
        originator=record.originator,
        level=level,
        marking=marking(level),
        state=record.state.value,
        topic=record.topic,
        provided_at=when(record.provided_at),
    )


def overview_page(node: Node, person: Person) -> Page:
    """The node's party, the person, agreements and their status now; the inventory,
    outbox and ledger for those who may see the ledger."""
    now = node.ctx.clock.now()
    policy = WhatIfService(node.ctx.agreements)
    mine = [a for a in policy.agreements() if node.party in a.party_codes]
    statuses = [(a, status_view(policy.status(a.id, on=now.isoformat()))) for a in mine]
    summary = node.overview.summary_for(viewer=person.id)
    clearance = person.clearance.level if person.clearance else None
    context: dict[str, Any] = {
        "now": when(now),
        "person": person,
        "clearance": str(clearance) if clearance else "none",
        "agreements": statuses,
        "summary": summary is not None,
    }
    if summary is not None:
        latest = summary.checkpoint
        context |= {
            "counts": summary.items,
            "total": sum(summary.items.values()),
            "outbox": summary.outbox,
            "ledger_size": summary.ledger_size,
            "checkpoint": latest,
            "checkpoint_at": when(latest.created_at if latest else None),
            "alarms": summary.alarms,
        }
    return Page(context=context)


def items_page(node: Node, person: Person, *, after: str) -> Page:
    """A page of the items whose markings ``person`` may see, by id after the cursor
    ``after``, and the cursor of the next page."""
    records = node.queries.items(viewer=person.id, after=after, limit=PAGE_SIZE + 1)
    rows = [_row(node, r) for r in records[:PAGE_SIZE]]
    more = len(records) > PAGE_SIZE
    return Page(
        context={"rows": rows, "after": after, "next": rows[-1].id if more else None},
        levels=tuple(r.level for r in rows),
    )


def _label_view(node: Node, agreement: Agreement, row: LabelRecord) -> dict[str, Any]:
    label = Label.from_bytes(row.label)
    level = own_level(node, agreement, label.equivalent_for(node.party) or label.level)
    return {
        "revision": row.revision,
        "digest": row.digest,
        "recorded_at": when(row.recorded_at),
        "level": _native(agreement, label.level),
        "own": level,
        "marking": marking(level),
        "marked_by": label.marker,
        "created_at": when(label.created_at),
        "review_on": label.review_on.isoformat(),
        "releasable_to": ", ".join(label.releasable_to),
        "supersedes": label.supersedes or "",
    }


def _native(agreement: Agreement, ref: str) -> str:
    try:
        return f"{agreement.schemes.parse(ref)} [{ref}]"
    except GsomiaError:
        return ref


def item_page(node: Node, person: Person, item_id: str) -> Page:
    """One item's record and the label versions whose marking the person may see, for a
    person cleared for its marking (refused and recorded otherwise), and the ledger entries
    about it for security officers, and the facilities to place or copy it at for those who
    may see the registry."""
    detail = node.queries.item(viewer=person.id, item_id=item_id)
    record, labels = detail.record, detail.labels
    facilities = node.queries.facilities(viewer=person.id)
    agreement = node.ctx.agreement(record.agreement_id)
    others = [p for p in agreement.party_codes if p != node.party]
    row = _row(node, record)
    versions = [_label_view(node, agreement, x) for x in labels]
    entries = _entries(node, person, item_id)
    return Page(
        context={
            "item": record,
            "row": row,
            "level": _native(agreement, record.level_ref),
            "facility": detail.facility,
            "review_on": record.review_on.isoformat() if record.review_on else "",
            "recorded_at": when(record.recorded_at),
            "labels": versions,
            "entries": [(i, e, when(e.at)) for i, e in entries],
            "facilities": [f for f in facilities if f.contractor is None],
            "third_parties": sorted(
                {p for a in node.ctx.rulebook.governing(node.party) for p in a.party_codes}
                - {node.party, record.originator}
            )
            or others,
        },
        levels=(row.level, *(v["own"] for v in versions)),
    )


def agreement_page(node: Node, person: Person, agreement_id: str) -> Page:
    """An agreement's status now, its events (the text of its notes for those who may see
    the notes) and its equivalence table."""
    policy = WhatIfService(node.ctx.agreements)
    agreement = node.queries.agreement(policy.agreement(agreement_id), viewer=person.id)
    now = node.ctx.clock.now()
    return Page(
        context={
            "agreement": agreement_view(agreement),
            "status": status_view(policy.status(agreement_id, on=now.isoformat())),
            "parties": agreement.party_codes,
            "now": when(now),
        }
    )


def _entries(node: Node, person: Person, item_id: str) -> list[tuple[int, Any]]:
    """The ledger entries about an item, where the person may see the ledger."""
    if not node.queries.sees_node(Act.VIEW_LEDGER, person.id, what="ledger"):
        return []
    return node.queries.ledger(viewer=person.id, item_id=item_id, limit=None)


def audit_page(node: Node, person: Person, verification: Verification) -> Page:
    """The ledger as last verified (each check), and the witness alarms (security
    officers)."""
    node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="ledger")
    checks = list(verification.checks)
    if verification.failure is not None:
        _logger.warning("the console's ledger verification failed")
    audit = node.audit
    checkpoints = audit.checkpoints()
    return Page(
        context={
            "origin": audit.origin,
            "entries": audit.size(),
            "checkpoints": len(checkpoints),
            "checks": checks,
            "ok": bool(checks) and all(c.ok for c in checks),
            "verified_at": when(verification.verified_at),
            "alarms": [(a, when(a.raised_at)) for a in audit.alarms()],
            "recent": [(c, when(c.created_at)) for c in checkpoints[-5:][::-1]],
        }
    )
