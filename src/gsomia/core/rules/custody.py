"""Rules on marking, reclassification and retention of held items (JK-4.2, JK-6.g, JK-6.h)."""

from __future__ import annotations

from typing import ClassVar

from gsomia.core.classification import Level
from gsomia.core.decisions import Decision
from gsomia.core.rules.requests import ReclassificationRequest, RetentionRequest, SendRequest
from gsomia.errors import PolicyDenied

__all__ = ["Marking", "Reclassification", "Retention"]


class Marking:
    """On receipt the recipient marks every item with the originator's name and its own
    equivalent level (JK-4.2). The decision's obligation carries the marking."""

    key: ClassVar[str] = "marking"
    article: ClassVar[str] = "originator's name and the recipient's equivalent level"

    def evaluate(self, request: SendRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        try:
            holder_level = a.equivalent(request.level, for_party=request.recipient)
        except PolicyDenied as exc:
            return Decision.deny("mark", rule, exc.reason)
        names = {p.code: p.name for p in a.parties}
        name = names.get(request.originator, request.originator)
        return Decision.allow(
            "mark",
            rule,
            f"marked {holder_level} ({holder_level.ref}), originator {name}",
            f"mark:{holder_level.ref}",
        )

    @staticmethod
    def level_for(request: SendRequest) -> Level:
        """The recipient's equivalent level; raises :class:`PolicyDenied` when none exists."""
        return request.agreement.equivalent(request.level, for_party=request.recipient)


class Reclassification:
    """Only the originator changes an item's classification, by prompt written notice; the
    holder then re-marks it with its own equivalent (JK-6.g)."""

    key: ClassVar[str] = "reclassification"
    article: ClassVar[str] = "written notice from the originator, then re-marking"

    def evaluate(self, request: ReclassificationRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        item = request.item
        if request.notice_from != item.originator:
            return Decision.deny(
                "reclassify",
                rule,
                f"only the originator {item.originator} may change the classification",
            )
        if not request.in_writing:
            return Decision.deny(
                "reclassify", rule, "a change of classification must be notified in writing"
            )
        if request.new_level.party != item.originator:
            return Decision.deny(
                "reclassify",
                rule,
                f"{request.new_level} is not a level of {item.originator}'s scheme",
            )
        try:
            new_holder_level = a.equivalent(request.new_level, for_party=item.holder)
        except PolicyDenied:
            return Decision.deny(
                "reclassify",
                rule,
                f"{request.new_level} is not covered by {a.short_name}; "
                "return the item to its originator",
            )
        return Decision.allow(
            "reclassify",
            rule,
            f"re-mark {item.id} from {item.holder_level} to {new_holder_level}",
            f"mark:{new_holder_level.ref}",
        )


class Retention:
    """Once the purpose lapses the holder returns the item or destroys it (JK-6.h)."""

    key: ClassVar[str] = "disposal"
    article: ClassVar[str] = "return or destroy when no longer needed"

    def evaluate(self, request: RetentionRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        lapsed = item.purpose_lapsed or (
            item.review_on is not None and request.at.date() > item.review_on
        )
        if item.destroyed:
            return Decision.allow("retain", rule, f"item {item.id} is already destroyed")
        if lapsed:
            return Decision.deny(
                "retain",
                rule,
                f"the purpose of {item.id} has lapsed: "
                f"return it to {item.originator} or destroy it",
            )
        return Decision.allow(
            "retain", rule, f"the purpose of {item.id} ({item.purpose}) is current"
        )
