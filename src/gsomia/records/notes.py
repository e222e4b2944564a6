"""Records of diplomatic notes and amendments on an agreement (JK-21)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from gsomia.records.base import Record

__all__ = ["AmendmentRecord", "NoteRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteRecord(Record):
    """A note on an agreement (notice, suspension, resumption, withdrawal, amendment), given
    by this node, received, or agreed (an amendment every party accepted). The node's view
    of the agreement adds it as an event."""

    KIND: ClassVar[str] = "note"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"given", "received", "agreed"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "given": frozenset(),
        "received": frozenset(),
        "agreed": frozenset(),
    }

    agreement: str
    event_id: str
    kind: str
    by: str
    at: str
    of: tuple[str, ...] = ()
    terminates_at: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentRecord(Record):
    """An amendment proposed in writing (JK-21.3): by this node (``role`` proposer, awaiting
    the other parties' acceptances) or to it (``role`` receiver)."""

    KIND: ClassVar[str] = "amendment"
    INITIAL: ClassVar[frozenset[str]] = frozenset({"proposed"})
    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {
        "proposed": frozenset({"proposed", "accepted", "agreed"}),
        "accepted": frozenset({"agreed"}),
        "agreed": frozenset(),
    }

    role: str
    agreement: str
    proposal: str
    by: str
    at: str
    text: str
    awaiting: tuple[str, ...] = ()
    accepted: Mapping[str, str] = field(default_factory=dict)
    accepted_at: str | None = None
