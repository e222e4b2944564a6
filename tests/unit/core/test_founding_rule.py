"""Founding the registry (``Act.FOUND``, JK-6.e) under every agreement, citing its registry
article: refused while a registry officer can act (a security officer of the party holding
the registry authority with a clearance in effect), allowed to a cleared security officer
when none is, whether the registry is empty or its officers' clearances lapsed."""

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


def _found(
    rulebook: Rulebook,
    library: AgreementLibrary,
    agreement_id: str,
    target: Person,
    registrars: tuple[Person, ...],
) -> bool:
    return administer(
        rulebook,
        library,
        agreement_id,
        Act.FOUND,
        founding=True,
        registrars=registrars,
        target=target,
    )


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
def test_the_registry_is_founded_when_no_registry_officer_can_act(
    rulebook: Rulebook, library: AgreementLibrary, schemes: SchemeRegistry, agreement_id: str
) -> None:
    founder = officer(schemes, id="kor-new", role=Role.SECURITY_OFFICER)
    registrar = officer(
        schemes, id="kor-registrar", role=Role.SECURITY_OFFICER, authorities={Authority.REGISTRY}
    )
    assert registrar.clearance is not None
    lapsed = replace(registrar, clearance=replace(registrar.clearance, expires_on=date(2019, 1, 1)))
    uncleared = replace(registrar, clearance=None)
    for registrars in ((), (lapsed,), (uncleared,), (lapsed, uncleared)):
        assert _found(rulebook, library, agreement_id, founder, registrars)
    for registrars in ((registrar,), (lapsed, registrar)):
        assert not _found(rulebook, library, agreement_id, founder, registrars)
    # the founder is a cleared security officer of the party, still
    for target in (
        replace(founder, clearance=None),
        replace(founder, role=Role.OFFICIAL),
        Person(id="sato", party="JPN", name="Sato", role=Role.SECURITY_OFFICER),
    ):
        assert not _found(rulebook, library, agreement_id, target, (lapsed,))
