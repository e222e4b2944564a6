"""Visits between the parties (JK-8.1, JK-18.1), by persons who hold the ``liaison`` authority.

* A visit that needs access is asked for by the visiting party's competent authority of the
  host's competent authority; only the host party authorises it, and on approval the host
  records that the facility was told the visit's purpose, subject, scope and the highest
  level that may be shown to the visitors (JK-8.1). Each visitor must hold a clearance at
  least equivalent to that level.
* A visit of security representatives follows prior consultation, at a place and in a way
  both parties agree (JK-18.1): the request names the consultation, the approval the place
  and the modality.

:class:`~gsomia.services.acts.liaison.LiaisonService` adds the national-law acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.people import NODE_ACTOR, Person
from gsomia.core.rules import Act, VisitRequest
from gsomia.errors import InputError, UnknownName
from gsomia.formats.messages import Kind, Message
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import UnitOfWork, WorkflowRecord
from gsomia.records import VisitRecord
from gsomia.services.plumbing.workflow import Workflow, check_id, check_text

__all__ = ["VISIT_KIND", "Visits"]

VISIT_KIND = VisitRecord.KIND
_VISIT_KINDS = ("access", "security")
_MAX_VISITORS = 50


class Visits(Workflow):
    """Visits needing access, and visits of security representatives."""

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
        agreement = self.party_to(agreement_id)
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
            agreement = self.party_to(str(asked.body["agreement"]))
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
        agreement = self.party_to(message.agreement_id)
        self.sender_is_party(agreement, message.sender)
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
        person: str = NODE_ACTOR,
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
