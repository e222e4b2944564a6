"""Motion models: forces equal the shared dynamics, Jacobians equal finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.synthetic import initial_state
from gsomia.warning.geo.frames import ecef_to_geodetic
from gsomia.warning.physics.dynamics import (
    air_density,
    ballistic_derivative,
    frame_acceleration,
    gravity_j2,
    rk4_step,
)
from gsomia.warning.tracking import BallisticMotion, BoostMotion, CoastMotion
from gsomia.warning.tracking.models import (
    _free_acceleration,
    filter_air_density,
    integrate,
    integrated_like,
    transition,
)


def _states(n: int, h_range: tuple[float, float], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array(
        [
            initial_state(
                lat_deg=rng.uniform(-80, 80),
                lon_deg=rng.uniform(-180, 180),
                h_m=rng.uniform(*h_range),
                speed_mps=rng.uniform(500, 7000),
                azimuth_deg=rng.uniform(0, 360),
                flight_path_deg=rng.uniform(-60, 60),
            )
            for _ in range(n)
        ]
    )


def _augment(x6: np.ndarray, kappa: float, thrust: float = 0.0) -> np.ndarray:
    n = x6.shape[0]
    out = np.zeros((n, 10))
    out[:, :6] = x6
    out[:, 6:9] = thrust
    out[:, 9] = kappa
    return out


def test_free_acceleration_equals_the_shared_dynamics() -> None:
    x = _states(50, (0.0, 2000e3))
    r, v = x[:, :3], x[:, 3:]
    expected = gravity_j2(r) + frame_acceleration(r, v)
    np.testing.assert_allclose(_free_acceleration(r, v), expected, rtol=1e-12, atol=1e-15)


def test_drag_free_derivative_equals_the_shared_dynamics() -> None:
    x = _states(30, (5e3, 90e3), seed=1)
    got = BallisticMotion().derivative(x)
    np.testing.assert_allclose(got, ballistic_derivative(x, np.inf), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("beta", [800.0, 5000.0])
def test_drag_uses_the_filters_own_atmosphere_not_the_truths(beta: float) -> None:
    """Gravity and the frame are shared physics; the air is not: the filter's density is
    one exponential, within 25 % of the truth's layered table from 5 to 90 km."""
    x = _states(30, (5e3, 90e3), seed=1)
    got = BallisticMotion(beta=beta).derivative(x)
    free = ballistic_derivative(x, np.inf)
    truth_drag = ballistic_derivative(x, beta)[:, 3:] - free[:, 3:]
    h = ecef_to_geodetic(x[:, :3])[2]
    ratio = filter_air_density(h) / air_density(h)
    np.testing.assert_allclose(got[:, 3:] - free[:, 3:], truth_drag * ratio[:, None], rtol=1e-9)
    assert np.all(np.abs(ratio - 1.0) < 0.25)
    assert np.any(np.abs(ratio - 1.0) > 0.01)


def test_coast_drag_through_kappa_equals_drag_through_beta() -> None:
    x = _states(20, (10e3, 80e3), seed=2)
    coast = CoastMotion().derivative(_augment(x, 1.0 / 2500.0, thrust=3.0))
    np.testing.assert_allclose(coast[:, :6], BallisticMotion(beta=2500.0).derivative(x), rtol=1e-12)
    np.testing.assert_allclose(coast[:, 6:9], -3.0 / CoastMotion().tau_thrust)


def test_negative_kappa_never_pushes() -> None:
    x = _augment(_states(5, (10e3, 30e3), seed=3), -1e-3)
    np.testing.assert_allclose(
        CoastMotion().derivative(x)[:, :6], BallisticMotion().derivative(x[:, :6]), rtol=1e-12
    )


def _finite_difference(model: object, x: np.ndarray) -> np.ndarray:
    derivative = model.derivative  # type: ignore[attr-defined]
    n = x.shape[1]
    scale = np.array([10.0] * 3 + [0.1] * 3 + [0.01] * 3 + [1e-6])[:n]
    out = np.zeros((x.shape[0], n, n))
    for j in range(n):
        step = np.zeros(n)
        step[j] = scale[j]
        out[:, :, j] = (derivative(x + step) - derivative(x - step)) / (2 * scale[j])
    return out


@pytest.mark.parametrize(
    ("model", "altitudes", "kappa"),
    [
        (BallisticMotion(), (100e3, 1500e3), None),
        # Inside one layer of the atmosphere table, whose slope jumps at layer boundaries.
        (BallisticMotion(beta=3000.0), (31e3, 39e3), None),
        (BoostMotion(), (5e3, 300e3), 1e-4),
        (CoastMotion(), (31e3, 39e3), 1.0 / 3000.0),
    ],
)
def test_jacobian_matches_finite_differences(
    model: object, altitudes: tuple[float, float], kappa: float | None
) -> None:
    x = _states(12, altitudes, seed=4)
    if kappa is not None:
        x = _augment(x, kappa, thrust=5.0)
    analytic = model.jacobian(x)  # type: ignore[attr-defined]
    numeric = _finite_difference(model, x)
    # The analytic Jacobian drops the J2 part of the gravity gradient (about 1e-9 s⁻²).
    np.testing.assert_allclose(analytic, numeric, rtol=2e-2, atol=2e-8)


def test_transition_mean_is_the_shared_rk4_in_sub_steps() -> None:
    x = _states(4, (100e3, 600e3), seed=5)
    mean, _, _ = transition(BallisticMotion(), x, np.full(4, 12.0), max_step=5.0)
    expected = x.copy()
    for _ in range(3):
        expected = rk4_step(expected, 4.0)
    np.testing.assert_allclose(mean, expected, rtol=1e-12)


def test_transition_matrix_matches_finite_difference_of_the_flow() -> None:
    model = BallisticMotion()
    x = _states(3, (150e3, 400e3), seed=6)
    dt = np.full(3, 10.0)
    _, f, _ = transition(model, x, dt)
    scale = np.array([10.0] * 3 + [1.0] * 3)
    numeric = np.zeros_like(f)
    for j in range(6):
        step = np.zeros(6)
        step[j] = scale[j]
        plus = integrate(model, x + step, dt)
        minus = integrate(model, x - step, dt)
        numeric[:, :, j] = (plus - minus) / (2 * scale[j])
    # The Jacobian leaves out the J2 part of the gravity gradient (about 1 % of it, a few
    # 1e-6 here); a missing third-order term would leave 1e-5.
    np.testing.assert_allclose(f, numeric, rtol=1e-4, atol=3e-6)


@pytest.mark.parametrize("model", [BallisticMotion(q_accel=0.3), BoostMotion(), CoastMotion()])
def test_process_noise_is_symmetric_positive_semidefinite(model: object) -> None:
    q = model.noise(np.array([0.0, 0.5, 1.0, 7.0]))  # type: ignore[attr-defined]
    np.testing.assert_allclose(q, np.swapaxes(q, 1, 2))
    assert np.all(np.linalg.eigvalsh(q) > -1e-9)
    assert np.all(q[0] == 0.0)


def test_white_acceleration_noise_has_the_textbook_form() -> None:
    q = BallisticMotion(q_accel=0.2).noise(np.array([3.0]))[0]
    assert q[0, 0] == pytest.approx(0.2 * 27 / 3)
    assert q[0, 3] == pytest.approx(0.2 * 9 / 2)
    assert q[3, 3] == pytest.approx(0.2 * 3)
    assert q[0, 1] == 0.0


@pytest.mark.parametrize(
    "build",
    [
        lambda: BallisticMotion(q_accel=-1.0),
        lambda: BallisticMotion(beta=0.0),
        lambda: BoostMotion(q_jerk=-1.0),
        lambda: CoastMotion(tau_thrust=0.0),
    ],
)
def test_invalid_parameters_are_refused(build: object) -> None:
    with pytest.raises(InputError):
        build()  # type: ignore[operator]


def test_coast_thrust_decay_is_stable_at_the_longest_steps_used() -> None:
    """Impact prediction takes 10 s steps; the decaying thrust states must not blow up."""
    x = _augment(_states(3, (500e3, 2000e3), seed=7), 1e-4, thrust=5.0)
    out = integrate(CoastMotion(), x, np.full(3, 600.0), max_step=10.0)
    assert np.all(np.isfinite(out))
    assert np.all(np.abs(out[:, 6:9]) < 1e-6)


def test_each_track_is_cut_into_its_own_sub_steps() -> None:
    """A track predicted in a batch with others gives what it gives alone, bit for bit:
    its sub-steps are its own, not set by the longest step in the batch."""
    model = CoastMotion()
    x = _augment(_states(4, (80e3, 900e3), seed=8), 2e-4, thrust=1.0)
    dt = np.array([600.0, 3.0, 47.0, 3.0])
    mean, f, q = transition(model, x, dt, max_step=10.0)
    flown = integrate(model, x, dt, max_step=10.0)
    for i in range(4):
        alone = transition(model, x[i : i + 1], dt[i : i + 1], max_step=10.0)
        assert np.array_equal(mean[i], alone[0][0])
        assert np.array_equal(f[i], alone[1][0])
        assert np.array_equal(q[i], alone[2][0])
        assert np.array_equal(
            flown[i], integrate(model, x[i : i + 1], dt[i : i + 1], max_step=10.0)[0]
        )
    # A short step is one sub-step of its own length, whatever else is in the batch.
    one, _, _ = transition(model, x[1:2], dt[1:2], max_step=3.0)
    assert np.array_equal(mean[1], one[0])


@pytest.mark.parametrize("dt", [[300.0, 300.0, 300.0], [300.0, 40.0, 300.0]])
def test_integrated_like_is_laid_out_as_the_integration(dt: list[float]) -> None:
    # Points laid out column-major, as the cubature's are for a single track.
    x = np.asfortranarray(
        np.tile(np.array([-3.5e6, 4.1e6, 3.9e6, 1.2e3, 0.8e3, 2.1e3, 0.0, 0.0, 0.0, 3e-4]), (3, 1))
    )
    steps = np.array(dt)
    flown = integrate(CoastMotion(), x, steps, max_step=10.0)
    assert integrated_like(x, steps, max_step=10.0).strides == flown.strides
