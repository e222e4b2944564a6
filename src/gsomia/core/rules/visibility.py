"""Rules on seeing markings: items, the registry, the ledger and workflow records (JK-6.e,
JK-6.f, JK-7.2).

A marking is classified information about an item: its level, topic and purpose. A person
sees an item's marking only where they could be given the item itself: an official of the
holding party, cleared at or above its level, with a need to know its topic (a custody
officer, who keeps the inventory, needs the clearance only), and contractor staff only once
the Art. 16 conditions are met where they are registered (JK-16.x, the access rule
``ContractorConditions``, which the catalogue reads for seeing a marking too). The registry
and the ledger are for security officers; records of a workflow for security officers and
the persons who hold that workflow's authority (the registry and the ledger for those
holding a clearance in effect). A checkpoint of the ledger is signed by the
node or at the request of a security officer who keeps the inventory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gsomia.core.decisions import Decision
from gsomia.core.people import Authority, Role
from gsomia.core.rules.requests import CheckpointRequest, NetworkRequest, ViewRequest

__all__ = ["CheckpointByOfficer", "MarkingVisible", "NetworkAccredited", "OfficersOnly"]

_ACT = "view"


class MarkingVisible:
    """An item's marking is shown only to an official of its holder cleared for its level,
    with a need to know its topic or the custody of the inventory (JK-7.2, JK-6.f)."""

    key: ClassVar[str] = "need_and_clearance"
    article: ClassVar[str] = "markings only to those cleared for them"

    def evaluate(self, request: ViewRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        p, item = request.person, request.item
        if item is None:
            return Decision.deny(_ACT, rule, "no item named")
        if p.party != item.holder:
            return Decision.deny(_ACT, rule, f"{p.id} is not a person of {item.holder}")
        level = p.clearance_on(request.at.date())
        if level is None or type(level) is not type(item.holder_level) or level < item.holder_level:
            return Decision.deny(
                _ACT, rule, f"{p.id} is not cleared to see a marking of {item.holder_level}"
            )
        if item.topic not in p.need_to_know and not p.holds(Authority.CUSTODY):
            return Decision.deny(_ACT, rule, f"{p.id} has no need to know {item.topic}")
        return Decision.allow(_ACT, rule, f"{p.id} is cleared for {item.holder_level}")


@dataclass(frozen=True, slots=True)
class OfficersOnly:
    """The registry, the ledger and workflow records are for security officers, and for
    the persons who hold the workflow's authority (``authority`` of the request)."""

    key: str
    article: str = "for security officers and the authority's holders"
    #: Whether what is seen is for cleared persons only, whatever their role (JK-7.2): the
    #: ledger carries the items' markings, and the registry the persons' clearances and
    #: need-to-know topics.
    cleared: bool = False

    def evaluate(self, request: ViewRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        p = request.person
        if self.cleared and p.clearance_on(request.at.date()) is None:
            return Decision.deny(
                _ACT,
                rule,
                f"{p.id} holds no clearance in effect; the node's {request.what} is seen by "
                "cleared persons only",
            )
        if p.role is Role.SECURITY_OFFICER:
            return Decision.allow(_ACT, rule, f"{p.id} is a security officer")
        if request.authority is not None and p.holds(request.authority):
            return Decision.allow(_ACT, rule, f"{p.id} holds the {request.authority} authority")
        return Decision.deny(
            _ACT, rule, f"seeing the node's {request.what} is for security officers"
        )


class CheckpointByOfficer:
    """A checkpoint of the node's ledger is signed, and its partners asked to cosign it, by
    the node itself or at the request of a security officer of its own party who keeps its
    inventory (the custody authority): the ledger is the party's record of the items it
    holds and of what was done with them (JK-6.f)."""

    key: ClassVar[str] = "inventory"
    article: ClassVar[str] = "checkpoints of the ledger by the inventory's keeper"

    def evaluate(self, request: CheckpointRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        p, party, act = request.person, request.party, "checkpoint"
        if p is None:
            return Decision.allow(act, rule, f"the node of {party} checkpoints its ledger")
        if p.party != party:
            return Decision.deny(act, rule, f"{p.id} is not a person of {party}")
        if p.role is not Role.SECURITY_OFFICER:
            return Decision.deny(act, rule, f"{p.id} ({p.role}) may not checkpoint the ledger")
        if p.clearance_on(request.at.date()) is None:
            return Decision.deny(act, rule, f"{p.id} holds no clearance in effect")
        if not p.holds(Authority.CUSTODY):
            return Decision.deny(
                act, rule, f"{p.id} has not been granted the custody authority of {party}"
            )
        return Decision.allow(act, rule, f"{p.id} keeps the inventory of {party}")


class NetworkAccredited:
    """A network of the party (a TAK server, a consumer of the warning feed) carries only
    what it is accredited for: a marking at or below its ceiling, in the party's scheme
    (JK-7.2 applied to a system as to a person)."""

    key: ClassVar[str] = "need_and_clearance"
    article: ClassVar[str] = "a network accredited for the marking"

    def evaluate(self, request: NetworkRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        level, ceiling = request.level, request.accredited
        if type(level) is not type(ceiling) or ceiling < level:
            return Decision.deny("carry", rule, f"the network is accredited to {ceiling} only")
        return Decision.allow("carry", rule, f"the network is accredited to {ceiling}")
