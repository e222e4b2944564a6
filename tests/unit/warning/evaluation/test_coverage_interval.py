"""The coverage interval of the consistency harness counts runs, not impacts."""

from __future__ import annotations

import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.consistency import Run, clustered_coverage_interval, score


def test_ten_runs_that_all_cover_are_ten_draws_not_a_hundred() -> None:
    lo, hi = clustered_coverage_interval([10] * 10, [10] * 10)
    # Wilson at n = 10, p = 1: 10 / (10 + 1.96²).
    assert lo == pytest.approx(10 / (10 + 1.959964**2), rel=1e-9)
    assert hi == pytest.approx(1.0)
    assert lo < 0.90  # a calibrated filter can give 1.00 over ten runs


def test_runs_alike_give_the_impacts_as_draws_and_runs_apart_give_fewer() -> None:
    lo_alike, hi_alike = clustered_coverage_interval([9] * 10, [10] * 10)
    lo_apart, hi_apart = clustered_coverage_interval([10] * 9 + [1], [10] * 10)
    assert lo_alike < 0.9 < hi_alike
    assert hi_apart - lo_apart > hi_alike - lo_alike


def test_bad_input_and_the_score_carries_the_interval() -> None:
    with pytest.raises(InputError):
        clustered_coverage_interval([3], [2])
    with pytest.raises(InputError):
        clustered_coverage_interval([0], [0])
    runs = [
        Run(t=[0.0], nees=[6.0], impact_d2=[1.0, 2.0, 9.0]),
        Run(t=[0.0], nees=[6.0], impact_d2=[0.5, 0.5, 0.5]),
    ]
    s = score("ballistic", runs)
    assert s.coverage == pytest.approx(5 / 6)
    assert s.coverage_lo < s.coverage < s.coverage_hi
    assert s.runs == 2
