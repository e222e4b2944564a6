"""The catalogue: for each act, the rules that decide it under an agreement, in the order they
are read. The one index of which rule governs what (``docs/workflows.md`` tables it).

Every ``[rules]`` key an agreement file may set is the key of a rule here, or is listed in
:data:`NOT_ENFORCED` with the reason; a test holds the catalogue complete, and another that
every rule here is reached by an act some service decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from gsomia.core.agreements import Agreement, LegalNature
from gsomia.core.decisions import Decision
from gsomia.core.rules.access import (
    ContractorConditions,
    HeldHere,
    NeedAndClearance,
    NotRankAlone,
    OnRegister,
    ProtectionContinues,
)
from gsomia.core.rules.authority import (
    AuthorityHeld,
    ByNodeOr,
    ClearedForItem,
    Founding,
    GrantEligible,
    OwnTokenOr,
    RegisterCleared,
    RevokeHeld,
    TokenStaysWithinIssuer,
    TokenWithinIssuer,
)
from gsomia.core.rules.base import Act, Rule, Wrapping
from gsomia.core.rules.handling import (
    Destruction,
    Disposal,
    FacilityConditions,
    MarkingKept,
    Placement,
    Reclassification,
    Reproduction,
    Retention,
    TranslatorCleared,
)
from gsomia.core.rules.liaison import (
    AssuranceHolds,
    ConsultedBeforehand,
    HostAuthorises,
    LawsOnRequest,
    VisitorsCleared,
)
from gsomia.core.rules.notes import AmendableInForce, NoteFitsAgreement, NoteInTime, NoticePeriod
from gsomia.core.rules.partners import ByConsentKind, ByVisitKind, FromPartner
from gsomia.core.rules.receive import (
    AgreementKnown,
    BindingVerified,
    MarkedAsEquivalent,
    NotDuplicate,
    OnRoute,
    RelayedWithConsent,
)
from gsomia.core.rules.release import ConsentAsked, HubConsent, PurposeLimited, ThirdPartyConsent
from gsomia.core.rules.requests import AccessRequest, ReceiveRequest, ReleaseRequest
from gsomia.core.rules.send import (
    AssuranceGiven,
    BasisInForce,
    InForce,
    LevelCovered,
    Marking,
    PartiesToAgreement,
    ProviderCleared,
    RouteFollowed,
    TopicInScope,
)
from gsomia.core.rules.visibility import (
    CheckpointByOfficer,
    MarkingVisible,
    NetworkAccredited,
    OfficersOnly,
)
from gsomia.core.rules.warning import NoSensorIdentity, PayloadLimited, WithinWindow

__all__ = [
    "CATALOGUE",
    "NOT_ENFORCED",
    "OfSend",
    "ViaAccess",
    "all_rules",
    "known_keys",
    "rule_keys",
    "rules_for",
]

AnyRule = Rule[Any]

#: Keys an agreement file may set that no rule enforces, each with the reason.
NOT_ENFORCED: Mapping[str, str] = MappingProxyType(
    {
        "ip_rights": "JK-6.d (intellectual-property rights) cannot be checked by software",
        "vetting": "JK-7.3 (criteria for a clearance) is national vetting, outside the node",
        "disputes": "JK-20.1 (disputes by consultation) has no act; protection never pauses",
    }
)


@dataclass(frozen=True, slots=True)
class OfSend(Wrapping):
    """A send rule read for a receipt: the provision as the authenticated label states it,
    decided as of the transfer's time. Without a provision to read, it denies."""

    rule: Rule[Any]

    def evaluate(self, request: ReceiveRequest) -> Decision:
        if request.send is None:
            rule = request.agreement.rule_id(self.rule.key)
            return Decision.deny("receive", rule, f"the label gives {request.provider} no level")
        return self.rule.evaluate(request.send)


@dataclass(frozen=True, slots=True)
class ViaAccess(Wrapping):
    """An access rule read for an act on an item that another rule also decides (a release):
    the acting person's access to the item. Without a person, it denies."""

    rule: Rule[Any]

    def evaluate(self, request: ReleaseRequest) -> Decision:
        if request.person is None:
            rule = request.agreement.rule_id(self.rule.key)
            return Decision.deny("release", rule, "a release is decided by a named person")
        access = AccessRequest(
            agreement=request.agreement,
            person=request.person,
            item=request.item,
            at=request.at,
            conditions=request.conditions,
        )
        return self.rule.evaluate(access)


_ACCESS: tuple[AnyRule, ...] = (
    NeedAndClearance(),
    NotRankAlone(),
    OnRegister(),
    ContractorConditions(),
)


def _send(a: Agreement) -> tuple[AnyRule, ...]:
    rules: list[AnyRule] = [InForce(), PartiesToAgreement(), LevelCovered()]
    if a.scope_topics:
        rules.append(TopicInScope())
    rules.append(RouteFollowed())
    if a.basis or a.legal_nature is LegalNature.NON_BINDING:
        rules.append(BasisInForce())
    rules.append(Marking())
    return tuple(rules)


def _provide(a: Agreement) -> tuple[AnyRule, ...]:
    return (*_send(a), ProviderCleared(), AssuranceGiven())


def _receive(a: Agreement) -> tuple[AnyRule, ...]:
    relay: tuple[AnyRule, ...] = ()
    if a.route.kind == "hub" and a.route.consent_required:
        relay = (RelayedWithConsent(),)
    return (
        AgreementKnown(),
        BindingVerified(),
        OnRoute(),
        NotDuplicate(),
        *(OfSend(r) for r in _send(a)),
        MarkedAsEquivalent(),
        *relay,
    )


class _AnyAgreement:
    """Stands for an agreement that has every optional part (topics, a basis, a hub, a
    payload), when listing every rule key the catalogue may read."""

    scope_topics: tuple[str, ...] = ("any",)
    basis: tuple[str, ...] = ("any",)
    payload_fields: tuple[str, ...] = ("any",)
    strip_sensor_identity = True
    legal_nature = LegalNature.NON_BINDING

    class route:  # noqa: N801 - mirrors Agreement.route
        kind = "hub"
        consent_required = True


_ANY: Any = _AnyAgreement()


def _consent_key(a: Agreement) -> str:
    return "consent" if a.route.kind == "hub" else "third_party"


def _answer_consent(a: Agreement) -> tuple[AnyRule, ...]:
    return (AuthorityHeld(_consent_key(a)), ClearedForItem(_consent_key(a)))


def _note(_: Agreement) -> tuple[AnyRule, ...]:
    return (AuthorityHeld("in_force"), NoteFitsAgreement(), NoticePeriod())


def _visit(_: Agreement) -> tuple[AnyRule, ...]:
    return (AuthorityHeld("visit"), HostAuthorises(), VisitorsCleared(), ConsultedBeforehand())


def _share_warning(a: Agreement) -> tuple[AnyRule, ...]:
    # The real-time link's file states its payload (RT-1), window (RT-2) and sensor rule
    # (RT-3); under any other agreement a warning stream is an item provided under its send
    # rules, and only the window (nothing after impact unless the file opens it) applies.
    payload = (PayloadLimited(),) if a.payload_fields else ()
    sensor = (NoSensorIdentity(),) if a.strip_sensor_identity else ()
    return (*payload, WithinWindow(), *sensor)


def _fixed(*rules: AnyRule) -> Callable[[Agreement], tuple[AnyRule, ...]]:
    return lambda _: rules


#: For each act, the rules that decide it under one agreement.
CATALOGUE: Mapping[Act, Callable[[Agreement], tuple[AnyRule, ...]]] = MappingProxyType(
    {
        Act.SEND: _provide,
        Act.RECEIVE: _receive,
        Act.OPEN: _fixed(*_ACCESS, HeldHere(), ProtectionContinues(), PurposeLimited()),
        Act.COPY: _fixed(*_ACCESS, HeldHere(), Reproduction()),
        Act.TRANSLATE: _fixed(*_ACCESS, HeldHere(), TranslatorCleared()),
        Act.PLACE: _fixed(AuthorityHeld("inventory"), ClearedForItem(need=False), Placement()),
        Act.HAND_OVER: _fixed(
            AuthorityHeld("contractor"), *_ACCESS, HeldHere(), FacilityConditions()
        ),
        Act.LAPSE: _fixed(*_ACCESS, Disposal()),
        Act.RETAIN: _fixed(Retention()),
        Act.RETURN: _fixed(*_ACCESS, Disposal()),
        Act.DESTROY: _fixed(*_ACCESS, Disposal(), Destruction()),
        Act.ASK_CONSENT: _fixed(*_ACCESS, ConsentAsked()),
        Act.ANSWER_CONSENT: _answer_consent,
        Act.RELEASE: _fixed(*(ViaAccess(r) for r in _ACCESS), ThirdPartyConsent()),
        Act.FORWARD: _fixed(AuthorityHeld("consent"), ClearedForItem("consent"), HubConsent()),
        Act.RECLASSIFY: _fixed(
            AuthorityHeld("reclassification"),
            ClearedForItem("reclassification"),
            Reclassification(),
        ),
        Act.REMARK: _fixed(Reclassification()),
        Act.RESEAL: _fixed(MarkingKept()),
        Act.INCIDENT: _fixed(AuthorityHeld("incident"), ClearedForItem("incident")),
        Act.GIVE_NOTE: _note,
        Act.RECEIVE_NOTE: _fixed(NoteFitsAgreement(), NoticePeriod(), NoteInTime()),
        Act.AMEND: _fixed(AuthorityHeld("amendment"), AmendableInForce()),
        Act.NOTIFY_LAW: _fixed(AuthorityHeld("national_law")),
        Act.REQUEST_LAWS: _fixed(AuthorityHeld("laws_on_request")),
        Act.ANSWER_LAWS: _fixed(AuthorityHeld("laws_on_request"), LawsOnRequest()),
        Act.REQUEST_VISIT: _visit,
        Act.ANSWER_VISIT: _visit,
        Act.ASSURE: _fixed(AuthorityHeld("assurance"), AssuranceHolds()),
        Act.FOUND: _fixed(Founding()),
        Act.ADMINISTER: _fixed(AuthorityHeld("register"), RegisterCleared()),
        Act.CERTIFY_CONDITION: _fixed(AuthorityHeld("contractor")),
        Act.GRANT_AUTHORITY: _fixed(AuthorityHeld("register"), GrantEligible()),
        Act.REVOKE_AUTHORITY: _fixed(AuthorityHeld("register"), RevokeHeld()),
        Act.ISSUE_TOKEN: _fixed(ByNodeOr(AuthorityHeld("register")), TokenWithinIssuer()),
        Act.REVOKE_TOKEN: _fixed(OwnTokenOr(AuthorityHeld("register"))),
        Act.USE_TOKEN: _fixed(TokenStaysWithinIssuer()),
        Act.VIEW_ITEM: _fixed(MarkingVisible(), ContractorConditions()),
        Act.VIEW_REGISTRY: _fixed(OfficersOnly("register", cleared=True)),
        Act.VIEW_LEDGER: _fixed(OfficersOnly("inventory", cleared=True)),
        Act.VIEW_RECORDS: _fixed(OfficersOnly("register")),
        Act.REQUEST_CHECKPOINT: _fixed(CheckpointByOfficer()),
        Act.SHARE_WARNING: _share_warning,
        Act.CARRY: _fixed(NetworkAccredited()),
        Act.RECEIVE_RETURN: _fixed(FromPartner("disposal")),
        Act.RECEIVE_INCIDENT: _fixed(FromPartner("incident")),
        Act.RECEIVE_CONSENT_REQUEST: _fixed(ByConsentKind()),
        Act.RECEIVE_CONSENT_ANSWER: _fixed(ByConsentKind()),
        Act.RECEIVE_LAW_NOTICE: _fixed(FromPartner("national_law")),
        Act.RECEIVE_LAW_REQUEST: _fixed(FromPartner("laws_on_request")),
        Act.RECEIVE_VISIT: _fixed(ByVisitKind()),
        Act.RECEIVE_VISIT_ANSWER: _fixed(ByVisitKind()),
        Act.RECEIVE_ASSURANCE: _fixed(FromPartner("assurance")),
        Act.RECEIVE_AMENDMENT: _fixed(FromPartner("amendment")),
    }
)


def known_keys() -> frozenset[str]:
    """Every rule key an agreement file may set: the key of some rule of the catalogue
    (under any agreement), or one of :data:`NOT_ENFORCED`."""
    every: list[AnyRule] = [ThirdPartyConsent()]
    for rules in CATALOGUE.values():
        for rule in rules(_ANY):
            every.append(rule)
    return frozenset(r.key for r in every) | frozenset(NOT_ENFORCED)


def rules_for(act: Act, agreement: Agreement) -> tuple[AnyRule, ...]:
    """The rules that decide ``act`` under ``agreement``, in the order they are read."""
    return CATALOGUE[act](agreement)


def all_rules(agreement: Agreement) -> Iterator[tuple[Act, AnyRule]]:
    """Every (act, rule) pair of the catalogue under ``agreement``."""
    for act, rules in CATALOGUE.items():
        for rule in rules(agreement):
            yield act, rule
            if isinstance(rule, (OfSend, ViaAccess, ByNodeOr, OwnTokenOr)):
                yield act, rule.rule


def rule_keys(agreement: Agreement) -> frozenset[str]:
    """Every rule key the catalogue reads under ``agreement``."""
    return frozenset(rule.key for _, rule in all_rules(agreement))
