"""Records of consent, release and the hub's forwarding (JK-5.1, JK-5.2, TI-3, TI-6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from gsomia.records.base import Record

__all__ = ["ConsentRecord", "ForwardRecord", "ReleaseRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentRecord(Record):
    """A request for the originator's written consent, on the requester's node (``role``
    requester) and on the originator's (``role`` originator), with its answer."""

    KIND: ClassVar[str] = "consent"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"requested"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "requested": frozenset({"granted", "refused"}),
        "granted": frozenset(),
        "refused": frozenset(),
    }

    role: str
    request: str
    item: str
    kind: str
    to_party: str
    reason: str
    originator: str
    requester: str
    asked_at: str
    purpose: str | None = None
    by: str | None = None
    decided_at: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardRecord(Record):
    """A hub's forwarding of a relaying item, once (TI-2, TI-3)."""

    KIND: ClassVar[str] = "forward"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"forwarded"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {"forwarded": frozenset()}

    to: str
    consent: str | None
    by: str
    at: str
    transfer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRecord(Record):
    """A release to a third party with the originator's consent (JK-5.1); its id is the
    transfer's."""

    KIND: ClassVar[str] = "release"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"released"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {"released": frozenset()}

    to: str
    agreement: str
    consent: str | None
    transfer: str
    by: str
    at: str
