"""Rules for taking custody of a received item (JK-4.2, JK-9.1, TI-2, TI-4).

A node takes an item only if its binding verifies as signed by its provider, it arrives
from the previous party on the route its label states, it is not held already, the send
rules allow it as of the transfer's time, and the label gives this node the equivalent level
the agreement's table gives it (which becomes its marking).
"""

from __future__ import annotations

from typing import ClassVar

from gsomia.core.decisions import Decision
from gsomia.core.rules.requests import ReceiveRequest
from gsomia.errors import PolicyDenied

__all__ = [
    "AgreementKnown",
    "BindingVerified",
    "MarkedAsEquivalent",
    "NotDuplicate",
    "OnRoute",
    "RelayedWithConsent",
]

_ACT = "receive"


class AgreementKnown:
    """An item is taken only under an agreement this node is a party to and knows
    (JK-9.1)."""

    key: ClassVar[str] = "parties"
    article: ClassVar[str] = "an agreement the node knows"

    def evaluate(self, request: ReceiveRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.label_agreement != request.agreement.id:
            return Decision.deny(_ACT, rule, f"unknown agreement {request.label_agreement}")
        if request.me not in request.agreement.party_codes:
            return Decision.deny(_ACT, rule, f"{request.me} is not a party to it")
        return Decision.allow(_ACT, rule, f"under {request.agreement.short_name}")


class BindingVerified:
    """Only an item whose binding verifies as its provider's signature came through the
    official channel (JK-9.1); anything else is not stored."""

    key: ClassVar[str] = "route"
    article: ClassVar[str] = "the provider's binding verifies"

    def evaluate(self, request: ReceiveRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if not request.binding_verified:
            return Decision.deny(
                _ACT, rule, "the item's binding does not verify; it was not stored"
            )
        return Decision.allow(_ACT, rule, f"bound by {request.provider}")


class OnRoute:
    """An item comes from the previous party on its route, to a party further along it
    (JK-9.1, TI-2)."""

    key: ClassVar[str] = "route"
    article: ClassVar[str] = "from the previous party on the item's route"

    def evaluate(self, request: ReceiveRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        me, route = request.me, request.route
        if me not in route or route.index(me) == 0:
            return Decision.deny(_ACT, rule, f"{me} is not on the item's route")
        previous = route[route.index(me) - 1]
        if previous != request.sender:
            return Decision.deny(_ACT, rule, f"the item must come from {previous}")
        return Decision.allow(_ACT, rule, f"from {previous} along {' → '.join(route)}")


class NotDuplicate:
    """An item is taken into custody once (JK-9.1: the receiving party's responsibility
    starts on delivery, once)."""

    key: ClassVar[str] = "parties"
    article: ClassVar[str] = "not already held"

    def evaluate(self, request: ReceiveRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.already_held:
            return Decision.deny(_ACT, rule, "the item is already held (duplicate)")
        return Decision.allow(_ACT, rule, "a new item")


class MarkedAsEquivalent:
    """The label gives this node the level the agreement's table makes equivalent, which is
    the marking it takes (JK-4.2, TI-4)."""

    key: ClassVar[str] = "marking"
    article: ClassVar[str] = "the label's equivalent level for this party"

    def evaluate(self, request: ReceiveRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        send = request.send
        if send is None:
            return Decision.deny(_ACT, rule, f"the label gives {request.provider} no level")
        try:
            mine = a.equivalent(send.level, for_party=request.me).ref
        except PolicyDenied as exc:
            return Decision.deny(_ACT, rule, exc.reason)
        if request.marked != mine:
            return Decision.deny(_ACT, rule, f"the label's {request.me} equivalent is not {mine}")
        return Decision.allow(_ACT, rule, f"marked {mine}", f"mark:{mine}")


class RelayedWithConsent:
    """An item that comes through a hub which forwards only with the originator's approval
    carries that approval: the originator's signed consent, checked here, for this recipient
    (TI-3). A hub cannot relay on its own say-so."""

    key: ClassVar[str] = "consent"
    article: ClassVar[str] = "the originator's consent travels with a relayed item"

    def evaluate(self, request: ReceiveRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        if not request.relayed:
            return Decision.allow(_ACT, rule, "not relayed by a hub")
        send = request.send
        originator = send.originator if send is not None else request.provider
        c = request.consent
        problems = []
        if c is None:
            problems.append(f"the hub carried no consent of {originator} that verifies")
        else:
            if not (c.signature_verified and c.written and c.granted):
                problems.append("the consent is not a granted, signed, written consent")
            if c.originator != originator or c.to_party != request.me:
                problems.append(f"the consent is not {originator}'s to {request.me}")
            if send is not None and c.decided_at > send.at:
                problems.append("the consent came after the forwarding")
        if problems:
            return Decision.deny(_ACT, rule, "; ".join(problems))
        return Decision.allow(_ACT, rule, f"{originator} consented in writing to the relay")
