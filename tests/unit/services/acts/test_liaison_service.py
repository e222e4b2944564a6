"""National-law notices and visits between competent authorities (JK-3.2, JK-8.1, JK-18.1)."""

from __future__ import annotations

from datetime import date

import pytest

from gsomia.errors import InputError, PolicyDenied, UnknownName
from tests.support.workflows import World, counts, ledger_events, officer

GSOMIA = "jpn-kor-gsomia"
START, END = date(2019, 10, 10), date(2019, 10, 11)


def visit(world: World, **change: object) -> object:
    args: dict[str, object] = {
        "agreement_id": GSOMIA,
        "host": "JPN",
        "facility": "jpn-hq",
        "visitors": [officer("KOR")],
        "purpose": "exchange of warning procedures",
        "subject": "radar data handling",
        "scope": "briefing room only",
        "start": START,
        "end": END,
        "by": officer("KOR"),
        "max_level": "極秘",
        **change,
    }
    return world["KOR"].liaison.request_visit(**args)  # type: ignore[arg-type]


def test_a_change_of_law_reaches_every_other_party(world: World) -> None:
    jpn = world["JPN"]
    sent = jpn.liaison.notify_law(
        agreement_id="tisa",
        by=officer("JPN"),
        title="Act on Specially Designated Secrets",
        summary="new category of secrets",
        effective_on=date(2019, 12, 10),
    )
    world.drain()
    for party in ("KOR", "USA"):
        (got,) = world[party].liaison.law_notices()
        assert got.id == sent.id and got.state == "received" and got.body["from"] == "JPN"
        assert ledger_events(world[party])[-1] == "law.notified"


def test_an_access_visit_is_authorised_by_the_host_who_briefs_the_facility(world: World) -> None:
    request = visit(world)
    world.drain()
    jpn, kor = world["JPN"], world["KOR"]
    (hosted,) = jpn.liaison.visits()
    assert (
        hosted.state == "requested"
        and hosted.body["requesting_authority"] == "Ministry of National Defense"
    )
    with pytest.raises(PolicyDenied) as denied:  # only the host authorises
        kor.liaison.approve_visit(visit_id=request.id, by=officer("KOR"))  # type: ignore[attr-defined]
    assert denied.value.rule_ids == ("JK-8.1",)
    jpn.liaison.approve_visit(visit_id=hosted.id, by=officer("JPN"))
    world.drain()
    (mine,) = kor.liaison.visits()
    assert mine.state == "approved"
    briefed = mine.body["decision"]["facility_briefed"]
    assert briefed["max_level"] == "JPN:GOKUHI" and briefed["scope"] == "briefing room only"
    visits = [e for e in ledger_events(kor) if e.startswith("visit.")]
    assert visits[-2:] == ["visit.requested", "visit.approved"]


def test_a_visitor_below_the_highest_level_shown_is_refused(world: World) -> None:
    kor = world["KOR"]
    before = counts(kor)
    with pytest.raises(PolicyDenied) as denied:
        visit(world, visitors=[officer("KOR"), "kor-low"])
    assert denied.value.rule_ids == ("JK-8.1",)
    for change, error in (
        ({"host": "KOR", "max_level": "군사II급비밀"}, PolicyDenied),
        ({"max_level": "機密"}, InputError),
        ({"max_level": None}, InputError),
        ({"visitors": ["nobody"]}, UnknownName),
        ({"start": END, "end": START}, InputError),
        ({"purpose": ""}, InputError),
    ):
        with pytest.raises(error):
            visit(world, **change)
    after = counts(kor)
    assert after["ledger"] == before["ledger"] + 2  # two refusals recorded, nothing else
    assert {k: v for k, v in after.items() if k != "ledger"} == {
        k: v for k, v in before.items() if k != "ledger"
    }


def test_a_visit_to_an_unknown_facility_is_not_recorded_by_the_host(world: World) -> None:
    jpn = world["JPN"]
    before = counts(jpn)
    visit(world, facility="nowhere")
    world.drain()
    assert counts(jpn) == before
    with world["KOR"].ctx.store.read() as uow:
        (failed,) = uow.due_messages(now=world.clock.now().replace(year=2030), limit=10)
    assert "nowhere" in failed.last_error


def test_security_representatives_visit_after_prior_consultation(world: World) -> None:
    with pytest.raises(PolicyDenied) as denied:
        visit(world, kind="security", max_level=None)
    assert denied.value.rule_ids == ("JK-18.1",)
    request = visit(world, kind="security", max_level=None, consultation="talks of 1 October 2019")
    world.drain()
    jpn = world["JPN"]
    with pytest.raises(InputError):  # the place and the modality must be agreed
        jpn.liaison.approve_visit(visit_id=request.id, by=officer("JPN"))  # type: ignore[attr-defined]
    jpn.liaison.approve_visit(
        visit_id=request.id,
        by=officer("JPN"),
        place="Ichigaya",
        modality="observation",  # type: ignore[attr-defined]
    )
    world.drain()
    (mine,) = world["KOR"].liaison.visits()
    assert mine.state == "approved" and mine.body["decision"]["place"] == "Ichigaya"
    assert mine.body["decision"]["at"]


def test_a_refused_visit(world: World) -> None:
    request = visit(world)
    world.drain()
    world["JPN"].liaison.refuse_visit(visit_id=request.id, by=officer("JPN"), reason="dates")  # type: ignore[attr-defined]
    world.drain()
    (mine,) = world["KOR"].liaison.visits()
    assert mine.state == "refused" and mine.body["decision"]["reason"] == "dates"
