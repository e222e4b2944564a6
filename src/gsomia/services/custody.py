"""Custody workflows: provide, receive, open (JK-4, JK-7, JK-9).

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

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.labels import Label, content_digest
from gsomia.core.people import Person, Role
from gsomia.core.rules import SendRequest
from gsomia.crypto import (
    Binding,
    Envelope,
    ItemKey,
    bind,
    keep,
    keep_batch,
    open_stored,
    seal_batch,
    verify,
    verify_batch,
)
from gsomia.errors import GsomiaError, InputError, IntegrityError, PolicyDenied
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.store import ItemRecord, ItemState, LabelRecord, OutboxMessage, UnitOfWork
from gsomia.services._transfers import (
    item_record,
    label_row,
    receipt_entries,
    transfer_body,
    transfer_items,
)
from gsomia.services._workflow import decide_access
from gsomia.services.context import NodeContext
from gsomia.services.messages import Kind, Message

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
            envelopes = seal_batch(keyring=ctx.keyring, items=pairs, holders=holders, now=now)
            bindings = bind(keyring=ctx.keyring, envelopes=envelopes)
            body, parts = transfer_body(envelopes, bindings)
            records += [
                item_record(
                    lb,
                    holder=ctx.party,
                    state=ItemState.SENT,
                    holder_level=level.ref,
                    now=now,
                    stored=parts[2 * i],
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
        """The labels of one provision: one validated label, and the others made from it
        with their own item ids and content digests (:meth:`Label.batch`)."""
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
        digests = [content_digest(content) for content in contents]
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
            content_digest=digests[0],
        )
        return Label.batch(template, item_ids=ids, content_digests=digests)

    # Receive -------------------------------------------------------------------------------

    def receive(self, uow: UnitOfWork, message: Message) -> dict[str, Any]:
        """Take custody of the items of a transfer (inside the inbox's unit of work).

        Each item's binding is verified before anything is stored; each is decided under its
        agreement as of the transfer's time, marked with this node's equivalent level
        (JK-4.2) and kept at rest with its key apart. Returns the receipt body: accepted and
        refused items, with the rules a refusal rests on.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        wire = transfer_items(message)
        parsed = [self._parse(i, e, b) for i, (e, b) in enumerate(wire)]
        good, kept = self._verified(parsed)
        held = uow.existing_items([e.label.item_id for e, _ in parsed])
        decided: dict[tuple[str, ...], Decision] = {}
        accepted: list[tuple[Envelope, Binding, bytes]] = []
        refused: list[dict[str, Any]] = []
        # The ledger records the items in the transfer's order: a refusal, or (``None`` here)
        # the receipt and marking of the next accepted item.
        order: list[LedgerEntry | None] = []
        for (envelope, binding), (_, raw_binding) in zip(parsed, wire, strict=True):
            label = envelope.label
            problem = self._admit(message, envelope, binding, good=good, held=held, decided=decided)
            held.add(label.item_id)
            if problem is None:
                accepted.append((envelope, binding, raw_binding))
                order.append(None)
                continue
            refused.append(
                {
                    "item": label.item_id,
                    "rule_ids": list(problem.rule_ids),
                    "reason": problem.reason,
                }
            )
            order.append(
                ctx.entry(
                    event=Event.ITEM_REFUSED,
                    agreement_id=label.agreement_id,
                    at=now,
                    item_id=label.item_id,
                    decision=problem,
                    counterparty=message.sender,
                )
            )
        records, labels, keys, taken = self._take(message, accepted, kept, now)
        uow.add_items(records)
        uow.add_labels(labels)
        if keys:
            uow.keys.put_many(keys)
        pairs = iter(taken)
        ctx.record(uow, [e for x in order for e in ((x,) if x is not None else next(pairs))])
        for hook in self.on_received:
            hook([e.label for e, _, _ in accepted])
        return {
            "transfer": message.id,
            "accepted": [e.label.item_id for e, _, _ in accepted],
            "refused": refused,
        }

    @staticmethod
    def _parse(i: int, envelope: bytes, binding: bytes) -> tuple[Envelope, Binding]:
        try:
            return Envelope.from_bytes(envelope), Binding.from_bytes(binding)
        except IntegrityError:
            raise InputError(f"transfer item {i}: malformed envelope or binding") from None

    def _verified(
        self, parsed: list[tuple[Envelope, Binding]]
    ) -> tuple[set[str], dict[str, tuple[Envelope, ItemKey]]]:
        """Ids of the items whose binding verifies, and the items wrapped for this node
        already kept at rest (their key apart). One signature check per whole signed batch;
        if anything fails, each item is checked on its own and kept later, one by one."""
        keyring, party = self.ctx.keyring, self.ctx.party
        mine = [(e, b) for e, b in parsed if any(w.holder == party for w in e.wrapped_keys)]
        try:
            kept = keep_batch(keyring=keyring, items=mine) if mine else []
            if len(mine) < len(parsed):
                verify_batch(keyring=keyring, items=parsed)
            good = {e.label.item_id for e, _ in parsed}
            return good, {e.label.item_id: k for (e, _), k in zip(mine, kept, strict=True)}
        except GsomiaError:
            good = set()
            for e, b in parsed:
                try:
                    verify(keyring=keyring, envelope=e, binding=b)
                    good.add(e.label.item_id)
                except GsomiaError:
                    continue
            return good, {}

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
        self,
        message: Message,
        items: list[tuple[Envelope, Binding, bytes]],
        kept: dict[str, tuple[Envelope, ItemKey]],
        now: datetime,
    ) -> tuple[list[ItemRecord], list[LabelRecord], list[ItemKey], list[tuple[LedgerEntry, ...]]]:
        """What taking custody of accepted items stores: each item's record, its label as
        received and as re-marked here (JK-4.2), its key apart, and its two ledger entries."""
        ctx = self.ctx
        received = [envelope.label for envelope, _, _ in items]
        marked = Label.remark_batch(received, by=ctx.party)
        levels = [label.equivalent_for(ctx.party) or label.level for label in received]
        was, now_is = [x.digest() for x in received], [x.digest() for x in marked]
        records: list[ItemRecord] = []
        label_rows: list[LabelRecord] = []
        keys: list[ItemKey] = []
        for i, (envelope, binding, raw_binding) in enumerate(items):
            stored, state, key = self._at_rest(envelope, binding, kept)
            records.append(
                item_record(
                    received[i],
                    holder=ctx.party,
                    state=state,
                    holder_level=levels[i],
                    now=now,
                    stored=stored,
                    binding=raw_binding,
                    label_digest=now_is[i],
                    facility=ctx.default_facility,
                )
            )
            label_rows += (
                label_row(received[i], was[i], now),
                label_row(marked[i], now_is[i], now),
            )
            if key is not None:
                keys.append(key)
        entries = receipt_entries(
            ctx, message, received, digests=(was, now_is), levels=levels, now=now
        )
        return records, label_rows, keys, entries

    def _at_rest(
        self, envelope: Envelope, binding: Binding, kept: dict[str, tuple[Envelope, ItemKey]]
    ) -> tuple[bytes, ItemState, ItemKey | None]:
        """What this node stores of an item, in which state, and the key it keeps apart."""
        ctx = self.ctx
        label = envelope.label
        got = kept.get(label.item_id)
        if label.route[-1] == ctx.party:
            at_rest, key = got or keep(keyring=ctx.keyring, envelope=envelope, binding=binding)
            return at_rest.to_bytes(), ItemState.HELD, key
        if ctx.party not in envelope.holders:
            return envelope.to_bytes(), ItemState.RELAYING, None
        _, key = got or keep(keyring=ctx.keyring, envelope=envelope, binding=binding)
        # A hub that is also a holder keeps its own key apart, so that shredding it destroys
        # the item here; the envelope it keeps to forward has no wrap for it.
        wraps = tuple(w for w in envelope.wrapped_keys if w.holder != ctx.party)
        return replace(envelope, wrapped_keys=wraps).to_bytes(), ItemState.RELAYING, key

    # Open ----------------------------------------------------------------------------------

    def open(self, *, item_id: str, person_id: str) -> bytes:
        """The content of a held item, for a person the rules allow (JK-7).

        Raises :class:`PolicyDenied` (recorded in the ledger) when access is refused.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            record = uow.item(item_id)
            agreement = ctx.agreement(record.agreement_id)
            decision = decide_access(ctx, uow, agreement, record, uow.person(person_id), now)
            item_key = uow.keys.get(item_id) if record.state is ItemState.HELD else None
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

    def open_batch(self, *, item_ids: Sequence[str], person_id: str) -> list[bytes | None]:
        """:meth:`open` for many items at once (a page of a TAXII collection): each item
        is decided and opened or refused exactly as :meth:`open` does, and every opening and
        refusal is recorded, in one unit of work. The content of each item, or ``None`` where
        access was refused.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        decided: list[tuple[ItemRecord, Decision, ItemKey | None]] = []
        with ctx.store.read() as uow:
            person = uow.person(person_id)
            for item_id in item_ids:
                record = uow.item(item_id)
                agreement = ctx.agreement(record.agreement_id)
                decision = decide_access(ctx, uow, agreement, record, person, now)
                key = uow.keys.get(item_id) if record.state is ItemState.HELD else None
                if decision.allowed and key is None:
                    decision = Decision.deny(
                        "open",
                        agreement.rule_id("need_and_clearance"),
                        f"item {item_id} is not held here ({record.state})",
                    )
                decided.append((record, decision, key))
        out: list[bytes | None] = []
        entries = []
        for record, decision, key in decided:
            opened = decision.allowed and key is not None
            if key is not None and decision.allowed:
                envelope = Envelope.from_bytes(record.ciphertext)
                out.append(open_stored(keyring=ctx.keyring, envelope=envelope, item_key=key))
            else:
                out.append(None)
            entries.append(
                ctx.entry(
                    event=Event.ITEM_OPENED if opened else Event.ITEM_REFUSED,
                    agreement_id=record.agreement_id,
                    at=now,
                    person=person_id,
                    item_id=record.id,
                    decision=decision,
                    label=record.label_digest if opened else None,
                )
            )
        with ctx.store.unit_of_work() as uow:
            ctx.record(uow, entries)
        return out


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
