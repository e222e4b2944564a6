"""Whether a token acts for its person now (``Act.USE_TOKEN``, JK-6.e): its issuer has seen
it, so its person holds no authority its issuer does not hold now, whatever they held when
it was issued. The node's tokens and a person's own act with every authority the registry
grants them; an issuer the registry does not know holds nothing, and a token another
issued never acts for a person holding the registry authority (through it, its issuer could
grant themselves). Each agreement cites its own article."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import combinations

import pytest

from gsomia.core.agreements import AgreementLibrary
from gsomia.core.classification import SchemeRegistry
from gsomia.core.people import NODE_ACTOR, OFFICER_ONLY, Authority, Person, Role
from gsomia.core.rules import Act, Rulebook, TokenUseRequest
from tests.support.core import officer, on

AGREEMENTS = ["jpn-kor-gsomia", "kor-usa-gsomia", "tisa"]
SETS = [frozenset(c) for n in (0, 1, 2) for c in combinations(sorted(Authority), n)]


def _person(schemes: SchemeRegistry, person_id: str, held: frozenset[Authority]) -> Person:
    return officer(schemes, id=person_id, role=Role.SECURITY_OFFICER, authorities=held)


def _allowed(
    rulebook: Rulebook,
    library: AgreementLibrary,
    agreement_id: str,
    holder: Person,
    by: str,
    issuer: Person | None = None,
) -> bool:
    agreement = library.get(agreement_id)
    request = TokenUseRequest(
        agreement=agreement,
        party="KOR",
        at=on(agreement, "2020-01-01"),
        holder=holder,
        issued_by=by,
        issuer=issuer,
    )
    decision = rulebook.decide(Act.USE_TOKEN, request)
    assert decision.rule_ids == (agreement.rule_id("register"),)
    return decision.allowed


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize("issuer_holds", SETS[::4])
def test_a_token_acts_only_while_its_person_holds_nothing_its_issuer_lacks(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    issuer_holds: frozenset[Authority],
) -> None:
    for held in (issuer_holds, issuer_holds | {Authority.REGISTRY}):
        issuer = _person(schemes, "kor-registrar", held)
        for holds in SETS:
            holder = _person(schemes, "kor-holder", holds)
            allowed = _allowed(rulebook, library, agreement_id, holder, issuer.id, issuer)
            # the issuer could issue it now (they hold the registry authority), and the
            # registry authority acts by the node's token or the person's own only
            within = (
                Authority.REGISTRY in held and holds <= held and Authority.REGISTRY not in holds
            )
            assert allowed is within, (held, holds)


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize("holds", [frozenset(), frozenset(Authority)])
def test_the_nodes_tokens_and_a_persons_own_act_with_all_they_hold(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    holds: frozenset[Authority],
) -> None:
    holder = _person(schemes, "kor-holder", holds)
    assert _allowed(rulebook, library, agreement_id, holder, NODE_ACTOR)
    assert _allowed(rulebook, library, agreement_id, holder, holder.id)
    # an issuer the registry does not know (or no issuer on the record) holds nothing
    for by in ("kor-gone", ""):
        assert _allowed(rulebook, library, agreement_id, holder, by) is (not holds)


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
def test_a_token_of_another_partys_person_does_not_act_here(
    rulebook: Rulebook, library: AgreementLibrary, schemes: SchemeRegistry, agreement_id: str
) -> None:
    stranger = Person(id="sato", party="JPN", name="Sato", role=Role.OFFICIAL)
    assert not _allowed(rulebook, library, agreement_id, stranger, NODE_ACTOR)


@pytest.mark.parametrize("agreement_id", AGREEMENTS)
@pytest.mark.parametrize("holds", [frozenset(), frozenset({Authority.CONSENT})])
def test_a_token_acts_only_while_its_issuer_could_issue_it(
    rulebook: Rulebook,
    library: AgreementLibrary,
    schemes: SchemeRegistry,
    agreement_id: str,
    holds: frozenset[Authority],
) -> None:
    every = frozenset(Authority)
    registrar = _person(schemes, "kor-registrar", every)
    holder = _person(schemes, "kor-holder", holds)
    assert _allowed(rulebook, library, agreement_id, holder, registrar.id, registrar)
    assert registrar.clearance is not None
    # the requests are decided on 2020-01-01
    lapsed = replace(
        registrar, clearance=replace(registrar.clearance, expires_on=date(2019, 12, 31))
    )
    unregistered = replace(registrar, authorities=every - {Authority.REGISTRY})
    official = replace(registrar, role=Role.OFFICIAL, authorities=every - OFFICER_ONLY)
    foreign = replace(registrar, party="JPN", clearance=None)
    for issuer in (lapsed, unregistered, official, foreign):
        assert not _allowed(rulebook, library, agreement_id, holder, issuer.id, issuer), issuer
