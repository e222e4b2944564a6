"""Liaison between competent authorities: national laws on request and on change, visits
needing access to items, and visits of security representatives (JK-3.1, JK-3.2, JK-8.1,
JK-18.1). Each act is by a person who holds the ``liaison`` authority.

* On the other party's request, a party produces its laws and regulations in force on the
  protection of classified military information; the answer is a recorded note (JK-3.1).
* A party notifies every other party of a change to its law that affects the protection of
  items, without being asked (JK-3.2).
* Visits, needing access or of security representatives (JK-8.1, JK-18.1), are the acts of
  :class:`~gsomia.services.acts.visits.Visits`, which :class:`LiaisonService` extends.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.people import NODE_ACTOR
from gsomia.core.rules import Act, LawRequest
from gsomia.errors import InputError
from gsomia.formats.messages import Kind, Message
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import UnitOfWork, WorkflowRecord
from gsomia.records import LawNoticeRecord, LawRequestRecord
from gsomia.services.acts.visits import VISIT_KIND, Visits
from gsomia.services.plumbing.workflow import check_id, check_text

__all__ = ["LAW_KIND", "LAW_REQUEST_KIND", "VISIT_KIND", "LiaisonService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kinds of a national-law notice and of a visit, on both sides.
LAW_KIND = LawNoticeRecord.KIND
LAW_REQUEST_KIND = LawRequestRecord.KIND


class LiaisonService(Visits):
    """National-law notices and laws on request; visits (:class:`Visits`)."""

    # National law --------------------------------------------------------------------------

    def notify_law(
        self, *, agreement_id: str, by: str, title: str, summary: str, effective_on: date
    ) -> WorkflowRecord:
        """Notify every other party of a change to this party's law that affects the
        protection of items (JK-3.2)."""
        ctx = self.ctx
        now = ctx.clock.now()
        agreement = self.party_to(agreement_id)
        body = {
            "role": "notifier",
            "agreement": agreement.id,
            "title": check_text(title, what="title"),
            "summary": check_text(summary, what="summary"),
            "effective_on": effective_on.isoformat(),
            "by": by,
            "at": now.isoformat(),
        }
        notice_id = ctx.ids.new_id()
        decision = self._liaison(Act.NOTIFY_LAW, agreement, by, now)
        with ctx.store.unit_of_work() as uow:
            saved = self.put_version(uow, LAW_KIND, notice_id, state="notified", body=body, now=now)
            message = {
                "notice": notice_id,
                **{k: body[k] for k in ("title", "summary", "effective_on")},
            }
            uow.enqueue_many(
                [
                    self.ctx.outgoing(Kind.LAW_NOTICE, p, agreement.id, message, now)
                    for p in agreement.party_codes
                    if p != self.party
                ]
            )
            ctx.record(
                uow, [self._law_entry(agreement, notice_id, now, person=by, decision=decision)]
            )
        return saved

    def _liaison(
        self, act: Act, agreement: Agreement, by: str, now: datetime, *, asked: bool = True
    ) -> Decision:
        """A liaison act by a person who holds the liaison authority; records and raises a
        refusal."""
        with self.ctx.store.read() as uow:
            person = self.person(uow, by)
        request = LawRequest(
            agreement=agreement, person=person, party=self.party, at=now, asked=asked
        )
        return self.ctx.decide(act, request, person=by)

    # Laws on request (JK-3.1) --------------------------------------------------------------

    def request_laws(self, *, agreement_id: str, party: str, by: str, text: str) -> WorkflowRecord:
        """Ask another party for its laws and regulations in force on the protection of
        classified military information (JK-3.1)."""
        ctx = self.ctx
        now = ctx.clock.now()
        agreement = self.party_to(agreement_id)
        if party == self.party or party not in agreement.party_codes:
            raise InputError(f"ask another party to {agreement.short_name}, not {party}")
        text = check_text(text, what="text")
        decision = self._liaison(Act.REQUEST_LAWS, agreement, by, now)
        request_id = ctx.ids.new_id()
        body = {
            "role": "requester",
            "agreement": agreement.id,
            "party": party,
            "text": text,
            "at": now.isoformat(),
            "by": by,
        }
        with ctx.store.unit_of_work() as uow:
            saved = self.put_version(
                uow, LAW_REQUEST_KIND, request_id, state="requested", body=body, now=now
            )
            message = {"phase": "request", "request": request_id, "text": text}
            uow.enqueue(ctx.outgoing(Kind.LAW_NOTICE, party, agreement.id, message, now))
            ctx.record(
                uow,
                [
                    ctx.entry(
                        event=Event.LAWS_REQUESTED,
                        agreement_id=agreement.id,
                        at=now,
                        person=by,
                        decision=decision,
                        counterparty=party,
                        request=request_id,
                    )
                ],
            )
        return saved

    def answer_laws(
        self, *, request_id: str, by: str, title: str, summary: str, effective_on: date
    ) -> WorkflowRecord:
        """Produce this party's laws and regulations in answer to a request (JK-3.1): a
        recorded note sent to the party that asked."""
        ctx = self.ctx
        now = ctx.clock.now()
        request_id = check_id(request_id, what="request id")
        with ctx.store.read() as uow:
            asked = uow.record(LAW_REQUEST_KIND, request_id)
        agreement = self.party_to(str(asked.body["agreement"]))
        pending = asked.body.get("role") == "respondent" and asked.state == "requested"
        decision = self._liaison(Act.ANSWER_LAWS, agreement, by, now, asked=pending)
        notice_id = ctx.ids.new_id()
        asker = str(asked.body["party"])
        body = {
            "role": "notifier",
            "agreement": agreement.id,
            "title": check_text(title, what="title"),
            "summary": check_text(summary, what="summary"),
            "effective_on": effective_on.isoformat(),
            "by": by,
            "at": now.isoformat(),
            "request": request_id,
        }
        with ctx.store.unit_of_work() as uow:
            saved = self.put_version(uow, LAW_KIND, notice_id, state="notified", body=body, now=now)
            self.put_version(
                uow,
                LAW_REQUEST_KIND,
                request_id,
                state="answered",
                body={**asked.body, "answer": notice_id, "answered_at": now.isoformat()},
                now=now,
            )
            message = {
                "notice": notice_id,
                "request": request_id,
                **{k: body[k] for k in ("title", "summary", "effective_on")},
            }
            uow.enqueue(ctx.outgoing(Kind.LAW_NOTICE, asker, agreement.id, message, now))
            ctx.record(
                uow,
                [
                    ctx.entry(
                        event=Event.LAWS_PRODUCED,
                        agreement_id=agreement.id,
                        at=now,
                        person=by,
                        decision=decision,
                        counterparty=asker,
                        request=request_id,
                        notice=notice_id,
                    )
                ],
            )
        return saved

    def law_requests(self) -> list[WorkflowRecord]:
        """Requests for laws and regulations, asked by this node and of it (JK-3.1)."""
        with self.ctx.store.read() as uow:
            return uow.records(LAW_REQUEST_KIND)

    def on_law_notice(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """Record another party's notice of a change to its law (JK-3.2), its laws produced
        on this node's request (JK-3.1), or its request for this party's laws."""
        now = self.ctx.clock.now()
        agreement = self.party_to(message.agreement_id)
        self.sender_is_party(agreement, message.sender)
        if message.body.get("phase") == "request":
            return self._on_law_request(uow, message, agreement, now)
        answers = message.body.get("request")
        if answers is not None:
            self._answered(uow, message, check_id(answers, what="law notice: request"), now)
        notice_id = check_id(message.body.get("notice"), what="law notice")
        try:
            effective = date.fromisoformat(str(message.body.get("effective_on")))
        except ValueError:
            raise InputError("law notice: effective_on must be YYYY-MM-DD") from None
        body = {
            "role": "recipient",
            "agreement": agreement.id,
            "from": message.sender,
            "title": check_text(message.body.get("title"), what="law notice: title"),
            "summary": check_text(message.body.get("summary"), what="law notice: summary"),
            "effective_on": effective.isoformat(),
            "at": message.sent_at.isoformat(),
            "request": answers,
        }
        self.put_version(uow, LAW_KIND, notice_id, state="received", body=body, now=now)
        decision = self.ctx.partner_act(Act.RECEIVE_LAW_NOTICE, agreement, message.sender)
        entry = self._law_entry(
            agreement, notice_id, now, counterparty=message.sender, decision=decision
        )
        self.ctx.record(uow, [entry])
        return {"notice": notice_id, "state": "received"}

    def _on_law_request(
        self, uow: UnitOfWork, message: Message, agreement: Agreement, now: datetime
    ) -> dict[str, Any]:
        request_id = check_id(message.body.get("request"), what="law request")
        body = {
            "role": "respondent",
            "agreement": agreement.id,
            "party": message.sender,
            "text": check_text(message.body.get("text"), what="law request: text"),
            "at": message.sent_at.isoformat(),
        }
        self.put_version(uow, LAW_REQUEST_KIND, request_id, state="requested", body=body, now=now)
        decision = self.ctx.partner_act(Act.RECEIVE_LAW_REQUEST, agreement, message.sender)
        self.ctx.record(
            uow,
            [
                self.ctx.entry(
                    event=Event.LAWS_REQUESTED,
                    agreement_id=agreement.id,
                    at=now,
                    decision=decision,
                    counterparty=message.sender,
                    request=request_id,
                )
            ],
        )
        return {"request": request_id, "state": "requested"}

    def _answered(self, uow: UnitOfWork, message: Message, request_id: str, now: datetime) -> None:
        asked = uow.record(LAW_REQUEST_KIND, request_id)
        if asked.body.get("role") != "requester" or asked.body.get("party") != message.sender:
            raise InputError(f"{message.sender} was not asked for its laws in {request_id}")
        if asked.state != "requested":
            raise InputError(f"request {request_id} is already {asked.state}")
        self.put_version(
            uow,
            LAW_REQUEST_KIND,
            request_id,
            state="answered",
            body={
                **asked.body,
                "answer": message.body.get("notice"),
                "answered_at": now.isoformat(),
            },
            now=now,
        )

    def _law_entry(
        self,
        agreement: Agreement,
        notice_id: str,
        now: datetime,
        *,
        person: str = NODE_ACTOR,
        counterparty: str | None = None,
        decision: Decision,
    ) -> LedgerEntry:
        return self.ctx.entry(
            event=Event.LAW_NOTIFIED,
            agreement_id=agreement.id,
            at=now,
            person=person,
            decision=decision,
            notice=notice_id,
            counterparty=counterparty,
        )

    def law_notices(self) -> list[WorkflowRecord]:
        with self.ctx.store.read() as uow:
            return uow.records(LAW_KIND)
