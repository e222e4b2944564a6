"""Agreement information and what-if decisions, for officers and researchers.

The edges (CLI, API) call one method here; each parses names into values (a level in any
spelling, a party, a date in the agreement's own time zone), asks the rulebook, and returns
the decision with the rules it rests on. Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from gsomia.core.agreements import Agreement, AgreementLibrary, LegalNature, parse_instant
from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.items import Consent, ConsentKind, Item
from gsomia.core.lifecycle import AgreementStatus, status
from gsomia.core.people import Clearance, Person, Role
from gsomia.core.rules import AccessRequest, Act, ReleaseRequest, Rulebook, SendRequest
from gsomia.errors import InputError

__all__ = [
    "EARLIEST",
    "LATEST",
    "OpenQuestion",
    "ReleaseQuestion",
    "SendQuestion",
    "WhatIfService",
    "check_years",
]

_PLACEHOLDER_ITEM = "0" * 32
_WHAT_IF_FACILITY = "the-facility"
#: Dates and instants that a person gives are taken in these years only: the agreements'
#: dates lie within them, and the calendar arithmetic of terms and notices stays in range.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def check_years(value: date | datetime, *, what: str) -> None:
    """Raise :class:`InputError` naming ``what`` unless ``value`` (a date, or an instant
    with its time zone) lies between :data:`EARLIEST` and :data:`LATEST`."""
    try:
        if isinstance(value, datetime):
            ok = EARLIEST <= value.astimezone(UTC) <= LATEST
        else:
            ok = EARLIEST.date() <= value <= LATEST.date()
    except (OverflowError, TypeError):
        ok = False
    if not ok:
        raise InputError(
            f"{what} is outside the years {EARLIEST.year} to {LATEST.year} that the node takes"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SendQuestion:
    """May ``originator`` provide an item at ``level`` on ``topic`` to ``recipient`` on ``on``?"""

    originator: str
    recipient: str
    level: str
    topic: str
    on: str
    agreement: str | None = None
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenQuestion:
    """May a person of ``holder`` with ``clearance`` and ``need`` open an item of ``level``?"""

    agreement: str
    originator: str
    holder: str
    level: str
    topic: str
    clearance: str | None
    need: tuple[str, ...]
    on: str
    role: str = "official"
    rank: str = ""
    person_party: str | None = None
    registered: bool = True  # on the register of the facility that keeps the item (JK-6.e)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseQuestion:
    """May ``holder`` release an item of ``originator`` to ``to_party``, with or without
    the originator's written consent?"""

    agreement: str
    originator: str
    holder: str
    to_party: str
    level: str
    on: str
    consent: bool = False


class WhatIfService:
    """Reads agreements and answers what-if questions through the rulebook."""

    def __init__(self, library: AgreementLibrary) -> None:
        self._library = library
        self._rulebook = Rulebook(library.agreements)

    @property
    def library(self) -> AgreementLibrary:
        return self._library

    def agreements(self) -> list[Agreement]:
        """Every agreement known, oldest first."""
        return list(self._library)

    def agreement(self, agreement_id: str) -> Agreement:
        """One agreement; raises :class:`~gsomia.errors.UnknownName`."""
        return self._library.get(agreement_id)

    def status(self, agreement_id: str, *, on: str) -> AgreementStatus:
        """The agreement's status at ``on`` (a date means the end of that day in the
        agreement's own time zone)."""
        agreement = self._library.get(agreement_id)
        return status(agreement, at=self._instant(agreement, on))

    def statuses(self, *, on: str) -> list[AgreementStatus]:
        """Every agreement's status at ``on``."""
        return [status(a, at=self._instant(a, on)) for a in self._library]

    def check_send(self, q: SendQuestion) -> list[tuple[Agreement, Decision]]:
        """Decide the provision under the named agreement, or under every agreement the two
        parties share (a GSOMIA and TISA may both apply); the first allowed one is what a
        node would use."""
        candidates = (
            [self._library.get(q.agreement)]
            if q.agreement
            else self._shared(q.originator, q.recipient)
        )
        if not candidates:
            raise InputError(f"{q.originator} and {q.recipient} share no agreement")
        out = []
        for a in candidates:
            level = a.schemes.parse(q.level, party=q.originator)
            request = SendRequest(
                agreement=a,
                originator=q.originator,
                recipient=q.recipient,
                level=level,
                topic=q.topic,
                at=self._instant(a, q.on),
                path=(q.originator, *q.via, q.recipient) if q.via else None,
            )
            out.append((a, self._rulebook.decide_send(request)))
        return out

    def check_open(self, q: OpenQuestion) -> Decision:
        """Decide a person's access to an item held under the agreement (JK-7)."""
        a = self._library.get(q.agreement)
        at = self._instant(a, q.on)
        level = a.schemes.parse(q.level, party=q.originator)
        item = self._item(a, q.originator, q.holder, level, topic=q.topic, at=at)
        party = q.person_party or q.holder
        clearance = None
        if q.clearance:
            cleared = a.schemes.parse(q.clearance, party=party)
            clearance = Clearance(level=cleared, granted_on=date.min)
        try:
            role = Role(q.role)
        except ValueError:
            raise InputError(f"role must be one of {', '.join(r.value for r in Role)}") from None
        person = Person(
            id="person",
            party=party,
            name="person",
            role=role,
            clearance=clearance,
            need_to_know=frozenset(q.need),
            registered_at=frozenset({_WHAT_IF_FACILITY}) if q.registered else frozenset(),
            rank=q.rank,
        )
        return self._rulebook.decide(
            Act.OPEN, AccessRequest(agreement=a, person=person, item=item, at=at)
        )

    def check_release(self, q: ReleaseQuestion) -> Decision:
        """Decide a release to a third party, with or without written consent (JK-5.1)."""
        a = self._library.get(q.agreement)
        at = self._instant(a, q.on)
        level = a.schemes.parse(q.level, party=q.originator)
        item = self._item(a, q.originator, q.holder, level, topic="any", at=at)
        consent = None
        if q.consent:
            consent = Consent(
                kind=ConsentKind.RELEASE,
                item_id=item.id,
                originator=q.originator,
                granted=True,
                decided_at=at,
                to_party=q.to_party,
                signature_verified=True,
            )
        return self._rulebook.decide_release(
            ReleaseRequest(agreement=a, item=item, to_party=q.to_party, at=at, consent=consent)
        )

    @staticmethod
    def _item(
        a: Agreement, originator: str, holder: str, level: Level, *, topic: str, at: datetime
    ) -> Item:
        return Item(
            id=_PLACEHOLDER_ITEM,
            agreement_id=a.id,
            originator=originator,
            holder=holder,
            level=level,
            holder_level=a.equivalent(level, for_party=holder),
            topic=topic,
            purpose="what-if",
            provided_at=at,
            facility=_WHAT_IF_FACILITY,
        )

    def _shared(self, a: str, b: str) -> list[Agreement]:
        shared = [x for x in self._library.between(a, b) if x.kind != "mechanism"]
        return sorted(shared, key=lambda x: x.legal_nature is LegalNature.NON_BINDING)

    @staticmethod
    def _instant(agreement: Agreement, text: str) -> datetime:
        try:
            at = parse_instant(text, tz=agreement.tz)
        except ValueError:
            raise InputError(
                f"--on: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time"
            ) from None
        check_years(at, what=f"--on: {text!r}")
        return at


def topics_of(agreements: Iterable[Agreement]) -> list[str]:
    """Every topic named in the scopes of ``agreements``."""
    return sorted({t for a in agreements for t in a.scope_topics})
