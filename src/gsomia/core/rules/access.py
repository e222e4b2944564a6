"""Rules for a person's access to an item the party holds (JK-6.e, JK-7.1, JK-7.2, JK-16.x)."""

from __future__ import annotations

from typing import ClassVar

from gsomia.core.decisions import Decision
from gsomia.core.people import Role
from gsomia.core.rules.requests import AccessRequest

__all__ = ["ContractorConditions", "NeedAndClearance", "NotRankAlone", "OnRegister"]

_ACT = "open"


def _need(request: AccessRequest) -> bool:
    return request.item.topic in request.person.need_to_know


def _cleared(request: AccessRequest) -> bool:
    level = request.person.clearance_on(request.at.date())
    holder_level = request.item.holder_level
    return level is not None and type(level) is type(holder_level) and level >= holder_level


class NeedAndClearance:
    """Access only for officials of the holding party with both an official need and a PSC
    granted under the holding party's law at or above the holder's equivalent level (JK-7.2)."""

    key: ClassVar[str] = "need_and_clearance"
    article: ClassVar[str] = "official need and a sufficient clearance of the holder's scheme"

    def evaluate(self, request: AccessRequest) -> Decision:
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

    def evaluate(self, request: AccessRequest) -> Decision:
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
    keeps the item (JK-6.e)."""

    key: ClassVar[str] = "register"
    article: ClassVar[str] = "entered on the facility's register"

    def evaluate(self, request: AccessRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        facility = request.item.facility
        if facility is None or facility in request.person.registered_at:
            where = facility or "the holding party"
            return Decision.allow(_ACT, rule, f"{request.person.id} is on the register of {where}")
        return Decision.deny(
            _ACT, rule, f"{request.person.id} is not on the register of facility {facility}"
        )


class ContractorConditions:
    """Contractor staff get access only once Art. 16's conditions (a)–(o) are recorded as met
    for their contractor and facility (JK-16.x); other roles are unaffected."""

    key: ClassVar[str] = "contractor"
    article: ClassVar[str] = "Art. 16 conditions met before a contractor receives items"

    def evaluate(self, request: AccessRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.person.role is not Role.CONTRACTOR_STAFF:
            return Decision.allow(_ACT, rule, f"{request.person.id} is not contractor staff")
        if request.contractor_cleared:
            return Decision.allow(_ACT, rule, "Art. 16 conditions (a)–(o) are recorded as met")
        return Decision.deny(
            _ACT, rule, "Art. 16 conditions (a)–(o) are not all recorded as met for this contractor"
        )
