"""Rules on who decides for a party, and who administers its registry (JK-5.1, JK-6.e, JK-6.g,
JK-7, JK-17.1, JK-21, TI-3).

Authority is data: the registry grants each authority by name to a person, and these rules
read the grants. The role ``official`` alone authorises nothing beyond what the access rules
allow; registry and custody authority go to security officers only; decisions about an item
also need clearance at or above its level and need-to-know for its topic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar, Protocol

from gsomia.core.decisions import Decision
from gsomia.core.items import Item
from gsomia.core.people import NODE_ACTOR, OFFICER_ONLY, Authority, Person, Role
from gsomia.core.rules.access import NeedAndClearance
from gsomia.core.rules.base import Wrapping
from gsomia.core.rules.requests import (
    AccessRequest,
    AdministerRequest,
    Deciding,
    TokenUseRequest,
)

__all__ = [
    "AuthorityHeld",
    "ByNodeOr",
    "ClearedForItem",
    "Founding",
    "GrantEligible",
    "OwnTokenOr",
    "RegisterCleared",
    "RevokeHeld",
    "TokenStaysWithinIssuer",
    "TokenWithinIssuer",
    "eligible",
]

_DECIDERS = (Role.OFFICIAL, Role.SECURITY_OFFICER)


def eligible(role: Role, authority: Authority) -> bool:
    """Whether a person of ``role`` may hold ``authority``: officials and security officers,
    and for registry and custody security officers only."""
    if role not in _DECIDERS:
        return False
    return authority not in OFFICER_ONLY or role is Role.SECURITY_OFFICER


@dataclass(frozen=True, slots=True)
class AuthorityHeld:
    """The person deciding for a party is one of its officials to whom the registry granted
    the authority the act needs; the decision cites the act's own article (``key``). Every
    authority is exercised only by a person holding a clearance in effect that day, and the
    registry and custody authorities by a security officer (JK-6.e, JK-7.2): an official
    without a clearance answers no consent and gives no notice ending an agreement, and one
    whose clearance has lapsed since the grant exercises nothing it grants."""

    key: str
    article: str = "an authority granted by name in the registry"

    def evaluate(self, request: Deciding) -> Decision:
        rule = request.agreement.rule_id(self.key)
        p, needed = request.person, request.authority
        act = f"decide ({needed})"
        if p is None:
            return Decision.deny(act, rule, f"the {needed} authority is exercised by a person")
        if p.party != request.party:
            return Decision.deny(act, rule, f"{p.id} is not a person of {request.party}")
        if p.role not in _DECIDERS or (
            needed in OFFICER_ONLY and p.role is not Role.SECURITY_OFFICER
        ):
            return Decision.deny(
                act, rule, f"{p.id} ({p.role}) may not hold the {needed} authority"
            )
        if not p.holds(needed):
            return Decision.deny(
                act, rule, f"{p.id} has not been granted the {needed} authority of {request.party}"
            )
        if p.clearance_on(request.at.date()) is None:
            who = "cleared security officers" if needed in OFFICER_ONLY else "cleared persons"
            return Decision.deny(
                act,
                rule,
                f"{p.id} holds no clearance in effect; the {needed} authority is exercised by "
                f"{who} only",
            )
        return Decision.allow(act, rule, f"{p.id} holds the {needed} authority of {request.party}")


@dataclass(frozen=True, slots=True)
class ByNodeOr(Wrapping):
    """An act the node itself may do: its operator, who holds the master secret, acts as the
    node (no person) and is allowed; a person's act is decided by ``rule``."""

    rule: AuthorityHeld

    def evaluate(self, request: Deciding) -> Decision:
        if request.person is None:
            rule = request.agreement.rule_id(self.key)
            return Decision.allow(
                f"decide ({request.authority})", rule, f"the node of {request.party} acts itself"
            )
        return self.rule.evaluate(request)


@dataclass(frozen=True, slots=True)
class OwnTokenOr(Wrapping):
    """A person ends a token of their own: one who fears it was seen need not wait while
    whoever holds it acts as them (it grants nothing). Any other token is revoked as
    ``rule`` decides (JK-6.e)."""

    rule: AuthorityHeld

    def evaluate(self, request: AdministerRequest) -> Decision:
        p, target = request.person, request.target
        if p is not None and target is not None and p.id == target.id:
            rule = request.agreement.rule_id(self.key)
            return Decision.allow("revoke a token", rule, f"{p.id} revokes a token of their own")
        return self.rule.evaluate(request)


class _ItemDecision(Deciding, Protocol):
    @property
    def item(self) -> Item | None: ...


@dataclass(frozen=True, slots=True)
class ClearedForItem:
    """A decision about an item is made only by a person cleared at or above its level with
    a need to know its topic (JK-7.2); ``need=False`` for inventory acts by a custody
    officer, who must still be cleared."""

    key: str = "need_and_clearance"
    article: str = "cleared for the item's level, with a need to know its topic"
    need: bool = True

    def evaluate(self, request: _ItemDecision) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if item is None:
            return Decision.allow("decide", rule, "no item is concerned")
        p = request.person
        if p is None:
            return Decision.deny("decide", rule, "a decision about an item is made by a person")
        if not self.need:
            p = _with_need(p, item)
        access = AccessRequest(agreement=request.agreement, person=p, item=item, at=request.at)
        decision = NeedAndClearance().evaluate(access)
        return Decision(
            act="decide",
            allowed=decision.allowed,
            rule_ids=(rule,),
            reason=decision.reason,
        )


def _with_need(person: Person, item: Item) -> Person:
    return replace(person, need_to_know=person.need_to_know | {item.topic})


class Founding:
    """A node's registry is founded by its operator, with a first security officer, holding
    a clearance in effect that day, who then holds the registry and custody authorities;
    while any holder of the registry authority can exercise it (a security officer of the
    party with a clearance in effect), every registry act is by a named cleared security
    officer. A registry whose every registry officer's clearance has lapsed, or was never
    recorded, would otherwise be administered by nobody again: its operator founds it anew
    (JK-6.e, JK-7.2)."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "the registry founded by a cleared security officer"

    def evaluate(self, request: AdministerRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        target = request.target
        acting = [
            r.id for r in request.registrars if not _standing_lost(r, request.party, request.at)
        ]
        if acting:
            return Decision.deny(
                "found",
                rule,
                f"the registry is founded already; {', '.join(sorted(acting))} administers it",
            )
        if target is None or target.role is not Role.SECURITY_OFFICER:
            return Decision.deny("found", rule, "the registry is founded by a security officer")
        if target.party != request.party:
            return Decision.deny("found", rule, f"{target.id} is not a person of {request.party}")
        if target.clearance_on(request.at.date()) is None:
            return Decision.deny(
                "found",
                rule,
                f"{target.id} holds no clearance in effect; the registry is founded by a "
                "cleared security officer",
            )
        again = " again: no registry officer can act" if request.registrars else ""
        return Decision.allow(
            "found", rule, f"{target.id} founds the registry of {request.party}{again}"
        )


class GrantEligible:
    """An authority goes to an official or security officer of the party holding a clearance
    in effect that day (registry and custody to security officers only), never by the
    grantor to themselves (JK-6.e, JK-7.2)."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "authorities granted to eligible persons, by another"

    def evaluate(self, request: AdministerRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        target, granted = request.target, request.granted
        if target is None or granted is None:
            return Decision.deny("grant", rule, "a grant names a person and an authority")
        if request.person is not None and target.id == request.person.id:
            return Decision.deny("grant", rule, "nobody grants an authority to themselves")
        if target.party != request.party:
            return Decision.deny("grant", rule, f"{target.id} is not a person of {request.party}")
        if not eligible(target.role, granted):
            return Decision.deny(
                "grant", rule, f"{target.id} ({target.role}) may not hold the {granted} authority"
            )
        if target.clearance_on(request.at.date()) is None:
            who = "cleared security officers" if granted in OFFICER_ONLY else "cleared persons"
            return Decision.deny(
                "grant",
                rule,
                f"{target.id} holds no clearance in effect; the {granted} authority goes to "
                f"{who} only",
            )
        return Decision.allow("grant", rule, f"{target.id} may hold the {granted} authority")


class RevokeHeld:
    """An authority is taken back from a person of the party who holds it, themselves
    included (JK-6.e). Whether they could be granted it today does not decide: a security
    officer whose clearance has lapsed loses the registry or custody authority as anyone
    else does, and a registrar may give up an authority of their own."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "authorities revoked from those who hold them"

    def evaluate(self, request: AdministerRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        target, revoked = request.target, request.granted
        if target is None or revoked is None:
            return Decision.deny("revoke", rule, "a revocation names a person and an authority")
        if target.party != request.party:
            return Decision.deny("revoke", rule, f"{target.id} is not a person of {request.party}")
        if not target.holds(revoked):
            return Decision.deny(
                "revoke", rule, f"{target.id} does not hold the {revoked} authority"
            )
        return Decision.allow("revoke", rule, f"{target.id} gives up the {revoked} authority")


class RegisterCleared:
    """A facility's register holds cleared persons only (JK-6.e): whoever the registry enters
    on a register, as it adds them or later, holds a clearance in effect that day."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "a register of cleared, authorised persons"

    def evaluate(self, request: AdministerRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        target = request.target
        if target is None or not target.registered_at:
            return Decision.allow("register", rule, "nobody is entered on a register")
        if target.clearance_on(request.at.date()) is None:
            return Decision.deny(
                "register",
                rule,
                f"{target.id} holds no clearance in effect; only cleared persons are entered "
                "on a facility's register",
            )
        return Decision.allow("register", rule, f"{target.id} is cleared for the register")


class TokenWithinIssuer:
    """A token lets whoever holds it act as its person, so it is issued for the issuer
    themselves, or for a person of the party who holds no authority the issuer does not
    hold: nobody gains by a token an authority the registry did not grant them (JK-6.e).
    A person who holds the registry authority grants authorities and issues tokens, so
    whoever held their token could grant themselves through it (the grantor never grants to
    themselves): their token is issued by the node or by themselves only. The node itself
    (its operator, no person) issues any token of its party."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "tokens issued only within the issuer's own authorities"

    def evaluate(self, request: AdministerRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        target, issuer = request.target, request.person
        if target is None:
            return Decision.deny("issue a token", rule, "a token is issued to a named person")
        if target.party != request.party:
            return Decision.deny(
                "issue a token", rule, f"{target.id} is not a person of {request.party}"
            )
        if issuer is None:
            return Decision.allow(
                "issue a token", rule, f"the node of {request.party} issues {target.id} a token"
            )
        if target.id == issuer.id:
            return Decision.allow("issue a token", rule, f"{issuer.id} issues their own token")
        beyond = _beyond(target, issuer.id, issuer.authorities)
        if beyond:
            return Decision.deny("issue a token", rule, beyond)
        return Decision.allow(
            "issue a token", rule, f"{target.id} holds no authority {issuer.id} lacks"
        )


class TokenStaysWithinIssuer:
    """Whoever issued a token has seen it, so what its person may do by it, its issuer may
    do too: at every use, its issuer could issue it now (JK-6.e, JK-7.2). They are a security
    officer of the party who holds the registry authority with a clearance in effect that
    day: a registrar whose grant was revoked, or whose clearance has lapsed, would otherwise
    go on acting as every person they issued a token for, at that person's clearance. And its
    person holds no authority its issuer does not hold now: an authority granted to the
    person after the token was issued, or one the issuer has lost since, voids the token, and
    so does the registry authority held by its person however they came to hold it (through
    it, its issuer could grant themselves what they lack, or issue the person a token of
    their own that no issuer bounds). Tokens the node itself issued, and a person's own, act
    for their person with whatever the registry grants them; a token whose issuer the
    registry does not know acts only for a person holding no authority."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "tokens used only within the issuer's own standing and authorities"

    def evaluate(self, request: TokenUseRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        holder, by, issuer = request.holder, request.issued_by, request.issuer
        if holder.party != request.party:
            return Decision.deny(
                "use a token", rule, f"{holder.id} is not a person of {request.party}"
            )
        if by == NODE_ACTOR:
            return Decision.allow("use a token", rule, f"the node of {request.party} issued it")
        if by == holder.id:
            return Decision.allow("use a token", rule, f"{holder.id} issued their own token")
        if issuer is not None:
            lost = _standing_lost(issuer, request.party, request.at)
            if lost:
                return Decision.deny(
                    "use a token",
                    rule,
                    f"{lost}; a token acts only while its issuer, who has seen it, could issue it",
                )
        held = issuer.authorities if issuer is not None else frozenset()
        beyond = _beyond(holder, by or "unnamed", held)
        if beyond:
            return Decision.deny("use a token", rule, beyond)
        return Decision.allow("use a token", rule, f"{holder.id} holds nothing its issuer lacks")


def _standing_lost(person: Person, party: str, at: datetime) -> str:
    """Why ``person`` cannot act as a registry officer of ``party`` at ``at`` (a security
    officer of the party holding the registry authority, with a clearance in effect); empty
    if they can."""
    if person.party != party or person.role is not Role.SECURITY_OFFICER:
        return f"{person.id} is no security officer of {party}"
    if not person.holds(Authority.REGISTRY):
        return f"{person.id} no longer holds the registry authority"
    if person.clearance_on(at.date()) is None:
        return f"{person.id} holds no clearance in effect"
    return ""


def _beyond(person: Person, issuer: str, issuer_holds: frozenset[Authority]) -> str:
    """Why a token of ``person`` issued by another, ``issuer``, who holds ``issuer_holds``,
    would act beyond its issuer; empty if it would not. Through a token of a person holding
    the registry authority, its issuer could grant themselves any authority (the grantor
    never grants to themselves, JK-6.e) or issue the person a token of their own, which no
    issuer bounds: such a token is the node's or its person's own only."""
    beyond = sorted(a.value for a in person.authorities - issuer_holds)
    if beyond:
        return (
            f"{person.id} holds the {', '.join(beyond)} authority, which {issuer} does not; "
            "a token acts only within its issuer's authorities"
        )
    if person.holds(Authority.REGISTRY):
        return (
            f"{person.id} holds the registry authority: a token of theirs is issued by the "
            f"node or by themselves, not by {issuer}, who could grant themselves through it"
        )
    return ""
