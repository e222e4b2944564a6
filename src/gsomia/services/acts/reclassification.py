"""Reclassification by the originator, and re-marking by every holder (JK-6.g).

The originator changes an item's level by a notice **in writing**: a document it signs
(``gsomia/reclassification-v1``, document-v1) and sends to every party on the item's route.
Each holder verifies the notice, asks the rules (only the originator may reclassify, in
writing, to a level the agreement covers), and re-marks the item and its copies and
translations with a new label version at its own equivalent level; the label versions before
stay. A notice the rules refuse (a level the agreement does not cover) is recorded and
answered with the rules it rests on: the holder then returns the item.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.labels import Label
from gsomia.core.people import Person
from gsomia.core.rules import Act, ReclassificationRequest
from gsomia.errors import InputError, PolicyDenied, UnknownName
from gsomia.formats.messages import Kind, Message, b64, unb64
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import ItemRecord, ItemState, OutboxMessage, UnitOfWork
from gsomia.records import ReclassificationRecord
from gsomia.services.plumbing.transfers import label_row
from gsomia.services.plumbing.workflow import Workflow, check_id, check_text

__all__ = ["NOTICE_FORMAT", "RECLASSIFICATION_KIND", "ReclassificationService"]

_logger = logging.getLogger(__name__)

#: Workflow-record kind of a reclassification notice, on both sides.
RECLASSIFICATION_KIND = ReclassificationRecord.KIND
NOTICE_FORMAT = "gsomia/reclassification-v1"


class ReclassificationService(Workflow):
    """The originator's notices of a change of level, and the holders' re-marking."""

    def reclassify(self, *, item_id: str, level: str, by: str, text: str = "") -> str:
        """Change the level of an item this node provided and notify every holder in writing.

        Returns the notice id. Raises :class:`InputError` for an item this node did not
        originate or an unknown level, :class:`PolicyDenied` (recorded) when the agreement
        does not cover the new level.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        text = check_text(text, what="text", required=False)
        with ctx.store.read() as uow:
            record = self.held(uow, item_id, ItemState.SENT)
            if record.originator != self.party:
                raise InputError(f"only the originator {record.originator} reclassifies {item_id}")
            agreement = ctx.agreement(record.agreement_id)
            person = self.person(uow, by)
            label = self.current_label(uow, record)
        new_level, decision = self._decide(agreement, record, level, person, now)
        new_label = label.remark(
            by=self.party,
            level=new_level.ref,
            equivalents=_equivalents(agreement, new_level, label),
        )
        notice_id = ctx.ids.new_id()
        notice = {
            "format": NOTICE_FORMAT,
            "notice": notice_id,
            "item": item_id,
            "agreement": agreement.id,
            "originator": self.party,
            "previous_level": record.level_ref,
            "level": new_level.ref,
            "label": new_label.digest(),
            "at": now.isoformat(),
            "by": by,
            "text": text,
        }
        document = self.sign(agreement.id, notice)
        holders = [p for p in dict.fromkeys(label.route[1:]) if p != self.party]
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id, ItemState.SENT)
            uow.add_label(label_row(new_label, new_label.digest(), now))
            uow.remark_item(
                item_id,
                label_digest=new_label.digest(),
                level_ref=new_level.ref,
                holder_level_ref=new_level.ref,
            )
            notified = ReclassificationRecord(
                id=notice_id,
                state="notified",
                role="originator",
                item=item_id,
                previous_level=record.level_ref,
                level=new_level.ref,
                to=tuple(holders),
            )
            ctx.put(uow, notified, now=now, item_id=item_id, document=document)
            uow.enqueue_many(self._notices(holders, agreement, notice_id, document, now))
            ctx.record(
                uow,
                _remark_entries(
                    ctx_entry=self,
                    agreement=agreement,
                    record=record,
                    old=label,
                    new=new_label,
                    decision=decision,
                    by=by,
                    now=now,
                    notice=notice_id,
                ),
            )
        return notice_id

    def _decide(
        self, agreement: Agreement, record: ItemRecord, level: str, person: Person, now: datetime
    ) -> tuple[Level, Decision]:
        """The new level and the rules' decision on it, as the originator's official who
        holds the reclassification authority (JK-6.g); records and raises a refusal."""
        new_level = agreement.schemes.parse(level, party=self.party)
        if new_level.ref == record.level_ref:
            raise InputError(f"item {record.id} is already at {new_level}")
        request = ReclassificationRequest(
            agreement=agreement,
            item=self.ctx.item_view(record),
            notice_from=self.party,
            new_level=new_level,
            in_writing=True,
            at=now,
            person=person,
        )
        decision = self.ctx.decide(Act.RECLASSIFY, request, person=person.id, item_id=record.id)
        return new_level, decision

    def _notices(
        self,
        holders: list[str],
        agreement: Agreement,
        notice_id: str,
        document: bytes,
        now: datetime,
    ) -> list[OutboxMessage]:
        body = {"notice": notice_id, "document": b64(document)}
        return [
            self.ctx.outgoing(Kind.RECLASSIFICATION, holder, agreement.id, body, now)
            for holder in holders
        ]

    def on_notice(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """A holder's side: verify the originator's written notice and re-mark the item and
        its copies (JK-6.g), or record the refusal and say which rules it rests on.

        Raises :class:`IntegrityError` for a notice that does not verify, :class:`UnknownName`
        for an item not held here, :class:`InputError` when the sender is not the item's
        originator; nothing is stored then.
        """
        now = self.ctx.clock.now()
        blob = unb64(message.body.get("document"), what="reclassification notice")
        notice = self.open_signed(
            blob, agreement_id=message.agreement_id, signer=message.sender, fmt=NOTICE_FORMAT
        )
        item_id = check_id(notice.get("item"), what="reclassification: item")
        notice_id = check_id(notice.get("notice"), what="reclassification: notice")
        record = uow.item(item_id)
        if record.originator != message.sender or notice.get("agreement") != record.agreement_id:
            raise InputError(f"{message.sender} is not the originator of item {item_id}")
        if record.state not in (ItemState.HELD, ItemState.RELAYING):
            return {"notice": notice_id, "applied": False, "reason": f"item is {record.state}"}
        agreement = self.ctx.agreement(record.agreement_id)
        try:
            new_level = agreement.schemes.parse(str(notice.get("level")), party=record.originator)
        except (InputError, UnknownName) as exc:
            raise InputError(f"reclassification: {exc}") from None
        decision = self._holder_decision(
            agreement, record, sender=message.sender, level=new_level, now=now
        )
        answered = ReclassificationRecord(
            id=notice_id,
            state="applied" if decision.allowed else "refused",
            role="holder",
            item=item_id,
            from_party=message.sender,
            level=new_level.ref,
            reason=decision.reason,
            rule_ids=decision.rule_ids,
        )
        self.ctx.put(uow, answered, now=now, item_id=item_id, document=blob)
        if not decision.allowed:
            refusal = self.ctx.refusal(
                agreement.id, decision, item_id=item_id, counterparty=message.sender
            )
            self.ctx.record(uow, [refusal])
            return {
                "notice": notice_id,
                "applied": False,
                "rule_ids": list(decision.rule_ids),
                "reason": decision.reason,
            }
        mine = self._remark_all(
            uow,
            agreement,
            record,
            new_level=new_level,
            decision=decision,
            notice_id=notice_id,
            now=now,
        )
        return {"notice": notice_id, "applied": True, "level": mine}

    def _remark_all(
        self,
        uow: UnitOfWork,
        agreement: Agreement,
        record: ItemRecord,
        *,
        new_level: Level,
        decision: Decision,
        notice_id: str,
        now: datetime,
    ) -> str:
        """Re-mark the item and its live copies; returns this node's new level."""
        mine = decision.obligations[-1].removeprefix("mark:")
        entries: list[LedgerEntry] = []
        for target in [record, *self._copies(uow, record)]:
            entries += self._remark(
                uow,
                agreement,
                target,
                new_level=new_level,
                mine=mine,
                decision=decision,
                notice_id=notice_id,
                now=now,
            )
        self.ctx.record(uow, entries)
        return mine

    def _holder_decision(
        self, agreement: Agreement, record: ItemRecord, *, sender: str, level: Level, now: datetime
    ) -> Decision:
        return self.ctx.rulebook.decide(
            Act.REMARK,
            ReclassificationRequest(
                agreement=agreement,
                item=self.ctx.item_view(record),
                notice_from=sender,
                new_level=level,
                in_writing=True,
                at=now,
            ),
        )

    @staticmethod
    def _copies(uow: UnitOfWork, record: ItemRecord) -> list[ItemRecord]:
        if record.kind != "original":
            return []
        return [c for c in uow.copies(record.id) if c.state is ItemState.HELD]

    def _remark(
        self,
        uow: UnitOfWork,
        agreement: Agreement,
        record: ItemRecord,
        *,
        new_level: Level,
        mine: str,
        decision: Decision,
        notice_id: str,
        now: datetime,
    ) -> list[LedgerEntry]:
        old = self.current_label(uow, record)
        new = old.remark(
            by=self.party, level=new_level.ref, equivalents=_equivalents(agreement, new_level, old)
        )
        uow.add_label(label_row(new, new.digest(), now))
        uow.remark_item(
            record.id, label_digest=new.digest(), level_ref=new_level.ref, holder_level_ref=mine
        )
        return _remark_entries(
            ctx_entry=self,
            agreement=agreement,
            record=record,
            old=old,
            new=new,
            decision=decision,
            by="node",
            now=now,
            notice=notice_id,
            mine=mine,
        )

    def on_reply(self, uow: UnitOfWork, sent: OutboxMessage, reply: Message) -> None:
        """Record each holder's signed answer to a notice on the originator's side."""
        notice_id = reply.body.get("notice")
        if not isinstance(notice_id, str):
            return
        try:
            stored = self.ctx.get(uow, ReclassificationRecord, notice_id)
        except UnknownName:
            return
        notice = stored.record
        if notice.role != "originator" or notice.state != "notified":
            return
        replies = dict(notice.replies)
        replies[sent.destination] = {
            "applied": bool(reply.body.get("applied")),
            "reason": str(reply.body.get("reason", "")),
        }
        done = set(replies) >= set(notice.to)
        updated = notice.advance("acknowledged" if done else "notified", replies=replies)
        self.ctx.put(
            uow, updated, now=reply.sent_at, item_id=stored.item_id, document=stored.document
        )


def _equivalents(agreement: Agreement, level: Level, label: Label) -> tuple[tuple[str, str], ...]:
    """Each holder's equivalent of the new level, for the parties the label names."""
    out = []
    for party, _ in label.equivalents:
        try:
            out.append((party, agreement.equivalent(level, for_party=party).ref))
        except PolicyDenied:
            continue
    return tuple(out)


def _remark_entries(
    *,
    ctx_entry: Workflow,
    agreement: Agreement,
    record: ItemRecord,
    old: Label,
    new: Label,
    decision: Decision,
    by: str,
    now: datetime,
    notice: str,
    mine: str | None = None,
) -> list[LedgerEntry]:
    ctx = ctx_entry.ctx
    return [
        ctx.entry(
            event=Event.ITEM_RECLASSIFIED,
            agreement_id=agreement.id,
            at=now,
            person=by,
            item_id=record.id,
            decision=decision,
            level=new.level,
            notice=notice,
        ),
        ctx.entry(
            event=Event.ITEM_MARKED,
            agreement_id=agreement.id,
            at=now,
            person=by,
            item_id=record.id,
            decision=decision,
            label=new.digest(),
            previous_label=old.digest(),
            equivalent_level=mine or new.level,
        ),
    ]
