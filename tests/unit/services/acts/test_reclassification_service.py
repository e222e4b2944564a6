"""Reclassification by the originator's written notice, and re-marking by holders (JK-6.g)."""

from __future__ import annotations

import pytest

from gsomia.core.labels import Label
from gsomia.errors import InputError, PolicyDenied
from gsomia.formats.messages import Kind, Message, b64
from gsomia.services.acts.reclassification import NOTICE_FORMAT
from tests.support.workflows import World, counts, ledger_events, officer, official


def labels(world: World, party: str, item: str) -> list[Label]:
    with world[party].ctx.store.read() as uow:
        return [Label.from_bytes(v.label) for v in uow.labels(item)]


def test_a_downgrade_is_remarked_by_the_holder_and_its_copies(world: World, item: str) -> None:
    kor, jpn = world["KOR"], world["JPN"]
    copy = kor.handling.copy(item_id=item, by=official("KOR"))
    with pytest.raises(PolicyDenied):
        kor.custody.open(item_id=item, person_id="kor-low")
    notice = jpn.reclassification.reclassify(
        item_id=item, level="秘", by=officer("JPN"), text="downgraded after review"
    )
    world.drain()
    for target in (item, copy.id):
        assert kor.custody.open(item_id=target, person_id="kor-low")
        with kor.ctx.store.read() as uow:
            record = uow.item(target)
        assert (record.level_ref, record.holder_level_ref) == ("JPN:HI", "KOR:GUNSA_III")
    history = labels(world, "KOR", item)
    assert [lb.revision for lb in history] == [1, 2, 3]
    assert history[-1].supersedes == history[-2].digest() and history[-1].level == "JPN:HI"
    assert history[-1].equivalent_for("KOR") == "KOR:GUNSA_III"
    with jpn.ctx.store.read() as uow:
        sent = uow.record("reclassification", notice)
        assert uow.item(item).level_ref == "JPN:HI"
    assert sent.state == "acknowledged" and sent.body["replies"]["KOR"]["applied"] is True
    assert sent.document  # the notice in writing, signed by JPN
    assert ledger_events(kor).count("item.reclassified") == 2


def test_a_level_the_agreement_does_not_cover_is_refused_at_the_originator(
    world: World, item: str
) -> None:
    jpn = world["JPN"]
    before = counts(jpn)
    with pytest.raises(PolicyDenied) as denied:
        jpn.reclassification.reclassify(item_id=item, level="機密", by=officer("JPN"))
    assert denied.value.rule_ids == ("JK-6.g",)
    after = counts(jpn)
    assert after["outbox"] == before["outbox"] and after["labels"] == before["labels"]


def test_only_the_originator_reclassifies(world: World, item: str) -> None:
    with pytest.raises(InputError):
        world["KOR"].reclassification.reclassify(
            item_id=item, level="군사III급비밀", by=officer("KOR")
        )
    with pytest.raises(InputError):
        world["JPN"].reclassification.reclassify(item_id=item, level="極秘", by=officer("JPN"))


def test_a_notice_signed_by_someone_else_than_the_originator_stores_nothing(
    world: World, item: str
) -> None:
    usa, kor = world["USA"], world["KOR"]
    # USA signs a notice about JPN's item and sends it under an agreement it shares with KOR.
    forged = usa.reclassification.sign(
        "kor-usa-gsomia",
        {
            "format": NOTICE_FORMAT,
            "notice": "a" * 32,
            "item": item,
            "agreement": "jpn-kor-gsomia",
            "level": "JPN:HI",
            "originator": "JPN",
        },
    )
    message = Message(
        id="b" * 32,
        kind=Kind.RECLASSIFICATION,
        sender="USA",
        recipient="KOR",
        agreement_id="kor-usa-gsomia",
        sent_at=world.clock.now(),
        body={"notice": "a" * 32, "document": b64(forged)},
    )
    from gsomia.formats.messages import encode

    before = counts(kor)
    with pytest.raises(InputError):
        kor.inbox(encode(usa.ctx.keyring, message), peer="USA")
    assert counts(kor) == before
