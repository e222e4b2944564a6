"""Rules for liaison between competent authorities: national laws on request and on change,
visits, and the assurance before a hand-over in person (JK-3.1, JK-3.2, JK-7.4, JK-8.1,
JK-18.1)."""

from __future__ import annotations

from typing import ClassVar

from gsomia.core.decisions import Decision
from gsomia.core.rules.requests import AssuranceRequest, LawRequest, VisitRequest
from gsomia.errors import PolicyDenied

__all__ = [
    "AssuranceHolds",
    "ConsultedBeforehand",
    "HostAuthorises",
    "LawsOnRequest",
    "VisitorsCleared",
]


class LawsOnRequest:
    """On the other party's request, a party informs it of its laws and regulations in force
    on the protection of classified military information (JK-3.1): an answer answers a
    request that was made."""

    key: ClassVar[str] = "laws_on_request"
    article: ClassVar[str] = "laws and regulations produced on request"

    def evaluate(self, request: LawRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if not request.asked:
            return Decision.deny("laws", rule, "no request for laws and regulations is pending")
        return Decision.allow("laws", rule, "laws and regulations produced in writing")


class VisitorsCleared:
    """Each visitor holds a clearance at least equivalent to the highest level that may be
    shown during the visit (JK-8.1)."""

    key: ClassVar[str] = "visit"
    article: ClassVar[str] = "visitors cleared to the highest level shown"

    def evaluate(self, request: VisitRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        if request.answering or request.max_level is None:
            return Decision.allow("visit", rule, "no level to be shown is checked here")
        try:
            needed = a.equivalent(request.max_level, for_party=request.party)
        except PolicyDenied as exc:
            return Decision.deny("visit", rule, exc.reason)
        day = request.start or request.at.date()
        short = []
        for v in request.visitors:
            held = v.clearance_on(day)
            if v.party != request.party:
                short.append(f"{v.id} is not a person of {request.party}")
            elif held is None or type(held) is not type(needed) or held < needed:
                short.append(f"{v.id}'s clearance ({held or 'none'}) is below {needed}")
        if not request.visitors:
            short.append("a visit names at least one visitor")
        if short:
            return Decision.deny(
                "visit",
                rule,
                "; ".join(short) + ", the equivalent of the highest level to be shown",
            )
        return Decision.allow("visit", rule, f"every visitor is cleared to {needed}")


class HostAuthorises:
    """Only the party in whose territory the facility lies authorises a visit to it, and a
    visit is asked of another party (JK-8.1)."""

    key: ClassVar[str] = "visit"
    article: ClassVar[str] = "only the host party authorises"

    def evaluate(self, request: VisitRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.host not in request.agreement.party_codes:
            return Decision.deny("visit", rule, f"{request.host} is not a party")
        if request.answering and request.party != request.host:
            return Decision.deny("visit", rule, f"only the host {request.host} authorises")
        if not request.answering and request.party == request.host:
            return Decision.deny("visit", rule, "a visit is asked of another party")
        return Decision.allow("visit", rule, f"the host is {request.host}")


class ConsultedBeforehand:
    """Security representatives visit after prior consultation, at a place and in a way
    agreed (JK-18.1)."""

    key: ClassVar[str] = "security_visit"
    article: ClassVar[str] = "prior consultation of a security visit"

    def evaluate(self, request: VisitRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.security and not request.answering and not request.consultation.strip():
            return Decision.deny("visit", rule, "a security visit names its prior consultation")
        return Decision.allow("visit", rule, "consulted beforehand" if request.security else "-")


class AssuranceHolds:
    """The receiving party assures only what holds in its registry: the representative is
    its person, cleared at least to the equivalent of the level, with a need to know the
    topic (JK-7.4 (a)-(b)); it undertakes (c) by giving the assurance."""

    key: ClassVar[str] = "assurance"
    article: ClassVar[str] = "an assurance that holds in the registry"

    def evaluate(self, request: AssuranceRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        s = request.subject
        if s is None or s.party != request.party:
            return Decision.deny(
                "assure", rule, f"{request.subject_id} is not a person of {request.party}"
            )
        try:
            needed = a.equivalent(request.level, for_party=request.party)
        except PolicyDenied as exc:
            return Decision.deny("assure", rule, exc.reason)
        held = s.clearance_on(request.at.date())
        problems = []
        if held is None or type(held) is not type(needed) or held < needed:
            problems.append(f"{s.id}'s clearance ({held or 'none'}) is below {needed}")
        if request.topic not in s.need_to_know:
            problems.append(f"{s.id} has no official need to know {request.topic}")
        if request.valid_until < request.at.date():
            problems.append("the assurance would expire before it is given")
        if problems:
            return Decision.deny("assure", rule, "; ".join(problems))
        return Decision.allow("assure", rule, f"{s.id} is cleared to {held} and needs the items")
