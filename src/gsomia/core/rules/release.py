"""Rules on release beyond the parties and on the hub's forwarding (JK-5.1, JK-5.2, TI-3, TI-6)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.items import Consent, ConsentKind, Item
from gsomia.core.rules.requests import ForwardRequest, ReleaseRequest

__all__ = ["ConsentAsked", "HubConsent", "PurposeLimited", "ThirdPartyConsent"]


def _consent_problem(
    consent: Consent | None,
    *,
    kind: ConsentKind,
    item: Item,
    at: datetime,
    to_party: str | None = None,
    purpose: str | None = None,
) -> str | None:
    """Why ``consent`` does not authorise the act, or ``None`` when it does."""
    if consent is None:
        return f"{item.originator}, the originator, has given no written consent"
    checks = (
        (consent.kind is kind, "the consent is for another kind of act"),
        (consent.item_id == item.id, "the consent is for another item"),
        (
            consent.originator == item.originator,
            f"the consent is not from the originator {item.originator}",
        ),
        (consent.written, "the consent is not in writing"),
        (consent.signature_verified, "the consent's signature has not been verified"),
        (consent.decided_at <= at, "the consent was not given before the act (prior consent)"),
        (to_party is None or consent.to_party == to_party, f"the consent does not name {to_party}"),
        (purpose is None or consent.purpose == purpose, "the consent is for another purpose"),
        (consent.granted, f"{item.originator} refused consent"),
    )
    return next((why for ok, why in checks if not ok), None)


class ThirdPartyConsent:
    """No release to a third party without the originator's prior written consent (JK-5.1,
    TI-6)."""

    key: ClassVar[str] = "third_party"
    article: ClassVar[str] = "prior written consent of the originator"

    def evaluate(self, request: ReleaseRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if request.to_party == item.originator:
            return Decision.allow(
                "release", rule, "returning an item to its originator needs no consent"
            )
        problem = _consent_problem(
            request.consent,
            kind=ConsentKind.RELEASE,
            item=item,
            at=request.at,
            to_party=request.to_party,
        )
        if problem:
            return Decision.deny(
                "release", rule, f"release of {item.id} to {request.to_party} refused: {problem}"
            )
        return Decision.allow(
            "release",
            rule,
            f"{item.originator} consented in writing to release to {request.to_party}",
        )


class HubConsent:
    """The hub forwards an item to the other participant only after the originator approves
    (TI-3); where the mechanism itself is the standing approval, it says so."""

    key: ClassVar[str] = "consent"
    article: ClassVar[str] = "originator's approval before the hub forwards"

    def evaluate(self, request: ForwardRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        item = request.item
        if a.route.kind != "hub" or a.route.hub != request.hub:
            return Decision.deny("forward", rule, f"{request.hub} is not the hub of {a.short_name}")
        if (
            request.recipient in (request.hub, item.originator)
            or request.recipient not in a.party_codes
        ):
            return Decision.deny(
                "forward", rule, f"{request.recipient} is not the other participant"
            )
        if not a.route.consent_required:
            return Decision.allow(
                "forward", rule, f"{a.short_name} is itself the originators' standing approval"
            )
        problem = _consent_problem(
            request.consent,
            kind=ConsentKind.RELEASE,
            item=item,
            at=request.at,
            to_party=request.recipient,
        )
        if problem:
            return Decision.deny(
                "forward", rule, f"{request.hub} may not forward {item.id}: {problem}"
            )
        return Decision.allow(
            "forward", rule, f"{item.originator} approved forwarding to {request.recipient}"
        )


class Using(Protocol):
    """A use of an item for a purpose (``None``: the purpose it was provided for)."""

    @property
    def agreement(self) -> Agreement: ...
    @property
    def item(self) -> Item: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def consent(self) -> Consent | None: ...


class ConsentAsked:
    """A holder asks the originator in writing for consent: to use an item for another
    purpose (JK-5.2, when the request names one), else to release it, through the hub where
    the agreement has one (TI-3) or to a third party (JK-5.1). Whoever has access to the item
    may ask; the decision cites the article the consent is asked under."""

    key: ClassVar[str] = "third_party"
    article: ClassVar[str] = "prior written consent asked of the originator"

    def evaluate(self, request: Using) -> Decision:
        a = request.agreement
        if request.purpose is not None:
            key = "purpose"
        else:
            key = "consent" if a.route.kind == "hub" else "third_party"
        return Decision.allow("ask consent", a.rule_id(key), "consent asked in writing")


class PurposeLimited:
    """Items are used only for the purpose they were provided for, unless the originator
    consents in writing to the other purpose (JK-5.2)."""

    key: ClassVar[str] = "purpose"
    article: ClassVar[str] = "use only for the purpose of provision"

    def evaluate(self, request: Using) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if request.purpose is None or request.purpose == item.purpose:
            return Decision.allow("use", rule, f"use for the purpose of provision ({item.purpose})")
        problem = _consent_problem(
            request.consent,
            kind=ConsentKind.PURPOSE,
            item=item,
            at=request.at,
            purpose=request.purpose,
        )
        if problem:
            return Decision.deny("use", rule, f"use for {request.purpose!r} refused: {problem}")
        return Decision.allow(
            "use", rule, f"{item.originator} consented in writing to use for {request.purpose!r}"
        )
