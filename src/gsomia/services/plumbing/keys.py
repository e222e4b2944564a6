"""The node's key lifecycle: rotate, re-wrap, retire, unregister and re-seal, each recorded in
the ledger (crypto review M5).

* **rotate** adds fresh keys (all kinds, or those named) that take over new work; partners
  register the new public keys before they are used towards them. Rotating the at-rest key
  starts a new at-rest **epoch**: every kept item's key is re-wrapped under the new key and
  the older at-rest keys are retired, so a copy of the database, its WAL, an archive or a
  replica taken before, which may still hold destroyed items' records, opens nothing with
  the keyring from then on.
* **rewrap** moves kept items' keys to the newest at-rest key; **retire** removes an older
  encryption or at-rest key once nothing needs it.
* **unregister** stops trusting a partner's key under one agreement: nothing it signs
  verifies here any more, and nothing new is wrapped to it.
* **reseal** seals again, at rest, the items held under label-v1 and envelope-v1 (a
  plaintext digest in the label): each gets a label-v2 re-marking by this node and a fresh
  data key (envelope-v2).
* The at-rest key's nonce budget is kept by rotating it once half the budget is used.
* Rotating the **state** key seals every row of the store again under the new key (each
  checked under the old one first) and retires the older state keys, so a keyring copy
  taken before opens no way to forge the store's rows (state-v1,
  :mod:`gsomia.services.plumbing.state`).

Each act is decided by the rules (a named person needs the registry authority; the operator
who holds the master secret acts as the node) and recorded in the ledger.

The keyring is written (``persist``) before the node uses it, so a crash never leaves the
node holding keys its keyring file lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from gsomia.core.rules import Act, AdministerRequest, ResealRequest
from gsomia.crypto import (
    AT_REST_BUDGET,
    Envelope,
    KeyKind,
    Keyring,
    bind,
    keep,
    open_stored,
    rewrap_item_key,
    rotate,
    seal,
)
from gsomia.errors import ConflictError, StorageError
from gsomia.ledger.entries import Actor, Event, LedgerEntry
from gsomia.ports.store import ItemRecord, ItemState
from gsomia.services.plumbing.context import SYSTEM_ACTOR, NodeContext
from gsomia.services.plumbing.state import seal_store
from gsomia.services.plumbing.transfers import label_row
from gsomia.services.plumbing.workflow import Workflow

__all__ = ["KeyChange", "KeysService"]

_logger = logging.getLogger(__name__)

#: Item keys re-wrapped per unit of work.
_REWRAP_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyChange:
    """What one key command did: the key ids added or removed, and how many item keys were
    re-wrapped or items sealed again."""

    event: str
    keys: tuple[str, ...] = ()
    count: int = 0


class KeysService:
    """Rotate, re-wrap, retire and unregister keys, and re-seal items held under label-v1."""

    def __init__(self, ctx: NodeContext, persist: Callable[[Keyring], None] | None = None):
        self.ctx = ctx
        #: Writes the keyring durably (the node home's keyring file); ``None`` in memory.
        self.persist = persist

    # Rotation --------------------------------------------------------------------------------

    def rotate(
        self,
        *,
        by: str = SYSTEM_ACTOR,
        kinds: Sequence[KeyKind] | None = None,
        retire_old_at_rest: bool = True,
    ) -> KeyChange:
        """Add fresh keys of every kind (or of ``kinds``); with a new at-rest key, re-wrap
        every kept item's key and, unless told not to, retire the older at-rest keys.

        Raises :class:`InputError` for an unknown person or no kind named.
        """
        self._actor(by)
        now = self.ctx.clock.now()
        old = self.ctx.keyring
        new = rotate(old, now=now, kinds=kinds)
        self._install(new)
        added = [key for key in new.own if key not in old.own]
        entries = [
            entry
            for key in added
            for entry in self._entries(
                Event.KEY_ROTATED,
                now,
                by,
                key=key.key_id.hex(),
                previous_key=old.newest(key.kind).key_id.hex(),
                method=key.kind.value,
            )
        ]
        self._record(entries)
        if any(key.kind is KeyKind.AT_REST for key in added):
            self.rewrap(by=by)
            if retire_old_at_rest:
                for key in [k for k in new.own if k.kind is KeyKind.AT_REST][:-1]:
                    self.retire(key_id=key.key_id, by=by)
        if any(key.kind is KeyKind.STATE for key in added):
            self._reseal_state(by)
        return KeyChange(event=Event.KEY_ROTATED.value, keys=tuple(k.key_id.hex() for k in added))

    def _reseal_state(self, by: str) -> None:
        """Every sealed row under the newest state key (checked under the old one first),
        then the older state keys retired."""
        count = seal_store(self.ctx, trust=False)
        for key in [k for k in self.ctx.keyring.own if k.kind is KeyKind.STATE][:-1]:
            self._install(self.ctx.keyring.retire(key_id=key.key_id))
            now = self.ctx.clock.now()
            self._record(
                self._entries(
                    Event.KEY_RETIRED,
                    now,
                    by,
                    key=key.key_id.hex(),
                    method="state",
                    count=str(count),
                )
            )

    def rewrap(self, *, by: str = SYSTEM_ACTOR) -> KeyChange:
        """Re-wrap every kept item's key that uses an older at-rest key under the newest
        one (``MultiFernet.rotate``), a chunk per unit of work."""
        self._actor(by)
        keyring = self.ctx.keyring
        newest = keyring.newest(KeyKind.AT_REST).key_id
        moved = 0
        for key in keyring.own:
            if key.kind is not KeyKind.AT_REST or key.key_id == newest:
                continue
            moved += self._rewrap_under(key.key_id)
        now = self.ctx.clock.now()
        self._record(
            self._entries(Event.KEY_REWRAPPED, now, by, key=newest.hex(), count=str(moved))
        )
        return KeyChange(event=Event.KEY_REWRAPPED.value, keys=(newest.hex(),), count=moved)

    def _rewrap_under(self, key_id: bytes) -> int:
        moved = 0
        while True:
            with self.ctx.store.read() as uow:
                ids = list(islice(uow.keys.under_key(key_id), _REWRAP_CHUNK))
                records = [uow.keys.get(i) for i in ids]
            if not records:
                return moved
            fresh = [rewrap_item_key(keyring=self.ctx.keyring, item_key=r) for r in records]
            with self.ctx.store.unit_of_work() as uow:
                for record in fresh:
                    uow.keys.replace(record)
            moved += len(fresh)

    def retire(self, *, key_id: bytes, by: str = SYSTEM_ACTOR) -> KeyChange:
        """Remove an older own encryption or at-rest key from the keyring for good.

        Raises :class:`ConflictError` while kept items still use an at-rest key (re-wrap
        first), for the newest key of a kind or for a signing key, and
        :class:`~gsomia.errors.UnknownName` for an unknown key id.
        """
        self._actor(by)
        keyring = self.ctx.keyring
        kind = next((k.kind for k in keyring.own if k.key_id == key_id), None)
        if kind is KeyKind.STATE:
            raise ConflictError("an older state key is retired by rotating the state key")
        if kind is KeyKind.AT_REST:
            with self.ctx.store.read() as uow:
                left = uow.keys.count_under_key(key_id)
            if left:
                raise ConflictError(
                    f"{left} kept items still use at-rest key {key_id.hex()}; "
                    "run gsomia keys rewrap first"
                )
        new = keyring.retire(key_id=key_id)
        self._install(new)
        now = self.ctx.clock.now()
        method = kind.value if kind else "unknown"
        self._record(self._entries(Event.KEY_RETIRED, now, by, key=key_id.hex(), method=method))
        try:
            self.ctx.store.purge_destroyed_keys()
        except StorageError as exc:
            _logger.warning("purge after retiring a key is owed: %s", exc)
        return KeyChange(event=Event.KEY_RETIRED.value, keys=(key_id.hex(),))

    def unregister(
        self, *, party: str, agreement_id: str, key_id: bytes, by: str = SYSTEM_ACTOR
    ) -> KeyChange:
        """Stop trusting one of ``party``'s keys under ``agreement_id`` (revocation).

        Raises :class:`~gsomia.errors.UnknownName` if that key is not registered there.
        """
        self._actor(by)
        agreement = self.ctx.agreement(agreement_id)
        new = self.ctx.keyring.unregister(agreement_id=agreement.id, party=party, key_id=key_id)
        self._install(new)
        entry = self.ctx.entry(
            event=Event.KEY_UNREGISTERED,
            agreement_id=agreement.id,
            at=self.ctx.clock.now(),
            person=by,
            counterparty=party,
            key=key_id.hex(),
        )
        self._record([entry])
        return KeyChange(event=Event.KEY_UNREGISTERED.value, keys=(key_id.hex(),))

    def ensure_at_rest_budget(self) -> bool:
        """Rotate the at-rest key once it has wrapped half its nonce budget (NIST SP
        800-38D §8.3); whether it rotated. Older at-rest keys stay until re-wrapped."""
        newest = self.ctx.keyring.newest(KeyKind.AT_REST).key_id
        with self.ctx.store.read() as uow:
            used = uow.keys.uses(newest)
        if used < AT_REST_BUDGET // 2:
            return False
        self.rotate(kinds=[KeyKind.AT_REST], retire_old_at_rest=False)
        _logger.warning("at-rest key %s used %d times: rotated", newest.hex(), used)
        return True

    def record_secret_rotation(self, *, by: str = SYSTEM_ACTOR) -> None:
        """Record that the keyring and the node's private keys were sealed under a new
        master secret (the files are rewritten by the composition root)."""
        self._actor(by)
        self._record(self._entries(Event.SECRET_ROTATED, self.ctx.clock.now(), by))

    # Re-sealing items kept under label-v1 -------------------------------------------------

    def reseal(self, *, by: str = SYSTEM_ACTOR) -> KeyChange:
        """Seal again every held item kept as an envelope-v1: a label-v2 re-marking by this
        node (recorded as ``item.marked``) and a fresh data key at rest."""
        self._actor(by)
        done, after = 0, ""
        while True:
            with self.ctx.store.read() as uow:
                page = uow.items(state=ItemState.HELD, limit=200, after=after)
            if not page:
                return KeyChange(event=Event.ITEM_MARKED.value, count=done)
            for record in page:
                if record.ciphertext[:4] == b"GSE\x01":
                    self._reseal(record, by)
                    done += 1
            after = page[-1].id

    def _reseal(self, record: ItemRecord, by: str) -> None:
        ctx, party = self.ctx, self.ctx.party
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            item_key = uow.keys.get(record.id)
            label = Workflow.current_label(uow, record)
        content = open_stored(
            keyring=ctx.keyring, envelope=Envelope.from_bytes(record.ciphertext), item_key=item_key
        )
        new_label = label.remark(by=party)
        sealed = seal(keyring=ctx.keyring, plaintext=content, label=new_label, holders=(party,))
        (binding,) = bind(keyring=ctx.keyring, envelopes=[sealed])
        at_rest, key = keep(keyring=ctx.keyring, envelope=sealed, binding=binding)
        agreement = ctx.agreement(record.agreement_id)
        request = ResealRequest(
            agreement=agreement,
            item=ctx.item_view(record),
            level=new_label.level,
            equivalent=new_label.equivalent_for(party),
            at=now,
        )
        decision = ctx.decide(Act.RESEAL, request, person=by, item_id=record.id)
        with ctx.store.unit_of_work() as uow:
            uow.keys.reseal(key)
            uow.reseal_item(record.id, ciphertext=at_rest.to_bytes(), binding=binding.to_bytes())
            uow.remark_item(
                record.id,
                label_digest=new_label.digest(),
                level_ref=record.level_ref,
                holder_level_ref=record.holder_level_ref,
            )
            uow.add_label(label_row(new_label, new_label.digest(), now))
            entry = ctx.entry(
                event=Event.ITEM_MARKED,
                agreement_id=agreement.id,
                at=now,
                person=by,
                item_id=record.id,
                decision=decision,
                label=new_label.digest(),
                previous_label=label.digest(),
                method="reseal",
            )
            ctx.record(uow, [entry])

    # Helpers -----------------------------------------------------------------------------

    def _install(self, keyring: Keyring) -> None:
        """Write the keyring durably, then let the node use it."""
        if self.persist is not None:
            self.persist(keyring)
        self.ctx.keyring = keyring

    def _actor(self, by: str) -> None:
        """A named person administers the node's keys only as a security officer holding
        the registry authority (decided by the rules, a refusal recorded); the operator who
        holds the master secret acts as the node itself."""
        if by == SYSTEM_ACTOR:
            return
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            person = ctx.person(uow, by)
        ctx.decide_node(
            Act.ADMINISTER,
            lambda a: AdministerRequest(
                agreement=a, person=person, party=ctx.party, what="keys", at=now
            ),
            person=by,
        )

    def _entries(self, event: Event, now: datetime, by: str, **details: str) -> list[LedgerEntry]:
        """One entry per agreement this node is a party to: every partner sees the act."""
        actor = Actor(party=self.ctx.party, person=by)
        return [
            LedgerEntry(
                agreement_id=a.id, event=event, actor=actor, at=now, item_id=None, details=details
            )
            for a in self.ctx.files
            if self.ctx.party in a.party_codes
        ]

    def _record(self, entries: list[LedgerEntry]) -> None:
        if entries:
            with self.ctx.store.unit_of_work() as uow:
                self.ctx.record(uow, entries)
