"""What a person may see: items and their markings, the registry's records, the ledger,
workflow records (JK-6.e, JK-6.f, JK-7.2).

Every listing an edge shows (the REST API, the console, TAXII) comes from here, and each
row is one the rules let the viewer see (:class:`~gsomia.core.rules.Act` ``VIEW_*``). A
listing leaves out what the viewer may not see; asking for one item, ledger or registry the
viewer may not see is a refusal, recorded like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from gsomia.core.agreements import Agreement
from gsomia.core.items import Item
from gsomia.core.labels import Label
from gsomia.core.people import Authority, Facility, Person
from gsomia.core.rules import Act, ViewRequest
from gsomia.core.rules.requests import Conditions
from gsomia.errors import UnknownName
from gsomia.ledger.entries import LedgerEntry
from gsomia.ports.store import CustodyReader, ItemRecord, ItemState, LabelRecord, ReadView
from gsomia.records import (
    AssuranceRecord,
    ConsentRecord,
    IncidentRecord,
    LawNoticeRecord,
    LawRequestRecord,
    NoteRecord,
    Record,
    VisitRecord,
)
from gsomia.services.plumbing.context import Stored
from gsomia.services.plumbing.node_audit import audit_of
from gsomia.services.plumbing.workflow import Workflow, check_id

__all__ = ["ItemDetail", "Queries"]

_logger = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)

#: The authority whose holders see a kind of record (security officers see every kind).
RECORD_AUTHORITY: dict[type[Record], Authority] = {
    ConsentRecord: Authority.CONSENT,
    IncidentRecord: Authority.INCIDENTS,
    NoteRecord: Authority.NOTES,
    LawNoticeRecord: Authority.LIAISON,
    LawRequestRecord: Authority.LIAISON,
    VisitRecord: Authority.LIAISON,
    AssuranceRecord: Authority.LIAISON,
}
_SCAN = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemDetail:
    """One item as its viewer may see it: its record (never its content) and the label
    versions whose marking the viewer may see."""

    record: ItemRecord
    labels: list[LabelRecord]
    #: The facility the item is kept at, if it is placed.
    facility: Facility | None = None


class Queries(Workflow):
    """Listings and details, each row decided by the visibility rules."""

    # Items ---------------------------------------------------------------------------------

    def items(
        self,
        *,
        viewer: str,
        after: str = "",
        limit: int = 100,
        state: ItemState | None = None,
    ) -> list[ItemRecord]:
        """Up to ``limit`` items after the cursor ``after`` (by id) whose markings ``viewer``
        may see (JK-7.2)."""
        now = self.ctx.clock.now()
        out: list[ItemRecord] = []
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
            met = self.ctx.conditions(uow, person.registered_at)
            while len(out) < limit:
                page = uow.items(state=state, after=after, limit=_SCAN)
                out += [r for r in page if self._sees(person, r, now, met)][: limit - len(out)]
                if len(page) < _SCAN:
                    break
                after = page[-1].id
        return out

    def item(self, *, viewer: str, item_id: str) -> ItemDetail:
        """One item's record and label versions, for a viewer the rules let see its marking;
        a refusal is recorded and raised. Of the earlier versions, only those whose marking
        the viewer may see are listed (JK-7.2: a downgraded item's earlier, higher marking
        is for those cleared for it)."""
        now = self.ctx.clock.now()
        with self.ctx.store.read() as uow:
            record = uow.item(check_id(item_id, what="item id"))
            person = self.person(uow, viewer)
            met = self.ctx.conditions(uow, person.registered_at)
            labels = uow.labels(item_id)
            placed = record.facility_id
            facility = uow.facility(placed) if placed is not None else None
        request = self._view(person, record, now, met)
        self.ctx.decide(Act.VIEW_ITEM, request, person=viewer, item_id=item_id)
        shown = [row for row in labels if self._sees_version(request, row)]
        return ItemDetail(record=record, labels=shown, facility=facility)

    def _sees_version(self, request: ViewRequest, row: LabelRecord) -> bool:
        """Whether the rule for an item's marking lets the viewer see the marking of one
        label version: the item as it stood under that version (its level, this holder's
        equivalent level, topic and purpose)."""
        current = request.item
        if current is None:
            return False
        label = Label.from_bytes(row.label)
        schemes = request.agreement.schemes
        as_marked = replace(
            current,
            level=schemes.parse(label.level),
            holder_level=schemes.parse(label.equivalent_for(current.holder) or label.level),
            topic=label.topic,
            purpose=label.purpose,
        )
        version = replace(request, item=as_marked)
        return self.ctx.rulebook.decide(Act.VIEW_ITEM, version).allowed

    def visible(self, *, viewer: Person, record: ItemRecord) -> bool:
        """Whether ``viewer`` may see the item's marking (for edges that list other things
        about items)."""
        return self.sees_items(viewer=viewer)(record)

    def sees_items(self, *, viewer: Person) -> Callable[[ItemRecord], bool]:
        """Whether ``viewer`` may see each item's marking, asked of many items: the Art. 16
        conditions met where the viewer is registered are read once, not once per item."""
        with self.ctx.store.read() as uow:
            met = self.ctx.conditions(uow, viewer.registered_at)
        now = self.ctx.clock.now()
        return lambda record: self._sees(viewer, record, now, met)

    def may_open(self, *, viewer: Person, record: ItemRecord) -> bool:
        """Whether the rules would let ``viewer`` open the item now (JK-6.e, JK-7.2,
        JK-16.x; ``Act.OPEN``), for an edge that describes an item opened before without
        opening it again; nothing is recorded."""
        with self.ctx.store.read() as uow:
            request = self.access(uow, record, viewer, self.ctx.clock.now())
        return self.ctx.rulebook.decide(Act.OPEN, request).allowed

    def sees_label(self, *, viewer: Person, label: Label, holder_level: str) -> bool:
        """Whether ``viewer`` may see a marking this node holds under ``label`` at its own
        ``holder_level`` (a warning stream's, say), by the same rule as an item's."""
        agreement = self.ctx.agreement(label.agreement_id)
        item = Item(
            id=label.item_id,
            agreement_id=label.agreement_id,
            originator=label.originator,
            holder=self.party,
            level=agreement.schemes.parse(label.level),
            holder_level=agreement.schemes.parse(holder_level),
            topic=label.topic,
            purpose=label.purpose,
            provided_at=label.created_at,
        )
        with self.ctx.store.read() as uow:
            met = self.ctx.conditions(uow, viewer.registered_at)
        request = ViewRequest(
            agreement=agreement, person=viewer, at=self.ctx.clock.now(), item=item, conditions=met
        )
        return self.ctx.rulebook.decide(Act.VIEW_ITEM, request).allowed

    def _sees(self, person: Person, record: ItemRecord, now: datetime, met: Conditions) -> bool:
        decision = self.ctx.rulebook.decide(Act.VIEW_ITEM, self._view(person, record, now, met))
        return decision.allowed

    def _view(
        self, person: Person, record: ItemRecord, now: datetime, met: Conditions
    ) -> ViewRequest:
        return ViewRequest(
            agreement=self.ctx.agreement(record.agreement_id),
            person=person,
            at=now,
            item=self.ctx.item_view(record),
            conditions=met,
        )

    # The ledger and the registry -------------------------------------------------------------

    def ledger(
        self, *, viewer: str, item_id: str | None = None, limit: int | None = 100
    ) -> list[tuple[int, LedgerEntry]]:
        """Ledger entries about one item, or the latest ones, for security officers."""
        self.decide_node_view(Act.VIEW_LEDGER, viewer, what="ledger")
        return audit_of(self.ctx).show(item_id=item_id, limit=limit)

    def sees_node(self, act: Act, viewer: str, *, what: str) -> bool:
        """Whether the rules let ``viewer`` see the node's ``what`` (for edges that show it
        beside other things, and leave it out otherwise); nothing is recorded."""
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
        return self._sees_node(act, person, what=what)

    def _sees_node(self, act: Act, person: Person, *, what: str) -> bool:
        now = self.ctx.clock.now()
        _, decision = self.ctx.rulebook.decide_for_party(
            act,
            self.party,
            lambda a: ViewRequest(agreement=a, person=person, at=now, what=what),
        )
        return decision.allowed

    def facilities(self, *, viewer: str) -> list[Facility]:
        """The node's facilities, for a viewer the rules let see the registry (JK-6.e); for
        anyone else none: a listing beside other things leaves out what its viewer may not
        see, and nothing is recorded."""
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
            if not self._sees_node(Act.VIEW_REGISTRY, person, what="registry"):
                return []
            return uow.facilities()

    def decide_node_view(self, act: Act, viewer: str, *, what: str) -> Person:
        """Decide that ``viewer`` may see the node's ``what`` (the registry, the ledger, its
        outbox); records and raises a refusal."""
        now = self.ctx.clock.now()
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
        self.ctx.decide_node(
            act,
            lambda a: ViewRequest(agreement=a, person=person, at=now, what=what),
            person=viewer,
        )
        return person

    # Workflow records ----------------------------------------------------------------------

    def records(self, cls: type[R], *, viewer: str, state: str | None = None) -> list[Stored[R]]:
        """The records of one kind that ``viewer`` may see: those about an item whose
        marking they may see, or, for records about no item, those under an agreement
        where they are a security officer or hold the kind's authority."""
        now = self.ctx.clock.now()
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
            met = self.ctx.conditions(uow, person.registered_at)
            rows = self.ctx.find(uow, cls, state=state)
            return [s for s in rows if self._sees_record(uow, person, cls, s, now=now, met=met)]

    def _sees_record(
        self,
        uow: ReadView,
        person: Person,
        cls: type[R],
        stored: Stored[R],
        *,
        now: datetime,
        met: Conditions,
    ) -> bool:
        items = [stored.item_id] if stored.item_id is not None else []
        if isinstance(stored.record, IncidentRecord):
            items = list(stored.record.items)
        if items:
            return all(self._sees_id(uow, person, i, now, met) for i in items)
        agreement = self._agreement_of(stored.record)
        if agreement is None:
            return False
        request = ViewRequest(
            agreement=agreement,
            person=person,
            at=now,
            what=f"{cls.KIND} records",
            authority=RECORD_AUTHORITY.get(cls),
        )
        return self.ctx.rulebook.decide(Act.VIEW_RECORDS, request).allowed

    def sees_records(self, cls: type[Record], viewer: str, agreement: Agreement) -> bool:
        """Whether ``viewer`` may see the records of ``cls`` under ``agreement`` that are
        about no item (security officers and the kind's authority); nothing is recorded."""
        with self.ctx.store.read() as uow:
            person = self.person(uow, viewer)
        request = ViewRequest(
            agreement=agreement,
            person=person,
            at=self.ctx.clock.now(),
            what=f"{cls.KIND} records",
            authority=RECORD_AUTHORITY.get(cls),
        )
        return self.ctx.rulebook.decide(Act.VIEW_RECORDS, request).allowed

    # Agreements ------------------------------------------------------------------------------

    def agreement(self, agreement: Agreement, *, viewer: str) -> Agreement:
        """``agreement`` as ``viewer`` may see it: its terms, its status and its dated events
        for any person of the node, but the text of each note (a diplomatic note given or
        received) only for those who may see the notes records under it, as
        :meth:`records` shows them."""
        if self.sees_records(NoteRecord, viewer, agreement):
            return agreement
        events = tuple(replace(e, note="") for e in agreement.events)
        return replace(agreement, events=events)

    def _sees_id(
        self, uow: CustodyReader, person: Person, item_id: str, now: datetime, met: Conditions
    ) -> bool:
        try:
            return self._sees(person, uow.item(item_id), now, met)
        except UnknownName:
            return False

    def _agreement_of(self, record: Record) -> Agreement | None:
        agreement_id = getattr(record, "agreement", None)
        try:
            if agreement_id is not None:
                return self.ctx.agreement(str(agreement_id))
            governing = self.ctx.rulebook.governing(self.party)
            return governing[0] if governing else None
        except UnknownName:
            return None
