"""The NEES band of the consistency harness against the exact chi-square quantiles."""

from __future__ import annotations

import math

import pytest

from gsomia.warning.evaluation.consistency import chi2_band


def _chi2_cdf_even(x: float, k: int) -> float:
    """P(X <= x) for X ~ χ²(k), k even: 1 - e^(-x/2) Σ_{j<k/2} (x/2)^j / j! (exact)."""
    assert k % 2 == 0
    half = x / 2.0
    term, total = 1.0, 1.0
    for j in range(1, k // 2):
        term *= half / j
        total += term
    return 1.0 - math.exp(-half) * total


def _chi2_quantile_even(p: float, k: int) -> float:
    """The p-quantile of χ²(k), k even, by bisection on the exact distribution function."""
    lo, hi = 0.0, float(k) + 20.0 * math.sqrt(2.0 * k) + 20.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if _chi2_cdf_even(mid, k) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def test_the_reference_quantiles_are_the_tabled_ones() -> None:
    """The reference itself against printed tables: χ²(2) 95 % is 5.991, χ²(18) 2.5 % is 8.231
    and 97.5 % is 31.526, χ²(60) 97.5 % is 83.298."""
    assert _chi2_quantile_even(0.95, 2) == pytest.approx(5.991, abs=1e-3)
    assert _chi2_quantile_even(0.025, 18) == pytest.approx(8.231, abs=1e-3)
    assert _chi2_quantile_even(0.975, 18) == pytest.approx(31.526, abs=1e-3)
    assert _chi2_quantile_even(0.975, 60) == pytest.approx(83.298, abs=1e-3)


@pytest.mark.parametrize(("dof", "n"), [(6, 3), (6, 4), (6, 6), (6, 10), (6, 20), (6, 40), (9, 10)])
def test_the_band_of_a_mean_of_n_nees_is_the_chi_square_of_n_times_dof(dof: int, n: int) -> None:
    """The mean of n independent χ²(d) draws is χ²(n d) / n; its 95 % two-sided band.

    The harness's bins hold one 6-dof NEES per run and at least 3 runs (18 degrees of
    freedom and up), where the Wilson-Hilferty cube root is within 0.3 % of the exact
    quantile (at 9 degrees of freedom it is 1 % off, so smaller bins are not scored)."""
    lo, hi = chi2_band(dof, n)
    exact_lo = _chi2_quantile_even(0.025, n * dof) / n
    exact_hi = _chi2_quantile_even(0.975, n * dof) / n
    assert lo == pytest.approx(exact_lo, rel=3e-3)
    assert hi == pytest.approx(exact_hi, rel=3e-3)


def test_the_band_narrows_with_more_runs() -> None:
    widths = [hi - lo for lo, hi in (chi2_band(6, n) for n in (3, 10, 40))]
    assert widths == sorted(widths, reverse=True)
    lo, hi = chi2_band(6, 10)
    assert lo < 6.0 < hi
