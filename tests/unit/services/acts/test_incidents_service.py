"""Loss or compromise: report, immediate notice, investigation, result and measures (JK-17.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gsomia.errors import InputError, UnknownName
from gsomia.formats.messages import Kind, Message, encode
from gsomia.services.acts.incidents import IncidentPolicy
from tests.support.workflows import World, counts, ledger_events, officer, official


def incident(world: World, party: str, incident_id: str) -> dict[str, object]:
    (view,) = [
        i
        for i in world[party].incidents.incidents(viewer=officer(party))
        if i["incident"] == incident_id
    ]
    return view


def test_the_lifecycle_reaches_the_originator_at_each_step(world: World, item: str) -> None:
    kor, jpn = world["KOR"], world["JPN"]
    copy = kor.handling.copy(item_id=item, by=official("KOR"))
    report = kor.incidents.report(
        item_ids=[copy.id],
        kind="compromise",
        possible=True,
        by=officer("KOR"),
        description="copy 1 may have been photographed",
    )
    assert report.body["notified"] == [
        {"party": "JPN", "agreement": "jpn-kor-gsomia", "items": [item]}
    ]
    with kor.ctx.store.read() as uow:  # the notice left in the same unit of work as the report
        assert uow.outbox_counts() == {"pending": 1}
    world.drain()
    seen = incident(world, "JPN", report.id)
    assert (seen["state"], seen["role"], seen["possible"]) == ("notified", "provider", True)
    assert incident(world, "KOR", report.id)["overdue"] == []  # acknowledged at once
    kor.incidents.investigate(incident_id=report.id, by=officer("KOR"), note="security review")
    world.drain()
    assert incident(world, "JPN", report.id)["state"] == "investigating"
    kor.incidents.close(
        incident_id=report.id,
        by=officer("KOR"),
        result="no compromise found",
        measures="photography banned in the reading room",
    )
    world.drain()
    final = incident(world, "JPN", report.id)
    assert final["state"] == "closed"
    assert final["measures"] == "photography banned in the reading room"
    assert [p["phase"] for p in final["phases"]] == ["notice", "investigation", "result"]
    assert ledger_events(jpn)[-3:] == [
        "incident.reported",
        "incident.investigated",
        "incident.closed",
    ]
    with pytest.raises(InputError):
        kor.incidents.investigate(incident_id=report.id, by=officer("KOR"), note="again")


def test_deadlines_are_flagged_when_overdue(world: World, item: str) -> None:
    kor = world["KOR"]
    report = kor.incidents.report(
        item_ids=[item],
        kind="loss",
        possible=False,
        by=officer("KOR"),
        description="missing",
        policy=IncidentPolicy(investigation_days=7, result_days=30),
    )
    assert "acknowledgement of the notice by JPN" in incident(world, "KOR", report.id)["overdue"]
    world.drain()
    world.later(days=8)
    assert incident(world, "KOR", report.id)["overdue"] == ["investigation"]
    assert incident(world, "JPN", report.id)["overdue"] == ["investigation"]
    kor.incidents.investigate(incident_id=report.id, by=officer("KOR"), note="opened")
    world.later(days=30)
    assert incident(world, "KOR", report.id)["overdue"] == ["result and measures"]
    with pytest.raises(InputError):
        IncidentPolicy(investigation_days=10, result_days=5)


def test_a_notice_about_a_released_item_is_passed_on_to_the_originator(
    world: World, item: str
) -> None:
    usa, kor, jpn = world["USA"], world["KOR"], world["JPN"]
    request = kor.consent.request(item_id=item, to_party="USA", by=official("KOR"), reason="why")
    world.drain()
    jpn.consent.grant(request_id=request.id, by=officer("JPN"))
    world.drain()
    kor.release.release(item_id=item, to_party="USA", by=official("KOR"))
    world.drain()
    report = usa.incidents.report(
        item_ids=[item], kind="loss", possible=False, by=officer("USA"), description="lost"
    )
    assert report.body["notified"][0]["party"] == "KOR"
    world.drain()
    assert incident(world, "KOR", report.id)["relayed"] is True
    assert incident(world, "JPN", report.id)["from"] == "KOR"


def test_reports_are_validated_before_anything_is_stored(world: World, item: str) -> None:
    kor = world["KOR"]
    before = counts(kor)
    cases = [
        ({"kind": "theft"}, InputError),
        ({"item_ids": []}, InputError),
        ({"item_ids": ["0" * 32]}, UnknownName),
        ({"description": " "}, InputError),
        ({"by": "nobody"}, UnknownName),
    ]
    for change, error in cases:
        args = {
            "item_ids": [item],
            "kind": "loss",
            "possible": True,
            "by": officer("KOR"),
            "description": "x",
            **change,
        }
        with pytest.raises(error):
            kor.incidents.report(**args)
    assert counts(kor) == before


def test_a_notice_from_a_party_that_never_held_the_item_stores_nothing(
    world: World, item: str
) -> None:
    usa, jpn = world["USA"], world["JPN"]
    message = Message(
        id="d" * 32,
        kind=Kind.INCIDENT,
        sender="USA",
        recipient="JPN",
        agreement_id="jpn-usa-gsomia",
        sent_at=world.clock.now(),
        body={
            "incident": "e" * 32,
            "phase": "notice",
            "kind": "loss",
            "possible": False,
            "items": [item],
            "description": "x",
            "reported_at": world.clock.now().isoformat(),
            "investigation_due": (world.clock.now() + timedelta(days=1)).isoformat(),
            "result_due": (world.clock.now() + timedelta(days=2)).isoformat(),
        },
    )
    before = counts(jpn)
    with pytest.raises(InputError):
        jpn.inbox(encode(usa.ctx.keyring, message), peer="USA")
    assert counts(jpn) == before
