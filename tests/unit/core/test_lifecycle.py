"""The Japan–ROK GSOMIA's timeline, computed from its term and events (JK-21.1, JK-21.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gsomia.core.agreements import Agreement
from gsomia.core.lifecycle import Phase, status
from gsomia.errors import InputError
from tests.support.core import on


def test_before_entry_into_force(jk: Agreement) -> None:
    s = status(jk, at=on(jk, "2016-11-22"))
    assert s.phase is Phase.NOT_IN_FORCE
    assert not s.in_force
    assert not s.protection_continues


def test_in_force_from_signature(jk: Agreement) -> None:
    s = status(jk, at=datetime(2016, 11, 23, 0, 0, 1, tzinfo=jk.tz))
    assert s.phase is Phase.IN_FORCE
    assert s.term_end == datetime(2017, 11, 23, tzinfo=jk.tz)


def test_boundaries_are_in_utc_plus_9(jk: Agreement) -> None:
    # 22 Nov 2016 15:00 UTC is 00:00 on 23 Nov in Seoul and Tokyo.
    assert status(jk, at=datetime(2016, 11, 22, 14, 59, 59, tzinfo=UTC)).phase is Phase.NOT_IN_FORCE
    assert status(jk, at=datetime(2016, 11, 22, 15, 0, 0, tzinfo=UTC)).phase is Phase.IN_FORCE


def test_2019_09_01_notice_pending_ending_at_the_recorded_boundary(jk: Agreement) -> None:
    s = status(jk, at=on(jk, "2019-09-01"))
    assert s.phase is Phase.NOTICE_PENDING
    assert s.in_force
    assert s.notice is not None
    assert s.notice.terminates_at.at == datetime(2019, 11, 23, tzinfo=jk.tz)
    assert "terminates at 2019-11-23T00:00:00+09:00" in s.summary


def test_2019_11_23_in_force_with_the_notice_suspended(jk: Agreement) -> None:
    s = status(jk, at=on(jk, "2019-11-23"))
    assert s.phase is Phase.NOTICE_SUSPENDED
    assert s.in_force
    assert s.notice is not None and s.notice.suspended_by is not None
    assert s.notice.suspended_by.id == "rok-suspension-2019"
    assert s.renewals == 3


def test_after_2023_03_21_the_notice_is_withdrawn(jk: Agreement) -> None:
    assert status(jk, at=on(jk, "2023-03-20")).phase is Phase.NOTICE_SUSPENDED
    s = status(jk, at=on(jk, "2023-03-22"))
    assert s.phase is Phase.IN_FORCE
    assert s.notice is None


@pytest.mark.parametrize("year", range(2017, 2027))
def test_it_renews_on_each_23_november_with_no_notice(jk: Agreement, year: int) -> None:
    before = status(jk, at=datetime(year, 11, 22, 23, 59, 59, tzinfo=jk.tz))
    after = status(jk, at=datetime(year, 11, 23, 0, 0, 0, tzinfo=jk.tz))
    assert after.renewals == before.renewals + 1 == year - 2016
    assert after.term_start == datetime(year, 11, 23, tzinfo=jk.tz)
    assert after.in_force and before.in_force


def test_without_the_suspension_it_terminates_and_protection_continues(jk: Agreement) -> None:
    branch = replace(jk, events=tuple(e for e in jk.events if e.kind == "notice"))
    assert status(branch, at=datetime(2019, 11, 22, 23, 59, 59, tzinfo=jk.tz)).in_force
    s = status(branch, at=datetime(2019, 11, 23, tzinfo=jk.tz))
    assert s.phase is Phase.TERMINATED
    assert not s.in_force
    assert s.protection_continues
    assert s.rule_ids == ("JK-21.1", "JK-21.2")
    assert s.renewals == 2
    # Termination is final: a later withdrawal cannot revive it.
    assert (
        status(
            replace(jk, events=tuple(e for e in jk.events if e.kind != "suspension")),
            at=on(jk, "2024-01-01"),
        ).phase
        is Phase.TERMINATED
    )


def test_a_late_notice_ends_the_following_term(jk: Agreement) -> None:
    notice = jk.event("rok-notice-2019")
    late = replace(
        notice, at=datetime(2019, 9, 1, tzinfo=jk.tz), terminates_at=None, alternatives=()
    )
    branch = replace(jk, events=(late,))
    s = status(branch, at=on(jk, "2019-12-01"))
    assert s.phase is Phase.NOTICE_PENDING
    assert s.notice is not None
    assert s.notice.terminates_at.at == datetime(2020, 11, 23, tzinfo=jk.tz)


def test_naive_times_are_refused(jk: Agreement) -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        status(jk, at=datetime(2019, 9, 1))


def test_tisa_has_no_term_and_is_in_force_since_2014(tisa: Agreement) -> None:
    assert status(tisa, at=on(tisa, "2014-12-28")).phase is Phase.NOT_IN_FORCE
    s = status(tisa, at=on(tisa, "2019-11-23"))
    assert s.phase is Phase.IN_FORCE
    assert s.term_end is None
