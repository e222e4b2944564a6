"""What the edges show about the node as a whole: its summary, its outbox, an item's current
label, the ledger's size, and a person's inbox.

The CLI and the API read the node through these queries and the ones of
:mod:`~gsomia.services.plumbing.queries`; neither opens the store itself. A query for a person
(:meth:`Overview.inbox`) shows only what the rules let that person see (JK-6.e, JK-7.2);
the others are for the node's operator (the CLI, which holds the master secret), and a
person sees the summary only where the rules let them see the ledger
(:meth:`Overview.summary_for`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gsomia.core.decisions import Decision
from gsomia.core.labels import Label
from gsomia.core.people import Facility
from gsomia.core.rules import Act
from gsomia.ports.ledger import AlarmRecord, CheckpointRecord
from gsomia.ports.store import ItemRecord, ItemState, OutboxMessage
from gsomia.records import ConsentRecord, NoteRecord
from gsomia.services.plumbing.context import Stored
from gsomia.services.plumbing.queries import Queries
from gsomia.services.plumbing.workflow import Workflow

__all__ = ["Inbox", "Marking", "NodeSummary", "Overview"]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeSummary:
    """The node in numbers: items by state, outgoing messages by state, the registry's size
    and the ledger's, its latest checkpoint and its alarms. Names no item."""

    store_url: str
    items: dict[str, int]
    outbox: dict[str, int]
    persons: int
    facilities: int
    ledger_size: int
    checkpoint: CheckpointRecord | None
    alarms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Marking:
    """Where an item's marking is read from: its agreement and the level this node holds
    it at (a reference in the agreement's table)."""

    agreement_id: str
    holder_level_ref: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbox:
    """What waits for one person, each list holding only rows the rules let them see:
    consent requests to answer, items to place, purposes lapsed, incidents open, notes
    received; the alarms and dead letters for those who may see the ledger; the facilities
    to place items at for those who may see the registry; and the marking of every item
    the rows are about."""

    consents: list[Stored[ConsentRecord]]
    unplaced: list[ItemRecord]
    lapsed: list[tuple[ItemRecord, Decision]]
    incidents: list[dict[str, Any]]
    notes: list[Stored[NoteRecord]]
    alarms: list[AlarmRecord]
    dead_letters: int
    facilities: list[Facility]
    markings: dict[str, Marking]


class Overview(Workflow):
    """The node's summary, outbox, labels and ledger size, and each person's inbox."""

    def summary(self) -> NodeSummary:
        """Counts of items, messages, persons and facilities, and the ledger's state."""
        store = self.ctx.store
        with store.read() as uow:
            items = {s.value: uow.count_items(state=s) for s in ItemState}
            outbox = uow.outbox_counts()
            persons, facilities = len(uow.persons()), len(uow.facilities())
        ledger = store.ledger
        return NodeSummary(
            store_url=store.url,
            items=items,
            outbox=outbox,
            persons=persons,
            facilities=facilities,
            ledger_size=ledger.size(),
            checkpoint=ledger.latest_checkpoint(),
            alarms=len(ledger.alarms()),
        )

    def summary_for(self, *, viewer: str) -> NodeSummary | None:
        """The summary for a person: the inventory by state, the outbox and the ledger are
        for those the rules let see the ledger (JK-6.f, ``Act.VIEW_LEDGER``, as
        ``/v1/outbox`` and ``/metrics``); ``None`` for anyone else, and nothing recorded
        (a page shows it beside other things, and leaves it out)."""
        if not Queries(self.ctx).sees_node(Act.VIEW_LEDGER, viewer, what="ledger"):
            return None
        return self.summary()

    def outbox(self, *, limit: int = 100) -> tuple[dict[str, int], list[OutboxMessage]]:
        """Outgoing messages by state, and up to ``limit`` dead letters, oldest first."""
        with self.ctx.store.read() as uow:
            return uow.outbox_counts(), uow.dead_letters(limit=limit)

    def label(self, item_id: str) -> Label | None:
        """The current label of an item in this node's custody (its marking, never its
        content), or ``None`` if the node holds no such item."""
        with self.ctx.store.read() as uow:
            if not uow.has_item(item_id):
                return None
            return Label.from_bytes(uow.labels(item_id)[-1].label)

    def ledger_size(self) -> int:
        """Entries in the node's ledger."""
        return self.ctx.store.ledger.size()

    # A person's inbox ----------------------------------------------------------------------

    def inbox(self, *, viewer: str) -> Inbox:
        """What waits for ``viewer``, each row one the rules let them see (JK-7.2)."""
        from gsomia.services.acts.handling import HandlingService
        from gsomia.services.acts.incidents import IncidentService

        queries = Queries(self.ctx)
        consents = [
            s
            for s in queries.records(ConsentRecord, viewer=viewer)
            if s.record.state == "requested" and s.record.role == "originator"
        ]
        held = queries.items(viewer=viewer, state=ItemState.HELD, limit=500)
        unplaced = [r for r in held if r.facility_id is None]
        lapsed = HandlingService(self.ctx).due(viewer=viewer)
        incidents = [
            i for i in IncidentService(self.ctx).incidents(viewer=viewer) if i["state"] != "closed"
        ]
        notes = [
            s for s in queries.records(NoteRecord, viewer=viewer) if s.record.state == "received"
        ]
        sees_ledger = queries.sees_node(Act.VIEW_LEDGER, viewer, what="ledger")
        about = [
            *(s.record.item for s in consents),
            *(r.id for r in unplaced),
            *(r.id for r, _ in lapsed),
            *(str(i) for x in incidents for i in x.get("items", ())),
        ]
        return Inbox(
            consents=consents,
            unplaced=unplaced,
            lapsed=lapsed,
            incidents=incidents,
            notes=notes,
            alarms=self.ctx.store.ledger.alarms() if sees_ledger else [],
            dead_letters=self._dead_letters() if sees_ledger else 0,
            facilities=queries.facilities(viewer=viewer),
            markings=self.markings(about),
        )

    def markings(self, item_ids: Iterable[str]) -> dict[str, Marking]:
        """Where the marking of each of ``item_ids`` held here is read from, in one read;
        ids this node does not hold are left out."""
        wanted = sorted(set(item_ids))
        out: dict[str, Marking] = {}
        with self.ctx.store.read() as uow:
            for item_id in uow.existing_items(wanted):
                record = uow.item(item_id)
                out[item_id] = Marking(
                    agreement_id=record.agreement_id, holder_level_ref=record.holder_level_ref
                )
        return out

    def _dead_letters(self) -> int:
        with self.ctx.store.read() as uow:
            return uow.outbox_counts().get("dead", 0)
