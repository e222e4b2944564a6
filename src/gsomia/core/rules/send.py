"""Rules for providing an item to a partner (JK-4.1, JK-4.2, JK-7.4, JK-9.1, JK-21.1, TI-1,
TI-2, TI-5, TI-7)."""

from __future__ import annotations

from itertools import pairwise
from typing import ClassVar

from gsomia.core.agreements import LegalNature
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.lifecycle import status
from gsomia.core.people import Role
from gsomia.core.rules.requests import SendRequest
from gsomia.errors import PolicyDenied

__all__ = [
    "AssuranceGiven",
    "BasisInForce",
    "InForce",
    "LevelCovered",
    "Marking",
    "PartiesToAgreement",
    "ProviderCleared",
    "RouteFollowed",
    "TopicInScope",
]

_ACT = "send"


class InForce:
    """Nothing new is provided unless the agreement is in force on that date (JK-21.1)."""

    key: ClassVar[str] = "in_force"
    article: ClassVar[str] = "agreement in force on the date of provision"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        s = status(a, at=request.at)
        rule = a.rule_id(self.key)
        when = f"on {request.at.date()} {a.short_name} is {s.summary}"
        if s.in_force:
            return Decision.allow(_ACT, rule, when)
        return Decision.deny(_ACT, rule, f"{when}; nothing new may be provided")


class PartiesToAgreement:
    """Originator and recipient must both be parties (JK-9.1: official channels only)."""

    key: ClassVar[str] = "parties"
    article: ClassVar[str] = "originator and recipient are parties"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        outside = [p for p in (request.originator, request.recipient) if p not in a.party_codes]
        if outside:
            return Decision.deny(
                _ACT, rule, f"{', '.join(outside)} is not a party to {a.short_name}"
            )
        if request.originator == request.recipient:
            return Decision.deny(_ACT, rule, "an item is provided to another party, not to oneself")
        return Decision.allow(
            _ACT,
            rule,
            f"{request.originator} and {request.recipient} are parties to {a.short_name}",
        )


class LevelCovered:
    """Only the covered levels of the originator's scheme cross (JK-4.1)."""

    key: ClassVar[str] = "level_covered"
    article: ClassVar[str] = "level covered by the equivalence table"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        level = request.level
        if level.party != request.originator:
            return Decision.deny(
                _ACT,
                rule,
                f"{level} is not a level of the originator {request.originator}'s scheme",
            )
        if not a.covers(level):
            covered = ", ".join(lv.native for lv in a.covered_levels(request.originator)) or "none"
            return Decision.deny(
                _ACT, rule, f"{level} is not covered by {a.short_name} (covered: {covered})"
            )
        return Decision.allow(_ACT, rule, f"{level} is covered by {a.short_name}")


class TopicInScope:
    """Only information within the agreement's scope enters its channel (TI-1)."""

    key: ClassVar[str] = "scope"
    article: ClassVar[str] = "topic within the agreement's scope"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        if a.in_scope(request.topic):
            return Decision.allow(
                _ACT, rule, f"topic {request.topic} is within the scope of {a.short_name}"
            )
        scope = ", ".join(a.scope_topics)
        return Decision.deny(
            _ACT, rule, f"topic {request.topic} is outside the scope of {a.short_name} ({scope})"
        )


class RouteFollowed:
    """Items follow the agreement's route: direct, or originator → hub → recipient (TI-2)."""

    key: ClassVar[str] = "route"
    article: ClassVar[str] = "route as the agreement prescribes"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        expected = a.route.path(request.originator, request.recipient)
        if request.route != expected:
            return Decision.deny(
                _ACT,
                rule,
                f"{a.short_name} requires the route {' → '.join(expected)}, "
                f"not {' → '.join(request.route)}",
            )
        return Decision.allow(_ACT, rule, f"route {' → '.join(expected)}")


class BasisInForce:
    """A non-binding arrangement is never a legal basis on its own: the agreements it rests
    on must be in force for the parties concerned (TI-5, TI-7)."""

    key: ClassVar[str] = "basis"
    article: ClassVar[str] = "the underlying agreements in force"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        if a.legal_nature is LegalNature.BINDING and not a.basis:
            return Decision.allow(_ACT, rule, f"{a.short_name} is itself binding")
        others = request.others or {}
        missing = [b for b in a.basis if b not in others]
        if missing or not a.basis:
            known = ", ".join(missing) or "none"
            return Decision.deny(
                _ACT, rule, f"{a.short_name} is not binding and its basis ({known}) is unknown"
            )
        basis = [others[b] for b in a.basis]
        lapsed = [b.short_name for b in basis if not status(b, at=request.at).in_force]
        if lapsed:
            return Decision.deny(
                _ACT, rule, f"{', '.join(lapsed)} not in force, so {a.short_name} cannot be used"
            )
        binding = [b for b in basis if b.legal_nature is LegalNature.BINDING]
        for x, y in pairwise(request.route):
            if not any({x, y} <= set(b.party_codes) for b in binding):
                return Decision.deny(
                    _ACT, rule, f"no binding agreement under {a.short_name} covers {x} → {y}"
                )
        return Decision.allow(
            _ACT, rule, f"rests on {', '.join(b.short_name for b in basis)}, in force"
        )


class ProviderCleared:
    """Only an official of the originating government provides items through official
    channels (JK-9.1), and only what they may handle themselves: cleared at or above the
    level in their own scheme, with an official need to know the topic (JK-7.1, JK-7.2
    under the originator's own law)."""

    key: ClassVar[str] = "provider"
    article: ClassVar[str] = "an official of the originator, cleared and with a need to know"

    def evaluate(self, request: SendRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        p = request.person
        if p is None:
            return Decision.deny(_ACT, rule, "an item is provided by a named official")
        if p.party != request.originator:
            return Decision.deny(_ACT, rule, f"{p.id} is not an official of {request.originator}")
        if p.role not in (Role.OFFICIAL, Role.SECURITY_OFFICER):
            return Decision.deny(_ACT, rule, f"{p.id} ({p.role}) does not provide items")
        level = p.clearance_on(request.at.date())
        problems = []
        if level is None or type(level) is not type(request.level) or level < request.level:
            problems.append(f"{p.id} is not cleared to {request.level}")
        if request.topic not in p.need_to_know:
            problems.append(f"{p.id} has no official need to know {request.topic}")
        if problems:
            return Decision.deny(_ACT, rule, "; ".join(problems))
        return Decision.allow(_ACT, rule, f"{p.id} is cleared to {level} and needs {request.topic}")


class AssuranceGiven:
    """Before items are handed to a representative of the receiving party in person, the
    receiving party has assured the originator that the representative holds the necessary
    clearance, needs the items for official purposes, and that they will be protected
    substantially equivalently (JK-7.4)."""

    key: ClassVar[str] = "assurance"
    article: ClassVar[str] = "the receiving party's three-part assurance before a hand-over"

    def evaluate(self, request: SendRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        who = request.in_person
        if who is None:  # JK-7.4 is not engaged: nothing to cite
            return Decision(act=_ACT, allowed=True, rule_ids=(), reason="not handed in person")
        assurance = request.assured.get(who)
        if assurance is None:
            return Decision.deny(
                _ACT, rule, f"{request.recipient} has given no assurance for {who} (JK-7.4)"
            )
        problems = []
        if assurance.party != request.recipient or assurance.agreement.id != request.agreement.id:
            problems.append("the assurance is from another party or under another agreement")
        if not _at_least(assurance.level, request.level):
            problems.append(f"it covers {assurance.level}, not {request.level}")
        if assurance.topic != request.topic:
            problems.append(f"it is for {assurance.topic}, not {request.topic}")
        if assurance.valid_until < request.at.date():
            problems.append(f"it expired on {assurance.valid_until}")
        if problems:
            return Decision.deny(_ACT, rule, f"the assurance for {who}: " + "; ".join(problems))
        return Decision.allow(_ACT, rule, f"{request.recipient} assured {who} in writing")


def _at_least(held: Level, needed: Level) -> bool:
    return type(held) is type(needed) and held >= needed


class Marking:
    """On receipt the recipient marks every item with the originator's name and its own
    equivalent level (JK-4.2). The decision's obligation carries the marking."""

    key: ClassVar[str] = "marking"
    article: ClassVar[str] = "originator's name and the recipient's equivalent level"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        try:
            holder_level = a.equivalent(request.level, for_party=request.recipient)
        except PolicyDenied as exc:
            return Decision.deny("mark", rule, exc.reason)
        names = {p.code: p.name for p in a.parties}
        name = names.get(request.originator, request.originator)
        return Decision.allow(
            "mark",
            rule,
            f"marked {holder_level} ({holder_level.ref}), originator {name}",
            f"mark:{holder_level.ref}",
        )
