"""Liaison between competent authorities: notices of changes to national law, visits needing
access to items, and visits of security representatives (JK-3.2, JK-8.1, JK-18.1).

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
from gsomia.errors import InputError, PolicyDenied, UnknownName
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import UnitOfWork, WorkflowRecord
from gsomia.services._workflow import Workflow, check_id, check_text
from gsomia.services.messages import Kind, Message

__all__ = ["LAW_KIND", "VISIT_KIND", "LiaisonService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kinds of a national-law notice and of a visit, on both sides.
LAW_KIND = "law-notice"
VISIT_KIND = "visit"
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
        with ctx.store.unit_of_work() as uow:
            self.officer(uow, by, rule=agreement.rule_id("national_law"))
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
            ctx.record(uow, [self._law_entry(agreement, notice_id, now, person=by)])
        return saved

    def on_law_notice(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """Record another party's notice of a change to its law (JK-3.2)."""
        now = self.ctx.clock.now()
        agreement = self._party_to(message.agreement_id)
        self._sender_is_party(agreement, message.sender)
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
        }
        uow.put_record(
            WorkflowRecord(kind=LAW_KIND, id=notice_id, state="received", body=body, updated_at=now)
        )
        self.ctx.record(
            uow, [self._law_entry(agreement, notice_id, now, counterparty=message.sender)]
        )
        return {"notice": notice_id, "state": "received"}

    def _law_entry(
        self,
        agreement: Agreement,
        notice_id: str,
        now: datetime,
        *,
        person: str = "node",
        counterparty: str | None = None,
    ) -> LedgerEntry:
        return self.ctx.entry(
            event=Event.LAW_NOTIFIED,
            agreement_id=agreement.id,
            at=now,
            person=person,
            rule_ids=(agreement.rule_id("national_law"),),
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
        if host == self.party or host not in agreement.party_codes:
            raise InputError(f"host must be another party to {agreement.short_name}")
        if not visitors or len(visitors) > _MAX_VISITORS or start > end or start < now.date():
            raise InputError("a visit needs 1 to 50 visitors and dates from today, start <= end")
        rule = agreement.rule_id("visit" if kind == "access" else "security_visit")
        level_ref = self._visit_level(agreement, host, kind, max_level)
        if kind == "security":
            consultation = check_text(consultation, what="prior consultation (JK-18.1)")
        visit_id = ctx.ids.new_id()
        with ctx.store.unit_of_work() as uow:
            self.officer(uow, by, rule=rule)
            listed = [
                self._visitor(uow, agreement, v, level_ref=level_ref, start=start, rule=rule)
                for v in dict.fromkeys(visitors)
            ]
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
                "consultation": consultation,
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
                        rule=rule,
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

    def _visitor(
        self,
        uow: UnitOfWork,
        agreement: Agreement,
        person_id: str,
        *,
        level_ref: str | None,
        start: date,
        rule: str,
    ) -> dict[str, Any]:
        person = uow.person(person_id)
        if person.party != self.party:
            raise InputError(f"{person_id} is not a person of {self.party}")
        held = person.clearance_on(start)
        if level_ref is not None:
            needed = agreement.equivalent(agreement.schemes.parse(level_ref), for_party=self.party)
            if held is None or type(held) is not type(needed) or held < needed:
                raise PolicyDenied(
                    rule_ids=(rule,),
                    reason=f"{person_id}'s clearance ({held or 'none'}) is below {needed}, "
                    f"the equivalent of the highest level to be shown",
                )
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
        with ctx.store.unit_of_work() as uow:
            visit = uow.record(VISIT_KIND, check_id(visit_id, what="visit id"))
            if visit.body.get("role") != "host":
                raise InputError(f"only the host party authorises visit {visit_id} (JK-8.1)")
            if visit.state != "requested":
                raise InputError(f"visit {visit_id} is already {visit.state}")
            agreement = self._party_to(str(visit.body["agreement"]))
            security = visit.body.get("kind") == "security"
            rule = agreement.rule_id("security_visit" if security else "visit")
            self.officer(uow, by, rule=rule)
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
                        rule=rule,
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
        uow.put_record(
            WorkflowRecord(
                kind=VISIT_KIND,
                id=visit_id,
                state="requested",
                body={**body, "role": "host", "from": message.sender, "agreement": agreement.id},
                updated_at=now,
            )
        )
        rule = agreement.rule_id("visit" if kind == "access" else "security_visit")
        self.ctx.record(
            uow,
            [
                self._visit_entry(
                    agreement,
                    Event.VISIT_REQUESTED,
                    visit_id,
                    rule=rule,
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
        security = visit.body.get("kind") == "security"
        rule = agreement.rule_id("security_visit" if security else "visit")
        event = Event.VISIT_APPROVED if approved else Event.VISIT_REFUSED
        self.ctx.record(
            uow,
            [
                self._visit_entry(
                    agreement, event, visit.id, rule=rule, now=now, counterparty=message.sender
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
        rule: str,
        now: datetime,
        person: str = "node",
        counterparty: str | None = None,
    ) -> LedgerEntry:
        return self.ctx.entry(
            event=event,
            agreement_id=agreement.id,
            at=now,
            person=person,
            rule_ids=(rule,),
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
