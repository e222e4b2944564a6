"""Typed workflow records: every kind has a class, every transition table is closed, bodies
written before the records were typed still read, and an illegal transition is refused."""

from __future__ import annotations

import pytest

from gsomia.errors import InputError
from gsomia.records import RECORDS, ConsentRecord, IncidentRecord, VisitRecord

KINDS = {
    "amendment",
    "assurance",
    "authority",
    "consent",
    "contractor-condition",
    "copy",
    "destruction",
    "forward",
    "hand-over",
    "incident",
    "law-notice",
    "law-request",
    "note",
    "placement",
    "receipt",
    "reclassification",
    "release",
    "return",
    "token",
    "visit",
}


def test_every_workflow_record_kind_has_a_typed_class() -> None:
    assert set(RECORDS) == KINDS
    for kind, cls in RECORDS.items():
        assert kind == cls.KIND


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_transition_table_is_closed_and_starts_somewhere(kind: str) -> None:
    cls = RECORDS[kind]
    states = cls.states()
    assert cls.INITIAL and states >= cls.INITIAL
    for targets in cls.TRANSITIONS.values():
        assert targets <= states
    reachable = set(cls.INITIAL)
    frontier = list(cls.INITIAL)
    while frontier:
        for nxt in cls.TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == states, f"{kind}: unreachable {states - reachable}"


def test_a_consent_body_written_before_typing_still_reads() -> None:
    body = {
        "role": "requester",
        "request": "a" * 32,
        "item": "b" * 32,
        "kind": "release",
        "to_party": "USA",
        "purpose": None,
        "reason": "share",
        "originator": "JPN",
        "requester": "KOR",
        "by": "kim",
        "asked_at": "2019-10-02T09:00:00+00:00",
    }
    record = ConsentRecord.from_body(record_id="a" * 32, state="requested", body=body)
    assert record.to_party == "USA" and record.by == "kim"
    assert record.to_body() == {**body, "decided_at": None, "note": ""}


def test_an_answered_request_cannot_be_answered_again() -> None:
    body = {
        "role": "originator",
        "request": "a" * 32,
        "item": "b" * 32,
        "kind": "release",
        "to_party": "USA",
        "reason": "share",
        "originator": "JPN",
        "requester": "KOR",
        "asked_at": "2019-10-02T09:00:00+00:00",
    }
    asked = ConsentRecord.from_body(record_id="a" * 32, state="requested", body=body)
    granted = asked.advance("granted", by="sato")
    with pytest.raises(InputError):
        granted.advance("refused")
    with pytest.raises(InputError):
        IncidentRecord.from_body(
            record_id="c" * 32,
            state="closed",
            body={
                "role": "reporter",
                "kind": "loss",
                "possible": True,
                "items": ["b" * 32],
                "description": "x",
                "reported_at": "2019",
                "investigation_due": "2019",
                "result_due": "2019",
            },
        ).advance("investigating")


def test_a_body_missing_a_field_names_it() -> None:
    with pytest.raises(InputError) as err:
        VisitRecord.from_body(record_id="d" * 32, state="requested", body={"role": "host"})
    assert "visit" in str(err.value)


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(InputError):
        ConsentRecord(
            id="a" * 32,
            state="maybe",
            role="requester",
            request="a" * 32,
            item="b" * 32,
            kind="release",
            to_party="USA",
            reason="r",
            originator="JPN",
            requester="KOR",
            asked_at="2019",
        )
