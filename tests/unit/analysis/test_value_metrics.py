"""The measures of a picture, on hand-made tracks (gsomia.analysis.metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsomia.analysis.metrics import (
    first_time,
    losses,
    paired,
    summarise,
    sustained_time,
    warning_time,
)

T = np.arange(0.0, 100.0, 10.0)


def test_first_time_is_the_first_held_time_or_never() -> None:
    held = np.array([False, False, True, False, True, True, True, True, True, True])
    assert first_time(T, held) == 20.0
    assert first_time(T, np.zeros(10, dtype=bool)) == math.inf


def test_a_lucky_pass_of_the_impact_point_does_not_count() -> None:
    # The instantaneous impact point of a boosting missile sweeps past the true one at 20 s.
    error = np.array([900, 300, 20, 400, 120, 60, 40, 30, 8, 5], dtype=float) * 1e3
    assert sustained_time(T, error, 50e3) == 60.0
    assert sustained_time(T, error, 10e3) == 80.0
    assert sustained_time(T, error, 1e6) == 0.0


def test_a_missing_estimate_breaks_the_fix_and_a_late_miss_means_never() -> None:
    error = np.array([5, 5, 5, np.nan, 5, 5, 5, 5, 5, 5], dtype=float) * 1e3
    assert sustained_time(T, error, 10e3) == 40.0
    error[-1] = 60e3
    assert sustained_time(T, error, 10e3) == math.inf
    assert sustained_time(np.zeros(0), np.zeros(0), 10e3) == math.inf


@given(
    st.lists(st.one_of(st.floats(0, 1e6), st.just(math.nan)), min_size=1, max_size=30),
    st.floats(1.0, 1e6),
    st.floats(1.0, 1e6),
)
def test_a_wider_radius_is_never_reached_later(errors: list[float], r1: float, r2: float) -> None:
    t = np.arange(len(errors), dtype=float)
    e = np.array(errors)
    small, large = sorted((r1, r2))
    assert sustained_time(t, e, large) <= sustained_time(t, e, small)
    fix = sustained_time(t, e, small)
    if math.isfinite(fix):
        assert np.all(e[t >= fix] <= small)


def test_warning_time_is_never_negative_and_unknown_when_the_window_ended_early() -> None:
    assert warning_time(100.0, 400.0, complete=True) == 300.0
    assert warning_time(500.0, 400.0, complete=True) == 0.0
    assert warning_time(math.inf, 400.0, complete=True) == 0.0
    assert math.isnan(warning_time(math.inf, 4000.0, complete=False))


def test_losses_count_each_drop_of_a_held_track() -> None:
    assert losses([True, True, False, False, True, False, True]) == 2
    assert losses([False, True, True]) == 0
    assert losses([]) == 0


def test_summary_counts_never_and_ignores_unknown() -> None:
    s = summarise([10.0, 20.0, 30.0, math.inf, math.nan])
    assert (s.n, s.never) == (4, 1)
    assert (s.q25, s.median, s.q75) == (17.5, 25.0, math.inf)
    assert s.as_dict()["q75"] is None
    assert summarise([math.inf, math.inf, 5.0]).as_dict()["median"] is None
    assert summarise([5.0, 7.0, math.inf]).q75 == math.inf
    assert summarise([]).n == 0


def test_paired_gains_count_one_sided_outcomes() -> None:
    better = [10.0, 20.0, math.inf, 40.0, math.inf, math.nan]
    worse = [30.0, math.inf, 50.0, 40.0, math.inf, 10.0]
    p = paired(better, worse, larger_is_better=False)
    assert (p.gained, p.lost, p.neither) == (1, 1, 1)
    assert p.gain.n == 2
    assert (p.gain.q25, p.gain.median, p.gain.q75) == (5.0, 10.0, 15.0)
    w = paired([300.0, 100.0, 90.0], [200.0, 100.0, 100.0], larger_is_better=True)
    assert (w.gain.q25, w.gain.median, w.gain.q75) == (-5.0, 0.0, 50.0)


@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=20))
def test_a_regime_against_itself_gains_nothing(values: list[float]) -> None:
    p = paired(values, values, larger_is_better=False)
    assert p.gain.median == 0.0
    assert p.gained == p.lost == 0


@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0, 1e4), min_size=n, max_size=n),
            st.lists(st.floats(0, 1e4), min_size=n, max_size=n),
        )
    ),
    st.booleans(),
)
def test_swapping_the_regimes_negates_the_median_gain(
    pair: tuple[list[float], list[float]], larger: bool
) -> None:
    a, b = pair
    forward = paired(a, b, larger_is_better=larger).gain.median
    backward = paired(b, a, larger_is_better=larger).gain.median
    assert forward == pytest.approx(-backward, abs=1e-9)
