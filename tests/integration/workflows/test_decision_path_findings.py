"""The security and fidelity reviews' findings H1, H2, M3 and D1-D3, D6, as attempts the rules
now refuse, each recorded once with the right agreement's rule id; varied over agreements,
parties and acts (the REST, console and CLI forms are in ``tests/integration/api``).

Each attempt was accepted before one decision path existed: an uncleared official gave a
notice that ended a treaty, granted consent, downgraded an item, marked a purpose lapsed;
a partner's backdated note rewrote history; contractor staff certified their own facility.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsomia.core.lifecycle import Phase, status
from gsomia.errors import PolicyDenied
from gsomia.formats.messages import Kind, Message, b64, encode
from gsomia.ports.store import ItemState
from gsomia.services.acts.custody import Provision
from gsomia.services.acts.notes import NOTE_FORMAT
from tests.support.workflows import (
    LEVEL,
    TOPIC,
    World,
    build,
    counts,
    enrol,
    officer,
    official,
    refusals,
    registrar,
)

GSOMIA = "jpn-kor-gsomia"
NEED = frozenset({TOPIC, "nk-nuclear"})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build(tmp_path)
    for node in w.nodes.values():
        p = node.party.lower()
        # No clearance, no need, no facility: the review's "nocl".
        enrol(node, f"{p}-nocl")
        # Cleared and with need, but holding no authority: an ordinary official.
        enrol(
            node,
            f"{p}-plain",
            clearance=LEVEL[node.party],
            need=NEED,
            facilities=frozenset({f"{p}-hq"}),
        )
        # Holding every decision authority, granted while cleared, but the clearance has
        # lapsed since (an authority needs a clearance in effect to be granted, JK-7.2).
        enrol(
            node,
            f"{p}-empowered",
            clearance=LEVEL[node.party],
            expires_on=w.clock.now().date() + timedelta(days=1),
            authorities=(
                "consent",
                "reclassification",
                "notes",
                "incidents",
                "forwarding",
                "liaison",
            ),
        )
    w.later(days=2)
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


@pytest.fixture
def item(world: World) -> str:
    """An item JPN provided to KOR under the Japan–ROK GSOMIA, delivered."""
    result = world.provide(agreement=GSOMIA)
    world.drain()
    return result.item_ids[0]


def _refused(call: object, *expected_ids: str) -> PolicyDenied:
    with pytest.raises(PolicyDenied) as denied:
        call()  # type: ignore[operator]
    for rule in expected_ids:
        assert rule in denied.value.rule_ids, (rule, denied.value.rule_ids, denied.value.reason)
    return denied.value


# H1 / D1: notes follow the agreement ---------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "agreement", "rule"),
    [
        ("KOR", GSOMIA, "JK-21.1"),
        ("JPN", "jpn-usa-gsomia", "JU-TERM"),
        ("USA", "kor-usa-gsomia", "KU-TERM"),
    ],
)
@pytest.mark.parametrize("who", ["nocl", "plain"])
def test_h1_only_a_holder_of_the_notes_authority_gives_a_notice(
    world: World, party: str, agreement: str, rule: str, who: str
) -> None:
    node = world[party]
    person = f"{party.lower()}-{who}"
    before = counts(node)
    _refused(
        lambda: node.notes.give(agreement_id=agreement, kind="notice", by=person, text="terminate"),
        rule,
    )
    after = counts(node)
    assert after["records"] == before["records"] and after["outbox"] == before["outbox"]
    assert refusals(node)[-1] == (agreement, (rule,), person)
    assert status(node.ctx.agreement(agreement), at=world.clock.now()).phase is not Phase.TERMINATED


@pytest.mark.parametrize("seconds", [45, 86_400, 89 * 86_400])
def test_h1_d1_a_notice_cannot_choose_an_early_end(world: World, seconds: int) -> None:
    kor = world["KOR"]
    early = world.clock.now() + timedelta(seconds=seconds)
    denied = _refused(
        lambda: kor.notes.give(
            agreement_id=GSOMIA,
            kind="notice",
            by=officer("KOR"),
            text="terminate",
            terminates_at=early,
        ),
        "JK-21.1",
    )
    assert "end of a term" in denied.reason


def test_h1_d1_a_notice_ends_the_agreement_where_the_term_puts_the_end(world: World) -> None:
    # 2 Oct 2019: the files' 2019 notice is suspended; a fresh agreement copy is used.
    kor = world["KOR"]
    world.clock.set(datetime(2024, 1, 10, tzinfo=UTC))
    # The 2019 notice was withdrawn in 2023; a new notice in January 2024 ends the agreement
    # at the first anniversary at least 90 days away: 23 November 2024.
    note = kor.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("KOR"), text="end")
    assert note.body["terminates_at"] == "2024-11-23T00:00:00+09:00"
    world.drain()
    for party in ("JPN", "KOR"):
        s = status(world[party].ctx.agreement(GSOMIA), at=world.clock.now())
        assert s.phase is Phase.NOTICE_PENDING
        assert s.notice is not None
        assert s.notice.terminates_at.at.isoformat() == "2024-11-23T00:00:00+09:00"


def _partner_note(
    world: World,
    *,
    sender: str,
    recipient: str,
    agreement: str,
    at: datetime,
    terminates_at: datetime | None,
) -> bytes:
    node = world[sender]
    doc = node.notes.sign(
        agreement,
        {
            "format": NOTE_FORMAT,
            "agreement": agreement,
            "event_id": node.ctx.ids.new_id(),
            "kind": "notice",
            "by": sender,
            "at": at.isoformat(),
            "of": [],
            "terminates_at": terminates_at.isoformat() if terminates_at else None,
            "text": "terminate",
            "person": officer(sender),
        },
    )
    message = Message(
        id=node.ctx.ids.new_id(),
        kind=Kind.NOTE,
        sender=sender,
        recipient=recipient,
        agreement_id=agreement,
        sent_at=world.clock.now(),
        body={"phase": "note", "document": b64(doc)},
    )
    return encode(node.ctx.keyring, message)


@pytest.mark.parametrize(
    ("sender", "recipient", "agreement", "rule"),
    [
        ("KOR", "USA", "kor-usa-gsomia", "KU-TERM"),
        ("JPN", "KOR", GSOMIA, "JK-21.1"),
        ("USA", "JPN", "jpn-usa-gsomia", "JU-TERM"),
    ],
)
def test_h1_a_backdated_partner_note_is_refused_and_history_stands(
    world: World, sender: str, recipient: str, agreement: str, rule: str
) -> None:
    receiver = world[recipient]
    past = datetime(2018, 1, 1, tzinfo=UTC)
    blob = _partner_note(
        world,
        sender=sender,
        recipient=recipient,
        agreement=agreement,
        at=past,
        terminates_at=past + timedelta(days=31),
    )
    reply = receiver.inbox(blob, peer=sender)
    assert b"refused" in reply
    a = receiver.ctx.agreement(agreement)
    assert status(a, at=datetime(2019, 6, 1, tzinfo=UTC)).in_force
    assert refusals(receiver)[-1][:2] == (agreement, (rule,))


def test_h1_a_partner_note_naming_an_early_end_is_refused(world: World) -> None:
    now = world.clock.now()
    blob = _partner_note(
        world,
        sender="KOR",
        recipient="USA",
        agreement="kor-usa-gsomia",
        at=now,
        terminates_at=now + timedelta(days=1),
    )
    assert b"refused" in world["USA"].inbox(blob, peer="KOR")
    assert status(world["USA"].ctx.agreement("kor-usa-gsomia"), at=now + timedelta(days=2)).in_force


# D2: a resumption never rewrites the past ----------------------------------------------------


def test_d2_a_resumption_after_the_boundary_ends_the_agreement_later(tmp_path: Path) -> None:
    w = build(
        tmp_path, start=datetime(2019, 8, 23, 6, tzinfo=UTC), as_signed=True, parties=("JPN", "KOR")
    )
    kor = w["KOR"]
    notice = kor.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("KOR"), text="end")
    w.drain()
    w.clock.set(datetime(2019, 11, 22, 9, tzinfo=UTC))
    kor.notes.give(
        agreement_id=GSOMIA, kind="suspension", by=officer("KOR"), text="s", of=(notice.id,)
    )
    w.drain()
    w.clock.set(datetime(2021, 1, 1, 3, tzinfo=UTC))
    kor.notes.give(
        agreement_id=GSOMIA, kind="resumption", by=officer("KOR"), text="r", of=(notice.id,)
    )
    w.drain()
    for party in ("JPN", "KOR"):
        a = w[party].ctx.agreement(GSOMIA)
        # What was in force in 2020 stays in force; renewals are not taken back.
        mid_2020 = status(a, at=datetime(2020, 6, 1, tzinfo=UTC))
        assert mid_2020.in_force and mid_2020.renewals == 3
        now = status(a, at=w.clock.now())
        assert now.phase is Phase.NOTICE_PENDING
        assert now.notice is not None
        assert now.notice.terminates_at.at.isoformat() == "2021-11-23T00:00:00+09:00"
    for node in w.nodes.values():
        node.ctx.store.close()


# H2: decisions for a party need its authority, and clearance for the item ---------------------


@pytest.mark.parametrize("who", ["nocl", "plain", "empowered"])
def test_h2_consent_is_granted_only_by_a_cleared_holder_of_the_consent_authority(
    world: World, item: str, who: str
) -> None:
    asked = world["KOR"].consent.request(
        item_id=item, to_party="USA", by=official("KOR"), reason="share"
    )
    world.drain()
    jpn = world["JPN"]
    person = f"jpn-{who}"
    _refused(lambda: jpn.consent.grant(request_id=asked.id, by=person, note="ok"), "JK-5.1")
    assert refusals(jpn)[-1][0] == GSOMIA and refusals(jpn)[-1][2] == person
    granted = jpn.consent.grant(request_id=asked.id, by=officer("JPN"), note="ok")
    assert granted.state == "granted"


@pytest.mark.parametrize("who", ["nocl", "plain", "empowered"])
def test_h2_only_a_cleared_holder_of_the_reclassification_authority_downgrades(
    world: World, who: str
) -> None:
    sent = world.provide("JPN", "USA", agreement="jpn-usa-gsomia")
    world.drain()
    jpn = world["JPN"]
    _refused(
        lambda: jpn.reclassification.reclassify(
            item_id=sent.item_ids[0], level="秘", by=f"jpn-{who}", text="downgrade"
        ),
        "JU-RECLASS",
    )
    with jpn.ctx.store.read() as uow:
        assert uow.item(sent.item_ids[0]).level_ref == "JPN:GOKUHI"


@pytest.mark.parametrize("act", ["lapse", "destroy", "return_item", "copy"])
def test_h2_an_uncleared_official_cannot_lapse_destroy_return_or_copy(
    world: World, item: str, act: str
) -> None:
    kor = world["KOR"]
    before = counts(kor)
    _refused(lambda: getattr(kor.handling, act)(item_id=item, by="kor-nocl"), "JK-7.2")
    assert counts(kor)["items"] == before["items"]
    with kor.ctx.store.read() as uow:
        record = uow.item(item)
    assert record.state is ItemState.HELD and not record.purpose_lapsed


def test_h2_an_uncleared_hub_official_cannot_destroy_a_relaying_item(world: World) -> None:
    sent = world.provide("JPN", "KOR", agreement="tisa")
    world.drain()
    usa = world["USA"]
    relaying = sent.item_ids[0]
    for who in ("usa-nocl", "usa-empowered"):
        _refused(lambda who=who: usa.handling.destroy(item_id=relaying, by=who), "TI-5")
    _refused(lambda: usa.release.forward(item_id=relaying, by="usa-plain"), "TI-3")
    with usa.ctx.store.read() as uow:
        assert uow.item(relaying).state is ItemState.RELAYING


def test_h2_incidents_need_the_incidents_authority_and_clearance(world: World, item: str) -> None:
    kor = world["KOR"]
    for who in ("kor-nocl", "kor-plain", "kor-empowered"):
        _refused(
            lambda who=who: kor.incidents.report(
                item_ids=[item], kind="loss", possible=True, by=who, description="case missing"
            ),
            "JK-17.1",
        )
    reported = kor.incidents.report(
        item_ids=[item], kind="loss", possible=True, by=officer("KOR"), description="case missing"
    )
    _refused(
        lambda: kor.incidents.investigate(incident_id=reported.id, by="kor-plain", note="look"),
        "JK-17.1",
    )


def test_h2_liaison_needs_the_liaison_authority(world: World) -> None:
    jpn = world["JPN"]
    from datetime import date

    _refused(
        lambda: jpn.liaison.notify_law(
            agreement_id=GSOMIA,
            by="jpn-plain",
            title="Act",
            summary="changed",
            effective_on=date(2020, 1, 1),
        ),
        "JK-3.2",
    )
    _refused(
        lambda: jpn.liaison.request_laws(
            agreement_id=GSOMIA, party="KOR", by="jpn-plain", text="your laws"
        ),
        "JK-3.1",
    )


# M3: the registry is a registry officer's ---------------------------------------------------


@pytest.mark.parametrize("party", ["JPN", "KOR"])
def test_m3_contractor_staff_cannot_certify_article_16(world: World, party: str) -> None:
    node = world[party]
    p = party.lower()
    node.registry.add_facility(
        facility_id=f"{p}-contr", name="Plant", contractor="Works", by=registrar(party)
    )
    staff = enrol(
        node,
        f"{p}-ctr",
        role="contractor-staff",
        clearance=LEVEL[party],
        need=NEED,
        facilities=frozenset({f"{p}-contr"}),
    )
    rule = {"JPN": "JK-16.x", "KOR": "JK-16.x"}[party]
    for who in (staff, f"{p}-nocl", official(party)):
        _refused(
            lambda who=who: node.registry.record_condition(
                facility_id=f"{p}-contr", condition="a", evidence="self-attested", by=who
            ),
            rule,
        )
    assert node.registry.missing(f"{p}-contr") == list("abcdefghijklmno")


@pytest.mark.parametrize("act", ["add_facility", "add_person", "grant", "issue_token"])
def test_registry_acts_need_the_registry_authority(world: World, act: str) -> None:
    from gsomia.services.plumbing.auth import AuthService

    jpn = world["JPN"]
    calls = {
        "add_facility": lambda: jpn.registry.add_facility(
            facility_id="jpn-x", name="X", by=official("JPN")
        ),
        "add_person": lambda: jpn.registry.add_person(
            person_id="jpn-y", name="Y", role="official", by=official("JPN")
        ),
        "grant": lambda: jpn.registry.grant(
            person_id="jpn-plain", authority="consent", by=official("JPN")
        ),
        "issue_token": lambda: AuthService(jpn.ctx).issue(
            person_id="jpn-plain", by=official("JPN")
        ),
    }
    _refused(calls[act], "JK-6.e")


def test_nobody_grants_an_authority_to_themselves(world: World) -> None:
    jpn = world["JPN"]
    _refused(
        lambda: jpn.registry.grant(
            person_id=registrar("JPN"), authority="consent", by=registrar("JPN")
        ),
        "JK-6.e",
    )
    _refused(
        lambda: jpn.registry.grant(
            person_id="jpn-translator", authority="consent", by=registrar("JPN")
        ),
        "JK-6.e",
    )


def test_a_revoked_authority_decides_nothing_more(world: World, item: str) -> None:
    kor, jpn = world["KOR"], world["JPN"]
    asked = kor.consent.request(item_id=item, to_party="USA", by=official("KOR"), reason="x")
    world.drain()
    jpn.registry.revoke(person_id=officer("JPN"), authority="consent", by=registrar("JPN"))
    _refused(lambda: jpn.consent.grant(request_id=asked.id, by=officer("JPN")), "JK-5.1")


# D3: fail closed: an item on no register is open to nobody ---------------------------------


def test_d3_an_item_kept_nowhere_opens_for_nobody_until_placed(tmp_path: Path) -> None:
    w = build(tmp_path)
    kor = w["KOR"]
    kor.ctx.default_facility = None
    sent = w.provide("JPN", "KOR", agreement=GSOMIA)
    w.drain()
    item_id = sent.item_ids[0]
    for who in (officer("KOR"), official("KOR")):
        denied = _refused(
            lambda who=who: kor.custody.open(item_id=item_id, person_id=who), "JK-6.e"
        )
        assert "no register" in denied.reason
    _refused(
        lambda: kor.custody.place(item_id=item_id, facility_id="kor-hq", by=official("KOR")),
        "JK-6.f",
    )
    kor.custody.place(item_id=item_id, facility_id="kor-hq", by=officer("KOR"))
    assert kor.custody.open(item_id=item_id, person_id=official("KOR"))
    for node in w.nodes.values():
        node.ctx.store.close()


# D6: refusals cite the agreement's own ids --------------------------------------------------


@pytest.mark.parametrize(
    ("agreement", "provider"),
    [(GSOMIA, "JK-9.1"), ("jpn-usa-gsomia", "JU-CHANNEL"), ("tisa", "TI-5")],
)
def test_d6_a_provision_by_an_uncleared_official_cites_the_agreements_own_rule(
    world: World, agreement: str, provider: str
) -> None:
    recipient = "KOR" if agreement != "jpn-usa-gsomia" else "USA"
    _refused(
        lambda: world["JPN"].custody.provide(
            contents=[b"x"],
            provision=Provision(
                recipient=recipient,
                level=LEVEL["JPN"],
                topic=TOPIC,
                purpose="warning",
                agreement_id=agreement,
            ),
            by="jpn-nocl",
        ),
        provider,
    )
