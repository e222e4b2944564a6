"""The node's audit service, made from its context: its own checkpoint signer and witness
cosigner, its partners' log and witness keys as trusted verifiers.

Apart from :mod:`gsomia.services.node` so that the services that read the ledger
(:mod:`gsomia.services.plumbing.queries`) reach it without importing the node that assembles them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gsomia.crypto.signed_notes import node_note_keys, partner_note_verifiers
from gsomia.services.plumbing.audit import AuditService

if TYPE_CHECKING:
    from gsomia.services.plumbing.context import NodeContext

__all__ = ["audit_of", "ledger_origin"]


def ledger_origin(party: str) -> str:
    """The origin line of a party's ledger checkpoints."""
    return f"gsomia.node/{party.lower()}"


def audit_of(ctx: NodeContext) -> AuditService:
    """The node's ledger service: its own checkpoint signer and witness cosigner, and its
    partners' log and witness keys as trusted verifiers; made again when the keyring
    changes (a rotation, a partner registered)."""
    cached = ctx.cache.get("audit")
    if cached is not None and cached[0] is ctx.keyring:
        return cached[1]  # type: ignore[no-any-return]
    service = _audit(ctx)
    ctx.cache["audit"] = (ctx.keyring, service)
    return service


def _audit(ctx: NodeContext) -> AuditService:
    signer, cosigner = node_note_keys(ctx.keyring, name=ledger_origin(ctx.party))
    partners = partner_note_verifiers(
        (key for _, key in ctx.keyring.partners), name_of=ledger_origin
    )
    return AuditService(store=ctx.store.ledger, trusted=partners, signer=signer, cosigner=cosigner)
