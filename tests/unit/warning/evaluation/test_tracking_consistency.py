"""Impact-ellipse coverage on held-out launches, with the truth's own mismatches.

A small Monte Carlo of :mod:`gsomia.warning.evaluation.consistency` (sparse report streams, so that
it runs in seconds): the filter flies its own atmosphere, the radars carry a pointing bias
and a refraction residual the reports do not admit, and the KN-23-class missile pulls up
where the filter's coast model has no lift. Before the manoeuvre mode and the lift
footprint, the KN-23 95 % ellipses covered the true impact in 0-15 % of predictions.
"""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.consistency import (
    HELD_OUT,
    TRAINING,
    Mismatch,
    Tuning,
    chi2_band,
    run_case,
    score,
)
from tests.support.tracking import held_out_runs


def _case(launch: str):  # type: ignore[no-untyped-def]
    return next(c for c in HELD_OUT if c.launch == launch)


def test_held_out_launches_are_not_training_launches() -> None:
    assert not {c.launch for c in HELD_OUT} & {c.launch for c in TRAINING}
    assert {c.kind for c in HELD_OUT} == {"ballistic", "lofted", "manoeuvring"}


def test_ballistic_impact_ellipses_cover_on_a_held_out_launch() -> None:
    runs = held_out_runs("2017-09-15", impact_every_s=120.0, stride=6)
    s = score("ballistic", runs)
    assert s.impacts >= 12
    assert 0.85 <= s.coverage <= 1.0
    assert s.median_miss_m < 3_000.0


def test_manoeuvring_impact_footprints_cover_on_a_held_out_launch() -> None:
    runs = held_out_runs("2019-05-09", impact_every_s=40.0, stride=2)
    s = score("manoeuvring", runs)
    assert s.impacts >= 9
    assert s.coverage >= 0.7
    # The glide is lift, not thrust: the picture no longer calls it powered.
    glide = [p for run in runs for p in run.powered_in_glide]
    assert glide and float(np.mean(glide)) < 0.5


def test_the_nees_band_and_bad_input() -> None:
    lo, hi = chi2_band(6, 30)
    # χ²(180)/30 at 2.5 % and 97.5 %: 4.8247 and 7.3015.
    assert lo == pytest.approx(4.8247, abs=2e-3) and hi == pytest.approx(7.3015, abs=2e-3)
    with pytest.raises(InputError):
        run_case(_case("2017-09-15"), runs=0, tuning=Tuning(), mismatch=Mismatch())
