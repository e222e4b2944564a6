"""EKF and IMM filters: consistency (NEES), agreement of forms, angle wrapping, mode switching."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.synthetic import (
    BoostProgram,
    radar_reports,
    radar_site,
)
from gsomia.warning.sensors.measurements import radar_h
from gsomia.warning.tracking import (
    BallisticMotion,
    BoostMotion,
    CoastMotion,
    EKFPredictor,
    EKFUpdater,
    GaussianBatch,
    IMMPredictor,
    MeasurementBatch,
    MixtureBatch,
    boost_coast_tracker,
)
from gsomia.warning.tracking.predictors import markov_matrix
from tests.support.tracking import (
    SIGMA,
    SITE_K,
    boosted_launch,
    launch_cue,
    midcourse_start,
    monte_carlo_truth,
    run_batch_filter,
)

P0 = np.diag([500.0**2] * 3 + [50.0**2] * 3)


def _chi2_interval(dof: int, coverage: float = 0.95) -> tuple[float, float]:
    """Two-sided chi-square interval by the Wilson-Hilferty cube (exact to 1e-3 here)."""
    z = 1.959963984540054 if coverage == 0.95 else float("nan")
    a = 2.0 / (9.0 * dof)
    return dof * (1 - a - z * math.sqrt(a)) ** 3, dof * (1 - a + z * math.sqrt(a)) ** 3


@pytest.mark.slow
def test_nees_stays_inside_its_95_percent_chi_square_band() -> None:
    """Average NEES over 60 Monte Carlo runs per step lies in the two-sided 95 % band.

    Bar-Shalom, Li & Kirubarajan (2001) §5.4.2: with N runs, N·NEES̄ is chi-square with
    N·n degrees of freedom when the filter is consistent; about 95 % of steps fall inside.
    """
    runs, steps = 60, 121
    rng = np.random.default_rng(2024)
    times = np.arange(steps, dtype=float)
    truth = monte_carlo_truth(runs, times, rng, P0)
    reports = radar_reports(
        truth, times, site=SITE_K, sensor="K-radar", party="ROK", sigma=SIGMA, rng=rng
    )
    assert len(reports) == runs * steps
    prior = GaussianBatch.of(
        mean=np.repeat(midcourse_start()[None], runs, 0), cov=np.repeat(P0[None], runs, 0), t=0.0
    )
    states = run_batch_filter(prior, reports)
    nees = []
    for k, state in enumerate(states):
        e = state.mean - truth[k]
        nees.append(np.mean(np.einsum("ni,nij,nj->n", e, np.linalg.inv(state.cov), e)))
    lo, hi = _chi2_interval(6 * runs)
    inside = (np.array(nees) >= lo / runs) & (np.array(nees) <= hi / runs)
    assert inside.mean() >= 0.9, f"only {inside.mean():.0%} of steps inside the band"
    assert 5.4 < float(np.mean(nees)) < 6.6


def _one_step(joseph: bool) -> GaussianBatch:
    x = midcourse_start()
    predicted = GaussianBatch.of(mean=x[None] + 200.0, cov=P0[None], t=3.0)
    z = radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)
    r = np.diag(np.square(SIGMA))
    meas = MeasurementBatch(
        z=z[None],
        R=r[None],
        site=SITE_K.ecef[None],
        rotation=SITE_K.enu_rotation[None],
        t=np.array([3.0]),
    )
    return EKFUpdater(joseph=joseph).update(predicted, meas)


def test_joseph_and_standard_covariance_updates_agree() -> None:
    a, b = _one_step(joseph=False), _one_step(joseph=True)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12)
    np.testing.assert_allclose(a.cov, b.cov, rtol=1e-6, atol=1e-6)
    assert np.trace(a.cov[0, :3, :3]) < np.trace(P0[:3, :3]) / 10


def test_update_refuses_measurements_at_another_time() -> None:
    x = midcourse_start()
    predicted = GaussianBatch.of(mean=x[None], cov=P0[None], t=3.0)
    meas = MeasurementBatch(
        z=radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)[None],
        R=np.eye(3)[None],
        site=SITE_K.ecef[None],
        rotation=SITE_K.enu_rotation[None],
        t=np.array([4.0]),
    )
    with pytest.raises(InputError):
        EKFUpdater().update(predicted, meas)


def test_azimuth_innovation_wraps_across_north() -> None:
    """A target due north: the prediction says 359.9°, the report 0.1°; the fix is small."""
    site = radar_site(lat_deg=35.0, lon_deg=130.0)
    target = np.concatenate([site.ecef + site.enu_rotation.T @ [0.0, 400e3, 100e3], np.zeros(3)])
    prior_mean = target.copy()
    prior_mean[:3] += site.enu_rotation.T @ [-600.0, 0.0, 0.0]
    z = radar_h(target, site.ecef, site.enu_rotation)
    z[1] = 0.001
    z_hat = radar_h(prior_mean, site.ecef, site.enu_rotation)
    assert z_hat[1] > 6.2
    meas = MeasurementBatch(
        z=z[None],
        R=np.diag(np.square(SIGMA))[None],
        site=site.ecef[None],
        rotation=site.enu_rotation[None],
        t=np.array([0.0]),
    )
    post = EKFUpdater().update(GaussianBatch.of(mean=prior_mean, cov=P0, t=0.0), meas)
    east_error = (site.enu_rotation @ (post.mean[0, :3] - target[:3]))[0]
    assert abs(east_error - 400e3 * 0.001) < 100.0


def test_markov_matrix_is_stochastic_and_matches_the_closed_form() -> None:
    a, b = 1 / 60, 1 / 600
    rates = np.array([[-a, a], [b, -b]])
    dt = np.array([0.0, 1.0, 30.0, 1000.0])
    pi = markov_matrix(rates, dt)
    np.testing.assert_allclose(pi.sum(axis=-1), 1.0, atol=1e-12)
    stay = b / (a + b) + a / (a + b) * np.exp(-(a + b) * dt)
    np.testing.assert_allclose(pi[:, 0, 0], stay, rtol=1e-9)


def test_imm_with_one_model_is_the_ekf() -> None:
    motion = BallisticMotion(q_accel=0.01)
    imm = IMMPredictor(motions=(motion,), rates=np.zeros((1, 1)))
    x = midcourse_start()
    gaussian = GaussianBatch.of(mean=x[None], cov=P0[None], t=0.0)
    ekf = EKFPredictor(motion=motion).predict(gaussian, t=5.0)
    mixed = imm.predict(MixtureBatch.from_gaussian(gaussian, weight=[1.0]), t=5.0)
    np.testing.assert_allclose(mixed.collapse().mean, ekf.mean, rtol=1e-12)
    np.testing.assert_allclose(mixed.collapse().cov, ekf.cov, rtol=1e-9)


def test_imm_refuses_mixed_layouts_and_bad_rates() -> None:
    with pytest.raises(InputError):
        IMMPredictor(motions=(BallisticMotion(), CoastMotion()), rates=np.zeros((2, 2)))
    with pytest.raises(InputError):
        IMMPredictor(motions=(BoostMotion(), CoastMotion()), rates=np.ones((2, 2)))


def test_powered_probability_of_single_models() -> None:
    g = GaussianBatch.empty(10)
    assert EKFPredictor(motion=BoostMotion()).powered_probability(g).shape == (0,)
    g1 = GaussianBatch.of(mean=np.zeros(10), cov=np.eye(10), t=0.0)
    assert EKFPredictor(motion=BoostMotion()).powered_probability(g1)[0] == 1.0
    assert EKFPredictor(motion=CoastMotion()).powered_probability(g1)[0] == 0.0


def test_imm_follows_the_boost_and_then_the_coast() -> None:
    """Cued at launch, tracked by one radar: powered while thrusting, coasting after."""
    times = np.arange(0.0, 200.0, 1.0)
    program = BoostProgram(azimuth_deg=95.0, burn_s=70.0)
    truth, reports = boosted_launch(times, program=program, seed=5, sensor="K-radar")
    cue = launch_cue(t=20.0, sensor="ir-sat", position_sigma_m=2000.0)
    tracker = boost_coast_tracker()
    tracks = tracker.empty()
    powered: dict[float, float] = {}
    for t in times:
        now = [r for r in reports if r.t == t]
        tracks = tracker.step(tracks, now=t, reports=now, cues=[cue] if t == 20.0 else [])
        assert len(tracks) == (1 if t >= 20.0 else 0), f"{len(tracks)} tracks at t={t}"
        if t < 20.0:
            continue
        powered[t] = float(tracker.predictor.powered_probability(tracks.state)[0])
        error = np.linalg.norm(tracks.state.collapse().mean[0, :3] - truth[int(t), :3])
        if t > 60.0:
            assert error < 1000.0, f"position error {error:.0f} m at t={t}"
    boosting = [powered[t] for t in times if 55.0 <= t < 70.0]
    coasting = [powered[t] for t in times if t >= 90.0]
    assert np.median(boosting) > 0.8
    assert np.median(coasting) < 0.1


def _coasting_mixture() -> MixtureBatch:
    x = np.zeros(10)
    x[:6] = midcourse_start(h_m=800e3, flight_path_deg=10.0)
    x[9] = 1.0 / 3000.0
    cov = np.diag([50.0**2] * 3 + [1.0] * 3 + [0.05**2] * 3 + [1e-8])
    g = GaussianBatch.of(mean=x, cov=cov, t=0.0)
    return MixtureBatch.from_gaussian(g, weight=[0.002, 0.998])


@pytest.mark.parametrize(("reseed", "bound"), [(0.01, 1.5), (0.0, None)])
def test_a_faint_boost_mode_does_not_leak_into_a_long_coast(
    reseed: float, bound: float | None
) -> None:
    """Ten minutes of scans without a report: the coast estimate must stay a coast estimate."""
    imm = IMMPredictor.boost_coast()
    imm = IMMPredictor(motions=imm.motions, rates=imm.rates, reseed_weight=reseed)
    state = _coasting_mixture()
    plain = EKFPredictor(motion=CoastMotion()).predict(state.collapse(), t=600.0)
    for t in np.arange(10.0, 601.0, 10.0):
        state = imm.predict(state, t=t)
    sigma = np.sqrt(np.linalg.eigvalsh(state.cov[0, 1, :3, :3])[-1])
    reference = np.sqrt(np.linalg.eigvalsh(plain.cov[0, :3, :3])[-1])
    if bound is not None:
        assert sigma < bound * reference
    else:
        assert sigma > 10.0 * reference


def test_a_pruned_collapse_leaves_light_far_modes_out() -> None:
    state = _coasting_mixture()
    mean = state.mean.copy()
    mean[0, 0, :3] += 50e3
    far = MixtureBatch(mean=mean, cov=state.cov, weight=state.weight, t=state.t)
    full, pruned = far.collapse(), far.collapse(min_weight=0.01)
    np.testing.assert_allclose(pruned.mean[0], state.mean[0, 1])
    assert full.cov[0, 0, 0] > 100.0 * pruned.cov[0, 0, 0]
