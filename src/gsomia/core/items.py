"""Items of classified military information as a holder sees them, and consents about them.

An :class:`Item` is one provided item in the hands of one holder: who originated it, under
which agreement, at the originator's level and at the holder's equivalent level (JK-4.2), its
topic and the purpose it was provided for (JK-5.2), and where it is kept (JK-6.f).
A :class:`Consent` is the originator's written answer to a request to release an item to
a third party (JK-5.1, TI-3, TI-6) or to use it for another purpose (JK-5.2); the service
layer verifies its signature before the rules see it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from gsomia.core.classification import Level

__all__ = ["Consent", "ConsentKind", "Custody", "Item"]


class Custody(enum.StrEnum):
    """Where an item stands in a node's custody."""

    HELD = "held"
    RELAYING = "relaying"  # a hub holds it only to forward it (TI-2, TI-3)
    FORWARDED = "forwarded"
    RETURNED = "returned"
    DESTROYED = "destroyed"
    SENT = "sent"  # the originator's own record of an item it provided


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One provided item as held by ``holder``; ``state`` is where it stands here."""

    id: str
    agreement_id: str
    originator: str
    holder: str
    level: Level
    holder_level: Level
    topic: str
    purpose: str
    provided_at: datetime
    review_on: date | None = None
    facility: str | None = None
    purpose_lapsed: bool = False
    state: Custody = Custody.HELD
    kind: str = "original"  # original | copy | translation

    @property
    def destroyed(self) -> bool:
        """Whether the item was destroyed here (its key shredded)."""
        return self.state is Custody.DESTROYED


class ConsentKind(enum.StrEnum):
    """What a consent allows."""

    RELEASE = "release"  # to a third party (JK-5.1, TI-3, TI-6)
    PURPOSE = "purpose"  # use for another purpose (JK-5.2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent:
    """The originator's written decision on one request about one item."""

    kind: ConsentKind
    item_id: str
    originator: str
    granted: bool
    decided_at: datetime
    to_party: str | None = None
    purpose: str | None = None
    written: bool = True
    signature_verified: bool = False
