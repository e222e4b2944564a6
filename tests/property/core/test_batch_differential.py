"""The batch path gives the same answers, citing the same rules, as the one-at-a-time path."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.rules import AccessRequest, Rulebook, SendRequest
from gsomia.core.rules.batch import (
    AccessBatch,
    SendBatch,
    SendTables,
    decide_open_batch,
    decide_send_batch,
)
from tests.support.rules import AGREEMENTS, TOPICS, agreements, instants, items, levels, persons

SEND_PARTIES = st.sampled_from(["JPN", "KOR", "USA"])


def _all_met(person: object, at: object) -> dict[str, dict[str, object]]:
    """Every Art. 16 condition met, today, at each of the person's facilities."""
    day = at.date()  # type: ignore[attr-defined]
    letters = "abcdefghijklmno"
    return {f: dict.fromkeys(letters, day) for f in person.registered_at}  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(agreements, persons(), items(), instants, st.booleans()), min_size=1, max_size=60
    )
)
def test_open_batch_equals_one_at_a_time(
    rulebook: Rulebook, rows: list[tuple[object, ...]]
) -> None:
    requests = [
        AccessRequest(
            agreement=a,  # type: ignore[arg-type]
            person=p,  # type: ignore[arg-type]
            item=i,  # type: ignore[arg-type]
            at=t,  # type: ignore[arg-type]
            conditions=_all_met(p, t) if c else {},  # type: ignore[arg-type]
        )
        for a, p, i, t, c in rows
    ]
    batch = decide_open_batch(AccessBatch.from_requests(requests))
    for k, r in enumerate(requests):
        one = rulebook.decide_open(r)
        assert bool(batch.allowed[k]) == one.allowed
        if not one.allowed:
            assert batch.failed_rule_ids(k) == one.rule_ids


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            agreements,
            SEND_PARTIES,
            SEND_PARTIES,
            levels,
            st.sampled_from(TOPICS),
            instants,
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_send_batch_equals_one_at_a_time(
    rulebook: Rulebook, rows: list[tuple[object, ...]]
) -> None:
    # The terminated branch shares its id with the real agreement, so batch one set at a time.
    for real in (True, False):
        chosen = [r for r in rows if (r[0] in AGREEMENTS[:-1]) == real]
        if not chosen:
            continue
        known = {a.id: a for a in AGREEMENTS[:-1]}
        known.update({r[0].id: r[0] for r in chosen})  # type: ignore[attr-defined]
        tables = SendTables.compile(known, topics=TOPICS)
        requests = [
            SendRequest(
                agreement=a,
                originator=o,
                recipient=rc,
                level=lv,
                topic=tp,
                at=t,  # type: ignore[arg-type]
                path=(o, rc) if direct else None,  # type: ignore[arg-type]
                others=known,
            )
            for a, o, rc, lv, tp, t, direct in chosen
        ]
        batch = decide_send_batch(tables, SendBatch.from_requests(tables, requests))
        for k, r in enumerate(requests):
            one = rulebook.decide_send(r)
            assert bool(batch.allowed[k]) == one.allowed, (r, one)
            if not one.allowed:
                assert batch.failed_rule_ids(k) == one.rule_ids, (r, one)


def test_batch_decides_the_2019_timeline(rulebook: Rulebook) -> None:
    known = {a.id: a for a in AGREEMENTS[:-1]}
    tables = SendTables.compile(known, topics=TOPICS)
    jk = known["jpn-kor-gsomia"]
    level = jk.schemes.parse("極秘")
    days = [
        datetime(2016, 11, 1, tzinfo=UTC),
        datetime(2019, 10, 2, tzinfo=UTC),
        datetime(2019, 11, 23, tzinfo=UTC),
    ]
    requests = [
        SendRequest(
            agreement=jk, originator="JPN", recipient="KOR", level=level, topic="nk-missile", at=d
        )
        for d in days
    ]
    batch = decide_send_batch(tables, SendBatch.from_requests(tables, requests))
    assert batch.allowed.tolist() == [False, True, True]
    assert batch.failed_rule_ids(0) == ("JK-21.1",)
