"""Consent of the originator, release to a third party, and the TISA hub's forwarding
(JK-5.1, TI-2, TI-3, TI-4)."""

from __future__ import annotations

import pytest

from gsomia.crypto import Binding, Envelope, open_item
from gsomia.errors import InputError, IntegrityError, PolicyDenied, UnknownName
from gsomia.ports.store import ItemState, WorkflowRecord
from tests.support.workflows import World, counts, ledger_events, officer, official

CONTENT = b"launch point 39.0N 125.7E"


def ask_and_answer(world: World, holder: str, item: str, to: str, *, grant: bool) -> str:
    request = world[holder].consent.request(
        item_id=item, to_party=to, by=official(holder), reason="needed for a joint assessment"
    )
    world.drain()
    answer = world["JPN"].consent.grant if grant else world["JPN"].consent.refuse
    answer(request_id=request.id, by=officer("JPN"), note="for this purpose only")
    world.drain()
    return request.id


def test_no_release_to_a_third_party_without_consent(world: World, item: str) -> None:
    kor = world["KOR"]
    before = counts(kor)
    with pytest.raises(PolicyDenied) as denied:
        kor.release.release(item_id=item, to_party="USA", by=official("KOR"))
    assert denied.value.rule_ids == ("JK-5.1",)
    assert "no written consent" in denied.value.reason
    after = counts(kor)
    assert after["outbox"] == before["outbox"] and after["ledger"] == before["ledger"] + 1


def test_consent_granted_then_release_reaches_the_third_party(world: World, item: str) -> None:
    kor, usa, jpn = world["KOR"], world["USA"], world["JPN"]
    request_id = ask_and_answer(world, "KOR", item, "USA", grant=True)
    with kor.ctx.store.read() as uow:
        answer = uow.record("consent", request_id)
    assert answer.state == "granted" and answer.document
    kor.release.release(item_id=item, to_party="USA", by=official("KOR"))
    world.drain()
    assert usa.custody.open(item_id=item, person_id=official("USA")) == CONTENT
    with usa.ctx.store.read() as uow:
        held = uow.item(item)
    assert (held.originator, held.agreement_id, held.holder_level_ref) == (
        "JPN",
        "kor-usa-gsomia",
        "USA:SECRET",
    )
    assert "consent.given" in ledger_events(jpn) and "item.released" in ledger_events(kor)
    assert [r.record.state for r in jpn.consent.requests()] == ["granted"]


def test_a_refusal_keeps_the_item_from_the_third_party(world: World, item: str) -> None:
    ask_and_answer(world, "KOR", item, "USA", grant=False)
    with pytest.raises(PolicyDenied) as denied:
        world["KOR"].release.release(item_id=item, to_party="USA", by=official("KOR"))
    assert "refused consent" in denied.value.reason


def test_a_consent_for_another_party_does_not_count(world: World, item: str) -> None:
    ask_and_answer(world, "KOR", item, "USA", grant=True)
    with pytest.raises((PolicyDenied, InputError)):
        world["KOR"].release.release(item_id=item, to_party="CHN", by=official("KOR"))


def test_a_tampered_consent_in_the_store_is_not_relied_on(world: World, item: str) -> None:
    kor = world["KOR"]
    request_id = ask_and_answer(world, "KOR", item, "USA", grant=True)
    with kor.ctx.store.unit_of_work() as uow:
        stored = uow.record("consent", request_id)
        forged = bytearray(stored.document)
        forged[-70] ^= 1
        uow.put_record(
            WorkflowRecord(
                kind="consent",
                id=request_id,
                state="granted",
                body=stored.body,
                updated_at=stored.updated_at,
                version=stored.version + 1,
                item_id=item,
                document=bytes(forged),
            )
        )
    with pytest.raises(PolicyDenied):
        kor.release.release(item_id=item, to_party="USA", by=official("KOR"))


def test_decisions_are_the_originators_and_only_once(world: World, item: str) -> None:
    kor, jpn = world["KOR"], world["JPN"]
    request = kor.consent.request(item_id=item, to_party="USA", by=official("KOR"), reason="why")
    with pytest.raises(InputError):  # the requester cannot answer its own request
        kor.consent.grant(request_id=request.id, by=officer("KOR"))
    world.drain()
    with pytest.raises(PolicyDenied):  # a translator is not an official who may decide
        jpn.consent.grant(request_id=request.id, by="jpn-translator")
    jpn.consent.grant(request_id=request.id, by=officer("JPN"))
    with pytest.raises(InputError):
        jpn.consent.refuse(request_id=request.id, by=officer("JPN"))
    with pytest.raises(UnknownName):
        jpn.consent.grant(request_id="c" * 32, by=officer("JPN"))


def test_requests_are_validated_before_anything_is_stored(world: World, item: str) -> None:
    kor = world["KOR"]
    before = counts(kor)
    bad = [
        {"to_party": "JPN"},  # the originator itself
        {"to_party": "KOR"},
        {"to_party": "usa!"},
        {"reason": ""},
        {"kind": "everything"},
        {"item_id": "0" * 32},
    ]
    for change in bad:
        args = {
            "item_id": item,
            "to_party": "USA",
            "by": official("KOR"),
            "reason": "why",
            **change,
        }
        with pytest.raises(InputError):
            kor.consent.request(**args)
    assert counts(kor) == before


# The TISA hub ------------------------------------------------------------------------------


@pytest.fixture
def relayed(world: World) -> str:
    """An item JPN provided to KOR under TISA, now relaying at the USA hub."""
    result = world.provide(agreement="tisa")
    assert result.route == ("JPN", "USA", "KOR")
    world.drain()
    return result.item_ids[0]


def test_the_hub_forwards_only_after_the_originator_consents(world: World, relayed: str) -> None:
    usa, kor, jpn = world["USA"], world["KOR"], world["JPN"]
    with usa.ctx.store.read() as uow:
        assert uow.item(relayed).state is ItemState.RELAYING
    before = counts(usa)
    with pytest.raises(PolicyDenied) as denied:
        usa.release.forward(item_id=relayed, by=officer("USA"))
    assert denied.value.rule_ids == ("TI-3",)
    assert counts(usa)["outbox"] == before["outbox"]
    with pytest.raises(UnknownName):
        kor.custody.open(item_id=relayed, person_id=official("KOR"))
    request = usa.consent.request(item_id=relayed, to_party="KOR", by=officer("USA"), reason="TISA")
    world.drain()
    jpn.consent.grant(request_id=request.id, by=officer("JPN"))
    world.drain()
    usa.release.forward(item_id=relayed, by=officer("USA"))
    world.drain()
    assert kor.custody.open(item_id=relayed, person_id=official("KOR")) == CONTENT
    assert usa.custody.open(item_id=relayed, person_id=official("USA")) == CONTENT  # TI-4
    assert "item.forwarded" in ledger_events(usa)
    with pytest.raises(InputError):  # forwarded once
        usa.release.forward(item_id=relayed, by=officer("USA"))


def test_the_hub_forwards_many_items_in_one_transfer_all_or_none(world: World) -> None:
    usa, kor, jpn = world["USA"], world["KOR"], world["JPN"]
    contents = tuple(f"track {i}".encode() for i in range(5))
    ids = list(world.provide(agreement="tisa", contents=contents).item_ids)
    world.drain()
    for item_id in ids[:4]:  # the originator consents to four of the five
        request = usa.consent.request(
            item_id=item_id, to_party="KOR", by=officer("USA"), reason="TISA"
        )
        world.drain()
        jpn.consent.grant(request_id=request.id, by=officer("JPN"))
        world.drain()
    before = counts(usa)
    with pytest.raises(PolicyDenied) as denied:
        usa.release.forward_many(item_ids=ids, by=officer("USA"))
    assert denied.value.rule_ids == ("TI-3",) and "1 of 5 items refused" in denied.value.reason
    after = counts(usa)
    assert after["outbox"] == before["outbox"], "nothing is forwarded if one item may not be"
    assert after["ledger"] == before["ledger"] + 1, "the refusal is recorded"
    with usa.ctx.store.read() as uow:
        assert {uow.item(i).state for i in ids} == {ItemState.RELAYING}

    transfers = usa.release.forward_many(item_ids=ids[:4], by=officer("USA"))
    assert len(transfers) == 1, "one transfer carries every item for one recipient"
    world.drain()
    opened = [kor.custody.open(item_id=i, person_id=official("KOR")) for i in ids[:4]]
    assert opened == list(contents[:4])
    assert ledger_events(usa).count("item.forwarded") == 4
    for bad in ([], [ids[0], ids[0]], ids[:1]):  # empty, repeated, already forwarded
        with pytest.raises(InputError):
            usa.release.forward_many(item_ids=bad, by=officer("USA"))


def test_the_hub_keeps_its_own_key_apart_and_destruction_shreds_it(
    world: World, relayed: str
) -> None:
    usa = world["USA"]
    with usa.ctx.store.read() as uow:
        record = uow.item(relayed)
        uow.keys.get(relayed)
    envelope = Envelope.from_bytes(record.ciphertext)
    assert "USA" not in envelope.holders and set(envelope.holders) == {"JPN", "KOR"}
    usa.handling.destroy(item_id=relayed, by=officer("USA"))
    with usa.ctx.store.read() as uow:
        assert uow.item(relayed).ciphertext == b""
        with pytest.raises(UnknownName):
            uow.keys.get(relayed)
    # Even the envelope as it was kept before destruction does not open with the hub's keyring.
    with pytest.raises(IntegrityError):
        open_item(
            keyring=usa.ctx.keyring, envelope=envelope, binding=Binding.from_bytes(record.binding)
        )


def test_a_refused_hub_item_can_go_back_to_the_originator(world: World, relayed: str) -> None:
    usa = world["USA"]
    request = usa.consent.request(item_id=relayed, to_party="KOR", by=officer("USA"), reason="TISA")
    world.drain()
    world["JPN"].consent.refuse(request_id=request.id, by=officer("JPN"))
    world.drain()
    with pytest.raises(PolicyDenied):
        usa.release.forward(item_id=relayed, by=officer("USA"))
    usa.handling.return_item(item_id=relayed, by=officer("USA"))
    world.drain()
    with world["JPN"].ctx.store.read() as uow:
        assert uow.record("return", relayed).body["from"] == "USA"


def test_outside_tisas_scope_nothing_enters_the_channel(world: World) -> None:
    jpn = world["JPN"]
    before = counts(jpn)
    with pytest.raises(PolicyDenied) as denied:
        world.provide(agreement="tisa", topic="cyber")
    assert "TI-1" in denied.value.rule_ids
    assert counts(jpn)["items"] == before["items"]
