"""Agreements as values: parties, equivalence tables, scope, route, term and dated events.

An :class:`Agreement` is built from a TOML file by :mod:`gsomia.agreement_files` and never
changes afterwards; the agreements a node knows are one :class:`AgreementLibrary`. An
agreement's status on a date is computed by :mod:`gsomia.core.lifecycle`. The rules engine
reads it through the small questions it answers here: which levels are covered, what a
level's equivalent is for another party, whether a topic is in scope, which route items
take, and which rule id an agreement gives each generic rule.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

from gsomia.core.classification import Level, SchemeRegistry, builtin_schemes
from gsomia.errors import InputError, PolicyDenied, UnknownName

__all__ = [
    "Agreement",
    "AgreementEvent",
    "AgreementLibrary",
    "Boundary",
    "EquivalenceRow",
    "EventKind",
    "LegalNature",
    "Party",
    "Route",
    "Term",
    "WarningWindow",
    "parse_instant",
]


class LegalNature(enum.StrEnum):
    """Whether the instrument binds under international law (TISA does not: TI-7)."""

    BINDING = "binding"
    NON_BINDING = "non-binding"


class EventKind(enum.StrEnum):
    """A dated act on the agreement itself, made by diplomatic note."""

    NOTICE = "notice"  # written notice of intention to terminate (JK-21.1)
    SUSPENSION = "suspension"  # the notice's effect suspended (2019-11-22; no treaty basis)
    RESUMPTION = "resumption"  # a suspended notice takes effect again
    WITHDRAWAL = "withdrawal"  # notices withdrawn (2023-03-21)
    AMENDMENT = "amendment"  # amended by mutual written consent (JK-21.3)


class WarningWindow(enum.StrEnum):
    """When a warning may be shared on a link (RT-2), as the agreement file states it."""

    UNTIL_IMPACT = "until-impact"  # from launch detection until the predicted impact
    OPEN = "open"  # the agreement sets no window


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """A party to an agreement and its competent authority (Art. 2(d))."""

    code: str
    name: str
    competent_authority: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EquivalenceRow:
    """One row of an equivalence table: the levels of each party that correspond."""

    english: str
    levels: Mapping[str, tuple[Level, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """How items travel: ``direct`` between the parties, or through a ``hub`` party."""

    kind: str
    hub: str | None = None
    consent_required: bool = False
    realtime: bool = False

    def path(self, originator: str, recipient: str) -> tuple[str, ...]:
        """The parties an item passes through, originator first (TI-2)."""
        if self.kind == "hub" and self.hub not in (None, originator, recipient):
            return (originator, str(self.hub), recipient)
        return (originator, recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    """Duration clause: entry into force, initial term, renewal period, automatic renewal and
    notice period (JK-21.1).

    The first term lasts ``initial_years``; each renewal lasts ``renewal_years`` (the initial
    term's length when not given). ``indefinite`` agreements run until terminated and have
    no renewal anniversaries.
    """

    entry_into_force: datetime
    initial_years: int = 1
    automatic_renewal: bool = True
    notice_days: int = 90
    indefinite: bool = False
    renewal_boundary: str = ""
    renewal_years: int | None = None

    @property
    def renewal_period(self) -> int:
        """The years each renewal lasts."""
        return self.initial_years if self.renewal_years is None else self.renewal_years

    def anniversary(self, n: int) -> datetime:
        """The end of the ``n``-th term (the start of term ``n + 1``; ``n = 0`` is entry into
        force), in the agreement's own wall time."""
        start = self.entry_into_force
        years = n * self.initial_years
        if n > 0:
            years = self.initial_years + (n - 1) * self.renewal_period
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True, slots=True, kw_only=True)
class Boundary:
    """An instant and the source that gives it, kept where sources disagree (spec §7.4)."""

    at: datetime
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementEvent:
    """A dated act on the agreement (notice, suspension, withdrawal, amendment)."""

    id: str
    kind: EventKind
    by: str
    at: datetime
    note: str = ""
    of: tuple[str, ...] = ()
    terminates_at: Boundary | None = None
    alternatives: tuple[Boundary, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Agreement:
    """One agreement, arrangement or mechanism, exactly as its file states it."""

    id: str
    version: str
    title: str
    short_name: str
    kind: str
    legal_nature: LegalNature
    tz: timezone
    rule_prefix: str
    parties: tuple[Party, ...]
    equivalence: tuple[EquivalenceRow, ...]
    scope_topics: tuple[str, ...]
    scope_description: str
    route: Route
    term: Term
    events: tuple[AgreementEvent, ...]
    rule_ids: Mapping[str, str]
    schemes: SchemeRegistry
    basis: tuple[str, ...] = ()
    payload_fields: tuple[str, ...] = ()
    strip_sensor_identity: bool = False
    warning_window: WarningWindow = WarningWindow.UNTIL_IMPACT
    contractor_conditions: Mapping[str, str] = field(default_factory=dict)
    periodic_conditions: Mapping[str, int] = field(default_factory=dict)
    source_path: str = ""
    _index: dict[str, tuple[int, str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for i, row in enumerate(self.equivalence):
            for party, levels in row.levels.items():
                for level in levels:
                    self._index[level.ref] = (i, party)

    @property
    def party_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.parties)

    def party(self, code: str) -> Party:
        """The party with ``code``; raises :class:`UnknownName`."""
        for p in self.parties:
            if p.code == code:
                return p
        raise UnknownName(kind=f"party of {self.id}", name=code, known=self.party_codes)

    def rule_id(self, key: str) -> str:
        """The rule id this agreement gives the generic rule ``key`` (``level_covered``)."""
        return self.rule_ids.get(key, f"{self.rule_prefix}-{key}")

    def covered_levels(self, party: str) -> tuple[Level, ...]:
        """The levels of ``party``'s scheme the agreement covers (JK-4.1), highest first."""
        levels = [lv for row in self.equivalence for lv in row.levels.get(party, ())]
        return tuple(sorted(levels, key=lambda lv: -lv.rank))

    def covers(self, level: Level) -> bool:
        """Whether ``level`` is one of the covered levels of its own party."""
        return level.ref in self._index

    def equivalent(self, level: Level, *, for_party: str) -> Level:
        """The level of ``for_party``'s scheme that corresponds to ``level`` (JK-4.2).

        The first level of the row is the canonical one (特定秘密 shares 極秘's row).
        Raises :class:`PolicyDenied` (citing the marking rule) when the table has none.
        """
        hit = self._index.get(level.ref)
        if level.party == for_party and hit is not None:
            return level
        row = self.equivalence[hit[0]] if hit is not None else None
        targets = row.levels.get(for_party, ()) if row is not None else ()
        if not targets:
            raise PolicyDenied(
                rule_ids=(self.rule_id("marking"),),
                reason=(
                    f"{self.short_name} has no {for_party} equivalent for {level} "
                    f"({level.ref}); the level is not covered"
                ),
            )
        return targets[0]

    def in_scope(self, topic: str) -> bool:
        """Whether ``topic`` is within scope; an empty topic list means any defence topic."""
        return not self.scope_topics or topic in self.scope_topics

    def event(self, event_id: str) -> AgreementEvent:
        """The event with ``event_id``; raises :class:`UnknownName`."""
        for e in self.events:
            if e.id == event_id:
                return e
        raise UnknownName(
            kind=f"event of {self.id}", name=event_id, known=[e.id for e in self.events]
        )

    def local(self, at: datetime) -> datetime:
        """``at`` in the agreement's own time zone; naive times are refused."""
        if at.tzinfo is None:
            raise InputError("times must be timezone-aware")
        return at.astimezone(self.tz)

    def notice_deadline(self, anniversary: datetime) -> datetime:
        """The last instant a notice can be given to end the agreement at ``anniversary``."""
        return anniversary - timedelta(days=self.term.notice_days)


@dataclass(frozen=True, slots=True)
class AgreementLibrary:
    """The agreements a node knows, by id; loaded once, immutable."""

    agreements: Mapping[str, Agreement]
    schemes: SchemeRegistry = field(default_factory=builtin_schemes)

    def get(self, agreement_id: str) -> Agreement:
        """The agreement ``agreement_id``; raises :class:`UnknownName`."""
        try:
            return self.agreements[agreement_id]
        except KeyError:
            raise UnknownName(kind="agreement", name=agreement_id, known=self.agreements) from None

    def __iter__(self) -> Iterator[Agreement]:
        return iter(sorted(self.agreements.values(), key=lambda a: a.term.entry_into_force))

    def __len__(self) -> int:
        return len(self.agreements)

    def between(self, a: str, b: str) -> tuple[Agreement, ...]:
        """Agreements to which both parties ``a`` and ``b`` belong."""
        return tuple(x for x in self if a in x.party_codes and b in x.party_codes)

    def replace(self, agreement: Agreement) -> AgreementLibrary:
        """A new library in which ``agreement`` takes the place of the one with its id."""
        merged = dict(self.agreements)
        merged[agreement.id] = agreement
        return AgreementLibrary(MappingProxyType(merged), self.schemes)


def parse_instant(text: str, *, tz: timezone, end_of_day: bool = True) -> datetime:
    """Parse ``2019-11-23`` or an ISO 8601 instant. A bare date means the end of that day in
    ``tz`` (the close of business on that date); raises ValueError."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        day = datetime.fromisoformat(text.strip()).replace(tzinfo=tz)
        return day + timedelta(days=1, microseconds=-1) if end_of_day else day
    parsed = datetime.fromisoformat(text.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
