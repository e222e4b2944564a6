"""Liaison between competent authorities: national laws on request and on change, visits
needing access to items, and visits of security representatives (JK-3.1, JK-3.2, JK-8.1,
JK-18.1). Each act is by a person who holds the ``liaison`` authority.

* On the other party's request, a party produces its laws and regulations in force on the
  protection of classified military information; the answer is a recorded note (JK-3.1).
* A party notifies every other party of a change to its law that affects the protection of
  items, without being asked (JK-3.2).
* A visit that needs access is asked for by the visiting party's competent authority of the
  host's competent authority; only the host party authorises it, and on approval the host
  records that the facility was told the visit's purpose, subject, scope and the highest
  level that may be shown to the visitors (JK-8.1). Each visitor must hold a clearance at
  least equivalent to that level.
* A visit of security representatives follows prior consultation, at a place and in a way
  both parties agree (JK-18.1): the request names the consultation, the approval the place
  and the modality.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.people import Person
from gsomia.core.rules import Act, LawRequest, VisitRequest
from gsomia.errors import InputError, UnknownName
from gsomia.formats.messages import Kind, Message
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import UnitOfWork, WorkflowRecord
from gsomia.records import LawNoticeRecord, LawRequestRecord, VisitRecord
from gsomia.services.plumbing.workflow import Workflow, check_id, check_text

__all__ = ["LAW_KIND", "LAW_REQUEST_KIND", "VISIT_KIND", "LiaisonService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kinds of a national-law notice and of a visit, on both sides.
LAW_KIND = LawNoticeRecord.KIND
LAW_REQUEST_KIND = LawRequestRecord.KIND
VISIT_KIND = VisitRecord.KIND
_VISIT_KINDS = ("access", "security")
_MAX_VISITORS = 50


class LiaisonService(Workflow):
    """National-law notices and visits."""

    # National law --------------------------------------------------------------------------

    def notify_law(
        self, *, agreement_id: str, by: str, title: str, summary: str, effective_on: date
    ) -> WorkflowRecord:
        """Notify every other party of a change to this party's law that affects the
        protection of items (JK-3.2)."""
        ctx = self.ctx
        now = ctx.clock.now()
        agreement = self._party_to(agreement_id)
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
        agreement = self._party_to(agreement_id)
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
        agreement = self._party_to(str(asked.body["agreement"]))
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
        agreement = self._party_to(message.agreement_id)
        self._sender_is_party(agreement, message.sender)
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
        person: str = "node",
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

    # Visits --------------------------------------------------------------------------------

    def request_visit(
        self,
        *,
        agreement_id: str,
        host: str,
        facility: str,
        visitors: Sequence[str],
        purpose: str,
        subject: str,
        scope: str,
        start: date,
        end: date,
        by: str,
        kind: str = "access",
        max_level: str | None = None,
        consultation: str = "",
    ) -> WorkflowRecord:
        """Ask the host party's competent authority for a visit (JK-8.1, JK-18.1).

        Raises :class:`PolicyDenied` when a visitor's clearance is below the equivalent of
        the highest level to be shown, :class:`InputError` for an incomplete request.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        agreement = self._party_to(agreement_id)
        if kind not in _VISIT_KINDS:
            raise InputError("visit kind must be access (Art. 8) or security (Art. 18)")
        if not visitors or len(visitors) > _MAX_VISITORS or start > end or start < now.date():
            raise InputError("a visit needs 1 to 50 visitors and dates from today, start <= end")
        level_ref = self._visit_level(agreement, host, kind, max_level)
        with ctx.store.read() as uow:
            people = tuple(self.person(uow, v) for v in dict.fromkeys(visitors))
            request = VisitRequest(
                agreement=agreement,
                person=self.person(uow, by),
                party=self.party,
                host=host,
                security=kind == "security",
                at=now,
                visitors=people,
                max_level=agreement.schemes.parse(level_ref) if level_ref else None,
                start=start,
                consultation=consultation,
            )
        decision = ctx.decide(Act.REQUEST_VISIT, request, person=by, counterparty=host)
        visit_id = ctx.ids.new_id()
        with ctx.store.unit_of_work() as uow:
            listed = [self._visitor(v, start) for v in people]
            body = {
                "visit": visit_id,
                "kind": kind,
                "facility": check_text(facility, what="facility"),
                "visitors": listed,
                "purpose": check_text(purpose, what="purpose"),
                "subject": check_text(subject, what="subject"),
                "scope": check_text(scope, what="scope"),
                "max_level": level_ref,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "consultation": consultation.strip(),
                "requesting_authority": agreement.party(self.party).competent_authority,
                "host_authority": agreement.party(host).competent_authority,
            }
            saved = self.put_version(
                uow,
                VISIT_KIND,
                visit_id,
                state="requested",
                body={"role": "visitor", "host": host, "agreement": agreement.id, "by": by, **body},
                now=now,
            )
            uow.enqueue(
                self.ctx.outgoing(Kind.VISIT, host, agreement.id, {"phase": "request", **body}, now)
            )
            ctx.record(
                uow,
                [
                    self._visit_entry(
                        agreement,
                        Event.VISIT_REQUESTED,
                        visit_id,
                        decision=decision,
                        now=now,
                        person=by,
                        counterparty=host,
                    )
                ],
            )
        return saved

    def _visit_level(
        self, agreement: Agreement, host: str, kind: str, max_level: str | None
    ) -> str | None:
        if kind == "security" and not max_level:
            return None
        if not max_level:
            raise InputError("an access visit names the highest level to be shown (JK-8.1)")
        level = agreement.schemes.parse(max_level, party=host)
        if not agreement.covers(level):
            raise InputError(f"{level} is not covered by {agreement.short_name}")
        return level.ref

    @staticmethod
    def _visitor(person: Person, start: date) -> dict[str, Any]:
        held = person.clearance_on(start)
        return {
            "id": person.id,
            "name": person.name,
            "role": person.role.value,
            "clearance": held.ref if held else None,
        }

    def approve_visit(
        self, *, visit_id: str, by: str, place: str = "", modality: str = ""
    ) -> WorkflowRecord:
        """Authorise a visit to a facility of this party, as the host (JK-8.1, JK-18.1);
        records that the facility was told the purpose, subject, scope and highest level."""
        return self._decide_visit(
            visit_id=visit_id, by=by, approved=True, place=place, modality=modality, reason=""
        )

    def refuse_visit(self, *, visit_id: str, by: str, reason: str) -> WorkflowRecord:
        """Refuse a visit, as the host."""
        return self._decide_visit(
            visit_id=visit_id,
            by=by,
            approved=False,
            place="",
            modality="",
            reason=check_text(reason, what="reason"),
        )

    def _decide_visit(
        self, *, visit_id: str, by: str, approved: bool, place: str, modality: str, reason: str
    ) -> WorkflowRecord:
        ctx = self.ctx
        now = ctx.clock.now()
        visit_id = check_id(visit_id, what="visit id")
        with ctx.store.read() as uow:
            asked = uow.record(VISIT_KIND, visit_id)
            agreement = self._party_to(str(asked.body["agreement"]))
            security = asked.body.get("kind") == "security"
            request = VisitRequest(
                agreement=agreement,
                person=self.person(uow, by),
                party=self.party,
                host=self.party
                if asked.body.get("role") == "host"
                else str(asked.body.get("host")),
                security=security,
                at=now,
                answering=True,
            )
        ruling = ctx.decide(Act.ANSWER_VISIT, request, person=by, visit=visit_id)
        with ctx.store.unit_of_work() as uow:
            visit = uow.record(VISIT_KIND, visit_id)
            if visit.body.get("role") != "host":
                raise InputError(f"only the host party authorises visit {visit_id} (JK-8.1)")
            if visit.state != "requested":
                raise InputError(f"visit {visit_id} is already {visit.state}")
            decision: dict[str, Any] = {
                "approved": approved,
                "reason": reason,
                "by": by,
                "at": now.isoformat(),
            }
            if approved and security:
                decision["place"] = check_text(place, what="agreed place (JK-18.1)")
                decision["modality"] = check_text(modality, what="agreed modality (JK-18.1)")
            if approved and not security:
                uow.facility(str(visit.body["facility"]))
                decision["facility_briefed"] = {
                    k: visit.body[k]
                    for k in ("facility", "purpose", "subject", "scope", "max_level")
                }
            saved = self.put_version(
                uow,
                VISIT_KIND,
                visit.id,
                state="approved" if approved else "refused",
                body={**visit.body, "decision": decision},
                now=now,
            )
            guest = str(visit.body["from"])
            reply = {"phase": "decision", "visit": visit.id, **decision}
            uow.enqueue(self.ctx.outgoing(Kind.VISIT, guest, agreement.id, reply, now))
            event = Event.VISIT_APPROVED if approved else Event.VISIT_REFUSED
            ctx.record(
                uow,
                [
                    self._visit_entry(
                        agreement,
                        event,
                        visit.id,
                        decision=ruling,
                        now=now,
                        person=by,
                        counterparty=guest,
                    )
                ],
            )
        return saved

    def on_visit(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """A visit request (host's side) or the host's decision (visitor's side).

        Raises :class:`UnknownName` for a facility or visit not known here and
        :class:`InputError` for a malformed request; nothing is stored then.
        """
        agreement = self._party_to(message.agreement_id)
        self._sender_is_party(agreement, message.sender)
        phase = message.body.get("phase")
        if phase == "request":
            return self._on_request(uow, message, agreement)
        if phase == "decision":
            return self._on_decision(uow, message, agreement)
        raise InputError("visit phase must be request or decision")

    def _on_request(
        self, uow: UnitOfWork, message: Message, agreement: Agreement
    ) -> dict[str, Any]:
        now = self.ctx.clock.now()
        body = dict(message.body)
        visit_id = check_id(body.get("visit"), what="visit")
        kind = body.get("kind")
        if kind not in _VISIT_KINDS:
            raise InputError("visit kind must be access or security")
        facility = uow.facility(str(body.get("facility")))
        if facility.party != self.party:
            raise UnknownName(kind=f"facility of {self.party}", name=facility.id)
        if kind == "access":
            level = agreement.schemes.parse(str(body.get("max_level")), party=self.party)
            if not agreement.covers(level):
                raise InputError(f"{level} is not covered by {agreement.short_name}")
        else:
            check_text(body.get("consultation"), what="prior consultation (JK-18.1)")
        for key in ("purpose", "subject", "scope"):
            check_text(body.get(key), what=f"visit {key}")
        try:
            start, end = (
                date.fromisoformat(str(body["start"])),
                date.fromisoformat(str(body["end"])),
            )
        except (KeyError, ValueError):
            raise InputError("visit: start and end must be YYYY-MM-DD") from None
        visitors = body.get("visitors")
        if start > end or not isinstance(visitors, list) or not 0 < len(visitors) <= _MAX_VISITORS:
            raise InputError("visit: 1 to 50 visitors and start <= end")
        body.pop("phase", None)
        self.put_version(
            uow,
            VISIT_KIND,
            visit_id,
            state="requested",
            body={**body, "role": "host", "from": message.sender, "agreement": agreement.id},
            now=now,
        )
        decision = self.ctx.partner_act(
            Act.RECEIVE_VISIT, agreement, message.sender, subject=str(kind)
        )
        self.ctx.record(
            uow,
            [
                self._visit_entry(
                    agreement,
                    Event.VISIT_REQUESTED,
                    visit_id,
                    decision=decision,
                    now=now,
                    counterparty=message.sender,
                )
            ],
        )
        return {"visit": visit_id, "state": "requested"}

    def _on_decision(
        self, uow: UnitOfWork, message: Message, agreement: Agreement
    ) -> dict[str, Any]:
        now = self.ctx.clock.now()
        visit = uow.record(VISIT_KIND, check_id(message.body.get("visit"), what="visit"))
        if visit.body.get("role") != "visitor" or visit.body.get("host") != message.sender:
            raise InputError(f"{message.sender} does not host visit {visit.id}")
        if visit.state != "requested":
            raise InputError(f"visit {visit.id} is already {visit.state}")
        approved = message.body.get("approved")
        if not isinstance(approved, bool):
            raise InputError("visit decision: approved must be true or false")
        decision = {k: v for k, v in message.body.items() if k not in ("phase", "visit")}
        self.put_version(
            uow,
            VISIT_KIND,
            visit.id,
            state="approved" if approved else "refused",
            body={**visit.body, "decision": decision},
            now=now,
        )
        ruling = self.ctx.partner_act(
            Act.RECEIVE_VISIT_ANSWER, agreement, message.sender, subject=str(visit.body.get("kind"))
        )
        event = Event.VISIT_APPROVED if approved else Event.VISIT_REFUSED
        self.ctx.record(
            uow,
            [
                self._visit_entry(
                    agreement,
                    event,
                    visit.id,
                    decision=ruling,
                    now=now,
                    counterparty=message.sender,
                )
            ],
        )
        return {"visit": visit.id, "state": "approved" if approved else "refused"}

    def _visit_entry(
        self,
        agreement: Agreement,
        event: Event,
        visit_id: str,
        *,
        now: datetime,
        decision: Decision,
        person: str = "node",
        counterparty: str | None = None,
    ) -> LedgerEntry:
        return self.ctx.entry(
            event=event,
            agreement_id=agreement.id,
            at=now,
            person=person,
            decision=decision,
            visit=visit_id,
            counterparty=counterparty,
        )

    def visits(self) -> list[WorkflowRecord]:
        with self.ctx.store.read() as uow:
            return uow.records(VISIT_KIND)

    # Helpers -------------------------------------------------------------------------------

    def _party_to(self, agreement_id: str) -> Agreement:
        agreement = self.ctx.agreement(agreement_id)
        if self.party not in agreement.party_codes:
            raise InputError(f"{self.party} is not a party to {agreement.short_name}")
        return agreement

    @staticmethod
    def _sender_is_party(agreement: Agreement, sender: str) -> None:
        if sender not in agreement.party_codes:
            raise InputError(f"{sender} is not a party to {agreement.short_name}")
