"""Records of the registry's own acts: Art. 16 conditions, authorities, access tokens
(JK-6.e, JK-16.x)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from gsomia.records.base import Record

__all__ = ["AuthorityRecord", "ConditionRecord", "TokenRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionRecord(Record):
    """An Art. 16 condition recorded as met for a contractor facility (JK-16.x), on a day
    (a periodic one falls due again)."""

    KIND: ClassVar[str] = "contractor-condition"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"met"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {"met": frozenset({"met"})}

    facility: str
    condition: str
    text: str
    evidence: str
    by: str
    met_on: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorityRecord(Record):
    """An authority granted by name to a person (its id is ``person.authority``), and its
    revocation; granted again after a revocation."""

    KIND: ClassVar[str] = "authority"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"granted"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "granted": frozenset({"revoked"}),
        "revoked": frozenset({"granted"}),
    }

    person: str
    authority: str
    by: str
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord(Record):
    """A person's access token, as its hash (the id), its expiry and who issued it."""

    KIND: ClassVar[str] = "token"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"active"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "active": frozenset({"revoked"}),
        "revoked": frozenset(),
    }

    person: str
    expires_at: str
    by: str | None = None
