"""Revoking an authority (``Act.REVOKE_AUTHORITY``, JK-6.e) is decided by the revoker's
registry authority and by what the person holds, under every agreement, citing its own
registry article: never by whether the person could be granted it today."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gsomia.core.agreements import AgreementLibrary
from gsomia.core.classification import SchemeRegistry
from gsomia.core.people import Authority, Person, Role
from gsomia.core.rules import Act, Rulebook
from tests.support.core import administer, officer

AGREEMENTS = ["jpn-kor-gsomia", "kor-usa-gsomia", "tisa"]


def _decide(
    rulebook: Rulebook,
    library: AgreementLibrary,
    agreement_id: str,
    by: Person | None,
    target: Person,
    authority: Authority,
) -> bool:
    return administer(
        rulebook,
        library,
        agreement_id,
        Act.REVOKE_AUTHORITY,
        person=by,
        what="an authority",
        target=target,
        granted=authority,
    )


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize("authority", [Authority.REGISTRY, Authority.CUSTODY, Authority.NOTES])
def test_an_authority_is_revoked_from_whoever_holds_it_cleared_or_not(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    authority: Authority,
) -> None:
    registrar = officer(
        schemes, id="kor-registrar", role=Role.SECURITY_OFFICER, authorities={Authority.REGISTRY}
    )
    holder = officer(schemes, id="kor-holder", role=Role.SECURITY_OFFICER, authorities={authority})
    assert holder.clearance is not None
    lapsed = replace(holder, clearance=replace(holder.clearance, expires_on=date(2019, 12, 31)))
    uncleared = replace(holder, clearance=None)
    for target in (holder, lapsed, uncleared):
        assert _decide(rulebook, library, agreement_id, registrar, target, authority)
    # a registrar gives up their own
    assert _decide(rulebook, library, agreement_id, registrar, registrar, Authority.REGISTRY)
    # not held, not of the party, or revoked by one without the registry authority: refused
    assert not _decide(rulebook, library, agreement_id, registrar, registrar, Authority.CONSENT)
    stranger = Person(id="sato", party="JPN", name="Sato", role=Role.SECURITY_OFFICER)
    assert not _decide(rulebook, library, agreement_id, registrar, stranger, authority)
    other = officer(
        schemes,
        id="kor-other",
        role=Role.SECURITY_OFFICER,
        authorities=frozenset(Authority) - {Authority.REGISTRY},
    )
    assert not _decide(rulebook, library, agreement_id, other, lapsed, authority)
    assert not _decide(rulebook, library, agreement_id, None, holder, authority)
