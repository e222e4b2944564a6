"""The questions the rules answer: one frozen request type per act (or family of acts).

Requests carry only authenticated values the service read for the rules (the label the
binding authenticates, the registry's persons with their grants, verified consents); the
rules decide from them and nothing else. Protocols name what several requests share, so one
rule serves every act that asks the same question (``NeedAndClearance`` for opening,
copying, destroying...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from gsomia.core.agreements import Agreement, AgreementEvent
from gsomia.core.classification import Level
from gsomia.core.items import Consent, Item
from gsomia.core.people import Authority, Facility, Person

__all__ = [
    "AccessRequest",
    "Accessing",
    "AdministerRequest",
    "AssuranceRequest",
    "AuthorityRequest",
    "CheckpointRequest",
    "Conditions",
    "CopyRequest",
    "Deciding",
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
    "SendRequest",
    "TokenUseRequest",
    "TranslateRequest",
    "UseRequest",
    "ViewRequest",
    "VisitRequest",
    "WarningRequest",
]

#: For each facility, the Art. 16 conditions recorded as met there and on which day.
Conditions = Mapping[str, Mapping[str, date]]


class Accessing(Protocol):
    """A person acting on an item their party holds: what every access rule reads."""

    @property
    def agreement(self) -> Agreement: ...
    @property
    def person(self) -> Person: ...
    @property
    def item(self) -> Item: ...
    @property
    def at(self) -> datetime: ...
    @property
    def conditions(self) -> Conditions: ...


class Deciding(Protocol):
    """A person deciding for their party: what the authority rules read."""

    @property
    def agreement(self) -> Agreement: ...
    @property
    def person(self) -> Person | None: ...
    @property
    def party(self) -> str: ...
    @property
    def authority(self) -> Authority: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """May ``originator`` provide an item at ``level`` on ``topic`` to ``recipient`` at ``at``
    under ``agreement``, along ``path`` (originator first; ``None`` means the agreement's
    route)? ``others`` are the other agreements the node knows, for the basis of a
    non-binding arrangement (TI-5, TI-7). ``person`` is the official who provides it (none
    for a what-if question or a receipt); ``assured`` the recipient representatives the
    recipient party has given a JK-7.4 assurance for, when the item is handed over in person
    to ``in_person``."""

    agreement: Agreement
    originator: str
    recipient: str
    level: Level
    topic: str
    at: datetime
    path: tuple[str, ...] | None = None
    others: Mapping[str, Agreement] | None = None
    person: Person | None = None
    in_person: str | None = None
    assured: Mapping[str, AssuranceRequest] = field(default_factory=dict)

    @property
    def route(self) -> tuple[str, ...]:
        if self.path is not None:
            return self.path
        return self.agreement.route.path(self.originator, self.recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveRequest:
    """May this node (``me``) take custody of an item ``sender`` sent? ``send`` is the
    provision as the authenticated label states it, decided as of the transfer's time;
    ``marked`` is the label's equivalent level for ``me``; ``label_agreement`` the agreement
    the label names (``agreement`` is that one, or the transfer's when this node does not
    know it). ``relayed`` says it came through the agreement's hub, with the originator's
    ``consent`` the hub carried (TI-3)."""

    agreement: Agreement
    label_agreement: str
    me: str
    sender: str
    provider: str
    binding_verified: bool
    already_held: bool
    route: tuple[str, ...]
    marked: str | None
    send: SendRequest | None
    relayed: bool = False
    consent: Consent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRequest:
    """May ``person`` open ``item`` at ``at`` (JK-7), for ``purpose`` (the purpose of
    provision when ``None``; another one needs the originator's ``consent``, JK-5.2)?
    ``conditions`` are the Art. 16 conditions met at the person's facilities (JK-16.x)."""

    agreement: Agreement
    person: Person
    item: Item
    at: datetime
    conditions: Conditions = field(default_factory=dict)
    purpose: str | None = None
    consent: Consent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyRequest:
    """May ``person`` make a numbered copy of ``item`` kept at ``facility`` (JK-6.f, JK-14)?"""

    agreement: Agreement
    person: Person
    item: Item
    at: datetime
    facility: Facility | None
    conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class TranslateRequest:
    """May ``person`` record a translation of ``item`` made by ``translator`` (JK-15.1)?"""

    agreement: Agreement
    person: Person
    item: Item
    at: datetime
    translator: Person
    conditions: Conditions = field(default_factory=dict)
    translator_conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceRequest:
    """May ``person`` enter ``item`` on the register of government facility ``facility``
    (JK-6.e, JK-6.f)?"""

    agreement: Agreement
    person: Person
    item: Item
    at: datetime
    facility: Facility
    party: str
    authority: Authority = Authority.CUSTODY
    conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOverRequest:
    """May ``person`` hand ``item`` over to contractor facility ``facility``, whose Art. 16
    conditions are ``met`` (JK-16.x)?"""

    agreement: Agreement
    person: Person
    item: Item
    at: datetime
    facility: Facility
    met: Mapping[str, date]
    party: str
    authority: Authority = Authority.CUSTODY
    conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardRequest:
    """May ``hub`` forward an item it holds to ``recipient`` (TI-3 consent gate), by
    ``person`` (who must hold ``forwarding``)?"""

    agreement: Agreement
    hub: str
    item: Item
    recipient: str
    at: datetime
    consent: Consent | None = None
    person: Person | None = None
    authority: Authority = Authority.FORWARDING
    conditions: Conditions = field(default_factory=dict)

    @property
    def party(self) -> str:
        return self.hub


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRequest:
    """May the holder release ``item`` to ``to_party``, a third party (JK-5.1, TI-6)?"""

    agreement: Agreement
    item: Item
    to_party: str
    at: datetime
    consent: Consent | None = None
    person: Person | None = None
    conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class UseRequest:
    """May the holder use ``item`` for ``purpose`` (JK-5.2)?"""

    agreement: Agreement
    item: Item
    purpose: str
    at: datetime
    consent: Consent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorityRequest:
    """May ``person`` decide for ``party`` what ``authority`` covers, about ``item`` when
    there is one (consent, incidents, ...)?"""

    agreement: Agreement
    person: Person
    party: str
    authority: Authority
    at: datetime
    item: Item | None = None
    conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReclassificationRequest:
    """``notice_from`` tells the holder that ``item`` is now at ``new_level`` (JK-6.g); when
    the originator decides it, ``person`` is its official (who must hold
    ``reclassification`` and be cleared for the item)."""

    agreement: Agreement
    item: Item
    notice_from: str
    new_level: Level
    in_writing: bool
    at: datetime
    person: Person | None = None
    authority: Authority = Authority.RECLASSIFICATION
    conditions: Conditions = field(default_factory=dict)

    @property
    def party(self) -> str:
        return self.notice_from


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionRequest:
    """May the holder keep ``item`` at ``at``, or must it return or destroy it (JK-6.h)?"""

    agreement: Agreement
    item: Item
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteRequest:
    """May ``event`` (a notice, suspension, resumption or withdrawal) be recorded on
    ``agreement`` as it stands? Given by ``person`` of ``party`` (who must hold ``notes``),
    or received from ``party`` in a message sent at ``message_at``."""

    agreement: Agreement
    event: AgreementEvent
    party: str
    at: datetime
    person: Person | None = None
    message_at: datetime | None = None
    authority: Authority = Authority.NOTES


@dataclass(frozen=True, slots=True, kw_only=True)
class LawRequest:
    """May ``person`` of ``party`` act for its competent authority on national law
    (JK-3.1, JK-3.2)? ``asked`` says, for an answer, whether the other party asked."""

    agreement: Agreement
    person: Person
    party: str
    at: datetime
    asked: bool = True
    authority: Authority = Authority.LIAISON


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitRequest:
    """A visit to a facility of ``host`` (JK-8.1) or of security representatives
    (JK-18.1): asked for by ``person`` of ``party`` with ``visitors``, or answered by the
    host's ``person``."""

    agreement: Agreement
    person: Person
    party: str
    host: str
    security: bool
    at: datetime
    visitors: tuple[Person, ...] = ()
    max_level: Level | None = None
    start: date | None = None
    consultation: str = ""
    answering: bool = False
    authority: Authority = Authority.LIAISON


@dataclass(frozen=True, slots=True, kw_only=True)
class AssuranceRequest:
    """The receiving party's assurance, before a representative of the originating party
    hands items to ``subject`` in person (JK-7.4): ``subject`` holds a clearance at least
    equivalent to ``level``, needs ``topic`` for official purposes, and the receiving party
    gives the items substantially equivalent protection. Given by ``person`` of ``party``."""

    agreement: Agreement
    person: Person | None
    party: str
    subject: Person | None
    subject_id: str
    level: Level
    topic: str
    at: datetime
    valid_until: date
    authority: Authority = Authority.LIAISON


@dataclass(frozen=True, slots=True, kw_only=True)
class AdministerRequest:
    """May ``person`` change the registry of ``party`` (``what``: a facility, a person, a
    registration, a clearance, an Art. 16 condition, an authority, a token)? ``founding``
    marks the founding of the registry by the node's operator (no ``person``), with
    ``registrars`` the persons who hold the registry authority now, as the registry knows
    them; ``target`` is the person an act is about, ``granted`` the authority an act grants
    (or revokes)."""

    agreement: Agreement
    person: Person | None
    party: str
    what: str
    at: datetime
    founding: bool = False
    registrars: tuple[Person, ...] = ()
    target: Person | None = None
    granted: Authority | None = None
    authority: Authority = Authority.REGISTRY


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenUseRequest:
    """May a token of ``holder`` (with the authorities the registry grants them now) act
    for them at ``at``? ``issued_by`` is who issued it, as its record names them: the node
    (:data:`~gsomia.core.people.NODE_ACTOR`), the holder, or another person, ``issuer``, as
    the registry knows them now, with the authorities it grants them (``None`` if it knows
    nobody by that name)."""

    agreement: Agreement
    party: str
    at: datetime
    holder: Person
    issued_by: str
    issuer: Person | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRequest:
    """May ``person`` have the node of ``party`` sign a checkpoint of its ledger and ask its
    partners to cosign it? ``person`` is ``None`` for the node itself: its own upkeep, or
    its operator, who holds the master secret."""

    agreement: Agreement
    person: Person | None
    party: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewRequest:
    """May ``person`` see ``item``'s marking (or, without an item, ``what``: the registry,
    the ledger, workflow records of a kind)? ``conditions`` are the Art. 16 conditions met
    where the person is registered."""

    agreement: Agreement
    person: Person
    at: datetime
    item: Item | None = None
    what: str = "item"
    authority: Authority | None = None
    #: The Art. 16 conditions met where the person is registered (for contractor staff).
    conditions: Conditions = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class WarningRequest:
    """May a warning carrying ``fields`` be shared on the real-time link (RT-1, RT-2, RT-3)?
    ``t`` is its time and ``impact_t`` the predicted impact's (``None`` when no impact is
    predicted yet), in seconds of the scenario's clock; ``sensor_identity`` whether it names
    a sensor."""

    agreement: Agreement
    fields: tuple[str, ...]
    t: float
    impact_t: float | None
    sensor_identity: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkRequest:
    """May a network of this party accredited up to ``accredited`` carry something marked
    ``level`` (both of the party's own scheme)?"""

    agreement: Agreement
    level: Level
    accredited: Level
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerActRequest:
    """Is ``sender``'s act, received by ``party`` under ``agreement``, one a party to it does
    under its article? ``subject`` says which article where an act has several: the kind
    of consent (``release`` or ``purpose``) or of visit (``access`` or ``security``)."""

    agreement: Agreement
    party: str
    sender: str
    at: datetime
    subject: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResealRequest:
    """May the holder seal ``item`` again at rest under a new label version of its own that
    marks it ``level`` (the originator's) and ``equivalent`` (this party's)?"""

    agreement: Agreement
    item: Item
    level: str
    equivalent: str | None
    at: datetime
