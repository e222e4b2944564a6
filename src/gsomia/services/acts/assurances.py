"""The assurance before a hand-over in person (JK-7.4).

Before a representative of the originating party hands items to a representative of the
receiving party, the receiving party assures the originator in writing that its
representative holds the necessary clearance, needs the items for official purposes, and that
the items will be protected substantially as the originator protects them. The receiving
party's liaison officer gives it (``gsomia/assurance-v1``, signed), only where its registry
bears it out; the originator verifies and records it, and a provision handed over in person
(:attr:`~gsomia.services.acts.custody.Provision.in_person`) is refused without one.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from gsomia.core.rules import Act, AssuranceRequest
from gsomia.errors import InputError
from gsomia.formats.messages import Kind, Message, b64, unb64
from gsomia.ledger.entries import Event
from gsomia.ports.store import UnitOfWork
from gsomia.records import AssuranceRecord
from gsomia.services.plumbing.context import Stored
from gsomia.services.plumbing.workflow import Workflow, check_id, check_party

__all__ = ["ASSURANCE_FORMAT", "AssuranceService"]

_logger = logging.getLogger(__name__)

ASSURANCE_FORMAT = "gsomia/assurance-v1"
_TOPIC_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-._")


class AssuranceService(Workflow):
    """Assurances this node gives as a receiving party, and those it receives."""

    def give(
        self,
        *,
        agreement_id: str,
        to: str,
        subject: str,
        level: str,
        topic: str,
        valid_until: date,
        by: str,
    ) -> AssuranceRecord:
        """Assure ``to``, the originating party, that ``subject`` may be handed items of
        ``level`` (in the originator's scheme) on ``topic`` in person until ``valid_until``
        (JK-7.4). Raises :class:`PolicyDenied` (recorded) when the registry does not bear
        it out or ``by`` does not hold the liaison authority."""
        ctx = self.ctx
        now = ctx.clock.now()
        agreement = ctx.agreement(agreement_id)
        to = check_party(to, what="to")
        if to == self.party or to not in agreement.party_codes:
            raise InputError(f"assure another party to {agreement.short_name}, not {to}")
        if not topic or set(topic) - _TOPIC_CHARS:
            raise InputError(f"topic {topic!r}: use lower-case letters, digits, - . _")
        parsed = agreement.schemes.parse(level, party=to)
        with ctx.store.read() as uow:
            request = AssuranceRequest(
                agreement=agreement,
                person=self.person(uow, by),
                party=self.party,
                subject=_maybe(lambda: self.person(uow, subject)),
                subject_id=subject,
                level=parsed,
                topic=topic,
                at=now,
                valid_until=valid_until,
            )
        decision = ctx.decide(Act.ASSURE, request, person=by, counterparty=to)
        record = AssuranceRecord(
            id=ctx.ids.new_id(),
            state="given",
            role="giver",
            agreement=agreement.id,
            party=self.party,
            subject=subject,
            level=parsed.ref,
            topic=topic,
            valid_until=valid_until.isoformat(),
            at=now.isoformat(),
            by=by,
        )
        document = self.sign(
            agreement.id, {"format": ASSURANCE_FORMAT, "assurance": record.id, **record.to_body()}
        )
        with ctx.store.unit_of_work() as uow:
            ctx.put(uow, record, now=now, document=document)
            body = {"assurance": record.id, "document": b64(document)}
            uow.enqueue(ctx.outgoing(Kind.ASSURANCE, to, agreement.id, body, now))
            entry = ctx.entry(
                event=Event.ASSURANCE_GIVEN,
                agreement_id=agreement.id,
                at=now,
                person=by,
                decision=decision,
                counterparty=to,
                subject=subject,
                level=parsed.ref,
            )
            ctx.record(uow, [entry])
        return record

    def on_assurance(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """The originator's side: verify the receiving party's signed assurance and keep it.

        Raises :class:`IntegrityError` when the document does not verify as the sender's,
        :class:`InputError` when it does not describe an assurance of the sender."""
        now = self.ctx.clock.now()
        assurance_id = check_id(message.body.get("assurance"), what="assurance")
        blob = unb64(message.body.get("document"), what="assurance document")
        agreement = self.ctx.agreement(message.agreement_id)
        doc = self.open_signed(
            blob, agreement_id=agreement.id, signer=message.sender, fmt=ASSURANCE_FORMAT
        )
        if doc.get("assurance") != assurance_id or doc.get("party") != message.sender:
            raise InputError("the assurance does not come from its sender")
        body = {k: v for k, v in doc.items() if k not in ("format", "assurance", "role")}
        record = AssuranceRecord.from_body(
            record_id=assurance_id, state="received", body={**body, "role": "originator"}
        )
        level = agreement.schemes.parse(record.level)
        if level.party != self.party or record.agreement != agreement.id:
            raise InputError("the assurance is not about this party's items under this agreement")
        date.fromisoformat(record.valid_until)
        self.ctx.put(uow, record, now=now, document=blob)
        decision = self.ctx.partner_act(Act.RECEIVE_ASSURANCE, agreement, message.sender)
        entry = self.ctx.entry(
            event=Event.ASSURANCE_RECEIVED,
            agreement_id=agreement.id,
            at=now,
            decision=decision,
            counterparty=message.sender,
            subject=record.subject,
            level=record.level,
        )
        self.ctx.record(uow, [entry])
        return {"assurance": assurance_id, "state": "received"}

    def assurances(self) -> list[Stored[AssuranceRecord]]:
        """Assurances given by this node and received by it."""
        with self.ctx.store.read() as uow:
            return self.ctx.find(uow, AssuranceRecord)


def _maybe(get: Any) -> Any:
    from gsomia.errors import UnknownName

    try:
        return get()
    except UnknownName:
        return None
