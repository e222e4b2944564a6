"""The articles the fidelity review found missing, now acts the rules decide: laws produced on
request (JK-3.1), the assurance before a hand-over in person (JK-7.4), use for another
purpose only with the originator's written consent (JK-5.2), periodic inspections that fall
due again (JK-16(g)); and one syntax for ``GSOMIA_AGREEMENTS_PATH`` (D4)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from gsomia.agreement_files import agreements_path, load_library
from gsomia.config import load_settings
from gsomia.errors import AgreementFileError, InputError, PolicyDenied
from gsomia.services.acts.custody import Provision
from tests.support.workflows import (
    LEVEL,
    TOPIC,
    World,
    build,
    enrol,
    ledger_events,
    officer,
    official,
    registrar,
)

GSOMIA = "jpn-kor-gsomia"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build(tmp_path)
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


# JK-3.1 -------------------------------------------------------------------------------------


def test_jk_3_1_laws_are_produced_on_request_and_recorded_on_both_sides(world: World) -> None:
    jpn, kor = world["JPN"], world["KOR"]
    asked = jpn.liaison.request_laws(
        agreement_id=GSOMIA, party="KOR", by=officer("JPN"), text="laws on military secrets"
    )
    world.drain()
    (received,) = [r for r in kor.liaison.law_requests() if r.id == asked.id]
    assert received.state == "requested" and received.body["role"] == "respondent"
    # An answer is given only to a request that was made, by a liaison officer.
    with pytest.raises(PolicyDenied) as denied:
        kor.liaison.answer_laws(
            request_id=asked.id,
            by=official("KOR"),
            title="t",
            summary="s",
            effective_on=date(2020, 1, 1),
        )
    assert "JK-3.1" in denied.value.rule_ids
    kor.liaison.answer_laws(
        request_id=asked.id,
        by=officer("KOR"),
        title="Military Secret Protection Act",
        summary="classification, handling, penalties",
        effective_on=date(2019, 1, 1),
    )
    world.drain()
    (answered,) = [r for r in jpn.liaison.law_requests() if r.id == asked.id]
    assert answered.state == "answered"
    with pytest.raises(PolicyDenied):  # answered already: nothing is pending
        kor.liaison.answer_laws(
            request_id=asked.id,
            by=officer("KOR"),
            title="t",
            summary="s",
            effective_on=date(2020, 1, 1),
        )
    assert "law.requested" in ledger_events(kor) and "law.produced" in ledger_events(kor)
    assert "law.notified" in ledger_events(jpn)


# JK-7.4 -------------------------------------------------------------------------------------


def _in_person(world: World, rep: str) -> None:
    world["JPN"].custody.provide(
        contents=[b"handed over at the meeting"],
        provision=Provision(
            recipient="KOR",
            level=LEVEL["JPN"],
            topic=TOPIC,
            purpose="brief",
            agreement_id=GSOMIA,
            in_person=rep,
        ),
        by=officer("JPN"),
    )


def test_jk_7_4_a_hand_over_in_person_waits_for_the_receiving_partys_assurance(
    world: World,
) -> None:
    kor = world["KOR"]
    rep = enrol(kor, "kor-rep", clearance=LEVEL["KOR"], need=frozenset({TOPIC}))
    with pytest.raises(PolicyDenied) as denied:
        _in_person(world, rep)
    assert denied.value.rule_ids == ("JK-7.4",)
    # The registry must bear the assurance out: a representative without need is refused.
    lacking = enrol(kor, "kor-lacking", clearance=LEVEL["KOR"])
    with pytest.raises(PolicyDenied):
        kor.assurances.give(
            agreement_id=GSOMIA,
            to="JPN",
            subject=lacking,
            level="極秘",
            topic=TOPIC,
            valid_until=date(2019, 12, 31),
            by=officer("KOR"),
        )
    kor.assurances.give(
        agreement_id=GSOMIA,
        to="JPN",
        subject=rep,
        level="極秘",
        topic=TOPIC,
        valid_until=date(2019, 12, 31),
        by=officer("KOR"),
    )
    world.drain()
    _in_person(world, rep)
    # The assurance covers what it says: another topic, or once expired, is refused.
    with pytest.raises(PolicyDenied):
        world["JPN"].custody.provide(
            contents=[b"x"],
            provision=Provision(
                recipient="KOR",
                level=LEVEL["JPN"],
                topic="nk-nuclear",
                purpose="brief",
                agreement_id=GSOMIA,
                in_person=rep,
            ),
            by=officer("JPN"),
        )
    world.later(days=100)
    with pytest.raises(PolicyDenied) as expired:
        _in_person(world, rep)
    assert "expired" in expired.value.reason


# JK-5.2 -------------------------------------------------------------------------------------


def test_jk_5_2_another_purpose_needs_the_originators_written_consent(world: World) -> None:
    sent = world.provide(agreement=GSOMIA)
    world.drain()
    kor, jpn = world["KOR"], world["JPN"]
    item = sent.item_ids[0]
    assert kor.custody.open(item_id=item, person_id=official("KOR"))
    with pytest.raises(PolicyDenied) as denied:
        kor.custody.open(item_id=item, person_id=official("KOR"), purpose="force planning")
    assert "JK-5.2" in denied.value.rule_ids
    asked = kor.consent.request(
        item_id=item,
        to_party="KOR",
        by=official("KOR"),
        reason="planning",
        kind="purpose",
        purpose="force planning",
    )
    world.drain()
    jpn.consent.grant(request_id=asked.id, by=officer("JPN"), note="agreed")
    world.drain()
    assert kor.custody.open(item_id=item, person_id=official("KOR"), purpose="force planning")
    with pytest.raises(PolicyDenied):
        kor.custody.open(item_id=item, person_id=official("KOR"), purpose="something else")


# JK-16(g) -----------------------------------------------------------------------------------


def test_jk_16_g_a_stale_inspection_falls_due_again(world: World) -> None:
    kor = world["KOR"]
    kor.registry.add_facility(
        facility_id="plant", name="Plant", contractor="Works", by=registrar("KOR")
    )
    day = world.clock.now().date()
    for condition in "abcdefghijklmno":
        kor.registry.record_condition(
            facility_id="plant", condition=condition, evidence="ok", by=registrar("KOR"), met_on=day
        )
    assert kor.registry.missing("plant") == []
    world.later(days=366)
    assert kor.registry.missing("plant") == ["g"]
    with pytest.raises(InputError):  # a condition is not met on a day to come
        kor.registry.record_condition(
            facility_id="plant",
            condition="g",
            evidence="planned",
            by=registrar("KOR"),
            met_on=world.clock.now().date() + timedelta(days=1),
        )


# D4: one syntax for GSOMIA_AGREEMENTS_PATH --------------------------------------------------


def test_d4_the_agreements_path_has_one_syntax_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    value = os.pathsep.join([str(first), str(second)])
    monkeypatch.setenv("GSOMIA_AGREEMENTS_PATH", value)
    assert agreements_path() == [first, second]
    home = tmp_path / "home"
    home.mkdir()
    (home / "node.toml").write_text('party = "JPN"\n', encoding="utf-8")
    assert load_settings(home).agreements_path == [first, second]
    assert len(load_library()) == 5


def test_d4_a_missing_folder_on_the_path_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("GSOMIA_AGREEMENTS_PATH", str(missing))
    with pytest.raises(AgreementFileError) as err:
        load_library()
    assert str(missing) in str(err.value)
