"""Rules for a person's access to an item their party holds (JK-5.2, JK-6.e, JK-6.f, JK-7.1,
JK-7.2, JK-16.x, JK-21.2).

Every act on a held item (open, copy, translate, lapse, return, destroy, release, ask for
consent) first passes these: access only for officials of the holding party with an official
need to know its topic and a clearance of the holder's scheme at or above its level, never
on rank alone, on the register of the facility that keeps it (an item on no register is open
to nobody), and contractor staff only once Art. 16 is met where they are registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import ClassVar

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.items import Custody
from gsomia.core.lifecycle import Phase, status
from gsomia.core.people import Role
from gsomia.core.rules.requests import Accessing

__all__ = [
    "ContractorConditions",
    "HeldHere",
    "NeedAndClearance",
    "NotRankAlone",
    "OnRegister",
    "ProtectionContinues",
    "conditions_missing",
]

_ACT = "open"


def _need(request: Accessing) -> bool:
    return request.item.topic in request.person.need_to_know


def _cleared(request: Accessing) -> bool:
    level = request.person.clearance_on(request.at.date())
    holder_level = request.item.holder_level
    return level is not None and type(level) is type(holder_level) and level >= holder_level


def conditions_missing(agreement: Agreement, met: Mapping[str, date], on: date) -> list[str]:
    """The agreement's Art. 16 conditions not recorded as met in ``met`` (condition → the
    day it was last met), or met too long ago where the agreement makes one periodic
    (JK-16(g): initial and periodic inspections). An agreement that lists no conditions
    leaves every one missing (fail closed)."""
    if not agreement.contractor_conditions:
        return ["(the agreement lists no contractor conditions)"]
    missing = []
    for condition in agreement.contractor_conditions:
        when = met.get(condition)
        every = agreement.periodic_conditions.get(condition)
        if when is None or when > on or (every is not None and on - when > timedelta(days=every)):
            missing.append(condition)
    return missing


class NeedAndClearance:
    """Access only for officials of the holding party with both an official need and a PSC
    granted under the holding party's law at or above the holder's equivalent level (JK-7.2)."""

    key: ClassVar[str] = "need_and_clearance"
    article: ClassVar[str] = "official need and a sufficient clearance of the holder's scheme"

    def evaluate(self, request: Accessing) -> Decision:
        p, item = request.person, request.item
        rule = request.agreement.rule_id(self.key)
        if item.destroyed:
            return Decision.deny(_ACT, rule, f"item {item.id} has been destroyed")
        if p.party != item.holder:
            return Decision.deny(
                _ACT, rule, f"{p.id} is an official of {p.party}, not of the holder {item.holder}"
            )
        problems = []
        if not _need(request):
            problems.append(f"{p.id} has no official need to know {item.topic}")
        level = p.clearance_on(request.at.date())
        if level is None:
            problems.append(f"{p.id} holds no clearance in effect on {request.at.date()}")
        elif not _cleared(request):
            problems.append(f"{p.id}'s clearance {level} is below {item.holder_level}")
        if problems:
            return Decision.deny(_ACT, rule, "; ".join(problems))
        return Decision.allow(
            _ACT,
            rule,
            f"{p.id} needs {item.topic} and is cleared to {level} (≥ {item.holder_level})",
        )


class NotRankAlone:
    """Rank, appointment or a clearance alone never entitles anyone to access (JK-7.1)."""

    key: ClassVar[str] = "not_rank_alone"
    article: ClassVar[str] = "no access on rank, appointment or clearance alone"

    def evaluate(self, request: Accessing) -> Decision:
        rule = request.agreement.rule_id(self.key)
        p = request.person
        need, cleared = _need(request), _cleared(request)
        if need and cleared:
            return Decision.allow(
                _ACT, rule, "access rests on both need and clearance, not on rank"
            )
        grounds = [
            g
            for g, present in (
                ("rank " + p.rank, bool(p.rank)),
                ("a clearance", cleared),
                ("a need", need),
            )
            if present
        ]
        held = " and ".join(grounds) or "nothing"
        return Decision.deny(_ACT, rule, f"{p.id} has only {held}; that alone never grants access")


class OnRegister:
    """The person must be on the register of cleared, authorised persons of the facility that
    keeps the item (JK-6.e). An item kept at no facility is on no register: nobody has
    access until a security officer places it (fail closed)."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "entered on the facility's register"

    def evaluate(self, request: Accessing) -> Decision:
        rule = request.agreement.rule_id(self.key)
        facility = request.item.facility
        who = request.person.id
        if facility is None:
            return Decision.deny(
                _ACT,
                rule,
                f"item {request.item.id} is kept at no facility, so it is on no register; "
                "a security officer must place it first",
            )
        if facility in request.person.registered_at:
            return Decision.allow(_ACT, rule, f"{who} is on the register of {facility}")
        return Decision.deny(_ACT, rule, f"{who} is not on the register of facility {facility}")


class ContractorConditions:
    """Contractor staff get access only once the agreement's Art. 16 conditions are recorded
    as met, the periodic ones recently enough, at every facility they are registered at
    (JK-16.x); other roles are unaffected."""

    key: ClassVar[str] = "contractor"
    article: ClassVar[str] = "Art. 16 conditions met before a contractor receives items"

    def evaluate(self, request: Accessing) -> Decision:
        rule = request.agreement.rule_id(self.key)
        person = request.person
        if person.role is not Role.CONTRACTOR_STAFF:
            return Decision.allow(_ACT, rule, f"{person.id} is not contractor staff")
        if not person.registered_at:
            return Decision.deny(_ACT, rule, f"{person.id} is registered at no facility")
        on = request.at.date()
        for facility in sorted(person.registered_at):
            met = request.conditions.get(facility, {})
            missing = conditions_missing(request.agreement, met, on)
            if missing:
                listed = ", ".join(f"({c})" for c in missing)
                return Decision.deny(
                    _ACT,
                    rule,
                    f"Art. 16 conditions {listed} are not recorded as met (and current) at "
                    f"{facility}",
                )
        return Decision.allow(_ACT, rule, "Art. 16 conditions are recorded as met and current")


class HeldHere:
    """Only an item this party holds, located in its inventory, can be opened (JK-6.f)."""

    key: ClassVar[str] = "inventory"
    article: ClassVar[str] = "the item is held and located here"

    def evaluate(self, request: Accessing) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if item.state is not Custody.HELD:
            return Decision.deny(_ACT, rule, f"item {item.id} is not held here ({item.state})")
        return Decision.allow(_ACT, rule, f"item {item.id} is held at {item.facility}")


class ProtectionContinues:
    """What was provided under the agreement stays protected, and accessible under these
    rules, after termination (JK-21.2); nothing is under an agreement before it entered into
    force."""

    key: ClassVar[str] = "continued_protection"
    article: ClassVar[str] = "protection under the agreement, also after termination"

    def evaluate(self, request: Accessing) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        entry = a.term.entry_into_force
        if request.at < entry or request.item.provided_at < entry:
            return Decision.deny(
                _ACT, rule, f"{a.short_name} was not in force then (in force from {entry.date()})"
            )
        s = status(a, at=request.at)
        if s.phase is Phase.TERMINATED:
            return Decision.allow(_ACT, rule, f"{a.short_name} is {s.summary}")
        return Decision.allow(_ACT, rule, f"{a.short_name} protects item {request.item.id}")
