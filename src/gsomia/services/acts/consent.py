"""Prior written consent of the originator (JK-5.1, JK-5.2, TI-3, TI-6).

A holder's official with access to the item asks the originator (``CONSENT_REQUEST``); the
originator's official who holds the ``consent`` authority, cleared for the item and with a
need to know it, grants or refuses; the answer is a document the originator signs
(``gsomia/consent-v1``) and sends back (``CONSENT_DECISION``). The holder verifies the
signature on arrival and again whenever it relies on the consent
(:func:`~gsomia.services.acts._consents.verified_consent`), so the rules only ever see a consent
whose signature was checked. Releases and the hub's forwarding, which rely on consent, are
in :mod:`gsomia.services.acts.release`.
"""

from __future__ import annotations

import logging
from typing import Any

from gsomia.core.items import ConsentKind
from gsomia.core.people import Authority
from gsomia.core.rules import Act, AuthorityRequest
from gsomia.errors import InputError, UnknownName
from gsomia.formats.messages import Kind, Message, b64, unb64
from gsomia.ledger.entries import Event
from gsomia.ports.store import ItemState, ReadView, UnitOfWork
from gsomia.records import ConsentRecord
from gsomia.services.acts._consents import CONSENT_FORMAT, check_answer
from gsomia.services.plumbing.context import Stored
from gsomia.services.plumbing.workflow import Workflow, check_id, check_party, check_text

__all__ = ["CONSENT_FORMAT", "CONSENT_KIND", "ConsentService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a consent request and its answer (same id on both sides).
CONSENT_KIND = ConsentRecord.KIND
#: The states of an item whose holder may ask for consent: held here, or relaying.
_ASKABLE = (ItemState.HELD, ItemState.RELAYING)


class ConsentService(Workflow):
    """Consent requests and the originator's written answers."""

    # Requests ------------------------------------------------------------------------------

    def request(
        self,
        *,
        item_id: str,
        to_party: str,
        by: str,
        reason: str,
        kind: str = "release",
        purpose: str | None = None,
    ) -> ConsentRecord:
        """Ask the originator in writing for consent to release a held item to ``to_party``
        (JK-5.1, TI-3) or to use it for another ``purpose`` (JK-5.2), as a person with
        access to the item.

        Raises :class:`InputError` for an item this node originated or does not hold, or a
        request that names nobody new; :class:`PolicyDenied` (recorded) when ``by`` has no
        access to the item.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        consent_kind = _kind(kind)
        to_party = check_party(to_party, what="to")
        reason = check_text(reason, what="reason")
        if consent_kind is ConsentKind.PURPOSE:
            purpose = check_text(purpose, what="purpose")
        with ctx.store.read() as uow:
            record = self.held(uow, item_id, *_ASKABLE)
            if record.originator == self.party:
                raise InputError(f"{self.party} originated {item_id}; no consent is needed")
            if consent_kind is ConsentKind.PURPOSE and to_party != self.party:
                raise InputError(f"consent to another purpose is asked for {self.party} itself")
            if consent_kind is ConsentKind.RELEASE and to_party in (self.party, record.originator):
                raise InputError(f"consent to release to {to_party} is not needed")
            wanted = purpose if consent_kind is ConsentKind.PURPOSE else None
            access = self.access(uow, record, self.person(uow, by), now, purpose=wanted)
        decision = ctx.decide(Act.ASK_CONSENT, access, person=by, item_id=record.id)
        agreement = access.agreement
        asked = ConsentRecord(
            id=ctx.ids.new_id(),
            state="requested",
            role="requester",
            request="",
            item=record.id,
            kind=consent_kind.value,
            to_party=to_party,
            purpose=purpose,
            reason=reason,
            originator=record.originator,
            requester=self.party,
            by=by,
            asked_at=now.isoformat(),
        )
        asked = asked.amend(request=asked.id)
        with ctx.store.unit_of_work() as uow:
            self.held(uow, item_id, *_ASKABLE)
            ctx.put(uow, asked, now=now, item_id=record.id)
            message = {
                "request": asked.id,
                "item": record.id,
                "kind": asked.kind,
                "to_party": to_party,
                "purpose": purpose,
                "reason": reason,
            }
            uow.enqueue(
                ctx.outgoing(Kind.CONSENT_REQUEST, record.originator, agreement.id, message, now)
            )
            entry = ctx.entry(
                event=Event.CONSENT_ASKED,
                agreement_id=agreement.id,
                at=now,
                person=by,
                item_id=record.id,
                decision=decision,
                counterparty=record.originator,
                consent=asked.id,
            )
            ctx.record(uow, [entry])
        return asked

    def on_request(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """The originator's side: record a holder's request for consent.

        Raises :class:`UnknownName` for an item not provided by this node and
        :class:`InputError` when the sender is not on the item's route; nothing is stored.
        """
        now = self.ctx.clock.now()
        body = message.body
        request_id = check_id(body.get("request"), what="consent request")
        item_id = check_id(body.get("item"), what="consent request: item")
        kind = _kind(body.get("kind"))
        to_party = check_party(body.get("to_party"), what="consent request: to_party")
        reason = check_text(body.get("reason"), what="consent request: reason")
        purpose = body.get("purpose")
        if kind is ConsentKind.PURPOSE:
            purpose = check_text(purpose, what="consent request: purpose")
        record = uow.item(item_id)
        if record.originator != self.party or record.agreement_id != message.agreement_id:
            raise UnknownName(kind=f"item provided by {self.party}", name=item_id)
        label = self.current_label(uow, record)
        if message.sender not in label.route[1:]:
            raise InputError(f"{message.sender} is not on the route of item {item_id}")
        asked = ConsentRecord(
            id=request_id,
            state="requested",
            role="originator",
            request=request_id,
            item=item_id,
            kind=kind.value,
            to_party=to_party,
            purpose=purpose if isinstance(purpose, str) else None,
            reason=reason,
            originator=self.party,
            requester=message.sender,
            asked_at=message.sent_at.isoformat(),
        )
        self.ctx.put(uow, asked, now=now, item_id=item_id)
        agreement = self.ctx.agreement(record.agreement_id)
        decision = self.ctx.partner_act(
            Act.RECEIVE_CONSENT_REQUEST,
            self.ctx.agreement(message.agreement_id),
            message.sender,
            subject=kind.value,
        )
        entry = self.ctx.entry(
            event=Event.CONSENT_ASKED,
            agreement_id=agreement.id,
            at=now,
            item_id=item_id,
            decision=decision,
            counterparty=message.sender,
            consent=request_id,
        )
        self.ctx.record(uow, [entry])
        return {"request": request_id, "state": "requested"}

    # Answers -------------------------------------------------------------------------------

    def grant(self, *, request_id: str, by: str, note: str = "") -> ConsentRecord:
        """Grant a pending request in writing, as the originator's official who holds the
        consent authority (JK-5.1, JK-5.2, TI-3)."""
        return self._answer(request_id=request_id, by=by, granted=True, note=note)

    def refuse(self, *, request_id: str, by: str, note: str = "") -> ConsentRecord:
        """Refuse a pending request in writing, as the originator."""
        return self._answer(request_id=request_id, by=by, granted=False, note=note)

    def _answer(self, *, request_id: str, by: str, granted: bool, note: str) -> ConsentRecord:
        ctx = self.ctx
        now = ctx.clock.now()
        note = check_text(note, what="note", required=False)
        request_id = check_id(request_id, what="request id")
        with ctx.store.read() as uow:
            pending = self._pending(uow, request_id)
            record = uow.item(pending.record.item)
            agreement = ctx.agreement(record.agreement_id)
            person = self.person(uow, by)
            request = AuthorityRequest(
                agreement=agreement,
                person=person,
                party=self.party,
                authority=Authority.CONSENT,
                at=now,
                item=ctx.item_view(record),
            )
        decision = ctx.decide(
            Act.ANSWER_CONSENT, request, person=by, item_id=record.id, consent=request_id
        )
        asked = pending.record
        answer = {
            "format": CONSENT_FORMAT,
            "request": asked.request,
            "item": asked.item,
            "kind": asked.kind,
            "to_party": asked.to_party,
            "purpose": asked.purpose,
            "originator": self.party,
            "requester": asked.requester,
            "granted": granted,
            "decided_at": now.isoformat(),
            "by": by,
            "note": note,
        }
        document = self.sign(agreement.id, answer)
        with ctx.store.unit_of_work() as uow:
            current = self._pending(uow, request_id).record
            answered = current.advance(
                "granted" if granted else "refused",
                decided_at=now.isoformat(),
                by=by,
                note=note,
            )
            ctx.put(uow, answered, now=now, item_id=record.id, document=document)
            body = {"request": asked.id, "document": b64(document)}
            uow.enqueue(
                ctx.outgoing(Kind.CONSENT_DECISION, asked.requester, agreement.id, body, now)
            )
            entry = ctx.entry(
                event=Event.CONSENT_GIVEN if granted else Event.CONSENT_REFUSED,
                agreement_id=agreement.id,
                at=now,
                person=by,
                item_id=record.id,
                decision=decision,
                counterparty=asked.requester,
                consent=asked.id,
            )
            ctx.record(uow, [entry])
        return answered

    def _pending(self, uow: ReadView, request_id: str) -> Stored[ConsentRecord]:
        pending = self.ctx.get(uow, ConsentRecord, request_id)
        if pending.record.role != "originator":
            raise InputError(f"request {request_id} was made by this node; the originator decides")
        if pending.record.state != "requested":
            raise InputError(f"request {request_id} is already {pending.record.state}")
        return pending

    def on_decision(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """The requester's side: verify the originator's signed answer and keep it.

        Raises :class:`IntegrityError` if the document does not verify as the originator's,
        :class:`InputError` if it does not answer a pending request of this node.
        """
        now = self.ctx.clock.now()
        request_id = check_id(message.body.get("request"), what="consent decision: request")
        asked = self.ctx.get(uow, ConsentRecord, request_id).record
        if asked.role != "requester" or asked.state != "requested":
            raise InputError(f"consent request {request_id} is not awaiting an answer here")
        if message.sender != asked.originator:
            raise InputError(f"only the originator {asked.originator} answers {request_id}")
        blob = unb64(message.body.get("document"), what="consent decision")
        record = uow.item(asked.item)
        doc = self.open_signed(
            blob, agreement_id=record.agreement_id, signer=asked.originator, fmt=CONSENT_FORMAT
        )
        check_answer(doc, asked, requester=self.party)
        granted = doc["granted"] is True
        answered = asked.advance(
            "granted" if granted else "refused",
            decided_at=str(doc["decided_at"]),
            note=str(doc.get("note", "")),
        )
        self.ctx.put(uow, answered, now=now, item_id=record.id, document=blob)
        agreement = self.ctx.agreement(record.agreement_id)
        decision = self.ctx.partner_act(
            Act.RECEIVE_CONSENT_ANSWER,
            self.ctx.agreement(message.agreement_id),
            message.sender,
            subject=asked.kind,
        )
        entry = self.ctx.entry(
            event=Event.CONSENT_GIVEN if granted else Event.CONSENT_REFUSED,
            agreement_id=agreement.id,
            at=now,
            item_id=record.id,
            decision=decision,
            counterparty=asked.originator,
            consent=request_id,
        )
        self.ctx.record(uow, [entry])
        return {"request": request_id, "state": answered.state}

    def requests(self, *, state: str | None = None) -> list[Stored[ConsentRecord]]:
        """Consent requests known here (asked or answered), newest state of each."""
        with self.ctx.store.read() as uow:
            return self.ctx.find(uow, ConsentRecord, state=state)


def _kind(value: Any) -> ConsentKind:
    try:
        return ConsentKind(value)
    except ValueError:
        raise InputError(
            f"consent kind must be {' or '.join(k.value for k in ConsentKind)}, not {value!r}"
        ) from None
