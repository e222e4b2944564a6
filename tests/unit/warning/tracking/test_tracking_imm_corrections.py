"""The IMM's two corrections: a re-seeded mode's widening stays its own, and a thrust that
may stop within the step spreads the unpowered modes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gsomia.warning.evaluation.consistency import Tuning, harness_predictor
from gsomia.warning.tracking import (
    CoastMotion,
    EKFPredictor,
    GaussianBatch,
    IMMPredictor,
    MixtureBatch,
)
from gsomia.warning.tracking.predictors import _cutoff_spread, markov_matrix
from tests.support.tracking import midcourse_start


def _coasting(weight_boost: float, thrust: float = 0.0) -> MixtureBatch:
    mean = np.concatenate([midcourse_start(), [thrust, 0.0, 0.0, 1.0 / 3000.0]])
    cov = np.diag([100.0**2] * 3 + [0.5**2] * 3 + [0.1**2] * 3 + [(1.0 / 3000.0) ** 2])
    g = GaussianBatch.of(mean=mean, cov=cov, t=0.0)
    return MixtureBatch.from_gaussian(g, weight=[weight_boost, 1.0 - weight_boost])


def test_a_boost_mode_at_its_floor_no_longer_leaks_into_the_coast_mode() -> None:
    prior = _coasting(1e-3)
    alone = EKFPredictor(motion=CoastMotion(), max_step=5.0).predict(
        GaussianBatch(mean=prior.mean[:, 1], cov=prior.cov[:, 1], t=prior.t), t=2.0
    )
    imm = IMMPredictor.boost_coast()
    fixed = replace(imm, widen_after_mixing=True).predict(prior, t=2.0)
    leaky = imm.predict(prior, t=2.0)
    vel = np.s_[3:6, 3:6]
    # Both modes start at one Gaussian, so the mixed coast prior is that Gaussian.
    np.testing.assert_allclose(fixed.cov[0, 1][vel], alone.cov[0][vel], rtol=1e-9)
    # Before: about 2e-5 of the boost mode's widened velocity variance (about 170 m²/s² per
    # axis) per step, some thirty times the coast mode's own process noise over 2 s.
    leak = np.trace(leaky.cov[0, 1][vel]) - np.trace(alone.cov[0][vel])
    assert leak > 10.0 * 3 * CoastMotion().q_accel * 2.0
    # The boost mode itself is still widened, to catch a new thrust.
    assert np.trace(fixed.cov[0, 0][vel]) > 10.0 * np.trace(alone.cov[0][vel])


def test_the_cutoff_spread_is_the_second_moment_of_a_uniform_stop() -> None:
    rng = np.random.default_rng(7)
    a = np.array([40.0, -20.0, 10.0])
    dt = 3.0
    u = rng.uniform(0.0, dt, 200_000)
    d = np.concatenate([a[None] * (u**2 / 2.0)[:, None], a[None] * u[:, None]], axis=1)
    sampled = d.T @ d / u.size
    spread = _cutoff_spread(a[None], np.array([1.0]), np.array([dt]))[0]
    np.testing.assert_allclose(spread, sampled, rtol=0.02)
    half = _cutoff_spread(a[None], np.array([0.5]), np.array([-dt]))[0]
    np.testing.assert_allclose(half, 0.5 * spread)


def test_a_burning_boost_mode_spreads_the_coast_mode_along_its_thrust() -> None:
    prior = _coasting(0.9, thrust=50.0)
    imm = replace(IMMPredictor.boost_coast(), widen_after_mixing=True)
    plain = imm.predict(prior, t=1.0)
    spread = replace(imm, burnout_spread=True).predict(prior, t=1.0)
    extra = spread.cov[0, 1, 3:6, 3:6] - plain.cov[0, 1, 3:6, 3:6]
    # Almost all of it along the thrust (x): the boost mode's share of the coast mode's
    # prior (the Markov switch over the step) times a² dt² / 3.
    pi = markov_matrix(imm.rates, np.array([1.0]))[0]
    share = pi[0, 1] * 0.9 / (pi[0, 1] * 0.9 + pi[1, 1] * 0.1)
    assert extra[0, 0] > 100.0 * max(abs(extra[1, 1]), abs(extra[2, 2]), 1e-9)
    assert extra[0, 0] == pytest.approx(share * 50.0**2 / 3.0, rel=0.05)
    # The boost mode's own prediction is untouched.
    np.testing.assert_allclose(spread.cov[0, 0], plain.cov[0, 0])


def test_the_harness_runs_both_corrections_and_the_node_default_neither() -> None:
    scored = harness_predictor(Tuning())
    assert scored.widen_after_mixing and scored.burnout_spread
    default = IMMPredictor.boost_coast()
    assert not default.widen_after_mixing and not default.burnout_spread
