"""Copies, translations, lapse, return, destruction and hand-over of held items
(JK-6.f, JK-6.h, JK-13, JK-14, JK-15.1, JK-16.x)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gsomia.core.labels import Label
from gsomia.crypto import Envelope, open_stored
from gsomia.crypto._envelope import unwrap_data_key
from gsomia.errors import InputError, IntegrityError, PolicyDenied, UnknownName
from gsomia.ports.store import ItemState
from tests.support.workflows import World, counts, ledger_events, officer, official, registrar

ARTICLE_16 = "abcdefghijklmno"

CONTENT = b"launch point 39.0N 125.7E"


def test_copies_are_numbered_carry_the_markings_and_open_like_the_original(
    world: World, item: str
) -> None:
    kor = world["KOR"]
    first = kor.handling.copy(item_id=item, by=official("KOR"))
    second = kor.handling.copy(item_id=first.id, by=official("KOR"), facility="kor-annex")
    assert (first.copy_number, second.copy_number) == (1, 2)
    assert first.parent_id == second.parent_id == item
    assert second.facility_id == "kor-annex"
    with kor.ctx.store.read() as uow:
        original = Label.from_bytes(uow.labels(item)[-1].label)
        copied = Label.from_bytes(uow.labels(first.id)[0].label)
    for field in ("originator", "level", "equivalents", "topic", "purpose", "agreement_id"):
        assert getattr(copied, field) == getattr(original, field)
    assert copied.item_id == first.id != item and copied.marked_by == "KOR"
    assert kor.custody.open(item_id=first.id, person_id=official("KOR")) == CONTENT
    with pytest.raises(PolicyDenied) as denied:  # the annex's register does not list them
        kor.custody.open(item_id=second.id, person_id=official("KOR"))
    assert denied.value.rule_ids == ("JK-6.e",)
    register = kor.handling.register(item, viewer=officer("KOR"))
    assert [(r["number"], r["kind"], r["by"]) for r in register] == [
        (1, "copy", official("KOR")),
        (2, "copy", official("KOR")),
    ]
    assert ledger_events(kor).count("item.copied") == 2


def test_a_person_without_need_or_clearance_cannot_copy_and_the_refusal_is_recorded(
    world: World, item: str
) -> None:
    kor = world["KOR"]
    before = counts(kor)
    for person, rule in (("kor-noneed", "JK-7.2"), ("kor-low", "JK-7.2")):
        with pytest.raises(PolicyDenied) as denied:
            kor.handling.copy(item_id=item, by=person)
        assert rule in denied.value.rule_ids
    after = counts(kor)
    assert {k: after[k] - before[k] for k in after} == {
        **dict.fromkeys(before, 0),
        "ledger": 2,
    }
    assert ledger_events(kor)[-2:] == ["item.refused", "item.refused"]


def test_translations_need_a_cleared_translator(world: World, item: str) -> None:
    kor = world["KOR"]
    text_ko = "발사 지점 북위 39.0도".encode()
    made = kor.handling.translate(
        item_id=item,
        by=official("KOR"),
        translator="kor-translator",
        language="ko",
        content=text_ko,
    )
    assert made.kind == "translation" and made.copy_number == 1
    assert kor.custody.open(item_id=made.id, person_id=official("KOR")) == text_ko
    before = counts(kor)
    with pytest.raises(PolicyDenied) as denied:
        kor.handling.translate(
            item_id=item,
            by=official("KOR"),
            translator="kor-uncleared-translator",
            language="ko",
            content=text_ko,
        )
    assert denied.value.rule_ids[0] == "JK-15.1"
    assert counts(kor)["items"] == before["items"]
    assert kor.handling.register(item, viewer=officer("KOR"))[0]["translator"] == "kor-translator"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"item_id": "0" * 32}, UnknownName),
        ({"item_id": "not-an-id"}, InputError),
        ({"facility": "nowhere"}, UnknownName),
        ({"by": "nobody"}, UnknownName),
    ],
)
def test_copy_with_unknown_names_stores_nothing(
    world: World, item: str, kwargs: dict[str, str], error: type[Exception]
) -> None:
    kor = world["KOR"]
    before = counts(kor)
    with pytest.raises(error):
        kor.handling.copy(**{"item_id": item, "by": official("KOR"), **kwargs})
    assert counts(kor) == before


def test_oversized_or_empty_translations_are_refused(world: World, item: str) -> None:
    kor = world["KOR"]
    before = counts(kor)
    for content in (b"", b"x" * (4 * 1024 * 1024 + 1)):
        with pytest.raises(InputError):
            kor.handling.translate(
                item_id=item,
                by=official("KOR"),
                translator="kor-translator",
                language="ko",
                content=content,
            )
    with pytest.raises(InputError):
        kor.handling.translate(
            item_id=item,
            by=official("KOR"),
            translator="kor-translator",
            language="ko; drop",
            content=b"x",
        )
    assert counts(kor) == before


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)  # looks at the database
def test_destruction_shreds_the_item_and_its_copies_for_good(world: World, item: str) -> None:
    kor = world["KOR"]
    copy = kor.handling.copy(item_id=item, by=official("KOR"))
    destroyed = kor.handling.destroy(item_id=item, by=officer("KOR"))
    assert set(destroyed) == {item, copy.id}
    for target in destroyed:
        with pytest.raises(PolicyDenied):
            kor.custody.open(item_id=target, person_id=official("KOR"))
    # Full access to the database and the keyring still opens nothing: the at-rest form
    # carries no wrapped key, and the item-key records are tombstones.
    keyring = kor.ctx.keyring
    engine = kor.ctx.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, ciphertext FROM items")).all()
        keys = dict(conn.execute(text("SELECT item_id, record FROM item_keys")).all())
    assert keys[item] is None and keys[copy.id] is None
    for _, blob in rows:
        envelope = Envelope.from_bytes(bytes(blob))
        assert envelope.wrapped_keys == ()
        with pytest.raises(IntegrityError):
            unwrap_data_key(keyring, envelope)
    with kor.ctx.store.read() as uow:
        assert uow.item(item).state is ItemState.DESTROYED
        with pytest.raises(UnknownName):
            uow.keys.get(item)
        record = uow.record("destruction", item)
    assert record.body["by"] == officer("KOR") and record.body["method"] == "crypto-shredding"
    assert ledger_events(kor).count("item.destroyed") == 2


def test_lapse_makes_the_item_due_then_return_tells_the_originator(world: World, item: str) -> None:
    kor, jpn = world["KOR"], world["JPN"]
    assert kor.handling.due() == []
    decision = kor.handling.lapse(item_id=item, by=official("KOR"))
    assert not decision.allowed and decision.rule_ids == ("JK-6.h",)
    assert [r.id for r, _ in kor.handling.due()] == [item]
    kor.handling.copy(item_id=item, by=official("KOR"))
    returned = kor.handling.return_item(item_id=item, by=official("KOR"))
    assert returned.state is ItemState.RETURNED
    world.drain()
    with jpn.ctx.store.read() as uow:
        note = uow.record("return", item)
    assert note.state == "returned-to-us" and note.body["from"] == "KOR"
    assert "item.returned" in ledger_events(jpn)
    with kor.ctx.store.read() as uow:
        assert uow.item(item).ciphertext == b""
        assert all(c.state is ItemState.DESTROYED for c in uow.copies(item))
    assert kor.handling.due() == []


def test_a_review_date_in_the_past_makes_an_item_due(world: World, item: str) -> None:
    world.later(days=365 * 6)
    due = world["KOR"].handling.due()
    assert [r.id for r, _ in due] == [item]
    assert "lapsed" in due[0][1].reason


def test_only_the_holder_returns_and_copies_are_destroyed_not_returned(
    world: World, item: str
) -> None:
    kor = world["KOR"]
    copy = kor.handling.copy(item_id=item, by=official("KOR"))
    with pytest.raises(InputError):
        kor.handling.return_item(item_id=copy.id, by=official("KOR"))
    with pytest.raises(InputError):
        world["JPN"].handling.return_item(item_id=item, by=officer("JPN"))


def test_hand_over_waits_for_every_article_16_condition(world: World, item: str) -> None:
    kor = world["KOR"]
    kor.registry.add_facility(
        facility_id="hanwha-1", name="Plant", contractor="Hanwha", by=registrar("KOR")
    )
    kor.registry.add_person(
        by=registrar("KOR"),
        person_id="park",
        name="Park",
        role="contractor-staff",
        clearance="군사II급비밀",
        need_to_know=frozenset({"nk-missile"}),
        facilities=frozenset({"hanwha-1"}),
    )
    for condition in list(ARTICLE_16)[:-1]:
        kor.registry.record_condition(
            facility_id="hanwha-1", condition=condition, evidence="inspected", by=registrar("KOR")
        )
    before = counts(kor)
    with pytest.raises(PolicyDenied) as denied:
        kor.contractors.hand_over(item_id=item, facility_id="hanwha-1", by=officer("KOR"))
    assert denied.value.rule_ids == ("JK-16.x",) and "(o)" in denied.value.reason
    assert counts(kor)["records"] == before["records"]
    with pytest.raises(PolicyDenied) as annex:
        kor.contractors.hand_over(item_id=item, facility_id="kor-annex", by=officer("KOR"))
    assert "not a contractor facility" in annex.value.reason
    # The official holds no custody authority: a hand-over is not theirs to make (JK-16.x).
    with pytest.raises(PolicyDenied) as official_denied:
        kor.contractors.hand_over(item_id=item, facility_id="hanwha-1", by=official("KOR"))
    assert "custody" in official_denied.value.reason
    kor.registry.record_condition(
        facility_id="hanwha-1", condition="o", evidence="translators cleared", by=registrar("KOR")
    )
    moved = kor.contractors.hand_over(item_id=item, facility_id="hanwha-1", by=officer("KOR"))
    assert moved.facility_id == "hanwha-1"
    assert kor.custody.open(item_id=item, person_id="park") == CONTENT
    with pytest.raises(PolicyDenied):
        kor.custody.open(item_id=item, person_id=official("KOR"))  # not on the plant's register
    assert "item.handed-over" in ledger_events(kor)


def test_the_originator_cannot_handle_its_own_sent_record_as_held(world: World, item: str) -> None:
    jpn = world["JPN"]
    with pytest.raises(InputError):
        jpn.handling.copy(item_id=item, by=officer("JPN"))
    with pytest.raises(InputError):
        jpn.handling.destroy(item_id=item, by=officer("JPN"))


def test_an_item_key_from_another_item_does_not_open_a_destroyed_one(
    world: World, item: str
) -> None:
    kor = world["KOR"]
    other = world.provide(agreement="jpn-kor-gsomia").item_ids[0]
    world.drain()
    kor.handling.destroy(item_id=item, by=officer("KOR"))
    with kor.ctx.store.read() as uow:
        envelope = Envelope.from_bytes(uow.item(item).ciphertext)
        other_key = uow.keys.get(other)
    with pytest.raises(IntegrityError):
        open_stored(keyring=kor.ctx.keyring, envelope=envelope, item_key=other_key)
