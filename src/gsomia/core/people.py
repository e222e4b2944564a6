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

__all__ = ["Clearance", "Facility", "Person", "Role"]

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class Role(enum.StrEnum):
    """What a person does with classified military information."""

    OFFICIAL = "official"
    TRANSLATOR = "translator"
    SECURITY_OFFICER = "security-officer"
    CONTRACTOR_STAFF = "contractor-staff"


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

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise InputError(f"person id {self.id!r}: use lower-case letters, digits, . _ -")
        if self.clearance is not None and self.clearance.party != self.party:
            raise InputError(
                f"person {self.id}: a clearance is granted under the person's own party's "
                f"procedures ({self.party}), not {self.clearance.party}'s (Art. 2(e))"
            )

    def clearance_on(self, day: date) -> Level | None:
        """The clearance level in effect on ``day``, if any."""
        if self.clearance is None or not self.clearance.valid_on(day):
            return None
        return self.clearance.level
