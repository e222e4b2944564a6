"""A partner's act recorded here is decided like any other (design rule 11): the catalogue
names the article it was done under, and an act from someone who is not the other party to
that agreement is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gsomia.agreement_files import load_library
from gsomia.core.rules import Act, PartnerActRequest, Rulebook

AT = datetime(2019, 10, 2, 9, 0, tzinfo=UTC)
LIBRARY = load_library([])
BOOK = Rulebook(LIBRARY.agreements)
ARTICLE = {
    Act.RECEIVE_RETURN: "disposal",
    Act.RECEIVE_INCIDENT: "incident",
    Act.RECEIVE_LAW_NOTICE: "national_law",
    Act.RECEIVE_LAW_REQUEST: "laws_on_request",
    Act.RECEIVE_ASSURANCE: "assurance",
    Act.RECEIVE_AMENDMENT: "amendment",
}
PAIRS = [("jpn-kor-gsomia", "KOR", "JPN"), ("jpn-usa-gsomia", "JPN", "USA"), ("tisa", "USA", "KOR")]


def request(agreement: str, party: str, sender: str, subject: str = "") -> PartnerActRequest:
    return PartnerActRequest(
        agreement=LIBRARY.get(agreement), party=party, sender=sender, at=AT, subject=subject
    )


@pytest.mark.parametrize(("agreement", "party", "sender"), PAIRS)
@pytest.mark.parametrize("act", list(ARTICLE))
def test_each_partner_act_cites_its_own_article(
    act: Act, agreement: str, party: str, sender: str
) -> None:
    decision = BOOK.decide(act, request(agreement, party, sender))
    assert decision.allowed
    assert decision.rule_ids == (LIBRARY.get(agreement).rule_id(ARTICLE[act]),)


@pytest.mark.parametrize("act", [*ARTICLE, Act.RECEIVE_CONSENT_REQUEST, Act.RECEIVE_VISIT])
def test_an_act_from_outside_the_agreement_is_refused(act: Act) -> None:
    for party, sender in (("KOR", "USA"), ("KOR", "KOR"), ("CHN", "JPN")):
        decision = BOOK.decide(act, request("jpn-kor-gsomia", party, sender))
        assert not decision.allowed, (act, party, sender)


def test_consent_and_visits_cite_the_article_of_their_kind() -> None:
    jk, tisa = LIBRARY.get("jpn-kor-gsomia"), LIBRARY.get("tisa")
    for act in (Act.RECEIVE_CONSENT_REQUEST, Act.RECEIVE_CONSENT_ANSWER):
        purpose = BOOK.decide(act, request("jpn-kor-gsomia", "JPN", "KOR", "purpose"))
        release = BOOK.decide(act, request("jpn-kor-gsomia", "JPN", "KOR", "release"))
        hub = BOOK.decide(act, request("tisa", "USA", "KOR", "release"))
        assert purpose.rule_ids == (jk.rule_id("purpose"),)
        assert release.rule_ids == (jk.rule_id("third_party"),)
        assert hub.rule_ids == (tisa.rule_id("consent"),)
    for act in (Act.RECEIVE_VISIT, Act.RECEIVE_VISIT_ANSWER):
        security = BOOK.decide(act, request("jpn-kor-gsomia", "JPN", "KOR", "security"))
        access = BOOK.decide(act, request("jpn-kor-gsomia", "JPN", "KOR", "access"))
        assert security.rule_ids == (jk.rule_id("security_visit"),)
        assert access.rule_ids == (jk.rule_id("visit"),)
