"""A first term longer than each renewal (JK-21.1 generalised: the term clause as data).

The DEU–GBR test agreement runs three years from 1 March 2030, then renews one year at a
time; notice is 90 days. The Japan–ROK GSOMIA, whose file names no renewal period, keeps its
one-year terms.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from gsomia.agreement_files import load_agreement, load_library
from gsomia.core.agreements import Agreement, AgreementEvent, EventKind
from gsomia.core.lifecycle import Phase, admissible_end, status
from gsomia.errors import AgreementFileError
from tests.support.core import on

RESTRICTED = Path(__file__).resolve().parents[2] / "data" / "restricted"


@pytest.fixture(scope="module")
def dg() -> Agreement:
    return load_library([RESTRICTED]).get("deu-gbr-security")


def at(agreement: Agreement, y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=agreement.tz)


def test_the_first_term_is_the_initial_term_and_renewals_are_shorter(dg: Agreement) -> None:
    assert (dg.term.initial_years, dg.term.renewal_period) == (3, 1)
    first = status(dg, at=on(dg, "2032-12-31"))
    assert (first.term_start, first.term_end, first.renewals) == (
        at(dg, 2030, 3, 1),
        at(dg, 2033, 3, 1),
        0,
    )
    second = status(dg, at=on(dg, "2033-03-01"))
    assert (second.term_start, second.term_end, second.renewals) == (
        at(dg, 2033, 3, 1),
        at(dg, 2034, 3, 1),
        1,
    )
    sixth = status(dg, at=on(dg, "2037-06-30"))
    assert (sixth.term_start, sixth.term_end, sixth.renewals) == (
        at(dg, 2037, 3, 1),
        at(dg, 2038, 3, 1),
        5,
    )
    assert sixth.rule_ids == ("DG-20.1",)


def test_a_notice_ends_the_agreement_at_the_end_of_the_right_term(dg: Agreement) -> None:
    # In time for the end of the initial term (90 days before 1 March 2033) ...
    assert admissible_end(dg, on(dg, "2032-11-30")) == at(dg, 2033, 3, 1)
    # ... too late for it: the first one-year renewal ends it, not another three years.
    assert admissible_end(dg, on(dg, "2032-12-31")) == at(dg, 2034, 3, 1)
    notice = AgreementEvent(id="gbr-notice", kind=EventKind.NOTICE, by="GBR", at=at(dg, 2034, 6, 1))
    branch = replace(dg, events=(notice,))
    assert status(branch, at=on(dg, "2035-02-28")).phase is Phase.NOTICE_PENDING
    assert status(branch, at=at(dg, 2035, 3, 1)).phase is Phase.TERMINATED


def test_without_a_renewal_period_each_renewal_lasts_the_initial_term(jk: Agreement) -> None:
    assert jk.term.renewal_years is None
    assert jk.term.renewal_period == jk.term.initial_years == 1
    three = replace(jk, term=replace(jk.term, initial_years=3))
    assert [three.term.anniversary(n).year for n in range(4)] == [2016, 2019, 2022, 2025]
    assert status(jk, at=on(jk, "2018-01-01")).term_end == datetime(2018, 11, 23, tzinfo=jk.tz)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("renewal_years = 1", "renewal_years = 0", "term.renewal_years"),
        ("renewal_years = 1", "renewal_years = 1\nindefinite = true", "term.renewal_years"),
    ],
)
def test_a_bad_renewal_period_is_refused(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = (RESTRICTED / "deu-gbr-security.toml").read_text(encoding="utf-8")
    path = tmp_path / "dg.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    schemes = load_library([RESTRICTED]).schemes
    with pytest.raises(AgreementFileError) as refused:
        load_agreement(path, schemes=schemes)
    assert refused.value.field == field
