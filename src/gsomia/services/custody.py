"""Custody workflows: provide, receive, open (JK-4, JK-7, JK-9).

Each workflow is one unit of work: the rules decide (and the decision's rule ids go into
the ledger), crypto seals or verifies, the ledger records, the store persists, and any
message to a partner is queued in the outbox in the same transaction. A refusal is recorded
in the ledger in its own unit of work and then raised, so nothing else is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.items import Item
from gsomia.core.labels import Label, content_digest
from gsomia.core.people import Person, Role
from gsomia.core.rules import AccessRequest, SendRequest
from gsomia.crypto import Binding, Envelope, ItemKey, bind, keep, open_stored, seal, verify
from gsomia.crypto._binding import verify_batch
from gsomia.errors import GsomiaError, InputError, IntegrityError, PolicyDenied
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import ItemRecord, ItemState, LabelRecord, OutboxMessage, UnitOfWork
from gsomia.services.context import NodeContext
from gsomia.services.messages import Kind, Message, b64, encode, unb64

__all__ = ["TRANSFER_CHUNK", "CustodyService", "Provision", "ProvisionResult"]

_logger = logging.getLogger(__name__)

#: Items per transfer message (one binding signature and one message signature each).
TRANSFER_CHUNK = 1000
_DEFAULT_REVIEW = timedelta(days=365 * 5)


@dataclass(frozen=True, slots=True, kw_only=True)
class Provision:
    """What an originator provides: to whom, at which level, on what topic, for what."""

    recipient: str
    level: str
    topic: str
    purpose: str
    agreement_id: str | None = None
    review_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionResult:
    """Items provided, under which agreement, along which route, by which decision."""

    agreement_id: str
    route: tuple[str, ...]
    item_ids: tuple[str, ...]
    transfer_ids: tuple[str, ...]
    decision: Decision


class CustodyService:
    """Provide, receive and open items of classified military information."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        #: Called with the labels of every transfer's accepted items (the warning feed
        #: learns its streams' labels this way).
        self.on_received: list[Callable[[list[Label]], None]] = []

    # Provide -------------------------------------------------------------------------------

    def provide(
        self, *, contents: Sequence[bytes], provision: Provision, by: str
    ) -> ProvisionResult:
        """Label, seal, bind and release ``contents`` to a partner along the agreement's route.

        Raises :class:`PolicyDenied` (recorded in the ledger) when no agreement allows it,
        :class:`InputError` on empty or oversized input or an unknown person.
        """
        if not contents:
            raise InputError("nothing to provide: no contents given")
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            officer = uow.person(by)
        _check_officer(officer, ctx.party)
        agreement, level, decision, path = self._choose(provision, now)
        holders = _holders(agreement, path)
        labels = [
            self._label(
                agreement=agreement,
                level=level,
                p=provision,
                path=path,
                holders=holders,
                content=content,
                now=now,
            )
            for content in contents
        ]
        envelopes = [
            seal(keyring=ctx.keyring, plaintext=c, label=lb, holders=holders, now=now)
            for c, lb in zip(contents, labels, strict=True)
        ]
        bindings = bind(keyring=ctx.keyring, envelopes=envelopes)
        records, label_rows, entries = [], [], []
        for lb, env, bd in zip(labels, envelopes, bindings, strict=True):
            records.append(
                _record(
                    lb,
                    env,
                    bd,
                    holder=ctx.party,
                    state=ItemState.SENT,
                    holder_level=level.ref,
                    now=now,
                )
            )
            label_rows.append(
                LabelRecord(
                    digest=lb.digest(),
                    item_id=lb.item_id,
                    revision=1,
                    label=lb.canonical_bytes(),
                    recorded_at=now,
                )
            )
            entries.append(
                ctx.entry(
                    event=Event.ITEM_PROVIDED,
                    agreement_id=agreement.id,
                    at=now,
                    person=by,
                    item_id=lb.item_id,
                    decision=decision,
                    label=lb.digest(),
                    level=level.ref,
                    counterparty=provision.recipient,
                    via=path[1] if len(path) > 2 else None,
                )
            )
        messages = self._transfers(agreement, path[1], envelopes, bindings, now)
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
        self, p: Provision, now: datetime
    ) -> tuple[Agreement, Level, Decision, tuple[str, ...]]:
        """The agreement to provide under: the one named, else the first shared one that allows
        it (binding agreements before arrangements). Records and raises a refusal."""
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
            )
            decision = ctx.rulebook.decide_send(request)
            if decision.allowed:
                return agreement, level, decision, request.route
            tried.append((agreement, decision))
        agreement, decision = tried[0]
        self._refuse(agreement.id, decision, now, counterparty=p.recipient)

    def _refuse(
        self,
        agreement_id: str,
        decision: Decision,
        now: datetime,
        *,
        person: str = "node",
        item_id: str | None = None,
        **details: str,
    ) -> NoReturn:
        """Record a refusal in the ledger, then raise it as :class:`PolicyDenied`."""
        entry = self.ctx.entry(
            event=Event.ITEM_REFUSED,
            agreement_id=agreement_id,
            at=now,
            person=person,
            item_id=item_id,
            decision=decision,
            **details,
        )
        with self.ctx.store.unit_of_work() as uow:
            self.ctx.record(uow, [entry])
        raise PolicyDenied(rule_ids=decision.rule_ids, reason=decision.reason)

    def _label(
        self,
        *,
        agreement: Agreement,
        level: Level,
        p: Provision,
        path: tuple[str, ...],
        holders: tuple[str, ...],
        content: bytes,
        now: datetime,
    ) -> Label:
        equivalents = tuple(
            sorted(
                # Every party on the route marks it, a relaying hub too (TI-4).
                (party, agreement.equivalent(level, for_party=party).ref)
                for party in path
                if party != self.ctx.party
            )
        )
        return Label(
            item_id=self.ctx.ids.new_id(),
            agreement_id=agreement.id,
            agreement_version=agreement.version,
            originator=self.ctx.party,
            level=level.ref,
            equivalents=equivalents,
            releasable_to=tuple(h for h in holders if h != self.ctx.party),
            route=path,
            topic=p.topic,
            purpose=p.purpose,
            created_at=now,
            review_on=p.review_on or (now + _DEFAULT_REVIEW).date(),
            content_digest=content_digest(content),
        )

    def _transfers(
        self,
        agreement: Agreement,
        destination: str,
        envelopes: Sequence[Envelope],
        bindings: Sequence[Binding],
        now: datetime,
    ) -> list[OutboxMessage]:
        out = []
        for start in range(0, len(envelopes), TRANSFER_CHUNK):
            pairs = zip(
                envelopes[start : start + TRANSFER_CHUNK],
                bindings[start : start + TRANSFER_CHUNK],
                strict=True,
            )
            body = {
                "items": [
                    {"envelope": b64(e.to_bytes()), "binding": b64(b.to_bytes())} for e, b in pairs
                ]
            }
            out.append(self.outgoing(Kind.TRANSFER, destination, agreement.id, body, now))
        return out

    def outgoing(
        self, kind: Kind, destination: str, agreement_id: str, body: dict[str, Any], now: datetime
    ) -> OutboxMessage:
        """A signed message for the outbox."""
        message = Message(
            id=self.ctx.ids.new_id(),
            kind=kind,
            sender=self.ctx.party,
            recipient=destination,
            agreement_id=agreement_id,
            sent_at=now,
            body=body,
        )
        blob = encode(self.ctx.keyring, message)
        return OutboxMessage(
            id=message.id, destination=destination, kind=kind.value, body=blob, created_at=now
        )

    # Receive -------------------------------------------------------------------------------

    def receive(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """Take custody of the items of a transfer (inside the inbox's unit of work).

        Each item's binding is verified before anything is stored; each is decided under its
        agreement as of the transfer's time, marked with this node's equivalent level
        (JK-4.2) and kept at rest with its key apart. Returns the receipt body: accepted and
        refused items, with the rules a refusal rests on.
        """
        now = self.ctx.clock.now()
        raw = message.body.get("items")
        if not isinstance(raw, list) or not raw:
            raise InputError("transfer: 'items' must be a non-empty list")
        parsed = [self._parse(i, x) for i, x in enumerate(raw)]
        good = self._verified(parsed)
        held = uow.existing_items([e.label.item_id for e, _ in parsed])
        decided: dict[tuple[str, ...], Decision] = {}
        accepted: list[str] = []
        refused: list[dict[str, Any]] = []
        records, labels, keys, entries = [], [], [], []
        for envelope, binding in parsed:
            label = envelope.label
            problem = self._admit(message, envelope, binding, good=good, held=held, decided=decided)
            held.add(label.item_id)
            if problem is not None:
                refused.append(
                    {
                        "item": label.item_id,
                        "rule_ids": list(problem.rule_ids),
                        "reason": problem.reason,
                    }
                )
                entries.append(
                    self.ctx.entry(
                        event=Event.ITEM_REFUSED,
                        agreement_id=label.agreement_id,
                        at=now,
                        item_id=label.item_id,
                        decision=problem,
                        counterparty=message.sender,
                    )
                )
                continue
            rec, lab, key, ents = self._take(message, envelope, binding, now)
            records.append(rec)
            labels.extend(lab)
            if key is not None:
                keys.append(key)
            entries.extend(ents)
            accepted.append(label.item_id)
        uow.add_items(records)
        uow.add_labels(labels)
        if keys:
            uow.keys.put_many(keys)
        self.ctx.record(uow, entries)
        taken = [e.label for e, _ in parsed if e.label.item_id in set(accepted)]
        for hook in self.on_received:
            hook(taken)
        return {"transfer": message.id, "accepted": accepted, "refused": refused}

    @staticmethod
    def _parse(i: int, raw: Any) -> tuple[Envelope, Binding]:
        if not isinstance(raw, dict):
            raise InputError(f"transfer item {i}: an object with envelope and binding expected")
        try:
            return (
                Envelope.from_bytes(unb64(raw.get("envelope"), what=f"item {i} envelope")),
                Binding.from_bytes(unb64(raw.get("binding"), what=f"item {i} binding")),
            )
        except IntegrityError:
            raise InputError(f"transfer item {i}: malformed envelope or binding") from None

    def _verified(self, parsed: list[tuple[Envelope, Binding]]) -> set[str]:
        """Ids of the items whose binding verifies; one signature check per whole batch."""
        try:
            verify_batch(keyring=self.ctx.keyring, items=parsed)
            return {e.label.item_id for e, _ in parsed}
        except (IntegrityError, GsomiaError):
            good = set()
            for e, b in parsed:
                try:
                    verify(keyring=self.ctx.keyring, envelope=e, binding=b)
                    good.add(e.label.item_id)
                except GsomiaError:
                    continue
            return good

    def _admit(
        self,
        message: Message,
        envelope: Envelope,
        binding: Binding,
        *,
        good: set[str],
        held: set[str],
        decided: dict[tuple[str, ...], Decision],
    ) -> Decision | None:
        """Why this item cannot be taken, as a denying decision, or ``None`` if it can.

        ``held`` are the item ids already in custody; ``decided`` memoises the send decision
        per (agreement, originator, route, level, topic): the items of one transfer share it.
        """
        label = envelope.label
        if label.item_id not in good or binding.signer != _provider(label):
            return Decision.deny(
                "receive", "JK-9.1", "the item's binding does not verify; it was not stored"
            )
        agreement = self.ctx.agreements.agreements.get(label.agreement_id)
        if agreement is None:
            return Decision.deny("receive", "JK-9.1", f"unknown agreement {label.agreement_id}")
        problem = self._route_problem(agreement, label, message.sender, held)
        if problem is not None:
            return problem
        key = (agreement.id, label.originator, *label.route, label.level, label.topic)
        decision = decided.get(key)
        if decision is None:
            decision = decided[key] = self._decide_receipt(agreement, label, message)
        if not decision.allowed:
            return decision
        mine = decision.obligations[-1].removeprefix("mark:") if decision.obligations else ""
        if label.equivalent_for(self.ctx.party) != mine:
            return Decision.deny(
                "receive",
                agreement.rule_id("marking"),
                f"the label's {self.ctx.party} equivalent is not {mine}",
            )
        return None

    def _route_problem(
        self, agreement: Agreement, label: Label, sender: str, held: set[str]
    ) -> Decision | None:
        """Why the item may not come here from ``sender`` (route, duplicate), if it may not."""
        me = self.ctx.party
        rule = agreement.rule_id("route")
        if me not in label.route or label.route.index(me) == 0:
            return Decision.deny("receive", rule, f"{me} is not on the item's route")
        previous = label.route[label.route.index(me) - 1]
        if previous != sender:
            return Decision.deny("receive", rule, f"the item must come from {previous}")
        if label.item_id in held:
            return Decision.deny(
                "receive", agreement.rule_id("parties"), "the item is already held (duplicate)"
            )
        return None

    def _decide_receipt(self, agreement: Agreement, label: Label, message: Message) -> Decision:
        """The send decision for a received item as of the transfer's time; its last
        obligation is this node's marking (JK-4.2)."""
        sender = _provider(label)
        level_ref = label.level if sender == label.originator else label.equivalent_for(sender)
        if level_ref is None:
            return Decision.deny(
                "receive", agreement.rule_id("marking"), f"the label gives {sender} no level"
            )
        level = agreement.schemes.parse(level_ref, party=sender)
        request = SendRequest(
            agreement=agreement,
            originator=sender,
            recipient=label.route[-1],
            level=level,
            topic=label.topic,
            at=message.sent_at,
            path=label.route,
        )
        decision = self.ctx.rulebook.decide_send(request)
        if not decision.allowed:
            return decision
        mine = agreement.equivalent(level, for_party=self.ctx.party).ref
        return Decision(
            act="receive",
            allowed=True,
            rule_ids=decision.rule_ids,
            reason=decision.reason,
            obligations=(*decision.obligations, f"mark:{mine}"),
        )

    def _take(
        self, message: Message, envelope: Envelope, binding: Binding, now: datetime
    ) -> tuple[ItemRecord, list[LabelRecord], ItemKey | None, list[LedgerEntry]]:
        ctx = self.ctx
        label = envelope.label
        final = label.route[-1] == ctx.party
        holder_level = label.equivalent_for(ctx.party) or label.level
        marked = label.remark(by=ctx.party)
        key: ItemKey | None = None
        if final:
            at_rest, key = keep(keyring=ctx.keyring, envelope=envelope, binding=binding)
            stored, state = at_rest.to_bytes(), ItemState.HELD
        else:
            stored, state = envelope.to_bytes(), ItemState.RELAYING
            if ctx.party in envelope.holders:
                _, key = keep(keyring=ctx.keyring, envelope=envelope, binding=binding)
                # A hub that is also a holder keeps its own key apart, so that shredding it
                # destroys the item here; the envelope it keeps to forward has no wrap for it.
                kept = tuple(w for w in envelope.wrapped_keys if w.holder != ctx.party)
                stored = replace(envelope, wrapped_keys=kept).to_bytes()
        record = _record(
            label,
            envelope,
            binding,
            holder=ctx.party,
            state=state,
            holder_level=holder_level,
            now=now,
            stored=stored,
            current=marked,
            facility=ctx.default_facility,
        )
        labels = [
            LabelRecord(
                digest=label.digest(),
                item_id=label.item_id,
                revision=label.revision,
                label=label.canonical_bytes(),
                recorded_at=now,
            ),
            LabelRecord(
                digest=marked.digest(),
                item_id=label.item_id,
                revision=marked.revision,
                label=marked.canonical_bytes(),
                recorded_at=now,
            ),
        ]
        agreement = ctx.agreement(label.agreement_id)
        entries = [
            ctx.entry(
                event=Event.ITEM_RECEIVED,
                agreement_id=label.agreement_id,
                at=now,
                item_id=label.item_id,
                rule_ids=(agreement.rule_id("route"),),
                label=label.digest(),
                counterparty=message.sender,
                transfer=message.id,
            ),
            ctx.entry(
                event=Event.ITEM_MARKED,
                agreement_id=label.agreement_id,
                at=now,
                item_id=label.item_id,
                rule_ids=(agreement.rule_id("marking"),),
                label=marked.digest(),
                previous_label=label.digest(),
                equivalent_level=holder_level,
            ),
        ]
        return record, labels, key, entries

    # Open ----------------------------------------------------------------------------------

    def open(self, *, item_id: str, person_id: str) -> bytes:
        """The content of a held item, for a person the rules allow (JK-7).

        Raises :class:`PolicyDenied` (recorded in the ledger) when access is refused.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = uow.item(item_id)
            person = uow.person(person_id)
            cleared = self.contractor_cleared(uow, person)
            item_key = uow.keys.get(item_id) if record.state is ItemState.HELD else None
        agreement = ctx.agreement(record.agreement_id)
        request = AccessRequest(
            agreement=agreement,
            person=person,
            item=self.item_view(record),
            at=now,
            contractor_cleared=cleared,
        )
        decision = ctx.rulebook.decide_open(request)
        if not decision.allowed or item_key is None:
            if decision.allowed:
                decision = Decision.deny(
                    "open",
                    agreement.rule_id("need_and_clearance"),
                    f"item {item_id} is not held here ({record.state})",
                )
            self._refuse(agreement.id, decision, now, person=person_id, item_id=item_id)
        content = open_stored(
            keyring=ctx.keyring, envelope=Envelope.from_bytes(record.ciphertext), item_key=item_key
        )
        entry = ctx.entry(
            event=Event.ITEM_OPENED,
            agreement_id=agreement.id,
            at=now,
            person=person_id,
            item_id=item_id,
            decision=decision,
            label=record.label_digest,
        )
        with ctx.store.unit_of_work() as uow:
            ctx.record(uow, [entry])
        return content

    def contractor_cleared(self, uow: UnitOfWork, person: Person) -> bool:
        """Whether Art. 16's conditions (a)–(o) are recorded as met for every contractor
        facility the person is registered at (JK-16.x)."""
        if person.role is not Role.CONTRACTOR_STAFF:
            return False
        from gsomia.services.registry import contractor_conditions_met

        return bool(person.registered_at) and all(
            contractor_conditions_met(uow, facility) for facility in person.registered_at
        )

    def item_view(self, record: ItemRecord) -> Item:
        """The rules' view of a stored item."""
        schemes = self.ctx.agreement(record.agreement_id).schemes
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


def _check_officer(person: Person, party: str) -> None:
    if person.party != party:
        raise PolicyDenied(
            rule_ids=("JK-9.1",), reason=f"{person.id} is not an official of {party}"
        )
    if person.role not in (Role.OFFICIAL, Role.SECURITY_OFFICER):
        raise PolicyDenied(
            rule_ids=("JK-9.1",), reason=f"{person.id} ({person.role}) may not release items"
        )


def _provider(label: Label) -> str:
    """Who sends the item along its route: its originator, or a holder that re-marked it to
    release it to a third party with the originator's consent (JK-5.1)."""
    if label.route and label.marker == label.route[0]:
        return label.route[0]
    return label.originator


def _holders(agreement: Agreement, path: tuple[str, ...]) -> tuple[str, ...]:
    """Who may open: the originator, the recipient, and a hub that takes custody (TI-4)."""
    if len(path) > 2 and not agreement.route.consent_required:
        return (path[0], path[-1])
    return path


def _record(
    label: Label,
    envelope: Envelope,
    binding: Binding,
    *,
    holder: str,
    state: ItemState,
    holder_level: str,
    now: datetime,
    stored: bytes | None = None,
    current: Label | None = None,
    facility: str | None = None,
) -> ItemRecord:
    current = current or label
    return ItemRecord(
        id=label.item_id,
        agreement_id=label.agreement_id,
        originator=label.originator,
        holder=holder,
        state=state,
        topic=label.topic,
        purpose=label.purpose,
        level_ref=label.level,
        holder_level_ref=holder_level,
        label_digest=current.digest(),
        provided_at=label.created_at,
        recorded_at=now,
        review_on=label.review_on,
        facility_id=facility,
        ciphertext=envelope.to_bytes() if stored is None else stored,
        binding=binding.to_bytes(),
    )
