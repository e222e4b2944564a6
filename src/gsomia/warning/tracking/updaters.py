"""Updaters: the extended Kalman update for radar reports, and its IMM form.

The measurement model is :func:`gsomia.warning.measurements.radar_h` (range, azimuth,
elevation from each report's own site), so simulation and estimation share one geometry.
Each track in a batch may be updated by a different radar at a different time; the
innovation's azimuth is wrapped to (-π, π]. References: Bar-Shalom, Li &
Kirubarajan (2001), §5.2.3 (Joseph form, optional) and §11.6.6 (IMM mode probabilities).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.measurements import radar_h_and_jacobian, wrap_angle
from gsomia.warning.tracking._linalg import LOG_2PI, Array, inv3_sym, symmetrise, transpose
from gsomia.warning.tracking.models import AUGMENTED_NDIM, KAPPA_INDEX
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch, MixtureBatch

__all__ = ["EKFUpdater", "IMMUpdater", "MeasurementPrediction", "innovation"]

_TIME_TOLERANCE_S = 1e-6


def innovation(z: Array, z_hat: Array) -> Array:
    """``z - ẑ`` for [range, azimuth, elevation] with the azimuth difference wrapped."""
    nu = z - z_hat
    nu[..., 1] = wrap_angle(nu[..., 1])
    return nu


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementPrediction:
    """Predicted measurements ``z_hat`` (N, 3), Jacobians ``H`` (N, 3, n) and ``HPHᵀ``."""

    z_hat: Array
    H: Array
    HPHt: Array


def predict_measurement(
    prediction: GaussianBatch, *, site: Array, rotation: Array
) -> MeasurementPrediction:
    """Linearised radar measurement prediction for each track from the given site(s)."""
    z_hat, h = radar_h_and_jacobian(prediction.mean, site, rotation)
    hpht = symmetrise(h @ prediction.cov @ transpose(h))
    return MeasurementPrediction(z_hat=z_hat, H=h, HPHt=hpht)


def _check_times(prediction_t: Array, measurement_t: Array) -> None:
    if prediction_t.shape != measurement_t.shape:
        raise InputError("updater needs one measurement per track")
    if np.any(np.abs(prediction_t - measurement_t) > _TIME_TOLERANCE_S):
        raise InputError("prediction and measurement times differ; predict first")


@dataclass(frozen=True, slots=True, kw_only=True)
class EKFUpdater:
    """Extended Kalman update with radar reports (range, azimuth, elevation).

    ``joseph`` selects the Joseph form of the covariance update (two more matrix products
    per track, robust to a poorly conditioned gain); the default is ``P - K S Kᵀ``,
    symmetrised, as Stone Soup's ``KalmanUpdater`` does.

    ``registration_rad`` (rad) is added in quadrature to each report's azimuth and
    elevation sigma: what a report's own noise leaves out, a sensor's residual pointing
    bias and the refraction its correction misses. Such errors persist from look to look,
    so averaging does not shrink them; set as white noise, the floor must be larger than the
    bias itself (about √(reports averaged) times). Tuned on training launches by the
    consistency harness (:mod:`gsomia.warning.consistency`); 0 trusts the reports' own
    sigma. A Schmidt (consider) filter on per-sensor bias states would be the exact form.
    """

    joseph: bool = False
    registration_rad: float = 0.0

    def __post_init__(self) -> None:
        if not (self.registration_rad >= 0.0 and np.isfinite(self.registration_rad)):
            raise InputError("registration_rad must be finite and non-negative")

    def update(self, prediction: GaussianBatch, measurements: MeasurementBatch) -> GaussianBatch:
        """The posterior of each track given its measurement. Raises InputError on mismatch."""
        posterior, _, _, _ = self._update(prediction, measurements)
        return posterior

    def update_with_likelihood(
        self, prediction: GaussianBatch, measurements: MeasurementBatch
    ) -> tuple[GaussianBatch, Array]:
        """The posterior and the log-likelihood of each measurement under its prediction."""
        posterior, nu, s_inv, det = self._update(prediction, measurements)
        d2 = np.einsum("ni,nij,nj->n", nu, s_inv, nu)
        return posterior, np.asarray(-0.5 * (d2 + np.log(det) + 3.0 * LOG_2PI))

    def _update(
        self, prediction: GaussianBatch, measurements: MeasurementBatch
    ) -> tuple[GaussianBatch, Array, Array, Array]:
        _check_times(prediction.t, measurements.t)
        z_hat, h = radar_h_and_jacobian(prediction.mean, measurements.site, measurements.rotation)
        pht = prediction.cov @ transpose(h)
        r = measurements.R
        if self.registration_rad > 0.0:
            r = r + np.diag([0.0, self.registration_rad**2, self.registration_rad**2])
        s_inv, det = inv3_sym(h @ pht + r)
        gain = pht @ s_inv
        nu = innovation(measurements.z, z_hat)
        mean = prediction.mean + (gain @ nu[:, :, None])[:, :, 0]
        if prediction.ndim == AUGMENTED_NDIM:
            # The inverse ballistic coefficient is non-negative: the estimate is projected
            # onto that constraint (Simon, IET Control Theory Appl. 4(8), 2010, §2.3).
            mean[:, KAPPA_INDEX] = np.maximum(mean[:, KAPPA_INDEX], 0.0)
        if self.joseph:
            i_kh = np.eye(prediction.ndim) - gain @ h
            cov = i_kh @ prediction.cov @ transpose(i_kh)
            cov += gain @ r @ transpose(gain)
        else:
            cov = prediction.cov - gain @ transpose(pht)
        posterior = GaussianBatch(mean=mean, cov=symmetrise(cov), t=prediction.t)
        return posterior, nu, s_inv, det


@dataclass(frozen=True, slots=True, kw_only=True)
class IMMUpdater:
    """IMM update: every mode by the EKF, then mode probabilities by the likelihoods.

    ``min_weight`` keeps every mode alive so that the filter can switch back.
    """

    updater: EKFUpdater = field(default_factory=EKFUpdater)
    min_weight: float = 1e-3

    def update(self, prediction: MixtureBatch, measurements: MeasurementBatch) -> MixtureBatch:
        """The posterior mixture of each track. Raises InputError on mismatch."""
        n, m, k = prediction.mean.shape
        _check_times(prediction.t, measurements.t)
        flat = GaussianBatch(
            mean=prediction.mean.reshape(n * m, k),
            cov=prediction.cov.reshape(n * m, k, k),
            t=np.repeat(prediction.t, m),
        )
        per_mode = measurements.take(np.repeat(np.arange(n), m))
        post, loglik = self.updater.update_with_likelihood(flat, per_mode)
        logw = np.log(np.maximum(prediction.weight, 1e-300)) + loglik.reshape(n, m)
        logw -= np.max(logw, axis=-1, keepdims=True)
        w = np.exp(logw)
        w /= np.sum(w, axis=-1, keepdims=True)
        w = np.maximum(w, self.min_weight)
        w /= np.sum(w, axis=-1, keepdims=True)
        return MixtureBatch(
            mean=post.mean.reshape(n, m, k),
            cov=post.cov.reshape(n, m, k, k),
            weight=w,
            t=prediction.t,
        )
