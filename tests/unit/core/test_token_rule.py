"""Who may issue a person's token (``Act.ISSUE_TOKEN``, JK-6.e): the node itself, or a
security officer holding the registry authority, for themselves or for a person of the
party holding no authority the officer lacks. Revoking one (``Act.REVOKE_TOKEN``) needs the
registry authority, unless it is the revoker's own. Each agreement cites its own article."""

from __future__ import annotations

from datetime import date
from itertools import combinations

import pytest

from gsomia.core.agreements import AgreementLibrary
from gsomia.core.classification import SchemeRegistry
from gsomia.core.people import Authority, Clearance, Person, Role
from gsomia.core.rules import Act, AdministerRequest, Rulebook
from tests.support.core import officer, on

AGREEMENTS = ["jpn-kor-gsomia", "kor-usa-gsomia", "tisa"]
#: Every authority but registry, in sets of none, one and two.
OTHERS = sorted(set(Authority) - {Authority.REGISTRY})
SETS = [frozenset(c) for n in (0, 1, 2) for c in combinations(OTHERS, n)]


def _issuer(schemes: SchemeRegistry, held: frozenset[Authority]) -> Person:
    return officer(
        schemes,
        id="kor-registrar",
        role=Role.SECURITY_OFFICER,
        authorities=held | {Authority.REGISTRY},
    )


def _decide(
    rulebook: Rulebook,
    library: AgreementLibrary,
    agreement_id: str,
    act: Act,
    by: Person | None,
    target: Person | None,
) -> tuple[bool, tuple[str, ...]]:
    agreement = library.get(agreement_id)
    request = AdministerRequest(
        agreement=agreement,
        person=by,
        party="KOR",
        what="a token",
        at=on(agreement, "2020-01-01"),
        target=target,
    )
    decision = rulebook.decide(act, request)
    assert decision.rule_ids == (agreement.rule_id("register"),)
    return decision.allowed, decision.rule_ids


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize("held", SETS[:9])
def test_a_token_is_issued_only_for_a_person_holding_nothing_the_issuer_lacks(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    held: frozenset[Authority],
) -> None:
    issuer = _issuer(schemes, held)
    for target_holds in SETS:
        role = Role.SECURITY_OFFICER if Authority.CUSTODY in target_holds else Role.OFFICIAL
        target = officer(schemes, id="kor-target", role=role, authorities=target_holds)
        allowed, _ = _decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, issuer, target)
        # a registry officer's token is the node's or their own only
        within = target_holds <= issuer.authorities and Authority.REGISTRY not in target_holds
        assert allowed is within, (held, target_holds)


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
def test_the_issuer_themselves_and_the_node_are_allowed(
    rulebook: Rulebook, library: AgreementLibrary, schemes: SchemeRegistry, agreement_id: str
) -> None:
    issuer = _issuer(schemes, frozenset())
    everything = officer(
        schemes, id="kor-duty", role=Role.SECURITY_OFFICER, authorities=frozenset(Authority)
    )
    decide = _decide  # short lines below
    assert decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, issuer, issuer)[0]
    assert decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, None, everything)[0]
    assert not decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, issuer, everything)[0]
    assert not decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, None, None)[0]
    # a person of another party gets no token here, from the node or anyone
    stranger = Person(
        id="sato",
        party="JPN",
        name="Sato",
        role=Role.OFFICIAL,
        clearance=Clearance(level=schemes.parse("極秘"), granted_on=date(2015, 1, 1)),
    )
    assert not decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, None, stranger)[0]


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize(
    ("role", "authorities"),
    [
        (Role.OFFICIAL, frozenset(Authority) - {Authority.REGISTRY, Authority.CUSTODY}),
        (Role.SECURITY_OFFICER, frozenset(Authority) - {Authority.REGISTRY}),
        (Role.CONTRACTOR_STAFF, frozenset()),
    ],
)
def test_nobody_without_the_registry_authority_issues_a_token_even_their_own(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    role: Role,
    authorities: frozenset[Authority],
) -> None:
    person = officer(schemes, id="kor-self", role=role, authorities=authorities)
    assert not _decide(rulebook, library, agreement_id, Act.ISSUE_TOKEN, person, person)[0]
    assert not _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, person, None)[0]


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
def test_revocation_needs_the_registry_authority_only(
    rulebook: Rulebook, library: AgreementLibrary, schemes: SchemeRegistry, agreement_id: str
) -> None:
    issuer = _issuer(schemes, frozenset())
    assert _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, issuer, None)[0]
    assert not _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, None, None)[0]


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.CONTRACTOR_STAFF, Role.SECURITY_OFFICER])
def test_a_person_revokes_a_token_of_their_own_only(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    role: Role,
) -> None:
    person = officer(schemes, id="kor-self", role=role, clearance=None)
    other = officer(schemes, id="kor-other")
    assert _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, person, person)[0]
    assert not _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, person, other)[0]
    # a registry officer revokes anyone's, and the node's operator acts through one
    issuer = _issuer(schemes, frozenset())
    assert _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, issuer, other)[0]
    assert not _decide(rulebook, library, agreement_id, Act.REVOKE_TOKEN, None, other)[0]
