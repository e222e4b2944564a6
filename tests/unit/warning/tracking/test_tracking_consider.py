"""The Schmidt-Kalman (consider) update for constant per-sensor pointing biases.

A white registration floor cannot stand in for a bias that persists: repeated reports of
one target shrink the covariance while the error stays at the bias. The consider update
keeps the bias's share of the error in the covariance and carries the state's
cross-covariance with it through prediction and the IMM.
"""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.scenario import sensor_catalogue
from gsomia.warning.sensors.measurements import RadarReport, radar_h
from gsomia.warning.tracking import (
    CoastMotion,
    EKFUpdater,
    GaussianBatch,
    IMMPredictor,
    IMMUpdater,
    MeasurementBatch,
    MixtureBatch,
    ReportInitiator,
)
from tests.support.tracking import SIGMA, SITE_K, midcourse_start

_BIAS = 2e-4


def _static_runs(updater: EKFUpdater, n: int = 300, looks: int = 30) -> float:
    """Mean position NEES after ``looks`` reports of a still target, one bias per run."""
    rng = np.random.default_rng(7)
    x = midcourse_start()
    x[3:] = 0.0
    p0 = np.diag([1e6] * 3 + [1.0] * 3)
    mean = x[None] + rng.multivariate_normal(np.zeros(6), p0, n)
    state = GaussianBatch.of(mean=mean, cov=np.repeat(p0[None], n, 0), t=0.0)
    bias = rng.normal(0.0, _BIAS, (n, 2))
    r = np.diag(np.square(SIGMA))
    geometry = MeasurementBatch(
        z=np.zeros((n, 3)),
        R=np.repeat(r[None], n, 0),
        site=np.repeat(SITE_K.ecef[None], n, 0),
        rotation=np.repeat(SITE_K.enu_rotation[None], n, 0),
        t=np.zeros(n),
    )
    return _nees_after_looks(updater, state, x, bias, rng, looks, like=geometry)


def _nees_after_looks(
    updater: EKFUpdater,
    state: GaussianBatch,
    x: np.ndarray,
    bias: np.ndarray,
    rng: np.random.Generator,
    looks: int,
    *,
    like: MeasurementBatch,
) -> float:
    """Mean position NEES of each run's state after ``looks`` reports by the ROK-like radar
    of the still target ``x``, each run's angles off by its own ``bias``; the reports'
    noise, site and rotation are those of ``like``."""
    n = len(bias)
    z_true = radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)
    for _ in range(looks):
        z = z_true[None] + rng.normal(0.0, SIGMA, (n, 3))
        z[:, 1:] += bias
        meas = MeasurementBatch(
            z=z, R=like.R, site=like.site, rotation=like.rotation, t=np.zeros(n)
        )
        state = updater.update(state, meas)
    e = state.mean[:, :3] - x[:3]
    return float(np.mean(np.einsum("ni,nij,nj->n", e, np.linalg.inv(state.cov[:, :3, :3]), e)))


def test_consider_update_stays_consistent_where_a_plain_update_does_not() -> None:
    plain = _static_runs(EKFUpdater())
    consider = _static_runs(EKFUpdater(bias_rad=_BIAS))
    # 300 runs of χ²(3): the mean lies in [2.6, 3.4] but for one time in a thousand.
    assert 2.6 <= consider <= 3.4
    assert plain > 10.0


def test_consider_start_keeps_the_joint_covariance_positive() -> None:
    x = midcourse_start()
    z = radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)
    meas = MeasurementBatch(
        z=z[None],
        R=np.diag(np.square(SIGMA))[None],
        site=SITE_K.ecef[None],
        rotation=SITE_K.enu_rotation[None],
        t=np.array([0.0]),
    )
    updater = EKFUpdater(bias_rad=_BIAS, refraction_sigma=0.03)
    born = GaussianBatch.of(mean=x, cov=np.diag([1e4] * 3 + [1e4] * 3), t=0.0)
    started = updater.consider_start(born, meas)
    assert started.consider is not None and started.consider.shape == (1, 6, 3)
    b = np.diag([_BIAS**2, _BIAS**2, 0.03**2])
    joint = np.block([[started.cov[0], started.consider[0]], [started.consider[0].T, b]])
    assert np.min(np.linalg.eigvalsh(joint)) > -1e-9 * np.max(np.abs(joint))
    assert EKFUpdater().consider_start(born, meas) is born


def _biased_reports(rng: np.random.Generator, n: int) -> tuple[MeasurementBatch, np.ndarray]:
    """One report each of a still mid-course point from ``n`` radars with drawn biases."""
    x = midcourse_start()
    bias = rng.normal(0.0, _BIAS, (n, 2))
    z = radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)[None] + rng.normal(0.0, SIGMA, (n, 3))
    z[:, 1:] += bias
    meas = MeasurementBatch(
        z=z,
        R=np.repeat(np.diag(np.square(SIGMA))[None], n, 0),
        site=np.repeat(SITE_K.ecef[None], n, 0),
        rotation=np.repeat(SITE_K.enu_rotation[None], n, 0),
        t=np.zeros(n),
    )
    return meas, bias


def test_a_track_born_of_a_biased_report_carries_the_bias_with_the_right_sign() -> None:
    # The born position is p + J b: its error x − x̂ (the update's convention) moves
    # against the bias. With the sign flipped the gain pushed the state the wrong way and
    # every track started over-confident (a mean NEES of 40 for minutes on a simulated
    # Hwasong-12 with no bias at all in the reports).
    n = 4000
    rng = np.random.default_rng(11)
    meas, bias = _biased_reports(rng, n)
    born, _ = ReportInitiator(ndim=6).initiate(meas, neighbours=GaussianBatch.empty(6))
    started = EKFUpdater(bias_rad=_BIAS).consider_start(born, meas)
    assert started.consider is not None
    error = midcourse_start()[:3][None] - started.mean[:, :3]
    empirical = error.T @ bias / n  # Cov(x − x̂, b), (3, 2)
    stated = np.mean(started.consider[:, :3, :2], axis=0)
    assert np.linalg.norm(empirical - stated) < 0.1 * np.linalg.norm(stated)


def test_a_track_started_by_consider_start_stays_consistent_under_biased_reports() -> None:
    n, looks = 400, 20
    rng = np.random.default_rng(5)
    x = midcourse_start()
    x[3:] = 0.0
    first, bias = _biased_reports(rng, n)
    updater = EKFUpdater(bias_rad=_BIAS)
    born, _ = ReportInitiator(ndim=6).initiate(first, neighbours=GaussianBatch.empty(6))
    state = updater.consider_start(born, first)
    cov = state.cov.copy()
    cov[:, 3:, 3:] = np.eye(3)  # a still target, known to be still
    state = GaussianBatch(
        mean=state.mean * np.r_[1, 1, 1, 0, 0, 0], cov=cov, t=state.t, consider=state.consider
    )
    nees = _nees_after_looks(updater, state, x, bias, rng, looks, like=first)
    # 400 runs of χ²(3): the mean lies in [2.6, 3.4] but for one time in a thousand.
    assert 2.6 <= nees <= 3.4


def test_the_cross_covariance_flows_through_the_imm() -> None:
    x = np.concatenate([midcourse_start(), np.zeros(4)])
    x[9] = 1e-4
    p0 = np.diag([1e4] * 3 + [1e2] * 3 + [1.0] * 3 + [1e-9])
    predictor = IMMPredictor.boost_coast(coast=CoastMotion())
    updater = IMMUpdater(updater=EKFUpdater(bias_rad=_BIAS, bias_slots=2))
    born = GaussianBatch.of(mean=x, cov=p0, t=0.0)
    state: MixtureBatch = predictor.start(born, powered=np.array([0.1]))
    assert state.consider is None
    for k in range(1, 4):
        predicted = predictor.predict(state, t=float(k))
        truth = predicted.collapse().mean[0]
        meas = MeasurementBatch(
            z=radar_h(truth, SITE_K.ecef, SITE_K.enu_rotation)[None],
            R=np.diag(np.square(SIGMA))[None],
            site=SITE_K.ecef[None],
            rotation=SITE_K.enu_rotation[None],
            t=np.array([float(k)]),
            bias_slot=np.array([1]),
        )
        state = updater.update(predicted, meas)
        assert state.consider is not None and state.consider.shape == (1, 2, 10, 6)
    c = state.consider
    assert c is not None
    # Only the second sensor's parameters were seen; the first stays uncorrelated.
    assert np.all(c[..., :3] == 0.0) and np.any(c[..., 3:5] != 0.0)
    assert state.collapse().consider is not None
    with pytest.raises(InputError):
        EKFUpdater(bias_rad=-1.0)
    with pytest.raises(InputError):
        updater.update(
            predictor.predict(state, t=5.0),
            MeasurementBatch(
                z=np.zeros((1, 3)),
                R=np.eye(3)[None],
                site=SITE_K.ecef[None],
                rotation=SITE_K.enu_rotation[None],
                t=np.array([5.0]),
                bias_slot=np.array([2]),
            ),
        )


def test_the_cubature_slope_matches_the_jacobian_over_a_short_step() -> None:
    from gsomia.warning.tracking.models import transition
    from gsomia.warning.tracking.predictors import cubature_predict

    x = np.concatenate([midcourse_start(), np.zeros(3), [1e-4]])[None]
    p0 = np.diag([100.0] * 3 + [1.0] * 3 + [1e-2] * 3 + [1e-10])[None]
    dt = np.array([10.0])
    motion = CoastMotion()
    _, _, slope = cubature_predict(motion, x, p0, dt, max_step=5.0)
    _, f, _ = transition(motion, x, dt, max_step=5.0)
    np.testing.assert_allclose(slope[0, :6, :6], f[0, :6, :6], atol=1e-3)


def test_a_stated_bias_is_considered_as_the_same_bias_given_to_the_updater() -> None:
    rng = np.random.default_rng(11)
    x = midcourse_start()
    p0 = np.diag([1e6] * 3 + [1e2] * 3)
    state = GaussianBatch.of(mean=x[None], cov=p0[None], t=0.0)
    z = radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)[None] + rng.normal(0.0, SIGMA, (1, 3))

    def batch(stated: float | None) -> MeasurementBatch:
        return MeasurementBatch(
            z=z,
            R=np.diag(np.square(SIGMA))[None],
            site=SITE_K.ecef[None],
            rotation=SITE_K.enu_rotation[None],
            t=np.zeros(1),
            bias_rad=None if stated is None else np.array([stated]),
        )

    given = EKFUpdater(bias_rad=_BIAS).update(state, batch(None))
    stated = EKFUpdater(stated_bias=True).update(state, batch(_BIAS))
    np.testing.assert_allclose(stated.mean, given.mean)
    np.testing.assert_allclose(stated.cov, given.cov)
    assert stated.consider is not None and given.consider is not None
    np.testing.assert_allclose(stated.consider, given.consider)
    with pytest.raises(InputError):
        EKFUpdater(stated_bias=True).update(state, batch(None))


def test_reports_carry_their_radars_stated_bias_into_the_batch() -> None:
    radar = sensor_catalogue.radars()[0]
    assert radar.bias_rad > 0.0
    report = RadarReport(
        sensor=radar.name,
        party=radar.party,
        t=0.0,
        z=np.array([1e6, 0.1, 0.2]),
        R=np.diag(np.square(SIGMA)),
        site=radar.site(),
        bias_rad=radar.bias_rad,
    )
    batch = MeasurementBatch.from_reports([report, report])
    assert batch.bias_rad is not None
    np.testing.assert_array_equal(batch.bias_rad, [radar.bias_rad] * 2)
    np.testing.assert_array_equal(batch.take([1]).bias_rad, [radar.bias_rad])
