"""Rules for handling held items: copies, translations, placing on a register, hand-over to
contractors, reclassification, retention, return and destruction (JK-6.e, JK-6.f, JK-6.g,
JK-6.h, JK-13, JK-14, JK-15.1, JK-16.x)."""

from __future__ import annotations

from typing import ClassVar

from gsomia.core.decisions import Decision
from gsomia.core.items import Custody
from gsomia.core.rules.access import (
    ContractorConditions,
    NeedAndClearance,
    NotRankAlone,
    OnRegister,
    conditions_missing,
)
from gsomia.core.rules.requests import (
    Accessing,
    AccessRequest,
    CopyRequest,
    HandOverRequest,
    PlaceRequest,
    ReclassificationRequest,
    ResealRequest,
    RetentionRequest,
    TranslateRequest,
)
from gsomia.errors import PolicyDenied

__all__ = [
    "Destruction",
    "Disposal",
    "FacilityConditions",
    "MarkingKept",
    "Placement",
    "Reclassification",
    "Reproduction",
    "Retention",
    "TranslatorCleared",
]

_ACCESS = (NeedAndClearance(), NotRankAlone(), OnRegister(), ContractorConditions())


class Reproduction:
    """A copy is numbered in the original's register and kept at a government facility of
    the holder; moving an item to a contractor is a hand-over (JK-6.f, JK-14; Art. 14 itself
    was not retrieved, so no copy limits are assumed)."""

    key: ClassVar[str] = "reproduction"
    article: ClassVar[str] = "numbered copies kept at the holder's government facilities"

    def evaluate(self, request: CopyRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        f = request.facility
        if f is None:
            return Decision.allow("copy", rule, "kept where the original is kept")
        if f.party != request.item.holder:
            return Decision.deny("copy", rule, f"facility {f.id} is not one of {f.party}'s")
        if f.contractor is not None:
            return Decision.deny(
                "copy", rule, f"{f.id} is a contractor facility; hand the item over instead"
            )
        return Decision.allow("copy", rule, f"a numbered copy kept at {f.id}")


class TranslatorCleared:
    """Only a cleared person with access to the original may translate it; the translation
    is handled like the original (JK-15.1)."""

    key: ClassVar[str] = "translation"
    article: ClassVar[str] = "a cleared translator with access"

    def evaluate(self, request: TranslateRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        access = AccessRequest(
            agreement=request.agreement,
            person=request.translator,
            item=request.item,
            at=request.at,
            conditions=request.translator_conditions,
        )
        denied = [d for d in (r.evaluate(access) for r in _ACCESS) if not d.allowed]
        who = request.translator.id
        if denied:
            reasons = "; ".join(d.reason for d in denied)
            return Decision(
                act="translate",
                allowed=False,
                rule_ids=(rule, *dict.fromkeys(r for d in denied for r in d.rule_ids)),
                reason=f"{who} may not translate item {request.item.id}: {reasons}",
            )
        return Decision.allow("translate", rule, f"{who} is cleared and has access")


class Placement:
    """An item is kept at a government facility of the holder and entered on its register
    (JK-6.e, JK-6.f); only then can anyone registered there have access."""

    key: ClassVar[str] = "inventory"
    article: ClassVar[str] = "kept at a government facility of the holder"

    def evaluate(self, request: PlaceRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        f, item = request.facility, request.item
        if item.state not in (Custody.HELD, Custody.RELAYING):
            return Decision.deny("place", rule, f"item {item.id} is {item.state} here")
        if f.party != item.holder:
            return Decision.deny("place", rule, f"facility {f.id} is not one of {item.holder}'s")
        if f.contractor is not None:
            return Decision.deny(
                "place", rule, f"{f.id} is a contractor facility; hand the item over instead"
            )
        return Decision.allow("place", rule, f"item {item.id} kept at {f.id}")


class FacilityConditions:
    """An item goes to a contractor facility only once the agreement's Art. 16 conditions
    are recorded as met there, the periodic inspections recently enough (JK-16.x)."""

    key: ClassVar[str] = "contractor"
    article: ClassVar[str] = "Art. 16 conditions met before a contractor receives items"

    def evaluate(self, request: HandOverRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        f = request.facility
        if f.party != request.item.holder or f.contractor is None:
            return Decision.deny(
                "hand-over", rule, f"{f.id} is not a contractor facility of {request.item.holder}"
            )
        missing = conditions_missing(request.agreement, request.met, request.at.date())
        if missing:
            listed = ", ".join(f"({c})" for c in missing)
            return Decision.deny(
                "hand-over",
                rule,
                f"Art. 16 conditions {listed} are not recorded as met (and current) for "
                f"{f.id} ({f.contractor})",
            )
        return Decision.allow(
            "hand-over", rule, f"Art. 16 conditions are recorded as met for {f.id} ({f.contractor})"
        )


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


class Disposal:
    """Lapse, return and destruction act on an item still in custody here (JK-6.h)."""

    key: ClassVar[str] = "disposal"
    article: ClassVar[str] = "an item still in custody"

    def evaluate(self, request: Accessing) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if item.state not in (Custody.HELD, Custody.RELAYING):
            return Decision.deny("dispose", rule, f"item {item.id} is {item.state} here")
        return Decision.allow("dispose", rule, f"item {item.id} is {item.state} here")


class Destruction:
    """Destruction is recorded: who, where, when and how (JK-13; Art. 13 itself was not
    retrieved, so no witnesses or certificates are assumed). A copy's destruction is its
    own; an original takes its copies with it."""

    key: ClassVar[str] = "destruction"
    article: ClassVar[str] = "a recorded destruction"

    def evaluate(self, request: Accessing) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if item.destroyed:
            return Decision.deny("destroy", rule, f"item {item.id} is already destroyed")
        where = item.facility or "no facility"
        return Decision.allow("destroy", rule, f"{request.person.id} destroys it at {where}")


class MarkingKept:
    """A holder's own new label version (sealing an item again at rest) keeps its marking:
    the originator's level and this party's equivalent are those already marked (JK-4.2)."""

    key: ClassVar[str] = "marking"
    article: ClassVar[str] = "marked with the equivalent level"

    def evaluate(self, request: ResealRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        item = request.item
        if request.level != item.level.ref:
            return Decision.deny("re-mark", rule, f"{request.level} is not {item.level.ref}")
        if request.equivalent not in (None, item.holder_level.ref):
            reason = f"{request.equivalent} is not the equivalent {item.holder_level.ref}"
            return Decision.deny("re-mark", rule, reason)
        return Decision.allow("re-mark", rule, f"marked {item.holder_level.ref} as before")
