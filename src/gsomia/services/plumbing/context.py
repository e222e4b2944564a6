"""What every workflow of a node needs, assembled once by a composition root.

:class:`NodeContext` holds the party, the store, the keyring, the clock and id source, the
agreements (the files plus the diplomatic notes this node has recorded), the rulebook over
them and the ledger. Workflows (:mod:`gsomia.services.acts.custody` and siblings) take it and do
one unit of work each: decide, seal, record in the ledger, persist and queue the message.

Every act is decided here, by :meth:`NodeContext.decide` (or :meth:`NodeContext.decide_node`
for acts of the node as a whole): the rulebook decides, a refusal is recorded in the ledger
once, by :meth:`NodeContext.refusal`, and raised. Services ask; they never decide.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Generic, NoReturn, TypeVar

from gsomia.core.agreements import Agreement, AgreementEvent, AgreementLibrary, Boundary, EventKind
from gsomia.core.decisions import Decision
from gsomia.core.items import Item
from gsomia.core.labels import Label
from gsomia.core.people import NODE_ACTOR, Authority, Person
from gsomia.core.rules import Act, Rulebook
from gsomia.core.rules.requests import Conditions, PartnerActRequest
from gsomia.crypto import Keyring
from gsomia.errors import PolicyDenied, StateTampered, UnknownName
from gsomia.formats.messages import Kind, Message, encode
from gsomia.ledger.entries import Actor, Event, LedgerEntry
from gsomia.ports.runtime import Clock, IdSource
from gsomia.ports.store import (
    ItemRecord,
    OutboxMessage,
    ReadView,
    RecordsReader,
    Store,
    UnitOfWork,
    WorkflowRecord,
)
from gsomia.records import AuthorityRecord, ConditionRecord, NoteRecord, Record

__all__ = ["NOTE_KIND", "NodeContext", "PartnerActRefused", "Stored"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a diplomatic note on an agreement (notice, suspension, ...).
NOTE_KIND = NoteRecord.KIND
SYSTEM_ACTOR = NODE_ACTOR
_LABEL_CACHE = 4096

R = TypeVar("R", bound=Record)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stored(Generic[R]):
    """A typed record as the store holds it: its version, the item it is about, the signed
    document that goes with it, and when it last changed."""

    record: R
    version: int
    item_id: str | None
    document: bytes
    updated_at: datetime


@dataclass
class NodeContext:
    """A node's collaborators. ``keyring`` is replaced when keys rotate or partners register."""

    party: str
    store: Store
    keyring: Keyring
    clock: Clock
    ids: IdSource
    files: AgreementLibrary
    default_facility: str | None = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _agreements: AgreementLibrary | None = field(default=None, repr=False)
    _rulebook: Rulebook | None = field(default=None, repr=False)
    #: Told of every decision the rulebook makes (the node's metrics count them).
    on_decision: list[Callable[[Decision], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # Agreements: the files plus the notes exchanged ---------------------------------------

    @property
    def agreements(self) -> AgreementLibrary:
        """The agreements as this node knows them now (files + recorded diplomatic notes)."""
        with self._lock:
            if self._agreements is None:
                with self.store.read() as uow:
                    notes = uow.records(NOTE_KIND)
                self._agreements = _with_notes(self.files, notes)
                self._rulebook = _ObservedRulebook(self._agreements.agreements, self.on_decision)
            return self._agreements

    @property
    def rulebook(self) -> Rulebook:
        """The rulebook over :attr:`agreements`."""
        agreements = self.agreements
        with self._lock:
            if self._rulebook is None:
                self._rulebook = _ObservedRulebook(agreements.agreements, self.on_decision)
            return self._rulebook

    def agreement(self, agreement_id: str) -> Agreement:
        return self.agreements.get(agreement_id)

    def notes_changed(self) -> None:
        """Forget the cached agreements after a diplomatic note was recorded."""
        with self._lock:
            self._agreements = None
            self._rulebook = None

    # People --------------------------------------------------------------------------------

    def person(self, uow: ReadView, person_id: str) -> Person:
        """A registered person with the authorities the registry has granted them; raises
        :class:`UnknownName`."""
        person = uow.person(person_id)
        held = self.granted(uow, person_id)
        return replace(person, authorities=held) if held else person

    def granted(self, uow: RecordsReader, person_id: str) -> frozenset[Authority]:
        """The authorities the registry grants ``person_id`` now (none to a name it does
        not know)."""
        grants = uow.records(AuthorityRecord.KIND, state="granted", prefix=f"{person_id}.")
        names = {str(g.body.get("authority")) for g in grants if g.body.get("person") == person_id}
        return frozenset(a for a in Authority if a.value in names)

    def conditions(self, uow: RecordsReader, facilities: frozenset[str]) -> Conditions:
        """For each of ``facilities``, the Art. 16 conditions recorded as met and the day."""
        out: dict[str, dict[str, date]] = {}
        for r in uow.records(ConditionRecord.KIND, state="met"):
            facility = str(r.body.get("facility"))
            if facility in facilities:
                met_on = r.body.get("met_on") or r.updated_at.date().isoformat()
                out.setdefault(facility, {})[str(r.body["condition"])] = date.fromisoformat(
                    str(met_on)
                )
        return out

    # Decisions -------------------------------------------------------------------------------

    def decide(
        self,
        act: Act,
        request: Any,
        *,
        person: str = SYSTEM_ACTOR,
        item_id: str | None = None,
        **details: str | None,
    ) -> Decision:
        """Decide ``act`` by the rules; an allowed decision is returned, a refusal is recorded
        in the ledger (in a unit of work of its own) and raised as :class:`PolicyDenied`."""
        decision = self.rulebook.decide(act, request)
        if not decision.allowed:
            self.refuse(request.agreement.id, decision, person=person, item_id=item_id, **details)
        return decision

    def decide_node(
        self,
        act: Act,
        request: Callable[[Agreement], object],
        *,
        person: str = SYSTEM_ACTOR,
        **details: str | None,
    ) -> tuple[Agreement, Decision]:
        """Decide an act of the node as a whole (its registry, its tokens, seeing its
        registry or ledger) under every agreement its party belongs to; returns the agreement
        it is recorded under and the decision, or records the refusal and raises."""
        home, decision = self.rulebook.decide_for_party(act, self.party, request)
        if not decision.allowed:
            self.refuse(home.id, decision, person=person, **details)
        return home, decision

    def partner_act(
        self, act: Act, agreement: Agreement, sender: str, *, subject: str = ""
    ) -> Decision:
        """Decide a partner's act received here (:mod:`gsomia.core.rules.partners`): the
        decision cites the article to record it under. A refusal is raised as
        :class:`PartnerActRefused`, which the delivery records once the message's unit of
        work has been rolled back."""
        request = PartnerActRequest(
            agreement=agreement,
            party=self.party,
            sender=sender,
            at=self.clock.now(),
            subject=subject,
        )
        decision = self.rulebook.decide(act, request)
        if not decision.allowed:
            entry = self.refusal(agreement.id, decision, counterparty=sender)
            raise PartnerActRefused(entry=entry, rule_ids=decision.rule_ids, reason=decision.reason)
        return decision

    def refuse(
        self,
        agreement_id: str,
        decision: Decision,
        *,
        person: str = SYSTEM_ACTOR,
        item_id: str | None = None,
        **details: str | None,
    ) -> NoReturn:
        """Record a refusal in the ledger in its own unit of work, then raise it."""
        entry = self.refusal(agreement_id, decision, person=person, item_id=item_id, **details)
        with self.store.unit_of_work() as uow:
            self.record(uow, [entry])
        raise PolicyDenied(rule_ids=decision.rule_ids, reason=decision.reason)

    def refuse_all(
        self, refusals: Sequence[tuple[str, Decision, Mapping[str, str | None]]], *, of: int
    ) -> NoReturn:
        """Record several refusals of one all-or-nothing act (each under its agreement, with
        its details) in one unit of work, then raise the first, saying how many of ``of``
        were refused."""
        entries = []
        for agreement_id, decision, details in refusals:
            rest = dict(details)
            person = rest.pop("person", None) or SYSTEM_ACTOR
            item_id = rest.pop("item_id", None)
            entries.append(
                self.refusal(agreement_id, decision, person=person, item_id=item_id, **rest)
            )
        with self.store.unit_of_work() as uow:
            self.record(uow, entries)
        first = refusals[0][1]
        more = f" ({len(refusals)} of {of} items refused)" if of > 1 else ""
        raise PolicyDenied(rule_ids=first.rule_ids, reason=first.reason + more)

    def refusal(
        self,
        agreement_id: str,
        decision: Decision,
        *,
        person: str = SYSTEM_ACTOR,
        item_id: str | None = None,
        **details: str | None,
    ) -> LedgerEntry:
        """The ledger entry of a refusal (the one way every refusal is recorded)."""
        return self.entry(
            event=Event.ITEM_REFUSED,
            agreement_id=agreement_id,
            at=self.clock.now(),
            person=person,
            item_id=item_id,
            decision=decision,
            details=details,
        )

    # Typed records ---------------------------------------------------------------------------

    def put(
        self,
        uow: UnitOfWork,
        record: Record,
        *,
        now: datetime,
        item_id: str | None = None,
        document: bytes = b"",
    ) -> WorkflowRecord:
        """Store the next version of ``record`` (the first if there is none)."""
        try:
            version = uow.record(record.KIND, record.id).version + 1
        except UnknownName:
            version = 1
        stored = WorkflowRecord(
            kind=record.KIND,
            id=record.id,
            state=record.state,
            body=record.to_body(),
            updated_at=now,
            version=version,
            item_id=item_id,
            document=document,
        )
        uow.put_record(stored)
        return stored

    @staticmethod
    def get(uow: RecordsReader, cls: type[R], record_id: str) -> Stored[R]:
        """The latest version of a typed record; raises :class:`UnknownName`."""
        return typed(cls, uow.record(cls.KIND, record_id))

    @staticmethod
    def find(
        uow: RecordsReader, cls: type[R], *, item_id: str | None = None, state: str | None = None
    ) -> list[Stored[R]]:
        """The latest version of every record of ``cls`` (about ``item_id``, in ``state``)."""
        return [typed(cls, r) for r in uow.records(cls.KIND, item_id=item_id, state=state)]

    # Ledger --------------------------------------------------------------------------------

    def entry(
        self,
        *,
        event: Event,
        agreement_id: str,
        at: datetime,
        person: str = SYSTEM_ACTOR,
        item_id: str | None = None,
        decision: Decision | None = None,
        rule_ids: Sequence[str] = (),
        details: Mapping[str, str | None] | None = None,
        **more: str | None,
    ) -> LedgerEntry:
        """A ledger entry for an act of this node, citing the decision's rules."""
        details = {**(details or {}), **more}
        rules = tuple(dict.fromkeys([*(decision.rule_ids if decision else ()), *rule_ids]))
        return LedgerEntry(
            agreement_id=agreement_id,
            event=event,
            actor=Actor(party=self.party, person=person),
            at=at,
            item_id=item_id,
            rule_ids=rules,
            details={k: v for k, v in details.items() if v},
        )

    def item_view(self, record: ItemRecord) -> Item:
        """The rules' view of a stored item, read from the label version its sealed row
        names (design rule 12): the label gives the originator, agreement, level, this
        party's equivalent level, topic and purpose. Raises :class:`StateTampered` when the
        row has no such label or disagrees with it."""
        label = self._label_of(record)
        holder_level = label.equivalent_for(self.party) or label.level
        seen = (label.item_id, label.originator, label.agreement_id, label.level, label.topic)
        kept = (record.id, record.originator, record.agreement_id, record.level_ref, record.topic)
        if seen != kept or (
            record.holder == self.party and holder_level != record.holder_level_ref
        ):
            raise StateTampered(
                table="items", key=record.id, finding="does not agree with its current label"
            )
        schemes = self.agreement(record.agreement_id).schemes
        return Item(
            state=record.state,
            kind=record.kind,
            id=record.id,
            agreement_id=label.agreement_id,
            originator=label.originator,
            holder=record.holder,
            level=schemes.parse(label.level),
            holder_level=schemes.parse(record.holder_level_ref),
            topic=label.topic,
            purpose=label.purpose,
            provided_at=record.provided_at,
            review_on=record.review_on,
            facility=record.facility_id,
            purpose_lapsed=record.purpose_lapsed,
        )

    def _label_of(self, record: ItemRecord) -> Label:
        """The parsed current label of ``record`` (parsed once per label version)."""
        if not record.label:
            raise StateTampered(
                table="items", key=record.id, finding="its current label version is missing"
            )
        cache: dict[str, Label] = self.cache.setdefault("labels", {})
        label = cache.get(record.label_digest)
        if label is None:
            label = Label.from_bytes(record.label)
            if label.digest() != record.label_digest:
                raise StateTampered(
                    table="labels",
                    key=record.id,
                    finding="does not match the digest its item names",
                )
            if len(cache) >= _LABEL_CACHE:
                cache.clear()
            cache[record.label_digest] = label
        return label

    def record(self, uow: UnitOfWork, entries: Sequence[LedgerEntry]) -> None:
        """Append ``entries`` to the ledger inside ``uow`` (they commit with it)."""
        if entries:
            uow.append_ledger([e.to_bytes() for e in entries], keys=[e.item_id for e in entries])

    def outgoing(
        self,
        kind: Kind,
        destination: str,
        agreement_id: str,
        body: dict[str, Any],
        now: datetime,
        *,
        parts: tuple[bytes, ...] = (),
    ) -> OutboxMessage:
        """A message signed by this node, for the outbox (message-v1, or message-v2 when it
        has binary ``parts``)."""
        message = Message(
            id=self.ids.new_id(),
            kind=kind,
            sender=self.party,
            recipient=destination,
            agreement_id=agreement_id,
            sent_at=now,
            body=body,
            parts=parts,
        )
        blob = encode(self.keyring, message)
        return OutboxMessage(
            id=message.id, destination=destination, kind=kind.value, body=blob, created_at=now
        )


class _ObservedRulebook(Rulebook):
    """The rulebook, telling ``observers`` of each decision it makes."""

    def __init__(
        self,
        agreements: Mapping[str, Agreement],
        observers: Sequence[Callable[[Decision], None]],
    ) -> None:
        super().__init__(agreements)
        self._observers = observers

    def decide(self, act: Act, request: Any) -> Decision:
        decision = super().decide(act, request)
        for observe in self._observers:
            observe(decision)
        return decision


class PartnerActRefused(PolicyDenied):
    """A partner's act the agreement does not let it do towards this node; ``entry`` is the
    refusal to record once the message's unit of work is rolled back."""

    def __init__(self, *, entry: LedgerEntry, rule_ids: Sequence[str], reason: str) -> None:
        super().__init__(rule_ids=rule_ids, reason=reason)
        self.entry = entry


def typed(cls: type[R], stored: WorkflowRecord) -> Stored[R]:
    """A stored workflow record read as ``cls``; raises :class:`InputError` when its body
    does not hold what ``cls`` needs."""
    record = cls.from_body(record_id=stored.id, state=stored.state, body=stored.body)
    return Stored(
        record=record,
        version=stored.version,
        item_id=stored.item_id,
        document=stored.document,
        updated_at=stored.updated_at,
    )


def _with_notes(files: AgreementLibrary, notes: Sequence[WorkflowRecord]) -> AgreementLibrary:
    """``files`` with the events of recorded diplomatic notes added to their agreements."""
    library = files
    by_agreement: dict[str, list[AgreementEvent]] = {}
    for note in notes:
        by_agreement.setdefault(str(note.body["agreement"]), []).append(_event(note.body))
    for agreement_id, events in by_agreement.items():
        base = library.get(agreement_id)
        known = {e.id for e in base.events}
        merged = tuple(
            sorted([*base.events, *(e for e in events if e.id not in known)], key=lambda e: e.at)
        )
        library = library.replace(replace(base, events=merged))
    return library


def _event(body: dict[str, Any]) -> AgreementEvent:
    ends = body.get("terminates_at")
    return AgreementEvent(
        id=str(body["event_id"]),
        kind=EventKind(body["kind"]),
        by=str(body["by"]),
        at=datetime.fromisoformat(str(body["at"])),
        note=str(body.get("text", "")),
        of=tuple(body.get("of", ())),
        terminates_at=Boundary(at=datetime.fromisoformat(ends), source="diplomatic note")
        if ends
        else None,
    )
