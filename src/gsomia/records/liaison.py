"""Records of liaison between competent authorities: national-law notices, requests for laws,
visits and assurances (JK-3.1, JK-3.2, JK-7.4, JK-8.1, JK-18.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gsomia.records.base import Record, key

__all__ = ["AssuranceRecord", "LawNoticeRecord", "LawRequestRecord", "VisitRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LawNoticeRecord(Record):
    """A notice of a change of national law (JK-3.2), or the laws produced on request
    (JK-3.1, ``request`` names it): notified by this node, or received."""

    KIND: ClassVar[str] = "law-notice"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"notified", "received"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "notified": frozenset(),
        "received": frozenset(),
    }

    role: str
    agreement: str
    title: str
    summary: str
    effective_on: str
    at: str
    by: str | None = None
    from_party: str | None = key("from", None)
    request: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LawRequestRecord(Record):
    """A request for the other party's laws and regulations on protection (JK-3.1): asked
    by this node (``role`` requester) or of it (``role`` respondent), then answered."""

    KIND: ClassVar[str] = "law-request"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"requested"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "requested": frozenset({"answered"}),
        "answered": frozenset(),
    }

    role: str
    agreement: str
    party: str
    text: str
    at: str
    by: str | None = None
    answer: str | None = None
    answered_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitRecord(Record):
    """A visit: asked by this node's competent authority (``role`` visitor) or of it
    (``role`` host), approved or refused by the host (JK-8.1, JK-18.1)."""

    KIND: ClassVar[str] = "visit"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"requested"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "requested": frozenset({"approved", "refused"}),
        "approved": frozenset(),
        "refused": frozenset(),
    }

    role: str
    agreement: str
    visit: str
    kind: str
    facility: str
    visitors: tuple[Mapping[str, Any], ...]
    purpose: str
    subject: str
    scope: str
    start: str
    end: str
    max_level: str | None = None
    consultation: str = ""
    requesting_authority: str = ""
    host_authority: str = ""
    host: str | None = None
    by: str | None = None
    from_party: str | None = key("from", None)
    decision: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssuranceRecord(Record):
    """The receiving party's written assurance before a hand-over in person (JK-7.4): given
    by this node (``role`` giver) or received from the receiving party (``role``
    originator), until ``valid_until``."""

    KIND: ClassVar[str] = "assurance"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"given", "received"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "given": frozenset({"withdrawn"}),
        "received": frozenset({"withdrawn"}),
        "withdrawn": frozenset(),
    }

    role: str
    agreement: str
    party: str
    subject: str
    level: str
    topic: str
    valid_until: str
    at: str
    by: str | None = None
