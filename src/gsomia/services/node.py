"""A node of one party: its context and every workflow service, wired together.

A composition root (the CLI, the API app, the demo, the tests) builds a :class:`Node` from
a store, a keyring, a clock, an id source and a transport; everything else is here.
"""

from __future__ import annotations

from dataclasses import dataclass

from gsomia.agreement_files import AgreementLibrary
from gsomia.crypto import Keyring, PublicKey
from gsomia.crypto.notes import node_note_keys, partner_note_verifiers, trusted_key_lines
from gsomia.ports.runtime import Clock, IdSource
from gsomia.ports.store import Store
from gsomia.ports.transport import PeerTransport
from gsomia.services.audit import AuditService
from gsomia.services.context import NodeContext
from gsomia.services.custody import CustodyService
from gsomia.services.delivery import Delivery
from gsomia.services.messages import Kind
from gsomia.services.registry import RegistryService

__all__ = ["Node", "ledger_origin"]


def ledger_origin(party: str) -> str:
    """The origin line of a party's ledger checkpoints."""
    return f"gsomia.node/{party.lower()}"


@dataclass
class Node:
    """One party's node."""

    ctx: NodeContext
    registry: RegistryService
    custody: CustodyService
    delivery: Delivery
    audit: AuditService

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
        node = cls(
            ctx=ctx,
            registry=RegistryService(ctx),
            custody=CustodyService(ctx),
            delivery=Delivery(ctx, transport),
            audit=_audit(ctx),
        )
        node.delivery.on(Kind.TRANSFER, node.custody.receive)
        return node

    @property
    def party(self) -> str:
        return self.ctx.party

    def register_partner(self, *, agreement_id: str, keys: tuple[PublicKey, ...]) -> None:
        """Trust a partner's public keys under one agreement (after an out-of-band check)."""
        self.ctx.keyring = self.ctx.keyring.register(agreement_id=agreement_id, keys=keys)
        self.audit = _audit(self.ctx)

    def trusted_key_lines(self) -> list[str]:
        """Verifier keys of this node's and its partners' logs and witnesses (public data), as
        lines of the ``trusted-keys`` file ``gsomia audit`` reads."""
        return trusted_key_lines(self.ctx.keyring, name_of=ledger_origin)

    def inbox(self, payload: bytes, *, peer: str | None = None) -> bytes:
        """Handle one incoming message (what a transport calls)."""
        return self.delivery.handle(payload, peer=peer)


def _audit(ctx: NodeContext) -> AuditService:
    """The node's ledger service: its own checkpoint signer and witness cosigner, and its
    partners' log and witness keys as trusted verifiers."""
    signer, cosigner = node_note_keys(ctx.keyring, name=ledger_origin(ctx.party))
    partners = partner_note_verifiers(
        (key for _, key in ctx.keyring.partners), name_of=ledger_origin
    )
    return AuditService(store=ctx.store.ledger, trusted=partners, signer=signer, cosigner=cosigner)
