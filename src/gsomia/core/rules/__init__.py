"""The rules engine: one rule per class, each citing its article; one entry decides every act.

:meth:`Rulebook.decide` takes an :class:`Act` and its request and reads the rules the
catalogue (:mod:`gsomia.core.rules.catalogue`) lists for it under the request's agreement;
the result is a :class:`~gsomia.core.decisions.Decision` that cites the agreement's own rule
ids (``JK-7.2``, ``TI-3``). Acts of the node as a whole (its registry, its tokens, seeing
the registry or the ledger) are decided under every agreement the party belongs to
(:meth:`Rulebook.decide_for_party`). Policies are all-of and an empty policy denies. The
named ``decide_*`` methods answer what-if questions with one rule family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision, combine
from gsomia.core.rules.access import (
    ContractorConditions,
    NeedAndClearance,
    NotRankAlone,
    OnRegister,
)
from gsomia.core.rules.base import Act, Rule
from gsomia.core.rules.catalogue import rules_for
from gsomia.core.rules.handling import Reclassification, Retention
from gsomia.core.rules.release import HubConsent, PurposeLimited, ThirdPartyConsent
from gsomia.core.rules.requests import (
    AccessRequest,
    AdministerRequest,
    AssuranceRequest,
    AuthorityRequest,
    CheckpointRequest,
    CopyRequest,
    ForwardRequest,
    HandOverRequest,
    LawRequest,
    NetworkRequest,
    NoteRequest,
    PartnerActRequest,
    PlaceRequest,
    ReceiveRequest,
    ReclassificationRequest,
    ReleaseRequest,
    ResealRequest,
    RetentionRequest,
    SendRequest,
    TokenUseRequest,
    TranslateRequest,
    UseRequest,
    ViewRequest,
    VisitRequest,
    WarningRequest,
)

__all__ = [
    "AccessRequest",
    "Act",
    "AdministerRequest",
    "AssuranceRequest",
    "AuthorityRequest",
    "CheckpointRequest",
    "CopyRequest",
    "ForwardRequest",
    "HandOverRequest",
    "LawRequest",
    "NetworkRequest",
    "NoteRequest",
    "PartnerActRequest",
    "PlaceRequest",
    "ReceiveRequest",
    "ReclassificationRequest",
    "ReleaseRequest",
    "ResealRequest",
    "RetentionRequest",
    "Rule",
    "Rulebook",
    "SendRequest",
    "TokenUseRequest",
    "TranslateRequest",
    "UseRequest",
    "ViewRequest",
    "VisitRequest",
    "WarningRequest",
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

    @property
    def agreements(self) -> Mapping[str, Agreement]:
        return self._agreements

    def decide(self, act: Act, request: Any) -> Decision:
        """Decide ``act`` on ``request`` by the rules the catalogue lists for it under the
        request's agreement; all of them must allow."""
        if isinstance(request, SendRequest) and request.others is None:
            request = replace(request, others=self._agreements)
        if isinstance(request, ReceiveRequest) and request.send and request.send.others is None:
            request = replace(request, send=replace(request.send, others=self._agreements))
        return _all_of(act.value, rules_for(act, request.agreement), request)

    def governing(self, party: str) -> tuple[Agreement, ...]:
        """The agreements ``party`` belongs to, by id: those its node-wide acts answer to."""
        return tuple(a for _, a in sorted(self._agreements.items()) if party in a.party_codes)

    def decide_for_party(
        self, act: Act, party: str, request: Callable[[Agreement], object]
    ) -> tuple[Agreement, Decision]:
        """Decide a node-wide act of ``party`` (its registry, its tokens, seeing its registry
        or ledger) under every agreement it belongs to: allowed only where each allows. Returns
        the first of those agreements (where the act is recorded) and the combined decision,
        which cites each agreement's rule. Denies when the party belongs to none."""
        governing = self.governing(party)
        decisions = [self.decide(act, request(a)) for a in governing]
        home = governing[0] if governing else None
        if home is None:
            return _nowhere(party), combine(act.value, [])
        return home, combine(act.value, decisions)

    # What-if questions, one rule family each ----------------------------------------------

    def send_rules(self, agreement: Agreement) -> tuple[Rule[SendRequest], ...]:
        """The rules a provision under ``agreement`` must pass, in the order they are read
        (without the provider's own clearance: a question about the parties)."""
        return tuple(r for r in rules_for(Act.SEND, agreement) if r.key not in _PERSONAL)

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


_PERSONAL = frozenset({"provider", "assurance"})


def _nowhere(party: str) -> Agreement:
    from gsomia.errors import UnknownName

    raise UnknownName(kind=f"agreement of {party}", name=party)


def _all_of(act: str, rules: Sequence[Rule[Any]], request: object) -> Decision:
    return combine(act, (rule.evaluate(request) for rule in rules))
