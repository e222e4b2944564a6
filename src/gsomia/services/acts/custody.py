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

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.items import Consent, ConsentKind
from gsomia.core.labels import Label
from gsomia.core.people import Person
from gsomia.core.rules import Act, AssuranceRequest, PlaceRequest, ReceiveRequest, SendRequest
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
from gsomia.errors import GsomiaError, InputError, IntegrityError
from gsomia.formats.messages import Kind, Message, unb64
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.ledger import AlarmRecord
from gsomia.ports.store import (
    ItemRecord,
    ItemState,
    LabelRecord,
    OutboxMessage,
    ReadView,
    UnitOfWork,
)
from gsomia.records import AssuranceRecord, PlacementRecord
from gsomia.services.acts._consents import CONSENT_FORMAT, verified_consent
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.transfers import (
    item_record,
    label_row,
    receipt_entries,
    transfer_body,
    transfer_items,
)
from gsomia.services.plumbing.workflow import Workflow, check_id

__all__ = ["MAX_ITEM_BYTES", "TRANSFER_CHUNK", "CustodyService", "Provision", "ProvisionResult"]

_logger = logging.getLogger(__name__)

#: Items per transfer message (one binding signature and one message signature each).
TRANSFER_CHUNK = 1000
#: The largest content of one item a node provides or takes (``limits.max_item_bytes``).
MAX_ITEM_BYTES = 4 * 1024 * 1024
#: What sealing adds to a content: the AES-256-GCM tag (``docs/formats/envelope-v1.md``).
_SEAL_OVERHEAD = 16
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


class CustodyService(Workflow):
    """Provide, receive, open and place items of classified military information."""

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        #: Set by the composition root from ``limits.max_item_bytes``.
        self.max_item_bytes = MAX_ITEM_BYTES
        #: Called with the labels of every transfer's accepted items (the warning feed
        #: learns its streams' labels this way).
        self.on_received: list[Callable[[list[Label]], None]] = []
        #: Alarms found while a transfer was handled, raised once its unit of work is over.
        self._alarms: list[AlarmRecord] = []
        self._alarm_lock = threading.Lock()

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
        self._check_sizes(parsed)
        good, kept = self._verified(parsed)
        carried = _carried_consents(message)
        held = uow.existing_items([e.label.item_id for e, _ in parsed])
        decided: dict[tuple[object, ...], Decision] = {}
        accepted: list[tuple[Envelope, Binding, bytes]] = []
        taking: list[Decision] = []
        refused: list[dict[str, Any]] = []
        # The ledger records the items in the transfer's order: a refusal, or (``None`` here)
        # the receipt and marking of the next accepted item.
        order: list[LedgerEntry | None] = []
        for (envelope, binding), (_, raw_binding) in zip(parsed, wire, strict=True):
            label = envelope.label
            problem = self._admit(
                message,
                envelope,
                binding,
                good=good,
                held=held,
                decided=decided,
                consent=carried.get(label.item_id),
            )
            held.add(label.item_id)
            if problem.allowed:
                accepted.append((envelope, binding, raw_binding))
                taking.append(problem)
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
                ctx.refusal(
                    self._receipt_agreement(label, message).id,
                    problem,
                    item_id=label.item_id,
                    counterparty=message.sender,
                )
            )
        records, labels, keys, taken = self._take(message, accepted, taking, kept, now)
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

    def _check_sizes(self, parsed: list[tuple[Envelope, Binding]]) -> None:
        """Refuse the whole transfer, before anything is stored, if an item's content is
        larger than this node takes (:class:`InputError`; the sender dead-letters it)."""
        for i, (envelope, _) in enumerate(parsed):
            size = len(envelope.ciphertext) - _SEAL_OVERHEAD
            if size > self.max_item_bytes:
                raise InputError(
                    f"transfer item {i} ({envelope.label.item_id}) holds {size} bytes; this "
                    f"node takes at most {self.max_item_bytes} bytes per item; nothing was stored"
                )

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
        decided: dict[tuple[object, ...], Decision],
        consent: bytes | None = None,
    ) -> Decision:
        """The rules' decision on taking this item (JK-4.2, JK-9.1, TI-2): its binding, its
        route, a duplicate, the provision as of the transfer's time, its marking.

        ``held`` are the item ids already in custody; ``decided`` memoises the decision per
        everything it reads but the item's id: the items of one transfer share it.
        """
        label = envelope.label
        provider = _provider(label)
        request = ReceiveRequest(
            agreement=self._receipt_agreement(label, message),
            label_agreement=label.agreement_id,
            me=self.ctx.party,
            sender=message.sender,
            provider=provider,
            binding_verified=label.item_id in good and binding.signer == provider,
            already_held=label.item_id in held,
            route=label.route,
            marked=label.equivalent_for(self.ctx.party),
            send=None,
            relayed=_relayed(label, message.sender, self.ctx.party),
        )
        if request.relayed:
            request = replace(request, consent=self._relay_consent(label, consent))
        key = (
            request.agreement.id,
            request.label_agreement,
            label.originator,
            provider,
            *label.route,
            label.level,
            label.equivalent_for(provider),
            label.topic,
            request.marked,
            request.binding_verified,
            request.already_held,
            label.item_id if request.relayed else None,
        )
        decision = decided.get(key)
        if decision is None:
            request = replace(request, send=self._provision(request, label, message))
            decision = decided[key] = self.ctx.rulebook.decide(Act.RECEIVE, request)
            if request.relayed and not decision.allowed and request.consent is None:
                self._alarm(label, message, decision)
        return decision

    def _relay_consent(self, label: Label, blob: bytes | None) -> Consent | None:
        """The originator's signed consent a hub carried for a relayed item, if it verifies
        as the originator's written consent to release this item to this node (TI-3)."""
        if not blob:
            return None
        try:
            doc = self.open_signed(
                blob, agreement_id=label.agreement_id, signer=label.originator, fmt=CONSENT_FORMAT
            )
            if doc.get("item") != label.item_id or doc.get("kind") != ConsentKind.RELEASE.value:
                return None
            return Consent(
                kind=ConsentKind.RELEASE,
                item_id=label.item_id,
                originator=str(doc.get("originator")),
                granted=doc.get("granted") is True,
                decided_at=datetime.fromisoformat(str(doc.get("decided_at"))),
                to_party=str(doc.get("to_party")),
                written=True,
                signature_verified=True,
            )
        except (GsomiaError, ValueError):
            return None

    def _alarm(self, label: Label, message: Message, decision: Decision) -> None:
        """Keep an alarm for an item a hub relayed without the originator's consent (a hub
        that forwards on its own say-so); raised once the transfer's unit of work is over."""
        evidence = {
            "item": label.item_id,
            "agreement": label.agreement_id,
            "hub": message.sender,
            "transfer": message.id,
            "rule_ids": list(decision.rule_ids),
        }
        alarm = AlarmRecord(
            raised_at=self.ctx.clock.now(),
            origin=message.sender,
            finding="relay-without-consent",
            message=f"{message.sender} relayed item {label.item_id} without {label.originator}'s "
            f"consent: {decision.reason}",
            evidence=json.dumps(evidence, sort_keys=True),
        )
        with self._alarm_lock:
            self._alarms.append(alarm)

    def settle(self) -> None:
        """Raise the alarms a handled transfer found (after its unit of work is over): a
        person must look (``gsomia audit alarms``, the console's overview)."""
        with self._alarm_lock:
            alarms, self._alarms = self._alarms, []
        for alarm in alarms:
            self.ctx.store.ledger.add_alarm(alarm)
            _logger.critical("alarm: %s", alarm.message)

    def _receipt_agreement(self, label: Label, message: Message) -> Agreement:
        """The agreement a received item is decided under: its label's, or, when this node
        does not know that one, the transfer's (whose rules then refuse it)."""
        known = self.ctx.agreements.agreements
        return known.get(label.agreement_id) or self.ctx.agreement(message.agreement_id)

    def _provision(
        self, request: ReceiveRequest, label: Label, message: Message
    ) -> SendRequest | None:
        """The provision the label states, as of the transfer's time: by its provider, at
        the provider's level, along its route (``None`` when the label gives no level)."""
        provider = request.provider
        level_ref = label.level if provider == label.originator else label.equivalent_for(provider)
        if level_ref is None or request.agreement.id != label.agreement_id:
            return None
        try:
            level = request.agreement.schemes.parse(level_ref, party=provider)
        except GsomiaError:
            return None
        return SendRequest(
            agreement=request.agreement,
            originator=provider,
            recipient=label.route[-1],
            level=level,
            topic=label.topic,
            at=message.sent_at,
            path=label.route,
        )

    def _take(
        self,
        message: Message,
        items: list[tuple[Envelope, Binding, bytes]],
        decisions: list[Decision],
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
            ctx,
            message,
            received,
            digests=(was, now_is),
            levels=levels,
            decisions=decisions,
            now=now,
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
            uow.set_item_facility(record.id, facility_id)
            placed = PlacementRecord(
                id=record.id,
                state="placed",
                facility=facility_id,
                from_facility=record.facility_id,
                by=by,
                at=now.isoformat(),
            )
            ctx.put(uow, placed, now=now, item_id=record.id)
            entry = ctx.entry(
                event=Event.ITEM_PLACED,
                agreement_id=record.agreement_id,
                at=now,
                person=by,
                item_id=record.id,
                decision=decision,
                facility=facility_id,
            )
            ctx.record(uow, [entry])
        return replace(record, facility_id=facility_id)


def _relayed(label: Label, sender: str, me: str) -> bool:
    """Whether an item came to ``me``, its final recipient, through a hub on its route."""
    route = label.route
    return len(route) == 3 and route[-1] == me and sender == route[1]


def _carried_consents(message: Message) -> dict[str, bytes]:
    """The originators' signed consents a hub carried with a transfer, by item id."""
    raw = message.body.get("consents")
    if not isinstance(raw, dict):
        return {}
    out = {}
    for item_id, text in raw.items():
        try:
            out[str(item_id)] = unb64(text, what="carried consent")
        except InputError:
            continue
    return out


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
