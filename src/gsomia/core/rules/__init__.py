"""The rules engine: one rule per class, each citing its article; a rulebook composes them.

Every ``decide_*`` method is pure and returns a :class:`~gsomia.core.decisions.Decision`
that cites the agreement's own rule ids (``JK-7.2``, ``TI-3``); the matching ``enforce_*``
raises :class:`~gsomia.errors.PolicyDenied` on denial. Policies are all-of and an empty
policy denies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from gsomia.core.agreements import Agreement, LegalNature
from gsomia.core.decisions import Decision, combine
from gsomia.core.rules.access import (
    ContractorConditions,
    NeedAndClearance,
    NotRankAlone,
    OnRegister,
)
from gsomia.core.rules.base import Rule
from gsomia.core.rules.custody import Marking, Reclassification, Retention
from gsomia.core.rules.release import HubConsent, PurposeLimited, ThirdPartyConsent
from gsomia.core.rules.requests import (
    AccessRequest,
    ForwardRequest,
    ReclassificationRequest,
    ReleaseRequest,
    RetentionRequest,
    SendRequest,
    UseRequest,
)
from gsomia.core.rules.send import (
    BasisInForce,
    InForce,
    LevelCovered,
    PartiesToAgreement,
    RouteFollowed,
    TopicInScope,
)

__all__ = [
    "AccessRequest",
    "ForwardRequest",
    "ReclassificationRequest",
    "ReleaseRequest",
    "RetentionRequest",
    "Rule",
    "Rulebook",
    "SendRequest",
    "UseRequest",
]

_OPEN: tuple[Rule[AccessRequest], ...] = (
    NeedAndClearance(),
    NotRankAlone(),
    OnRegister(),
    ContractorConditions(),
)


class Rulebook:
    """Decides every act the agreements govern, given the agreements the node knows."""

    def __init__(self, agreements: Mapping[str, Agreement]) -> None:
        self._agreements = dict(agreements)

    def send_rules(self, agreement: Agreement) -> tuple[Rule[SendRequest], ...]:
        """The rules a provision under ``agreement`` must pass, in the order they are read."""
        rules: list[Rule[SendRequest]] = [InForce(), PartiesToAgreement(), LevelCovered()]
        if agreement.scope_topics:
            rules.append(TopicInScope())
        rules.append(RouteFollowed())
        if agreement.basis or agreement.legal_nature is LegalNature.NON_BINDING:
            rules.append(BasisInForce())
        rules.append(Marking())
        return tuple(rules)

    def decide_send(self, request: SendRequest) -> Decision:
        """May the item be provided (JK-4.1, JK-9.1, JK-21.1, TI-1, TI-2, TI-5)?"""
        if request.others is None:
            request = replace(request, others=self._agreements)
        return _all_of("send", self.send_rules(request.agreement), request)

    def decide_forward(self, request: ForwardRequest) -> Decision:
        """May the hub forward the item (TI-3)?"""
        return _all_of("forward", (HubConsent(),), request)

    def decide_open(self, request: AccessRequest) -> Decision:
        """May the person open the item (JK-6.e, JK-7.1, JK-7.2, JK-16.x)?"""
        return _all_of("open", _OPEN, request)

    def decide_release(self, request: ReleaseRequest) -> Decision:
        """May the item go to a third party (JK-5.1, TI-6)?"""
        return _all_of("release", (ThirdPartyConsent(),), request)

    def decide_use(self, request: UseRequest) -> Decision:
        """May the item be used for this purpose (JK-5.2)?"""
        return _all_of("use", (PurposeLimited(),), request)

    def decide_reclassification(self, request: ReclassificationRequest) -> Decision:
        """Is the reclassification notice valid, and what is the new marking (JK-6.g)?"""
        return _all_of("reclassify", (Reclassification(),), request)

    def decide_retention(self, request: RetentionRequest) -> Decision:
        """May the holder keep the item, or must it return or destroy it (JK-6.h)?"""
        return _all_of("retain", (Retention(),), request)


def _all_of(act: str, rules: Sequence[Rule[Any]], request: object) -> Decision:
    return combine(act, (rule.evaluate(request) for rule in rules))
