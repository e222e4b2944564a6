"""One test per rule, each named for the article it enforces."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from gsomia.core.agreements import Agreement
from gsomia.core.classification import SchemeRegistry
from gsomia.core.decisions import Decision, combine
from gsomia.core.items import Consent, ConsentKind, Custody
from gsomia.core.people import Clearance, Role
from gsomia.core.rules import (
    AccessRequest,
    ForwardRequest,
    ReclassificationRequest,
    ReleaseRequest,
    RetentionRequest,
    Rulebook,
    SendRequest,
    UseRequest,
)
from gsomia.errors import PolicyDenied
from tests.support.core import held_item, officer, on

EARLIER = datetime(2019, 10, 1, tzinfo=UTC)


def send(agreement: Agreement, schemes: SchemeRegistry, **kw: object) -> SendRequest:
    values: dict[str, object] = {
        "agreement": agreement,
        "originator": "JPN",
        "recipient": "KOR",
        "level": schemes.parse("極秘"),
        "topic": "nk-missile",
        "at": on(agreement, "2019-10-02"),
    }
    values.update(kw)
    return SendRequest(**values)  # type: ignore[arg-type]


def consent(item_id: str, **kw: object) -> Consent:
    values: dict[str, object] = {
        "kind": ConsentKind.RELEASE,
        "item_id": item_id,
        "originator": "JPN",
        "granted": True,
        "decided_at": EARLIER,
        "to_party": "USA",
        "signature_verified": True,
    }
    values.update(kw)
    return Consent(**values)  # type: ignore[arg-type]


# JK-21.1 ---------------------------------------------------------------------------------


def test_jk_21_1_nothing_new_before_entry_into_force(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(jk, schemes, at=on(jk, "2016-11-01")))
    assert not d.allowed
    assert d.rule_ids == ("JK-21.1",)


def test_jk_21_1_nothing_new_after_termination(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    terminated = replace(jk, events=tuple(e for e in jk.events if e.kind == "notice"))
    d = rulebook.decide_send(send(terminated, schemes, at=on(jk, "2019-12-01")))
    assert not d.allowed
    assert d.rule_ids == ("JK-21.1",)
    assert "terminated" in d.reason
    with pytest.raises(PolicyDenied) as err:
        d.enforce()
    assert err.value.rule_ids == ("JK-21.1",)


def test_jk_21_1_allowed_while_a_notice_is_pending(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(jk, schemes))
    assert d.allowed
    assert d.rule_ids == ("JK-21.1", "JK-9.1", "JK-4.1", "JK-4.2")
    assert d.obligations == ("mark:KOR:GUNSA_II",)


# JK-4.1 / JK-4.2 -------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["機密", "TOP SECRET@JPN"])
def test_jk_4_1_top_level_is_not_covered(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry, level: str
) -> None:
    d = rulebook.decide_send(send(jk, schemes, level=schemes.parse(level)))
    assert not d.allowed
    assert "JK-4.1" in d.rule_ids
    assert "not covered" in d.reason


def test_jk_4_1_a_level_of_another_scheme_is_refused(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(jk, schemes, level=schemes.parse("군사II급비밀")))
    assert not d.allowed
    assert d.rule_ids == ("JK-4.1",)


@pytest.mark.parametrize(
    ("level", "marking"),
    [("極秘", "KOR:GUNSA_II"), ("特定秘密", "KOR:GUNSA_II"), ("秘", "KOR:GUNSA_III")],
)
def test_jk_4_2_recipient_marks_with_its_equivalent(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry, level: str, marking: str
) -> None:
    d = rulebook.decide_send(send(jk, schemes, level=schemes.parse(level)))
    assert d.allowed
    assert f"mark:{marking}" in d.obligations
    assert "Government of Japan" in d.reason


# JK-9.1 ------------------------------------------------------------------------------------


def test_jk_9_1_only_parties_exchange(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(jk, schemes, recipient="USA"))
    assert not d.allowed
    assert "JK-9.1" in d.rule_ids


# TI-1, TI-2, TI-5, TI-7 --------------------------------------------------------------------


def test_ti_1_topic_outside_scope(
    rulebook: Rulebook, tisa: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(tisa, schemes, topic="export-controls"))
    assert not d.allowed
    assert d.rule_ids == ("TI-1",)


def test_ti_2_no_direct_transfer_under_tisa(
    rulebook: Rulebook, tisa: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(tisa, schemes, path=("JPN", "KOR")))
    assert not d.allowed
    assert "TI-2" in d.rule_ids
    assert rulebook.decide_send(send(tisa, schemes)).allowed


def test_ti_7_tisa_is_no_basis_on_its_own(
    rulebook: Rulebook, tisa: Agreement, library: object, schemes: SchemeRegistry
) -> None:
    others = dict(rulebook._agreements)
    others.pop("kor-usa-gsomia")
    d = rulebook.decide_send(send(tisa, schemes, others=others))
    assert not d.allowed
    assert d.rule_ids == ("TI-5",)


def test_ti_4_hub_marks_with_the_us_equivalent(
    rulebook: Rulebook, tisa: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_send(send(tisa, schemes, recipient="USA"))
    assert d.allowed
    assert "mark:USA:SECRET" in d.obligations
    assert "TI-4" in d.rule_ids


# TI-3 --------------------------------------------------------------------------------------


def test_ti_3_hub_forwards_only_with_the_originators_approval(
    rulebook: Rulebook, tisa: Agreement, schemes: SchemeRegistry
) -> None:
    item = held_item(tisa, schemes, holder="USA", holder_level=schemes.parse("SECRET"))
    ask = ForwardRequest(
        agreement=tisa, hub="USA", item=item, recipient="KOR", at=on(tisa, "2019-10-02")
    )
    d = rulebook.decide_forward(ask)
    assert not d.allowed and d.rule_ids == ("TI-3",)
    ok = rulebook.decide_forward(replace(ask, consent=consent(item.id, to_party="KOR")))
    assert ok.allowed and ok.rule_ids == ("TI-3",)
    refused = rulebook.decide_forward(
        replace(ask, consent=consent(item.id, to_party="KOR", granted=False))
    )
    assert not refused.allowed and "refused" in refused.reason


# JK-7.1, JK-7.2, JK-6.e, JK-16.x ----------------------------------------------------------


def access(agreement: Agreement, schemes: SchemeRegistry, **kw: object) -> AccessRequest:
    person = kw.pop("person", officer(schemes))
    item = kw.pop("item", held_item(agreement, schemes))
    return AccessRequest(
        agreement=agreement, person=person, item=item, at=on(agreement, "2019-10-03"), **kw
    )  # type: ignore[arg-type]


def test_jk_7_2_need_and_clearance_of_the_holders_scheme(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_open(access(jk, schemes))
    assert d.allowed
    assert d.rule_ids == ("JK-7.2", "JK-7.1", "JK-6.e", "JK-16.x")


def test_jk_7_2_clearance_below_the_equivalent_level(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    low = officer(
        schemes,
        clearance=Clearance(level=schemes.parse("군사III급비밀"), granted_on=date(2015, 1, 1)),
    )
    d = rulebook.decide_open(access(jk, schemes, person=low))
    assert not d.allowed
    assert "JK-7.2" in d.rule_ids
    assert "below" in d.reason


def test_jk_7_2_an_expired_clearance_does_not_count(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    lapsed = officer(
        schemes,
        clearance=Clearance(
            level=schemes.parse("군사I급비밀"),
            granted_on=date(2015, 1, 1),
            expires_on=date(2019, 1, 1),
        ),
    )
    d = rulebook.decide_open(access(jk, schemes, person=lapsed))
    assert not d.allowed and "no clearance in effect" in d.reason


def test_jk_7_2_only_officials_of_the_holding_party(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    japanese = officer(
        schemes,
        id="sato",
        party="JPN",
        clearance=Clearance(level=schemes.parse("機密"), granted_on=date(2015, 1, 1)),
    )
    d = rulebook.decide_open(access(jk, schemes, person=japanese))
    assert not d.allowed
    assert "JK-7.2" in d.rule_ids


def test_jk_7_1_rank_or_clearance_alone_never_suffices(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    general = officer(
        schemes,
        rank="General",
        need_to_know=frozenset(),
        clearance=Clearance(level=schemes.parse("군사I급비밀"), granted_on=date(2015, 1, 1)),
    )
    d = rulebook.decide_open(access(jk, schemes, person=general))
    assert not d.allowed
    assert d.rule_ids == ("JK-7.2", "JK-7.1")
    assert "rank General" in d.reason


def test_jk_6_e_only_persons_on_the_facility_register(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_open(
        access(jk, schemes, person=officer(schemes, registered_at=frozenset({"busan"})))
    )
    assert not d.allowed and d.rule_ids == ("JK-6.e",)


def test_jk_16_contractor_staff_only_once_article_16_is_met(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    staff = officer(schemes, role=Role.CONTRACTOR_STAFF)
    assert rulebook.decide_open(access(jk, schemes, person=staff)).rule_ids == ("JK-16.x",)
    met = {"kor-mnd-hq": dict.fromkeys("abcdefghijklmno", date(2019, 10, 1))}
    assert rulebook.decide_open(access(jk, schemes, person=staff, conditions=met)).allowed
    stale = {"kor-mnd-hq": {**met["kor-mnd-hq"], "g": date(2018, 9, 1)}}
    late = rulebook.decide_open(access(jk, schemes, person=staff, conditions=stale))
    assert not late.allowed and "(g)" in late.reason


def test_jk_7_2_destroyed_items_cannot_be_opened(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    d = rulebook.decide_open(
        access(jk, schemes, item=held_item(jk, schemes, state=Custody.DESTROYED))
    )
    assert not d.allowed and "destroyed" in d.reason


# JK-5.1, TI-6, JK-5.2 ----------------------------------------------------------------------


def test_jk_5_1_no_third_party_release_without_prior_written_consent(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    item = held_item(jk, schemes)
    ask = ReleaseRequest(agreement=jk, item=item, to_party="USA", at=on(jk, "2019-10-03"))
    assert rulebook.decide_release(ask).rule_ids == ("JK-5.1",)
    assert not rulebook.decide_release(ask).allowed
    assert rulebook.decide_release(replace(ask, consent=consent(item.id))).allowed
    for bad, why in [
        (consent(item.id, written=False), "not in writing"),
        (consent(item.id, originator="KOR"), "not from the originator"),
        (consent(item.id, to_party="GBR"), "does not name USA"),
        (consent(item.id, signature_verified=False), "signature"),
        (consent(item.id, decided_at=on(jk, "2019-10-05")), "prior consent"),
        (consent("b" * 32), "another item"),
        (consent(item.id, kind=ConsentKind.PURPOSE), "another kind"),
    ]:
        d = rulebook.decide_release(replace(ask, consent=bad))
        assert not d.allowed and why in d.reason


def test_ti_6_third_country_release_under_tisa(
    rulebook: Rulebook, tisa: Agreement, schemes: SchemeRegistry
) -> None:
    item = held_item(tisa, schemes)
    d = rulebook.decide_release(
        ReleaseRequest(agreement=tisa, item=item, to_party="GBR", at=on(tisa, "2019-10-03"))
    )
    assert not d.allowed and d.rule_ids == ("TI-6",)


def test_jk_5_2_use_only_for_the_purpose_of_provision(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    item = held_item(jk, schemes)
    ask = UseRequest(
        agreement=jk, item=item, purpose="export-control case", at=on(jk, "2019-10-03")
    )
    assert rulebook.decide_use(replace(ask, purpose=item.purpose)).allowed
    d = rulebook.decide_use(ask)
    assert not d.allowed and d.rule_ids == ("JK-5.2",)
    ok = consent(item.id, kind=ConsentKind.PURPOSE, to_party=None, purpose="export-control case")
    assert rulebook.decide_use(replace(ask, consent=ok)).allowed


# JK-6.g, JK-6.h ----------------------------------------------------------------------------


def test_jk_6_g_only_the_originator_reclassifies_in_writing(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    item = held_item(jk, schemes)
    ask = ReclassificationRequest(
        agreement=jk,
        item=item,
        notice_from="JPN",
        new_level=schemes.parse("秘"),
        in_writing=True,
        at=on(jk, "2019-10-04"),
    )
    d = rulebook.decide_reclassification(ask)
    assert d.allowed and d.obligations == ("mark:KOR:GUNSA_III",) and d.rule_ids == ("JK-6.g",)
    assert not rulebook.decide_reclassification(replace(ask, notice_from="KOR")).allowed
    assert not rulebook.decide_reclassification(replace(ask, in_writing=False)).allowed
    raised = rulebook.decide_reclassification(replace(ask, new_level=schemes.parse("機密")))
    assert not raised.allowed and "return the item" in raised.reason


def test_jk_6_h_return_or_destroy_when_the_purpose_lapses(
    rulebook: Rulebook, jk: Agreement, schemes: SchemeRegistry
) -> None:
    item = held_item(jk, schemes, review_on=date(2020, 1, 1))
    keep = RetentionRequest(agreement=jk, item=item, at=on(jk, "2019-12-31"))
    assert rulebook.decide_retention(keep).allowed
    d = rulebook.decide_retention(replace(keep, at=keep.at + timedelta(days=2)))
    assert not d.allowed and d.rule_ids == ("JK-6.h",) and "destroy" in d.reason
    assert not rulebook.decide_retention(
        replace(keep, item=replace(item, purpose_lapsed=True))
    ).allowed


# Fail closed -------------------------------------------------------------------------------


def test_an_empty_all_of_denies() -> None:
    d = combine("send", [])
    assert not d.allowed
    with pytest.raises(PolicyDenied):
        d.enforce()


def test_a_denial_cites_only_the_failing_rules() -> None:
    d = combine("x", [Decision.allow("x", "A-1", "fine"), Decision.deny("x", "A-2", "no")])
    assert d.rule_ids == ("A-2",) and d.reason == "No."


def test_a_refusal_under_several_agreements_says_each_reason_once() -> None:
    same = [
        Decision.deny("view", f"{p}-VIEW", "the ledger is for security officers") for p in "ABCD"
    ]
    other = Decision.deny("view", "E-VIEW", "not cleared")
    combined = combine("view", [*same, other])
    assert combined.rule_ids == ("A-VIEW", "B-VIEW", "C-VIEW", "D-VIEW", "E-VIEW")
    assert combined.reason.count("security officers") == 1 and "Not cleared" in combined.reason
