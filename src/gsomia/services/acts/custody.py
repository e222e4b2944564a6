"""Custody workflows: provide, receive, open (JK-4, JK-7, JK-9).

Receiving a transfer is the half in :mod:`.receiving`, which :class:`CustodyService` extends.

Each workflow is one unit of work: the rules decide (and the decision's rule ids go into
the ledger), crypto seals or verifies, the ledger records, the store persists, and any
message to a partner is queued in the outbox in the same transaction. A refusal is recorded
in the ledger in its own unit of work and then raised, so nothing else is stored.

Both directions work a batch at a time, since a provision or a transfer is up to thousands
of items alike but for their ids and contents: one validated label, ledger entry or
decision per batch, the others made from it (:meth:`Label.batch`,
:meth:`Label.remark_batch`, :meth:`LedgerEntry.batch`); one binding signature and one
message (message-v2, binary parts) per transfer of :data:`TRANSFER_CHUNK` items; on receipt,
one check of each signed batch that also keeps the items at rest
(:func:`~gsomia.crypto.keep_batch`). Every item still gets every decision, label version,
ledger entry and check of the item-by-item path, in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.items import ConsentKind
from gsomia.core.labels import Label
from gsomia.core.people import Person
from gsomia.core.rules import Act, AssuranceRequest, PlaceRequest, SendRequest
from gsomia.crypto import (
    Envelope,
    ItemKey,
    bind,
    open_stored,
    seal_batch,
)
from gsomia.errors import InputError, IntegrityError
from gsomia.formats.messages import Kind
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import (
    ItemRecord,
    ItemState,
    OutboxMessage,
    ReadView,
)
from gsomia.records import AssuranceRecord, PlacementRecord
from gsomia.services.acts._consents import verified_consent
from gsomia.services.acts.receiving import MAX_ITEM_BYTES, Receiving
from gsomia.services.plumbing.transfers import (
    item_record,
    label_row,
    transfer_body,
)
from gsomia.services.plumbing.workflow import check_id

__all__ = ["MAX_ITEM_BYTES", "TRANSFER_CHUNK", "CustodyService", "Provision", "ProvisionResult"]

#: Items per transfer message (one binding signature and one message signature each).
TRANSFER_CHUNK = 1000
_DEFAULT_REVIEW = timedelta(days=365 * 5)
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Provision:
    """What an originator provides: to whom, at which level, on what topic, for what."""

    recipient: str
    level: str
    topic: str
    purpose: str
    agreement_id: str | None = None
    review_on: date | None = None
    in_person: str | None = None  # handed to this representative in person (JK-7.4)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionResult:
    """Items provided, under which agreement, along which route, by which decision."""

    agreement_id: str
    route: tuple[str, ...]
    item_ids: tuple[str, ...]
    transfer_ids: tuple[str, ...]
    decision: Decision


class CustodyService(Receiving):
    """Provide, receive, open and place items of classified military information."""

    # Provide -------------------------------------------------------------------------------

    def provide(
        self,
        *,
        contents: Sequence[bytes],
        provision: Provision,
        by: str,
        officer: Person | None = None,
    ) -> ProvisionResult:
        """Label, seal, bind and release ``contents`` to a partner along the agreement's route.

        ``officer``, when given, is ``by`` as the registry stated them, authorities included,
        in the same request (the user API passes the person its token check has just read
        from the registry), so that one request reads them once; without it, or when it
        names another person, they are read here.

        Raises :class:`PolicyDenied` (recorded in the ledger) when no agreement allows it,
        :class:`InputError` on empty or oversized input or an unknown person.
        """
        if not contents:
            raise InputError("nothing to provide: no contents given")
        if not _TOPIC.fullmatch(provision.topic):
            raise InputError(f"topic {provision.topic!r}: use lower-case letters, digits, . _ -")
        for i, content in enumerate(contents):
            if len(content) > self.max_item_bytes:
                raise InputError(
                    f"contents[{i}] is {len(content)} bytes; one item may hold at most "
                    f"{self.max_item_bytes} bytes (limits.max_item_bytes)"
                )
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            if officer is None or officer.id != by:
                officer = self.person(uow, by)
            assured = self._assured(uow, provision, now)
        agreement, level, decision, path = self._choose(provision, officer, assured, now)
        holders = _holders(agreement, path)
        labels = self._labels(
            agreement=agreement, level=level, p=provision, path=path, contents=contents, now=now
        )
        digests = [lb.digest() for lb in labels]
        records: list[ItemRecord] = []
        messages: list[OutboxMessage] = []
        # One binding batch per transfer, so that the partner checks each transfer's items
        # with one signature over their whole tree.
        for start in range(0, len(labels), TRANSFER_CHUNK):
            chunk = labels[start : start + TRANSFER_CHUNK]
            pairs = list(zip(chunk, contents[start : start + TRANSFER_CHUNK], strict=True))
            envelopes = seal_batch(keyring=ctx.keyring, items=pairs, holders=holders)
            bindings = bind(keyring=ctx.keyring, envelopes=envelopes)
            body, parts = transfer_body(envelopes, bindings)
            records += [
                item_record(
                    lb,
                    holder=ctx.party,
                    state=ItemState.SENT,
                    holder_level=level.ref,
                    now=now,
                    # The originator keeps its sent item without any wrap, its own included:
                    # nothing in its store opens the item again (crypto review L9).
                    stored=envelopes[i].without_keys().to_bytes(),
                    binding=parts[2 * i + 1],
                    label_digest=digests[start + i],
                )
                for i, lb in enumerate(chunk)
            ]
            messages.append(
                self.ctx.outgoing(Kind.TRANSFER, path[1], agreement.id, body, now, parts=parts)
            )
        label_rows = [
            label_row(lb, digest, now) for lb, digest in zip(labels, digests, strict=True)
        ]
        template = ctx.entry(
            event=Event.ITEM_PROVIDED,
            agreement_id=agreement.id,
            at=now,
            person=by,
            item_id=labels[0].item_id,
            decision=decision,
            label=digests[0],
            level=level.ref,
            counterparty=provision.recipient,
            via=path[1] if len(path) > 2 else None,
            in_person=provision.in_person,
        )
        entries = LedgerEntry.batch(
            template,
            item_ids=[lb.item_id for lb in labels],
            details={"label": digests},
        )
        with ctx.store.unit_of_work() as uow:
            uow.add_items(records)
            uow.add_labels(label_rows)
            ctx.record(uow, entries)
            uow.enqueue_many(messages)
        return ProvisionResult(
            agreement_id=agreement.id,
            route=path,
            item_ids=tuple(lb.item_id for lb in labels),
            transfer_ids=tuple(m.id for m in messages),
            decision=decision,
        )

    def _choose(
        self,
        p: Provision,
        officer: Person,
        assured: dict[str, AssuranceRequest],
        now: datetime,
    ) -> tuple[Agreement, Level, Decision, tuple[str, ...]]:
        """The agreement to provide under: the one named, else the first shared one the rules
        allow (binding agreements before arrangements). Records and raises the refusal under
        the first candidate when none allows it."""
        ctx = self.ctx
        if p.agreement_id:
            candidates = [ctx.agreement(p.agreement_id)]
        else:
            shared = [
                a for a in ctx.agreements.between(ctx.party, p.recipient) if a.kind != "mechanism"
            ]
            candidates = sorted(shared, key=lambda a: a.legal_nature != "binding")
        if not candidates:
            raise InputError(f"{ctx.party} shares no agreement with {p.recipient}")
        tried: list[tuple[Agreement, Decision]] = []
        for agreement in candidates:
            level = agreement.schemes.parse(p.level, party=ctx.party)
            request = SendRequest(
                agreement=agreement,
                originator=ctx.party,
                recipient=p.recipient,
                level=level,
                topic=p.topic,
                at=now,
                person=officer,
                in_person=p.in_person,
                assured=assured,
            )
            decision = ctx.rulebook.decide(Act.SEND, request)
            if decision.allowed:
                return agreement, level, decision, request.route
            tried.append((agreement, decision))
        agreement, decision = tried[0]
        ctx.refuse(agreement.id, decision, person=officer.id, counterparty=p.recipient)

    def _assured(self, uow: ReadView, p: Provision, now: datetime) -> dict[str, AssuranceRequest]:
        """The recipient's assurances for the representative an item is handed to in person
        (JK-7.4), as the rules read them."""
        if p.in_person is None:
            return {}
        out: dict[str, AssuranceRequest] = {}
        for stored in self.ctx.find(uow, AssuranceRecord, state="received"):
            a = stored.record
            if a.subject != p.in_person or a.party != p.recipient:
                continue
            agreement = self.ctx.agreement(a.agreement)
            out[a.subject] = AssuranceRequest(
                agreement=agreement,
                person=None,
                party=a.party,
                subject=None,
                subject_id=a.subject,
                level=agreement.schemes.parse(a.level),
                topic=a.topic,
                at=now,
                valid_until=date.fromisoformat(a.valid_until),
            )
        return out

    def _labels(
        self,
        *,
        agreement: Agreement,
        level: Level,
        p: Provision,
        path: tuple[str, ...],
        contents: Sequence[bytes],
        now: datetime,
    ) -> list[Label]:
        """The labels of one provision: one validated label-v2, and the others made from it
        with their own item ids (:meth:`Label.batch`). Nothing in them derives from the
        contents."""
        me = self.ctx.party
        equivalents = tuple(
            sorted(
                # Every party on the route marks it, a relaying hub too (TI-4).
                (party, agreement.equivalent(level, for_party=party).ref)
                for party in path
                if party != me
            )
        )
        ids = [self.ctx.ids.new_id() for _ in contents]
        template = Label(
            item_id=ids[0],
            agreement_id=agreement.id,
            agreement_version=agreement.version,
            originator=me,
            level=level.ref,
            equivalents=equivalents,
            releasable_to=tuple(h for h in _holders(agreement, path) if h != me),
            route=path,
            topic=p.topic,
            purpose=p.purpose,
            created_at=now,
            review_on=p.review_on or (now + _DEFAULT_REVIEW).date(),
        )
        return Label.batch(template, item_ids=ids)

    # Open ----------------------------------------------------------------------------------

    def open(self, *, item_id: str, person_id: str, purpose: str | None = None) -> bytes:
        """The content of a held item, for a person the rules allow (JK-7), used for the
        purpose it was provided for or, with the originator's written consent, for
        ``purpose`` (JK-5.2). The opening is recorded.

        Raises :class:`PolicyDenied` (recorded in the ledger) when access is refused.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = uow.item(check_id(item_id, what="item id"))
            person = self.person(uow, person_id)
            request = self.access(uow, record, person, now, purpose=purpose)
            consent_id = None
            if purpose is not None and purpose != record.purpose:
                consent, consent_id = verified_consent(
                    self, uow, record, kind=ConsentKind.PURPOSE, purpose=purpose
                )
                request = replace(request, consent=consent)
            item_key = uow.keys.get(item_id) if record.state is ItemState.HELD else None
        decision = ctx.decide(
            Act.OPEN, request, person=person_id, item_id=item_id, consent=consent_id
        )
        if item_key is None:
            raise IntegrityError(f"item {item_id}: its key is missing")
        content = open_stored(
            keyring=ctx.keyring, envelope=Envelope.from_bytes(record.ciphertext), item_key=item_key
        )
        entry = ctx.entry(
            event=Event.ITEM_OPENED,
            agreement_id=record.agreement_id,
            at=now,
            person=person_id,
            item_id=item_id,
            decision=decision,
            label=record.label_digest,
            consent=consent_id,
        )
        with ctx.store.unit_of_work() as uow:
            ctx.record(uow, [entry])
        return content

    def open_batch(self, *, item_ids: Sequence[str], person_id: str) -> list[bytes | None]:
        """:meth:`open` for many items at once (a page of a TAXII collection): each item
        is decided by the same rules (``Act.OPEN``) and opened or refused as :meth:`open`
        does, and every opening and refusal is recorded, in one unit of work. The content of
        each item, or ``None`` where access was refused.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        decided: list[tuple[ItemRecord, Decision, ItemKey | None]] = []
        with ctx.store.read() as uow:
            person = self.person(uow, person_id)
            for item_id in item_ids:
                record = uow.item(check_id(item_id, what="item id"))
                request = self.access(uow, record, person, now)
                decision = ctx.rulebook.decide(Act.OPEN, request)
                key = uow.keys.get(item_id) if decision.allowed else None
                decided.append((record, decision, key))
        out: list[bytes | None] = []
        entries = []
        for record, decision, key in decided:
            if key is not None:
                envelope = Envelope.from_bytes(record.ciphertext)
                out.append(open_stored(keyring=ctx.keyring, envelope=envelope, item_key=key))
                entries.append(
                    ctx.entry(
                        event=Event.ITEM_OPENED,
                        agreement_id=record.agreement_id,
                        at=now,
                        person=person_id,
                        item_id=record.id,
                        decision=decision,
                        label=record.label_digest,
                    )
                )
            else:
                out.append(None)
                entries.append(
                    ctx.refusal(record.agreement_id, decision, person=person_id, item_id=record.id)
                )
        with ctx.store.unit_of_work() as uow:
            ctx.record(uow, entries)
        return out

    # Place ---------------------------------------------------------------------------------

    def place(self, *, item_id: str, facility_id: str, by: str) -> ItemRecord:
        """Keep an item at a government facility and enter it on that facility's register
        (JK-6.e, JK-6.f): a custody officer's act, recorded. Until an item is placed, nobody
        has access to it."""
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            request = PlaceRequest(
                agreement=ctx.agreement(record.agreement_id),
                person=self.person(uow, by),
                item=ctx.item_view(record),
                at=now,
                facility=uow.facility(facility_id),
                party=ctx.party,
            )
        decision = ctx.decide(Act.PLACE, request, person=by, item_id=item_id, facility=facility_id)
        with ctx.store.unit_of_work() as uow:
            record = self.held(uow, item_id, ItemState.HELD, ItemState.RELAYING)
            placed = PlacementRecord(
                id=record.id,
                state="placed",
                facility=facility_id,
                from_facility=record.facility_id,
                by=by,
                at=now.isoformat(),
            )
            moved = self.move_to_facility(
                uow,
                record,
                facility_id,
                move=placed,
                event=Event.ITEM_PLACED,
                by=by,
                now=now,
                decision=decision,
            )
        return moved


def _holders(agreement: Agreement, path: tuple[str, ...]) -> tuple[str, ...]:
    """Who may open: the originator, the recipient, and a hub that takes custody (TI-4)."""
    if len(path) > 2 and not agreement.route.consent_required:
        return (path[0], path[-1])
    return path
