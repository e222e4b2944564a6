"""A node of one party: its context and every workflow service, wired together.

A composition root (the CLI, the API app, the demo, the tests) builds a :class:`Node` from
a store, a keyring, a clock, an id source and a transport; everything else is here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gsomia.core.agreements import AgreementLibrary
from gsomia.crypto import Keyring, PublicKey
from gsomia.crypto.signed_notes import trusted_key_lines
from gsomia.errors import StorageError
from gsomia.formats.messages import Kind
from gsomia.ports.bus import Bus
from gsomia.ports.runtime import Clock, IdSource
from gsomia.ports.store import Store
from gsomia.ports.transport import PeerTransport
from gsomia.services.acts.assurances import AssuranceService
from gsomia.services.acts.consent import ConsentService
from gsomia.services.acts.contractors import ContractorService
from gsomia.services.acts.custody import CustodyService
from gsomia.services.acts.handling import HandlingService
from gsomia.services.acts.incidents import IncidentService
from gsomia.services.acts.liaison import LiaisonService
from gsomia.services.acts.notes import NotesService
from gsomia.services.acts.reclassification import ReclassificationService
from gsomia.services.acts.registry import RegistryService
from gsomia.services.acts.release import ReleaseService
from gsomia.services.feed import BUNDLE_MAGIC, FeedService
from gsomia.services.overview import Overview
from gsomia.services.plumbing.audit import AuditService
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.delivery import Delivery
from gsomia.services.plumbing.keys import KeysService
from gsomia.services.plumbing.node_audit import audit_of, ledger_origin
from gsomia.services.plumbing.queries import Queries
from gsomia.services.plumbing.reconcile import Reconciler, Reconciliation
from gsomia.services.plumbing.request_keys import RequestKeys
from gsomia.services.plumbing.state import NodeSeals
from gsomia.services.witnessing import WitnessService

__all__ = ["Node", "ledger_origin"]

_logger = logging.getLogger(__name__)

#: How often a running node holds what its store wrote since to the ledger. Each check reads
#: every row written since the last one at once: after five minutes of 47 provisions a
#: second that was a stall of deliveries and a lasting step in the process's memory
#: (``docs/scaling.md``), so the node checks every minute, a fifth as much each time.
STORE_CHECK_EVERY = timedelta(minutes=1)


@dataclass
class Node:
    """One party's node."""

    ctx: NodeContext
    registry: RegistryService
    custody: CustodyService
    delivery: Delivery
    witness: WitnessService
    feed: FeedService
    handling: HandlingService = field(init=False)
    reclassification: ReclassificationService = field(init=False)
    consent: ConsentService = field(init=False)
    release: ReleaseService = field(init=False)
    assurances: AssuranceService = field(init=False)
    queries: Queries = field(init=False)
    overview: Overview = field(init=False)
    request_keys: RequestKeys = field(init=False)
    incidents: IncidentService = field(init=False)
    notes: NotesService = field(init=False)
    liaison: LiaisonService = field(init=False)
    contractors: ContractorService = field(init=False)
    keys: KeysService = field(init=False)
    _next_store_check: datetime | None = field(default=None, init=False, repr=False)

    @classmethod
    def assemble(
        cls,
        *,
        party: str,
        store: Store,
        keyring: Keyring,
        clock: Clock,
        ids: IdSource,
        agreements: AgreementLibrary,
        transport: PeerTransport | None = None,
        default_facility: str | None = None,
        bus: Bus | None = None,
    ) -> Node:
        """Wire the services of a node; registers the inbox handlers."""
        ctx = NodeContext(
            party=party,
            store=store,
            keyring=keyring,
            clock=clock,
            ids=ids,
            files=agreements,
            default_facility=default_facility,
        )
        # Every row the rules read is sealed under the keyring's state key and accounted for
        # in the ledger (design rule 12).
        store.seal_with(NodeSeals(ctx))
        custody = CustodyService(ctx)
        delivery = Delivery(ctx, transport)
        feed = FeedService(ctx, custody, lambda: delivery.transport)
        feed.bus = bus
        custody.on_received.append(feed.accept)
        node = cls(
            ctx=ctx,
            registry=RegistryService(ctx),
            custody=custody,
            delivery=delivery,
            witness=WitnessService(ctx, lambda: audit_of(ctx), custody),
            feed=feed,
        )
        node.delivery.on_outside(Kind.CHECKPOINT, node.witness.cosign)
        node.delivery.on_outside_reply(Kind.CHECKPOINT, node.witness.attach)
        node.delivery.on_reply(Kind.CHECKPOINT, node.witness.remember)
        node.delivery.on(Kind.TRANSFER, node.custody.receive)
        node._add_workflows()
        return node

    def _add_workflows(self) -> None:
        """Create the workflow services and register their inbox and reply handlers."""
        ctx = self.ctx
        self.handling = HandlingService(ctx)
        self.reclassification = ReclassificationService(ctx)
        self.consent = ConsentService(ctx)
        self.release = ReleaseService(ctx)
        self.assurances = AssuranceService(ctx)
        self.queries = Queries(ctx)
        self.overview = Overview(ctx)
        self.request_keys = RequestKeys(ctx.store)
        self.incidents = IncidentService(ctx)
        self.notes = NotesService(ctx)
        self.liaison = LiaisonService(ctx)
        self.contractors = ContractorService(ctx)
        self.keys = KeysService(ctx)
        on, on_reply = self.delivery.on, self.delivery.on_reply
        on(Kind.RETURN, self.handling.on_return)
        on(Kind.RECLASSIFICATION, self.reclassification.on_notice)
        on_reply(Kind.RECLASSIFICATION, self.reclassification.on_reply)
        on(Kind.CONSENT_REQUEST, self.consent.on_request)
        on(Kind.CONSENT_DECISION, self.consent.on_decision)
        on(Kind.INCIDENT, self.incidents.on_incident)
        on_reply(Kind.INCIDENT, self.incidents.on_reply)
        on(Kind.NOTE, self.notes.on_note)
        on(Kind.LAW_NOTICE, self.liaison.on_law_notice)
        on(Kind.VISIT, self.liaison.on_visit)
        on(Kind.ASSURANCE, self.assurances.on_assurance)

    @property
    def party(self) -> str:
        return self.ctx.party

    @property
    def audit(self) -> AuditService:
        """The node's ledger service, over the keys the keyring holds now."""
        return audit_of(self.ctx)

    def set_duty_officer(self, person_id: str) -> None:
        """The officer in whose name this node acts where an agreement is itself the
        standing approval (a hub forwarding 2023-mechanism warning streams)."""
        self.feed.forward = lambda item_id: self.release.forward(item_id=item_id, by=person_id)

    def register_partner(self, *, agreement_id: str, keys: tuple[PublicKey, ...]) -> None:
        """Trust a partner's public keys under one agreement (after an out-of-band check)."""
        self.ctx.keyring = self.ctx.keyring.register(agreement_id=agreement_id, keys=keys)

    def trusted_key_lines(self) -> list[str]:
        """Verifier keys of this node's and its partners' logs and witnesses (public data), as
        lines of the ``trusted-keys`` file ``gsomia audit`` reads."""
        return trusted_key_lines(self.ctx.keyring, name_of=ledger_origin)

    def maintain(self) -> None:
        """The node's upkeep (a running node calls it every few seconds): retry an owed
        purge of destroyed keys, rotate the at-rest key before its nonce budget, and every
        :data:`STORE_CHECK_EVERY` hold what the store wrote since to the ledger (a finding
        raises an alarm)."""
        store = self.ctx.store
        if store.purge_pending:
            try:
                store.purge_destroyed_keys()
            except StorageError as exc:
                _logger.warning("purge of destroyed keys still owed: %s", exc)
        self.keys.ensure_at_rest_budget()
        now = self.ctx.clock.now()
        if self._next_store_check is None or now >= self._next_store_check:
            self._next_store_check = now + STORE_CHECK_EVERY
            self.check_store(incremental=True)

    def check_store(self, *, incremental: bool = True) -> Reconciliation:
        """Hold the store to the ledger: every row (``incremental=False``) or what changed
        since the last clean check; each finding raises an alarm once."""
        reconciler = Reconciler(self.ctx)
        return reconciler.incremental() if incremental else reconciler.full()

    def close(self) -> None:
        """Close the node's store (a command is done with the node)."""
        self.ctx.store.close()

    def inbox(self, payload: bytes, *, peer: str | None = None) -> bytes:
        """Handle one incoming message or warning bundle (what a transport calls)."""
        if payload[:3] == BUNDLE_MAGIC:
            return self.feed.receive(payload, peer=peer)
        try:
            reply = self.delivery.handle(payload, peer=peer)
            self.feed.settle()
            return reply
        finally:
            self.notes.settle()
            self.custody.settle()
