"""Rules for what a partner did and this node records: an item returned to its originator,
an incident notified, consent asked or answered, a change of law, laws asked for, a visit
asked for or answered, an assurance given, an amendment proposed or accepted.

The partner decided its act by its own rules; the receiving node decides whether the act is
one the agreement lets that partner do towards it, and records it citing the article the act
was done under (design rule 11: a service never cites a rule id it typed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gsomia.core.decisions import Decision
from gsomia.core.rules.requests import PartnerActRequest

__all__ = ["ByConsentKind", "ByVisitKind", "FromPartner"]


def _from_partner(request: PartnerActRequest, rule: str, act: str) -> Decision:
    parties = request.agreement.party_codes
    sender, party = request.sender, request.party
    if sender == party or sender not in parties or party not in parties:
        reason = f"{sender} and {party} are not two parties to {request.agreement.id}"
        return Decision.deny(act, rule, reason)
    return Decision.allow(act, rule, f"{sender} acted under {request.agreement.id} towards {party}")


@dataclass(frozen=True, slots=True)
class FromPartner:
    """The act came from another party to the agreement, to this one (``key``: the article
    the act is done under)."""

    key: str
    article: str = "an act of another party to the agreement"

    def evaluate(self, request: PartnerActRequest) -> Decision:
        return _from_partner(request, request.agreement.rule_id(self.key), self.key)


class ByConsentKind:
    """Consent asked for or answered: for a use other than the purpose of provision under
    the purpose article (JK-5.2), for release under the hub's consent article where the
    agreement has a hub (TI-3), else under the third-party article (JK-5.1)."""

    key: ClassVar[str] = "consent"
    article: ClassVar[str] = "prior written consent of the originator"

    def evaluate(self, request: PartnerActRequest) -> Decision:
        a = request.agreement
        if request.subject == "purpose":
            key = "purpose"
        else:
            key = "consent" if a.route.kind == "hub" else "third_party"
        return _from_partner(request, a.rule_id(key), "consent")


class ByVisitKind:
    """A visit asked for or answered: a security visit under its article (JK-18.1), any
    other under the visits article (JK-8.1)."""

    key: ClassVar[str] = "visit"
    article: ClassVar[str] = "visits authorised by the host"

    def evaluate(self, request: PartnerActRequest) -> Decision:
        key = "security_visit" if request.subject == "security" else "visit"
        return _from_partner(request, request.agreement.rule_id(key), "visit")
