"""The motion models' Jacobians against finite differences of their own derivatives.

The inverse ballistic coefficient κ is where it matters: drag is clamped at κ = 0 (it
never pushes), so below zero the derivative does not depend on κ, and the Jacobian must
say so; the updater keeps the estimate itself non-negative.
"""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef
from gsomia.warning.sensors.measurements import radar_h
from gsomia.warning.tracking import (
    BoostMotion,
    CoastMotion,
    EKFUpdater,
    GaussianBatch,
    ManoeuvreMotion,
    MeasurementBatch,
)
from gsomia.warning.tracking.models import KAPPA_INDEX, MotionModel


def _state(kappa: float) -> np.ndarray:
    """A re-entering body 30 km up, 2 km/s, pitched 30° down, with a lift guess."""
    r = geodetic_to_ecef(38.0, 131.0, 30_000.0)
    up = r / np.linalg.norm(r)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    v = 2000.0 * (np.cos(np.radians(30.0)) * east - np.sin(np.radians(30.0)) * up)
    return np.concatenate([r, v, [0.5, -0.3, 1.0], [kappa]])


def _finite_difference(model: MotionModel, x: np.ndarray) -> np.ndarray:
    out = np.zeros((x.size, x.size))
    for j in range(x.size):
        step = max(abs(x[j]) * 1e-6, 1e-9 if j == KAPPA_INDEX else 1e-3)
        hi, lo = x.copy(), x.copy()
        hi[j] += step
        lo[j] -= step
        out[:, j] = (model.derivative(hi[None])[0] - model.derivative(lo[None])[0]) / (2 * step)
    return out


@pytest.mark.parametrize(
    "model",
    [CoastMotion(), ManoeuvreMotion(), ManoeuvreMotion(lift_pressure_pa=None), BoostMotion()],
)
@pytest.mark.parametrize("kappa", [8.3e-5, -7e-4])
def test_jacobian_matches_finite_differences(model: MotionModel, kappa: float) -> None:
    x = _state(kappa)
    analytic = model.jacobian(x[None])[0]
    numeric = _finite_difference(model, x)
    # The drag rows (velocity by position, velocity, κ); the J2 part of the gravity
    # gradient is left out of the Jacobian by design (a 0.1 % term), hence the tolerance.
    scale = np.maximum(np.abs(numeric), 1e-6)
    assert np.all(
        np.abs(analytic[3:6, KAPPA_INDEX] - numeric[3:6, KAPPA_INDEX])
        <= 1e-3 * scale[3:6, KAPPA_INDEX] + 1e-9
    )
    assert np.allclose(analytic[3:6, 3:6], numeric[3:6, 3:6], rtol=1e-3, atol=1e-7)
    assert np.allclose(analytic[3:6, :3], numeric[3:6, :3], rtol=5e-3, atol=5e-8)
    assert np.allclose(analytic[6:9, 6:9], numeric[6:9, 6:9], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("altitude_m", [30_000.0, 60_000.0])
def test_the_lift_share_partials_match_finite_differences(altitude_m: float) -> None:
    # The manoeuvre acceleration acts in proportion to the air's share of the dynamic
    # pressure: its partials by position and velocity enter the Jacobian.
    model = ManoeuvreMotion()
    x = _state(8.3e-5)
    r = geodetic_to_ecef(38.0, 131.0, altitude_m)
    x[:3] = r
    x[6:9] = [4.0, -6.0, 9.0]
    analytic = model.jacobian(x[None])[0]
    numeric = _finite_difference(model, x)
    assert np.allclose(analytic[3:6, 6:9], numeric[3:6, 6:9], rtol=1e-6, atol=1e-9)
    assert np.allclose(analytic[3:6, 3:6], numeric[3:6, 3:6], rtol=1e-3, atol=1e-7)
    assert np.allclose(analytic[3:6, :3], numeric[3:6, :3], rtol=5e-3, atol=5e-8)


def test_lift_does_not_act_in_vacuum() -> None:
    # 600 km up a 5 m/s² manoeuvre state moves nothing; 30 km up at 2 km/s most of it acts.
    model = ManoeuvreMotion()
    x = _state(0.0)
    x[6:9] = [5.0, 0.0, 0.0]
    low = model.derivative(x[None])[0, 3:6] - CoastMotion().derivative(x[None])[0, 3:6]
    x[:3] = geodetic_to_ecef(38.0, 131.0, 600_000.0)
    high = model.derivative(x[None])[0, 3:6] - CoastMotion().derivative(x[None])[0, 3:6]
    assert np.linalg.norm(low) > 2.5
    assert np.linalg.norm(high) < 1e-6


def test_kappa_partial_vanishes_below_the_clamp() -> None:
    below = CoastMotion().jacobian(_state(-7e-4)[None])[0]
    above = CoastMotion().jacobian(_state(8.3e-5)[None])[0]
    assert np.all(below[3:6, KAPPA_INDEX] == 0.0)
    assert np.linalg.norm(above[3:6, KAPPA_INDEX]) > 100.0


def test_the_update_keeps_kappa_non_negative() -> None:
    x = _state(1e-5)
    cov = np.diag([100.0] * 3 + [10.0] * 3 + [1.0] * 3 + [1e-8])
    # A κ correlated with range: a report far short in range pulls κ below zero.
    cov[0, KAPPA_INDEX] = cov[KAPPA_INDEX, 0] = 0.9 * np.sqrt(100.0 * 1e-8)
    prior = GaussianBatch.of(mean=x, cov=cov, t=0.0)
    site = geodetic_to_ecef(38.0, 130.0, 0.0)
    rot = enu_rotation(38.0, 130.0)
    z = radar_h(x[None], site[None], rot[None])[0]
    z[0] -= 500.0
    batch = MeasurementBatch(
        z=z[None],
        R=np.diag([25.0, 1e-8, 1e-8])[None],
        site=site[None],
        rotation=rot[None],
        t=np.zeros(1),
    )
    post = EKFUpdater().update(prior, batch)
    assert post.mean[0, KAPPA_INDEX] >= 0.0
