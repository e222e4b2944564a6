"""Receipt of transfers: taking custody of the items a partner sends (JK-4, JK-7, JK-9).

A transfer is taken a batch at a time, inside the inbox's unit of work: the sender's binding
and every item's envelope are checked at once (:func:`~gsomia.crypto.verify_batch`), the
rules decide each item's receipt, and the accepted items are kept at rest, re-wrapped for
this node (:func:`~gsomia.crypto.keep_batch`), or kept to forward when this node is a hub on
their route. Consent alarms found on the way are raised once the unit of work is over
(:meth:`Receiving.settle`). Providing, opening and placing are in :mod:`.custody`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.items import Consent, ConsentKind
from gsomia.core.labels import Label
from gsomia.core.rules import Act, ReceiveRequest, SendRequest
from gsomia.crypto import (
    Binding,
    Envelope,
    ItemKey,
    keep,
    keep_batch,
    verify,
    verify_batch,
)
from gsomia.errors import GsomiaError, InputError, IntegrityError
from gsomia.formats.messages import Message, unb64
from gsomia.ledger.entries import LedgerEntry
from gsomia.ports.ledger import AlarmRecord
from gsomia.ports.store import (
    ItemRecord,
    ItemState,
    LabelRecord,
    UnitOfWork,
)
from gsomia.services.acts._consents import CONSENT_FORMAT
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.transfers import (
    item_record,
    label_row,
    receipt_entries,
    transfer_items,
)
from gsomia.services.plumbing.workflow import Workflow

__all__ = ["MAX_ITEM_BYTES", "Receiving"]

_logger = logging.getLogger(__name__)

#: The largest content of one item a node provides or takes (``limits.max_item_bytes``).
MAX_ITEM_BYTES = 4 * 1024 * 1024
#: What sealing adds to a content: the AES-256-GCM tag (``docs/formats/envelope-v1.md``).
_SEAL_OVERHEAD = 16


class Receiving(Workflow):
    """Take custody of a transfer's items: the receiving half of the custody service."""

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
        me = self.ctx.party
        provider = _provider(label)
        agreement = self._receipt_agreement(label, message)
        verified = label.item_id in good and binding.signer == provider
        already_held = label.item_id in held
        marked = label.equivalent_for(me)
        relayed = _relayed(label, message.sender, me)
        # Everything the request below holds but the item's id (the sender, this node and
        # the transfer's time are the transfer's): a relayed item's consent is its own.
        key = (
            agreement.id,
            label.agreement_id,
            label.originator,
            provider,
            *label.route,
            label.level,
            label.equivalent_for(provider),
            label.topic,
            marked,
            verified,
            already_held,
            label.item_id if relayed else None,
        )
        decision = decided.get(key)
        if decision is not None:
            return decision
        request = ReceiveRequest(
            agreement=agreement,
            label_agreement=label.agreement_id,
            me=me,
            sender=message.sender,
            provider=provider,
            binding_verified=verified,
            already_held=already_held,
            route=label.route,
            marked=marked,
            send=None,
            relayed=relayed,
        )
        if relayed:
            request = replace(request, consent=self._relay_consent(label, consent))
        request = replace(request, send=self._provision(request, label, message))
        decision = decided[key] = self.ctx.rulebook.decide(Act.RECEIVE, request)
        if relayed and not decision.allowed and request.consent is None:
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
