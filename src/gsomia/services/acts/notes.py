"""The agreement's lifecycle by signed diplomatic note: notice of termination, suspension,
resumption and withdrawal of a notice, and amendment by mutual written consent (JK-21).

A note is a document the giving party signs (``gsomia/note-v1``); both nodes record it as a
workflow record of kind :data:`~gsomia.services.plumbing.context.NOTE_KIND`, which the node context
turns into an event on the agreement, so the agreement's status (and with it what the rules
allow) changes on both sides. A notice ends the agreement at the recorded boundary, else at
the first anniversary at least the notice period away (JK-21.1); after termination nothing
new is provided, and everything held stays protected and auditable (JK-21.2).

Article 21 knows no suspension or withdrawal of a notice; the 2019 and 2023 notes did both,
so they are recorded as what the parties did. Only the party that gave a notice suspends,
resumes or withdraws it. An amendment (JK-21.3) is proposed by one party and takes effect
as an event only once every other party has accepted it in writing.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from gsomia.core.agreements import Agreement, AgreementEvent, Boundary, EventKind
from gsomia.core.decisions import Decision
from gsomia.core.lifecycle import admissible_end
from gsomia.core.people import Authority
from gsomia.core.rules import Act, AuthorityRequest, NoteRequest
from gsomia.errors import InputError
from gsomia.formats.messages import Kind, Message, b64, unb64
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import UnitOfWork, WorkflowRecord
from gsomia.records import AmendmentRecord, NoteRecord
from gsomia.services.plumbing.context import NOTE_KIND, NodeContext
from gsomia.services.plumbing.workflow import Workflow, check_id, check_text

__all__ = ["AMENDMENT_KIND", "NOTE_FORMAT", "NotesService"]

_logger = logging.getLogger(__name__)

NOTE_FORMAT = "gsomia/note-v1"
PROPOSAL_FORMAT = "gsomia/amendment-proposal-v1"
ACCEPTANCE_FORMAT = "gsomia/amendment-acceptance-v1"
#: Workflow-record kind of an amendment proposal, on every party's node.
AMENDMENT_KIND = AmendmentRecord.KIND
_EVENTS = {
    EventKind.NOTICE: Event.NOTICE_GIVEN,
    EventKind.SUSPENSION: Event.NOTICE_SUSPENDED,
    EventKind.RESUMPTION: Event.NOTICE_RESUMED,
    EventKind.WITHDRAWAL: Event.NOTICE_WITHDRAWN,
    EventKind.AMENDMENT: Event.AGREEMENT_AMENDED,
}


class NotesService(Workflow):
    """Diplomatic notes this node gives and receives."""

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        self._arrived = threading.Event()

    # Notes about a notice of termination ---------------------------------------------------

    def give(
        self,
        *,
        agreement_id: str,
        kind: str,
        by: str,
        text: str,
        of: tuple[str, ...] = (),
        terminates_at: datetime | None = None,
    ) -> WorkflowRecord:
        """Give a note (notice, suspension, resumption, withdrawal), as a person who holds
        the notes authority, and send it to every other party. A notice ends the agreement
        where the agreement's term puts the end (JK-21.1); ``terminates_at`` is for an
        agreement without fixed terms only. Returns the recorded note.

        Raises :class:`PolicyDenied` (recorded) when the note does not fit the agreement (a
        second notice, suspending a notice that is not pending, another party's notice, an
        end the agreement does not give) or ``by`` may not give it; :class:`UnknownName`
        for an unknown agreement.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        event_kind = _event_kind(kind)
        if event_kind is EventKind.AMENDMENT:
            raise InputError("an amendment is proposed and accepted (JK-21.3), not given")
        agreement = self.party_to(agreement_id)
        text = check_text(text, what="text")
        event = AgreementEvent(
            id=ctx.ids.new_id(),
            kind=event_kind,
            by=self.party,
            at=now,
            note=text,
            of=tuple(of),
            terminates_at=Boundary(at=terminates_at, source="diplomatic note")
            if terminates_at
            else None,
        )
        with ctx.store.read() as uow:
            person = self.person(uow, by)
        request = NoteRequest(
            agreement=agreement, event=event, party=self.party, at=now, person=person
        )
        decision = ctx.decide(Act.GIVE_NOTE, request, person=by, notice=event.id)
        body = _note_body(agreement, event, _ends(agreement, event))
        with ctx.store.unit_of_work() as uow:
            saved = self._record_note(
                uow, agreement, body, state="given", by=by, now=now, decision=decision
            )
        ctx.notes_changed()
        return saved

    def _record_note(
        self,
        uow: UnitOfWork,
        agreement: Agreement,
        body: dict[str, Any],
        *,
        state: str,
        by: str,
        now: datetime,
        decision: Decision,
    ) -> WorkflowRecord:
        """Sign and record a note this node gives, and queue it to every other party."""
        document = self.sign(agreement.id, {"format": NOTE_FORMAT, **body, "person": by})
        note = NoteRecord.from_body(record_id=str(body["event_id"]), state=state, body=body)
        record = self.ctx.put(uow, note, now=now, document=document)
        message = {"phase": "note", "document": b64(document)}
        uow.enqueue_many(
            [
                self.ctx.outgoing(Kind.NOTE, party, agreement.id, message, now)
                for party in agreement.party_codes
                if party != self.party
            ]
        )
        entry = self.ctx.entry(
            event=_EVENTS[EventKind(body["kind"])],
            agreement_id=agreement.id,
            at=now,
            person=by,
            decision=decision,
            notice=str(body["event_id"]),
        )
        self.ctx.record(uow, [entry])
        return record

    def notes(self, agreement_id: str | None = None) -> list[WorkflowRecord]:
        """Notes recorded here (given and received), oldest first."""
        with self.ctx.store.read() as uow:
            records = uow.records(NOTE_KIND)
        out = [
            r for r in records if agreement_id is None or r.body.get("agreement") == agreement_id
        ]
        return sorted(out, key=lambda r: str(r.body.get("at", "")))

    # Amendments ----------------------------------------------------------------------------

    def propose_amendment(self, *, agreement_id: str, by: str, text: str) -> WorkflowRecord:
        """Propose an amendment in writing to every other party (JK-21.3)."""
        ctx = self.ctx
        now = ctx.clock.now()
        agreement = self.party_to(agreement_id)
        text = check_text(text, what="text")
        decision = self._may_amend(agreement, by, now)
        proposal_id = ctx.ids.new_id()
        others = [p for p in agreement.party_codes if p != self.party]
        body = {
            "role": "proposer",
            "agreement": agreement.id,
            "proposal": proposal_id,
            "by": self.party,
            "at": now.isoformat(),
            "text": text,
            "awaiting": others,
            "accepted": {},
        }
        with ctx.store.unit_of_work() as uow:
            document = self.sign(
                agreement.id,
                {
                    "format": PROPOSAL_FORMAT,
                    **{k: body[k] for k in ("agreement", "proposal", "by", "at", "text")},
                },
            )
            saved = self.put_version(
                uow,
                AMENDMENT_KIND,
                proposal_id,
                state="proposed",
                body=body,
                now=now,
                document=document,
            )
            message = {"phase": "proposal", "document": b64(document)}
            uow.enqueue_many(
                [self.ctx.outgoing(Kind.NOTE, p, agreement.id, message, now) for p in others]
            )
            ctx.record(
                uow,
                [
                    self._amendment_entry(
                        agreement,
                        Event.AMENDMENT_PROPOSED,
                        proposal_id,
                        by=by,
                        now=now,
                        decision=decision,
                    )
                ],
            )
        return saved

    def accept_amendment(self, *, proposal_id: str, by: str, note: str = "") -> WorkflowRecord:
        """Consent in writing to another party's proposed amendment (JK-21.3)."""
        ctx = self.ctx
        now = ctx.clock.now()
        note = check_text(note, what="note", required=False)
        proposal_id = check_id(proposal_id, what="proposal id")
        with ctx.store.read() as uow:
            agreement = self.party_to(
                str(uow.record(AMENDMENT_KIND, proposal_id).body["agreement"])
            )
        decision = self._may_amend(agreement, by, now)
        with ctx.store.unit_of_work() as uow:
            proposal = uow.record(AMENDMENT_KIND, proposal_id)
            if proposal.body.get("role") != "receiver" or proposal.state != "proposed":
                raise InputError(f"proposal {proposal_id} is not awaiting this node's consent")
            document = self.sign(
                agreement.id,
                {
                    "format": ACCEPTANCE_FORMAT,
                    "agreement": agreement.id,
                    "proposal": proposal.id,
                    "by": self.party,
                    "at": now.isoformat(),
                    "note": note,
                },
            )
            saved = self.put_version(
                uow,
                AMENDMENT_KIND,
                proposal.id,
                state="accepted",
                body={**proposal.body, "accepted_at": now.isoformat()},
                now=now,
                document=document,
            )
            message = {"phase": "acceptance", "document": b64(document)}
            proposer = str(proposal.body["by"])
            uow.enqueue(self.ctx.outgoing(Kind.NOTE, proposer, agreement.id, message, now))
            ctx.record(
                uow,
                [
                    self._amendment_entry(
                        agreement,
                        Event.AMENDMENT_ACCEPTED,
                        proposal.id,
                        by=by,
                        now=now,
                        decision=decision,
                    )
                ],
            )
        return saved

    def _may_amend(self, agreement: Agreement, by: str, now: datetime) -> Decision:
        """An amendment is proposed or accepted by a person who holds the notes authority,
        while the agreement is in force (JK-21.3); records and raises a refusal."""
        with self.ctx.store.read() as uow:
            person = self.person(uow, by)
        request = AuthorityRequest(
            agreement=agreement, person=person, party=self.party, authority=Authority.NOTES, at=now
        )
        return self.ctx.decide(Act.AMEND, request, person=by)

    def amendments(self) -> list[WorkflowRecord]:
        """Amendment proposals known here, with who has accepted them."""
        with self.ctx.store.read() as uow:
            return uow.records(AMENDMENT_KIND)

    def _amendment_entry(
        self,
        agreement: Agreement,
        event: Event,
        proposal_id: str,
        *,
        by: str,
        now: datetime,
        decision: Decision,
        counterparty: str | None = None,
    ) -> LedgerEntry:
        return self.ctx.entry(
            event=event,
            agreement_id=agreement.id,
            at=now,
            person=by,
            decision=decision,
            notice=proposal_id,
            counterparty=counterparty,
        )

    # Inbound -------------------------------------------------------------------------------

    def on_note(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """Record a note, an amendment proposal or an acceptance from another party.

        Raises :class:`IntegrityError` for a document that does not verify as the sender's,
        :class:`InputError` for one that does not fit the agreement; nothing is stored.
        """
        phase = message.body.get("phase")
        blob = unb64(message.body.get("document"), what="note document")
        agreement = self.party_to(message.agreement_id)
        self.sender_is_party(agreement, message.sender)
        if phase == "note":
            return self._on_diplomatic_note(uow, message, agreement, blob)
        if phase == "proposal":
            return self._on_proposal(uow, message, agreement, blob)
        if phase == "acceptance":
            return self._on_acceptance(uow, message, agreement, blob)
        raise InputError("note phase must be note, proposal or acceptance")

    def _on_diplomatic_note(
        self, uow: UnitOfWork, message: Message, agreement: Agreement, blob: bytes
    ) -> dict[str, Any]:
        now = self.ctx.clock.now()
        doc = self.open_signed(
            blob, agreement_id=agreement.id, signer=message.sender, fmt=NOTE_FORMAT
        )
        event = _event_from(doc, agreement=agreement, sender=message.sender)
        if event.kind is EventKind.AMENDMENT:
            proposal = uow.record(AMENDMENT_KIND, event.id)
            if proposal.state != "accepted" or proposal.body.get("by") != message.sender:
                raise InputError(f"amendment {event.id} was not accepted here")
            ends = None
            decision = self.ctx.partner_act(Act.RECEIVE_AMENDMENT, agreement, message.sender)
            self.put_version(
                uow,
                AMENDMENT_KIND,
                event.id,
                state="agreed",
                body=proposal.body,
                now=now,
                document=proposal.document,
            )
        else:
            decision = self.ctx.rulebook.decide(
                Act.RECEIVE_NOTE,
                NoteRequest(
                    agreement=agreement,
                    event=event,
                    party=message.sender,
                    at=now,
                    message_at=message.sent_at,
                ),
            )
            if not decision.allowed:
                refusal = self.ctx.refusal(
                    agreement.id, decision, counterparty=message.sender, notice=event.id
                )
                self.ctx.record(uow, [refusal])
                return {
                    "note": event.id,
                    "state": "refused",
                    "rule_ids": list(decision.rule_ids),
                    "reason": decision.reason,
                }
            ends = _ends(agreement, event)
        body = _note_body(agreement, event, ends)
        uow.put_record(
            WorkflowRecord(
                kind=NOTE_KIND,
                id=event.id,
                state="received",
                body=body,
                updated_at=now,
                document=blob,
            )
        )
        entry = self.ctx.entry(
            event=_EVENTS[event.kind],
            agreement_id=agreement.id,
            at=now,
            decision=decision,
            notice=event.id,
            counterparty=message.sender,
        )
        self.ctx.record(uow, [entry])
        self._changed()
        return {"note": event.id, "state": "received"}

    def _on_proposal(
        self, uow: UnitOfWork, message: Message, agreement: Agreement, blob: bytes
    ) -> dict[str, Any]:
        now = self.ctx.clock.now()
        doc = self.open_signed(
            blob, agreement_id=agreement.id, signer=message.sender, fmt=PROPOSAL_FORMAT
        )
        proposal_id = check_id(doc.get("proposal"), what="amendment proposal")
        if doc.get("by") != message.sender or doc.get("agreement") != agreement.id:
            raise InputError("the proposal does not come from its sender under this agreement")
        body = {
            "role": "receiver",
            "agreement": agreement.id,
            "proposal": proposal_id,
            "by": message.sender,
            "at": str(doc.get("at")),
            "text": check_text(doc.get("text"), what="amendment text"),
        }
        uow.put_record(
            WorkflowRecord(
                kind=AMENDMENT_KIND,
                id=proposal_id,
                state="proposed",
                body=body,
                updated_at=now,
                document=blob,
            )
        )
        self.ctx.record(
            uow,
            [
                self._amendment_entry(
                    agreement,
                    Event.AMENDMENT_PROPOSED,
                    proposal_id,
                    by="node",
                    now=now,
                    decision=self.ctx.partner_act(Act.RECEIVE_AMENDMENT, agreement, message.sender),
                    counterparty=message.sender,
                )
            ],
        )
        return {"proposal": proposal_id, "state": "proposed"}

    def _on_acceptance(
        self, uow: UnitOfWork, message: Message, agreement: Agreement, blob: bytes
    ) -> dict[str, Any]:
        now = self.ctx.clock.now()
        doc = self.open_signed(
            blob, agreement_id=agreement.id, signer=message.sender, fmt=ACCEPTANCE_FORMAT
        )
        proposal_id = check_id(doc.get("proposal"), what="amendment acceptance")
        proposal = uow.record(AMENDMENT_KIND, proposal_id)
        awaiting = list(proposal.body.get("awaiting", []))
        if proposal.body.get("role") != "proposer" or message.sender not in awaiting:
            raise InputError(f"{message.sender} was not asked to accept proposal {proposal_id}")
        if doc.get("by") != message.sender or doc.get("agreement") != agreement.id:
            raise InputError("the acceptance does not come from its sender under this agreement")
        accepted = {**proposal.body.get("accepted", {}), message.sender: str(doc.get("at"))}
        done = set(accepted) >= set(awaiting)
        self.put_version(
            uow,
            AMENDMENT_KIND,
            proposal_id,
            state="agreed" if done else "proposed",
            body={**proposal.body, "accepted": accepted},
            now=now,
            document=proposal.document,
        )
        decision = self.ctx.partner_act(Act.RECEIVE_AMENDMENT, agreement, message.sender)
        entries = [
            self._amendment_entry(
                agreement,
                Event.AMENDMENT_ACCEPTED,
                proposal_id,
                by="node",
                now=now,
                decision=decision,
                counterparty=message.sender,
            )
        ]
        self.ctx.record(uow, entries)
        if done:
            event = AgreementEvent(
                id=proposal_id,
                kind=EventKind.AMENDMENT,
                by=self.party,
                at=now,
                note=str(proposal.body.get("text", "")),
            )
            self._record_note(
                uow,
                agreement,
                _note_body(agreement, event, None),
                state="agreed",
                by="node",
                now=now,
                decision=decision,
            )
            self._changed()
        return {"proposal": proposal_id, "state": "agreed" if done else "proposed"}

    # Cache of the agreements ---------------------------------------------------------------

    def _changed(self) -> None:
        """Forget the cached agreements now, and again once the inbox's unit of work has
        committed (:meth:`settle`), so no reader keeps a view without the new note."""
        self.ctx.notes_changed()
        self._arrived.set()

    def settle(self) -> None:
        """Called after an inbound message was handled: forget the cached agreements if a
        note arrived."""
        if self._arrived.is_set():
            self._arrived.clear()
            self.ctx.notes_changed()


def _event_kind(kind: Any) -> EventKind:
    try:
        return EventKind(kind)
    except ValueError:
        raise InputError(f"note kind must be one of {', '.join(EventKind)}, not {kind!r}") from None


def _ends(agreement: Agreement, event: AgreementEvent) -> datetime | None:
    """When a notice the rules admitted ends the agreement: the end of term they computed,
    or the end it names where the agreement has no fixed terms (JK-21.1)."""
    if event.kind is not EventKind.NOTICE:
        return None
    if event.terminates_at is not None:
        return event.terminates_at.at
    return admissible_end(agreement, event.at)


def _note_body(
    agreement: Agreement, event: AgreementEvent, ends: datetime | None
) -> dict[str, Any]:
    """A note as :data:`NOTE_KIND` records hold it (the keys the node context reads)."""
    return {
        "agreement": agreement.id,
        "event_id": event.id,
        "kind": event.kind.value,
        "by": event.by,
        "at": event.at.isoformat(),
        "of": list(event.of),
        "terminates_at": ends.isoformat() if ends else None,
        "text": event.note,
    }


def _event_from(doc: dict[str, Any], *, agreement: Agreement, sender: str) -> AgreementEvent:
    """The event a received note describes; raises :class:`InputError` if malformed."""
    if doc.get("agreement") != agreement.id or doc.get("by") != sender:
        raise InputError("the note does not come from its sender under this agreement")
    of = doc.get("of")
    if not isinstance(of, list) or not all(isinstance(x, str) for x in of):
        raise InputError("note: 'of' must be a list of event ids")
    try:
        at = datetime.fromisoformat(str(doc.get("at")))
        ends = doc.get("terminates_at")
        boundary = (
            Boundary(at=datetime.fromisoformat(str(ends)), source="diplomatic note")
            if ends
            else None
        )
    except ValueError:
        raise InputError("note: at and terminates_at must be ISO times") from None
    if at.tzinfo is None:
        raise InputError("note: times must be timezone-aware")
    return AgreementEvent(
        id=check_id(doc.get("event_id"), what="note event id"),
        kind=_event_kind(doc.get("kind")),
        by=sender,
        at=at,
        note=check_text(doc.get("text"), what="note text"),
        of=tuple(of),
        terminates_at=boundary,
    )
