"""The radar update by statistical linear regression: the range sphere's curvature.

A radar's range is metres where its angles are milliradians: at 1,500 km a cross-range
spread of a few kilometres bends the range by ``|Δ⊥|² / 2r``, several range sigmas. The
first-order update takes that for a state error and turns over-confident; the regression
puts the curvature's mean into the predicted report and its spread into the innovation
covariance.
"""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.geo.frames import geodetic_to_ecef
from gsomia.warning.sensors.measurements import radar_h
from gsomia.warning.tracking import EKFUpdater, GaussianBatch, MeasurementBatch
from gsomia.warning.tracking.updaters import innovation, statistical_linearisation
from tests.support.tracking import SITE_K

_SIGMA = np.array([2.0, 2e-3, 2e-3])  # range (m), angles (rad): long range, low SNR


def _far_prior() -> tuple[np.ndarray, np.ndarray]:
    """A point 1,500 km up-range with kilometres across the line of sight, metres along."""
    x = np.concatenate([geodetic_to_ecef(40.0, 140.0, 900_000.0), [0.0, 0.0, 0.0]])
    los = x[:3] - SITE_K.ecef
    los /= np.linalg.norm(los)
    p = 4000.0**2 * (np.eye(3) - np.outer(los, los)) + 20.0**2 * np.outer(los, los)
    cov = np.eye(6)
    cov[:3, :3] = p
    return x, cov


def _batch(z: np.ndarray) -> MeasurementBatch:
    n = z.shape[0]
    return MeasurementBatch(
        z=z,
        R=np.repeat(np.diag(_SIGMA**2)[None], n, 0),
        site=np.repeat(SITE_K.ecef[None], n, 0),
        rotation=np.repeat(SITE_K.enu_rotation[None], n, 0),
        t=np.zeros(n),
    )


def test_the_regression_matches_the_monte_carlo_moments_of_the_report() -> None:
    x, cov = _far_prior()
    rng = np.random.default_rng(3)
    samples = rng.multivariate_normal(x, cov, 40_000)
    z = radar_h(samples, SITE_K.ecef, SITE_K.enu_rotation)
    centre = radar_h(x, SITE_K.ecef, SITE_K.enu_rotation)
    d = innovation(z, np.broadcast_to(centre, z.shape).copy())
    z_hat, h, omega = statistical_linearisation(
        x[None], cov[None], SITE_K.ecef[None], SITE_K.enu_rotation[None]
    )
    offset = innovation(z_hat, centre[None])[0]
    # The range's mean is off the centre by the curvature, about 8 m here (4 range sigmas).
    assert np.mean(d[:, 0]) > 5.0
    assert abs(offset[0] - np.mean(d[:, 0])) < 0.05 * np.mean(d[:, 0])
    total = h[0] @ cov @ h[0].T + omega[0]
    assert np.allclose(np.diag(total), np.var(d, axis=0), rtol=0.05)
    assert omega[0, 0, 0] > 4.0 * _SIGMA[0] ** 2


def test_the_statistical_update_is_consistent_where_the_first_order_one_is_not() -> None:
    x, cov = _far_prior()
    n = 2000
    rng = np.random.default_rng(8)
    truth = rng.multivariate_normal(x, cov, n)
    z = radar_h(truth, SITE_K.ecef, SITE_K.enu_rotation) + rng.normal(0.0, _SIGMA, (n, 3))
    prior = GaussianBatch.of(mean=np.repeat(x[None], n, 0), cov=np.repeat(cov[None], n, 0), t=0.0)

    def nees(updater: EKFUpdater) -> float:
        post = updater.update(prior, _batch(z))
        e = post.mean[:, :3] - truth[:, :3]
        return float(np.mean(np.einsum("ni,nij,nj->n", e, np.linalg.inv(post.cov[:, :3, :3]), e)))

    # χ²(3): the mean of 2,000 lies within [2.8, 3.2] but for one time in a thousand.
    assert nees(EKFUpdater()) > 5.0
    assert 2.7 <= nees(EKFUpdater(sigma_points=True)) <= 3.3
    assert 2.7 <= nees(EKFUpdater(sigma_points=True, iterations=1)) <= 3.3
    with pytest.raises(InputError):
        EKFUpdater(iterations=1)
