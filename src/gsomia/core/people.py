"""People and places: competent authorities, facilities, cleared persons (Arts. 2, 6(e), 7, 16).

A person holds a personnel security clearance (PSC) of their own party's scheme (Art. 2(e),
JK-7.2(b)), has need-to-know topics, a role, and is entered on the register of cleared,
authorised persons of the facilities where they may have access (JK-6.e). Rank and
appointment are recorded but never grant access on their own (JK-7.1).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date

from gsomia.core.classification import Level
from gsomia.errors import InputError

__all__ = ["NODE_ACTOR", "OFFICER_ONLY", "Authority", "Clearance", "Facility", "Person", "Role"]

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

#: The name the node itself acts under (its upkeep, its operator holding the master secret).
#: No person may be registered under it: a person so named would be taken for the node.
NODE_ACTOR = "node"


class Role(enum.StrEnum):
    """What a person does with classified military information."""

    OFFICIAL = "official"
    TRANSLATOR = "translator"
    SECURITY_OFFICER = "security-officer"
    CONTRACTOR_STAFF = "contractor-staff"


class Authority(enum.StrEnum):
    """What a person may decide for their party, granted by name in the registry.

    The role ``official`` alone authorises nothing beyond what the access rules allow; each
    of these is granted (and revoked) by a security officer who holds ``registry``, and
    every grant is recorded in the ledger. Each goes to, and is exercised by, a person
    holding a clearance in effect (JK-7.2); decisions about an item also need clearance at
    or above its level and need-to-know for its topic.
    """

    REGISTRY = "registry"  # facilities, persons, clearances, registers, Art. 16, tokens (JK-6.e)
    CUSTODY = "custody"  # place items on a facility's register, hand over (JK-6.e, JK-6.f)
    CONSENT = "consent"  # answer for the originator (JK-5.1, JK-5.2, TI-3, TI-6)
    RECLASSIFICATION = "reclassification"  # change the level of items provided (JK-6.g)
    NOTES = "notes"  # diplomatic notes and amendments (JK-21)
    INCIDENTS = "incidents"  # report, investigate, close (JK-17.1)
    FORWARDING = "forwarding"  # the hub forwards after consent (TI-3)
    LIAISON = "liaison"  # laws, visits, assurances (JK-3, JK-7.4, JK-8.1, JK-18.1)


#: Authorities only a security officer may hold.
OFFICER_ONLY = frozenset({Authority.REGISTRY, Authority.CUSTODY})


@dataclass(frozen=True, slots=True, kw_only=True)
class Clearance:
    """A personnel security clearance granted under one party's procedures (Art. 2(e))."""

    level: Level
    granted_on: date
    expires_on: date | None = None

    @property
    def party(self) -> str:
        """The party whose law granted it (JK-7.2(b) requires the holding party's)."""
        return self.level.party

    def valid_on(self, day: date) -> bool:
        """Whether the clearance is in effect on ``day``."""
        return self.granted_on <= day and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True, slots=True, kw_only=True)
class Facility:
    """A government or contractor facility that handles items (JK-6.e, JK-16.x)."""

    id: str
    party: str
    name: str
    contractor: str | None = None

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise InputError(f"facility id {self.id!r}: use lower-case letters, digits, . _ -")


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """A person of one party, with their clearance, need to know, role and registrations."""

    id: str
    party: str
    name: str
    role: Role
    clearance: Clearance | None = None
    need_to_know: frozenset[str] = field(default_factory=frozenset)
    registered_at: frozenset[str] = field(default_factory=frozenset)
    rank: str = ""
    nationality: str = ""
    authorities: frozenset[Authority] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise InputError(f"person id {self.id!r}: use lower-case letters, digits, . _ -")
        if self.id == NODE_ACTOR:
            raise InputError(f"person id {self.id!r}: reserved for the node itself; choose another")
        if self.authorities and self.role not in (Role.OFFICIAL, Role.SECURITY_OFFICER):
            raise InputError(
                f"person {self.id}: only officials and security officers hold authorities"
            )
        if self.clearance is not None and self.clearance.party != self.party:
            raise InputError(
                f"person {self.id}: a clearance is granted under the person's own party's "
                f"procedures ({self.party}), not {self.clearance.party}'s (Art. 2(e))"
            )

    def holds(self, authority: Authority) -> bool:
        """Whether the registry has granted this person ``authority``."""
        return authority in self.authorities

    def clearance_on(self, day: date) -> Level | None:
        """The clearance level in effect on ``day``, if any."""
        if self.clearance is None or not self.clearance.valid_on(day):
            return None
        return self.clearance.level
