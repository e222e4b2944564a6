"""The NEES band of the consistency harness against the exact chi-square quantiles."""

from __future__ import annotations

import pytest

from gsomia.warning.evaluation.consistency import chi2_band

# The exact quantiles come from scipy, which only the bench extras install.
chi2 = pytest.importorskip("scipy.stats").chi2


@pytest.mark.parametrize(("dof", "n"), [(6, 3), (6, 4), (6, 6), (6, 10), (6, 20), (6, 40), (9, 10)])
def test_the_band_of_a_mean_of_n_nees_is_the_chi_square_of_n_times_dof(dof: int, n: int) -> None:
    """The mean of n independent χ²(d) draws is χ²(n d) / n; its 95 % two-sided band.

    The harness's bins hold one 6-dof NEES per run and at least 3 runs (18 degrees of
    freedom and up), where the Wilson-Hilferty cube root is within 0.3 % of the exact
    quantile (at 9 degrees of freedom it is 1 % off, so smaller bins are not scored)."""
    lo, hi = chi2_band(dof, n)
    exact_lo = chi2.ppf(0.025, n * dof) / n
    exact_hi = chi2.ppf(0.975, n * dof) / n
    assert lo == pytest.approx(exact_lo, rel=3e-3)
    assert hi == pytest.approx(exact_hi, rel=3e-3)


def test_the_band_narrows_with_more_runs() -> None:
    widths = [hi - lo for lo, hi in (chi2_band(6, n) for n in (3, 10, 40))]
    assert widths == sorted(widths, reverse=True)
    lo, hi = chi2_band(6, 10)
    assert lo < 6.0 < hi
