"""The agreement's lifecycle by signed diplomatic note, on both nodes (JK-21)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsomia.core.lifecycle import Phase, status
from gsomia.errors import InputError, PolicyDenied
from gsomia.formats.messages import Kind, Message, b64, encode
from gsomia.services.acts.notes import NOTE_FORMAT
from tests.support.workflows import World, build, counts, ledger_events, officer, official

GSOMIA = "jpn-kor-gsomia"


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[World]:
    """JPN and KOR nodes started from the agreements as signed, on 23 August 2019."""
    w = build(
        tmp_path, start=datetime(2019, 8, 23, 6, tzinfo=UTC), as_signed=True, parties=("JPN", "KOR")
    )
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


def phase(world: World, party: str) -> Phase:
    return status(world[party].ctx.agreement(GSOMIA), at=world.clock.now()).phase


def test_notice_suspension_and_withdrawal_change_the_status_on_both_nodes(signed: World) -> None:
    kor = signed["KOR"]
    assert {phase(signed, p) for p in ("JPN", "KOR")} == {Phase.IN_FORCE}
    notice = kor.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("KOR"), text="terminate")
    assert notice.body["terminates_at"] == "2019-11-23T00:00:00+09:00"
    signed.drain()
    assert {phase(signed, p) for p in ("JPN", "KOR")} == {Phase.NOTICE_PENDING}
    signed.clock.set(datetime(2019, 11, 22, 9, tzinfo=UTC))
    suspension = kor.notes.give(
        agreement_id=GSOMIA, kind="suspension", by=officer("KOR"), text="suspended", of=(notice.id,)
    )
    signed.drain()
    signed.clock.set(datetime(2019, 12, 1, tzinfo=UTC))
    assert {phase(signed, p) for p in ("JPN", "KOR")} == {Phase.NOTICE_SUSPENDED}
    signed.clock.set(datetime(2023, 3, 21, 3, tzinfo=UTC))
    kor.notes.give(
        agreement_id=GSOMIA,
        kind="withdrawal",
        by=officer("KOR"),
        text="withdrawn",
        of=(notice.id, suspension.id),
    )
    signed.drain()
    assert {phase(signed, p) for p in ("JPN", "KOR")} == {Phase.IN_FORCE}
    with signed["JPN"].ctx.store.read() as uow:
        received = uow.records("note")
    assert {r.state for r in received} == {"received"} and all(r.document for r in received)
    notes = [e for e in ledger_events(signed["JPN"]) if e.startswith("notice.")]
    assert notes == ["notice.given", "notice.suspended", "notice.withdrawn"]


def test_after_termination_nothing_new_is_provided_but_what_is_held_stays_open(
    signed: World,
) -> None:
    jpn, kor = signed["JPN"], signed["KOR"]
    held = signed.provide(agreement=GSOMIA).item_ids[0]
    signed.drain()
    notice = jpn.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("JPN"), text="end")
    signed.drain()
    signed.clock.set(datetime.fromisoformat(notice.body["terminates_at"]) + timedelta(hours=1))
    assert {phase(signed, p) for p in ("JPN", "KOR")} == {Phase.TERMINATED}
    before = counts(jpn)
    with pytest.raises(PolicyDenied) as denied:
        signed.provide(agreement=GSOMIA)
    assert denied.value.rule_ids == ("JK-21.1",)
    assert counts(jpn)["items"] == before["items"]
    assert kor.custody.open(item_id=held, person_id=official("KOR"))  # JK-21.2
    copy = kor.handling.copy(item_id=held, by=official("KOR"))
    assert kor.handling.destroy(item_id=copy.id, by=officer("KOR")) == [copy.id]
    with pytest.raises(PolicyDenied) as again:  # notes change nothing any more
        jpn.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("JPN"), text="again")
    assert again.value.rule_ids == ("JK-21.1",)


def test_notes_that_do_not_fit_the_agreements_state_are_refused(signed: World) -> None:
    kor, jpn = signed["KOR"], signed["JPN"]
    before = counts(kor)
    with pytest.raises(PolicyDenied):  # nothing to suspend
        kor.notes.give(agreement_id=GSOMIA, kind="suspension", by=officer("KOR"), text="x")
    with pytest.raises(PolicyDenied):  # no such note
        kor.notes.give(
            agreement_id=GSOMIA, kind="withdrawal", by=officer("KOR"), text="x", of=("nope",)
        )
    with pytest.raises(InputError):
        kor.notes.give(agreement_id=GSOMIA, kind="termination", by=officer("KOR"), text="x")
    with pytest.raises(InputError):
        kor.notes.give(agreement_id="jpn-usa-gsomia", kind="notice", by=officer("KOR"), text="x")
    with pytest.raises(PolicyDenied):
        kor.notes.give(agreement_id=GSOMIA, kind="notice", by="kor-translator", text="x")
    after = counts(kor)
    assert after["ledger"] == before["ledger"] + 3  # the three refusals, nothing else
    assert {k: v for k, v in after.items() if k != "ledger"} == {
        k: v for k, v in before.items() if k != "ledger"
    }
    notice = kor.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("KOR"), text="x")
    signed.drain()
    with pytest.raises(PolicyDenied):  # only the party that gave a notice withdraws it
        jpn.notes.give(
            agreement_id=GSOMIA, kind="withdrawal", by=officer("JPN"), text="x", of=(notice.id,)
        )
    with pytest.raises(PolicyDenied):  # one notice at a time
        jpn.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("JPN"), text="x")


def test_an_amendment_takes_effect_only_once_accepted(signed: World) -> None:
    jpn, kor = signed["JPN"], signed["KOR"]
    proposal = jpn.notes.propose_amendment(agreement_id=GSOMIA, by=officer("JPN"), text="annex B")
    signed.drain()
    assert [e.kind for e in jpn.ctx.agreement(GSOMIA).events] == []
    assert [r.state for r in kor.notes.amendments()] == ["proposed"]
    kor.notes.accept_amendment(proposal_id=proposal.id, by=officer("KOR"))
    signed.drain()
    for node in (jpn, kor):
        assert [str(e.kind) for e in node.ctx.agreement(GSOMIA).events] == ["amendment"]
        assert [r.state for r in node.notes.amendments()] == ["agreed"]
    with pytest.raises(InputError):
        kor.notes.accept_amendment(proposal_id=proposal.id, by=officer("KOR"))
    with pytest.raises(InputError):
        jpn.notes.give(agreement_id=GSOMIA, kind="amendment", by=officer("JPN"), text="x")


def test_a_forged_or_foreign_note_stores_nothing(signed: World) -> None:
    jpn, kor = signed["JPN"], signed["KOR"]
    now = signed.clock.now()
    body = {
        "format": NOTE_FORMAT,
        "agreement": GSOMIA,
        "event_id": "f" * 32,
        "kind": "notice",
        "by": "JPN",
        "at": now.isoformat(),
        "of": [],
        "terminates_at": None,
        "text": "x",
    }
    # KOR signs a note that claims to be JPN's.
    forged = kor.notes.sign(GSOMIA, body)
    message = Message(
        id="a" * 32,
        kind=Kind.NOTE,
        sender="KOR",
        recipient="JPN",
        agreement_id=GSOMIA,
        sent_at=now,
        body={"phase": "note", "document": b64(forged)},
    )
    before = counts(jpn)
    with pytest.raises(InputError):
        jpn.inbox(encode(kor.ctx.keyring, message), peer="KOR")
    bad = Message(
        id="b" * 32,
        kind=Kind.NOTE,
        sender="KOR",
        recipient="JPN",
        agreement_id=GSOMIA,
        sent_at=now,
        body={"phase": "note", "document": b64(b"GSD\x01garbage")},
    )
    with pytest.raises(Exception) as raised:
        jpn.inbox(encode(kor.ctx.keyring, bad), peer="KOR")
    assert type(raised.value).__name__ in ("IntegrityError", "InputError")
    assert counts(jpn) == before
    assert phase(signed, "JPN") is Phase.IN_FORCE
