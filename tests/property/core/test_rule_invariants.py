"""The rules' invariants, over random people, items, levels, agreements and dates."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.items import ConsentKind
from gsomia.core.lifecycle import status
from gsomia.core.people import Person
from gsomia.core.rules import AccessRequest, Act, ReleaseRequest, Rulebook, SendRequest
from tests.support.rules import (
    JK,
    JK_TERMINATED,
    agreements,
    consents,
    instants,
    items,
    levels,
    parties,
    persons,
    topics,
)

EXAMPLES = settings(max_examples=400, deadline=None)


@EXAMPLES
@given(person=persons(), item=items(), at=instants, cleared=st.booleans())
def test_no_one_opens_without_need_and_a_sufficient_clearance_of_the_holders_scheme(
    rulebook: Rulebook, person: Person, item: object, at: datetime, cleared: bool
) -> None:
    met = {f: dict.fromkeys("abcdefghijklmno", at.date()) for f in person.registered_at}
    d = rulebook.decide(
        Act.OPEN,
        AccessRequest(
            agreement=JK,
            person=person,
            item=item,  # type: ignore[arg-type]
            at=at,
            conditions=met if cleared else {},
        ),
    )
    if d.allowed:
        level = person.clearance_on(at.date())
        assert item.topic in person.need_to_know  # type: ignore[attr-defined]
        assert level is not None and level.party == item.holder == person.party  # type: ignore[attr-defined]
        assert level >= item.holder_level  # type: ignore[attr-defined]
        assert not item.destroyed  # type: ignore[attr-defined]
        # Fail closed (JK-6.e): an item on no register is open to nobody.
        assert item.facility is not None  # type: ignore[attr-defined]
        assert item.facility in person.registered_at  # type: ignore[attr-defined]
    else:
        assert d.rule_ids and d.reason


@EXAMPLES
@given(
    agreement=agreements,
    originator=parties,
    recipient=parties,
    level=levels,
    topic=topics,
    at=instants,
)
def test_nothing_above_the_covered_levels_crosses_and_nothing_new_under_a_dead_agreement(
    rulebook: Rulebook,
    agreement: object,
    originator: str,
    recipient: str,
    level: object,
    topic: str,
    at: datetime,
) -> None:
    request = SendRequest(
        agreement=agreement,
        originator=originator,
        recipient=recipient,
        level=level,
        topic=topic,
        at=at,
    )  # type: ignore[arg-type]
    d = rulebook.decide_send(request)
    if d.allowed:
        assert agreement.covers(level)  # type: ignore[attr-defined]
        assert level.party == originator  # type: ignore[attr-defined]
        assert status(agreement, at=at).in_force  # type: ignore[arg-type]
        assert agreement.in_scope(topic)  # type: ignore[attr-defined]
        assert {originator, recipient} <= set(agreement.party_codes)  # type: ignore[attr-defined]


@EXAMPLES
@given(data=st.data(), item=items(), to_party=parties, at=instants)
def test_nothing_reaches_a_third_party_without_the_originators_consent(
    rulebook: Rulebook, data: st.DataObject, item: object, to_party: str, at: datetime
) -> None:
    consent = data.draw(consents(item))  # type: ignore[arg-type]
    d = rulebook.decide_release(
        ReleaseRequest(agreement=JK, item=item, to_party=to_party, at=at, consent=consent)
    )  # type: ignore[arg-type]
    if d.allowed and to_party != item.originator:  # type: ignore[attr-defined]
        assert consent is not None
        assert consent.kind is ConsentKind.RELEASE and consent.granted and consent.written
        assert consent.originator == item.originator  # type: ignore[attr-defined]
        assert consent.item_id == item.id and consent.to_party == to_party  # type: ignore[attr-defined]
        assert consent.signature_verified and consent.decided_at <= at


@EXAMPLES
@given(
    person=persons(),
    item=items(),
    at=st.datetimes(
        min_value=datetime(2019, 11, 24), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_after_termination_what_was_provided_stays_protected(
    rulebook: Rulebook, person: Person, item: object, at: datetime
) -> None:
    s = status(JK_TERMINATED, at=at)
    assert not s.in_force and s.protection_continues
    after = rulebook.decide_open(
        AccessRequest(agreement=JK_TERMINATED, person=person, item=item, at=at)
    )  # type: ignore[arg-type]
    before = rulebook.decide_open(AccessRequest(agreement=JK, person=person, item=item, at=at))  # type: ignore[arg-type]
    # Termination changes nothing about who may open what was already provided.
    assert after.allowed == before.allowed and after.rule_ids == before.rule_ids
