"""What every workflow of a node needs, assembled once by a composition root.

:class:`NodeContext` holds the party, the store, the keyring, the clock and id source, the
agreements (the files plus the diplomatic notes this node has recorded), the rulebook over
them and the ledger. Workflows (:mod:`gsomia.services.custody` and siblings) take it and do
one unit of work each: decide, seal, record in the ledger, persist and queue the message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from gsomia.agreement_files import AgreementLibrary
from gsomia.core.agreements import Agreement, AgreementEvent, Boundary, EventKind
from gsomia.core.decisions import Decision
from gsomia.core.items import Item
from gsomia.core.rules import Rulebook
from gsomia.crypto import Keyring
from gsomia.ledger.entries import Actor, Event, LedgerEntry
from gsomia.ports.runtime import Clock, IdSource
from gsomia.ports.store import (
    ItemRecord,
    ItemState,
    OutboxMessage,
    Store,
    UnitOfWork,
    WorkflowRecord,
)
from gsomia.services.messages import Kind, Message, encode

__all__ = ["NOTE_KIND", "NodeContext"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a diplomatic note on an agreement (notice, suspension, ...).
NOTE_KIND = "note"
SYSTEM_ACTOR = "node"


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
                self._rulebook = Rulebook(self._agreements.agreements)
            return self._agreements

    @property
    def rulebook(self) -> Rulebook:
        """The rulebook over :attr:`agreements`."""
        agreements = self.agreements
        with self._lock:
            if self._rulebook is None:
                self._rulebook = Rulebook(agreements.agreements)
            return self._rulebook

    def agreement(self, agreement_id: str) -> Agreement:
        return self.agreements.get(agreement_id)

    def notes_changed(self) -> None:
        """Forget the cached agreements after a diplomatic note was recorded."""
        with self._lock:
            self._agreements = None
            self._rulebook = None

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
        **details: str | None,
    ) -> LedgerEntry:
        """A ledger entry for an act of this node, citing the decision's rules."""
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
        """The rules' view of a stored item."""
        schemes = self.agreement(record.agreement_id).schemes
        return Item(
            id=record.id,
            agreement_id=record.agreement_id,
            originator=record.originator,
            holder=record.holder,
            level=schemes.parse(record.level_ref),
            holder_level=schemes.parse(record.holder_level_ref),
            topic=record.topic,
            purpose=record.purpose,
            provided_at=record.provided_at,
            review_on=record.review_on,
            facility=record.facility_id,
            purpose_lapsed=record.purpose_lapsed,
            destroyed=record.state is ItemState.DESTROYED,
        )

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
