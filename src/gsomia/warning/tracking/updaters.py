"""Updaters: the extended Kalman update for radar reports, and its IMM form.

The measurement model is :func:`gsomia.warning.sensors.measurements.radar_h` (range, azimuth,
elevation from each report's own site), so simulation and estimation share one geometry.
Each track in a batch may be updated by a different radar at a different time; the
innovation's azimuth is wrapped to (-π, π]. References: Bar-Shalom, Li &
Kirubarajan (2001), §5.2.3 (Joseph form, optional) and §11.6.6 (IMM mode probabilities).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.geo.horizon import apparent_elevation
from gsomia.warning.sensors.measurements import radar_h, radar_h_and_jacobian, wrap_angle
from gsomia.warning.tracking._linalg import (
    LOG_2PI,
    Array,
    inv3_sym,
    sqrt_psd,
    symmetrise,
    transpose,
)
from gsomia.warning.tracking.models import AUGMENTED_NDIM, KAPPA_INDEX
from gsomia.warning.tracking.states import GaussianBatch, MeasurementBatch, MixtureBatch

__all__ = [
    "EKFUpdater",
    "IMMUpdater",
    "MeasurementPrediction",
    "innovation",
    "statistical_linearisation",
]

_TIME_TOLERANCE_S = 1e-6


def _gauss_hermite_3d() -> tuple[Array, Array]:
    """The 27 nodes (27, 3) and weights of the three-point Gauss-Hermite product rule for
    a standard normal in three dimensions: exact for polynomials up to degree five in each
    coordinate, so the mean and spread of a quadratic (a range's curvature) are exact."""
    node = np.array([-np.sqrt(3.0), 0.0, np.sqrt(3.0)])
    weight = np.array([1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0])
    grid = np.stack(np.meshgrid(node, node, node, indexing="ij"), axis=-1).reshape(-1, 3)
    w = np.einsum("i,j,k->ijk", weight, weight, weight).reshape(-1)
    return grid, w


_GH_NODES, _GH_WEIGHTS = _gauss_hermite_3d()


def statistical_linearisation(
    mean: Array, cov: Array, site: Array, rotation: Array
) -> tuple[Array, Array, Array]:
    """The radar measurement's statistical linear regression on Gaussian states.

    ``h(x) ≈ ẑ + H (x − mean) + e``, ``e ~ N(0, Ω)``: ``ẑ`` (N, 3) is the mean of
    ``h`` over the Gaussian, ``H`` (N, 3, n) the regression slope and ``Ω`` (N, 3, 3) the
    spread the slope does not explain (Arasaratnam & Haykin 2009; García-Fernández et al.,
    "Posterior linearization filter", IEEE Trans. SP 63(10), 2015). The moments are taken
    over the position (the measurement depends on nothing else) by a 27-point
    Gauss-Hermite rule. Where the range is far more precise than the angles (a radar's
    metres in range against kilometres across the line of sight at 1,500 km), the
    curvature of the range sphere over the cross-range spread, ``|Δ⊥|² / 2r``, is several
    range sigmas: the first-order update takes it for a state error and turns
    over-confident; here it is in ``ẑ`` (its mean) and in ``Ω`` (its spread).
    """
    n_tracks, n = mean.shape
    chol = sqrt_psd(cov[:, :3, :3])
    offsets = np.einsum("nij,pj->npi", chol, _GH_NODES)  # (N, 27, 3)
    points = mean[:, None, :3] + offsets
    centre = radar_h(mean[:, :3], site, rotation)  # (N, 3)
    z = radar_h(points, site[:, None, :], rotation[:, None, :, :])
    d = innovation(z, centre[:, None, :])  # azimuth differences wrapped about the centre
    shift = np.einsum("p,npi->ni", _GH_WEIGHTS, d)
    dz = d - shift[:, None, :]
    pzz = np.einsum("p,npi,npj->nij", _GH_WEIGHTS, dz, dz)
    m = np.einsum("p,npi,pj->nij", _GH_WEIGHTS, dz, _GH_NODES)  # Cov(z, u), u standard
    # Σ w u uᵀ = I for this rule, so the slope is M L⁻¹ and Ω = Pzz − M Mᵀ.
    slope_pos = transpose(np.asarray(np.linalg.solve(transpose(chol), transpose(m)), dtype=float))
    h = np.zeros((n_tracks, 3, n))
    h[:, :, :3] = slope_pos
    omega = symmetrise(pzz - m @ transpose(m))
    z_hat = centre + shift
    z_hat[:, 1] = np.mod(z_hat[:, 1], 2.0 * np.pi)
    return z_hat, h, omega


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
    consistency harness (:mod:`gsomia.warning.evaluation.consistency`); 0 trusts the reports' own
    sigma.

    ``bias_rad`` (rad) > 0 makes this a Schmidt-Kalman (consider) filter for three constant
    parameters per sensor (``bias_slots`` sensors, each report's slot in
    :attr:`MeasurementBatch.bias_slot`): an azimuth and an elevation bias of spread
    ``bias_rad``, and the fraction of the tropospheric bending that the sensor's 4/3-Earth
    correction misses, of spread ``refraction_sigma``, which moves the elevation by that
    fraction times the bending at the predicted elevation
    (:func:`gsomia.warning.geo.horizon.apparent_elevation`). They are not estimated, but their
    prior spreads and the state's cross-covariance with them
    (:attr:`GaussianBatch.consider`, carried through prediction and IMM mixing) enter every
    gain and covariance, so a persistent error is not averaged away as white noise would be.
    With ``C`` the cross-covariance, ``G`` the bias's place in the report and ``B`` its
    covariance: ``S = HPHᵀ + HCGᵀ + GCᵀHᵀ + GBGᵀ + R``, ``K = (PHᵀ + CGᵀ) S⁻¹``,
    ``P⁺ = P - K S Kᵀ``, ``C⁺ = C - K (HC + GB)`` (Schmidt 1966; Simon, *Optimal State
    Estimation*, 2006, §7.5). A state without a cross-covariance starts at zero; the
    consider update always uses the standard covariance form (``joseph`` is not applied).

    ``stated_bias`` considers each report's own stated pointing bias
    (:attr:`MeasurementBatch.bias_rad`, the sensor's specification carried by its reports)
    in place of ``bias_rad``: a radar registered to 0.2 mrad is considered at 0.2 mrad, one
    registered to 0.05 mrad at 0.05, whatever the tuning. A filter that considers less
    bias than its sensor states is over-confident wherever the bias dominates (at long
    range, across the line of sight), however well it does where it does not.

    ``sigma_points`` replaces the first-order linearisation of the radar measurement at
    the predicted mean by its statistical linear regression over the predicted Gaussian
    (:func:`statistical_linearisation`): the curvature of the measurement over the state's
    spread enters the predicted measurement and, as the regression's residual spread, the
    innovation covariance. ``iterations`` more passes re-linearise over the posterior and
    update again from the prediction (the iterated posterior linearisation filter), so a
    report much more precise than the prediction is linearised where the state ends up.
    """

    joseph: bool = False
    registration_rad: float = 0.0
    bias_rad: float = 0.0
    refraction_sigma: float = 0.0
    bias_slots: int = 1
    stated_bias: bool = False
    sigma_points: bool = False
    iterations: int = 0

    def __post_init__(self) -> None:
        if not (self.registration_rad >= 0.0 and np.isfinite(self.registration_rad)):
            raise InputError("registration_rad must be finite and non-negative")
        if not (self.bias_rad >= 0.0 and np.isfinite(self.bias_rad)):
            raise InputError("bias_rad must be finite and non-negative")
        if not (self.refraction_sigma >= 0.0 and np.isfinite(self.refraction_sigma)):
            raise InputError("refraction_sigma must be finite and non-negative")
        if self.bias_slots < 1:
            raise InputError("bias_slots must be at least 1")
        if self.iterations < 0 or (self.iterations > 0 and not self.sigma_points):
            raise InputError("iterations must be non-negative, and need sigma_points")

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
        result = self._one_update(prediction, measurements, prediction)
        for _ in range(self.iterations):
            result = self._one_update(prediction, measurements, result[0])
        return result

    def _linearise(
        self, prediction: GaussianBatch, measurements: MeasurementBatch, about: GaussianBatch
    ) -> tuple[Array, Array, Array | None]:
        """Predicted measurement at the prediction's mean, slope and residual spread (None
        for the first-order linearisation), the regression taken over ``about``."""
        if not self.sigma_points:
            z_hat, h = radar_h_and_jacobian(
                prediction.mean, measurements.site, measurements.rotation
            )
            return z_hat, h, None
        z_hat, h, omega = statistical_linearisation(
            about.mean, about.cov, measurements.site, measurements.rotation
        )
        if about is not prediction:
            z_hat = z_hat + (h @ (prediction.mean - about.mean)[:, :, None])[:, :, 0]
        return z_hat, h, omega

    @property
    def considers(self) -> bool:
        """Whether sensor biases are considered (a Schmidt-Kalman update)."""
        return self.bias_rad > 0.0 or self.stated_bias

    def _one_update(
        self, prediction: GaussianBatch, measurements: MeasurementBatch, about: GaussianBatch
    ) -> tuple[GaussianBatch, Array, Array, Array]:
        if self.considers:
            return self._consider_update(prediction, measurements, about)
        z_hat, h, omega = self._linearise(prediction, measurements, about)
        pht = prediction.cov @ transpose(h)
        r = self._noise(measurements)
        if omega is not None:
            r = r + omega
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
        posterior = GaussianBatch(
            mean=mean, cov=symmetrise(cov), t=prediction.t, consider=prediction.consider
        )
        return posterior, nu, s_inv, det

    def consider_start(self, born: GaussianBatch, measurements: MeasurementBatch) -> GaussianBatch:
        """A track born of one report each, with its cross-covariance with the biases: the
        born position error is the report's bias carried through the inverted measurement:
        the born position is ``p + J b`` with ``J = ∂p/∂z G``, so the error ``x − x̂`` (the
        convention of the update, ``C = Cov(x − x̂, b)``) has cross-covariance ``−J B`` and
        ``J B Jᵀ`` is added to the position covariance; velocity and the rest start
        uncorrelated. Without a considered bias the batch is returned as it is. (The sign was
        once ``+J B``: the update then moved the state the wrong way for the bias and the
        track started over-confident.)"""
        if not self.considers:
            return born
        n, k = born.mean.shape
        z_hat, h = radar_h_and_jacobian(born.mean, measurements.site, measurements.rotation)
        g, b_var = self._bias_model(born.mean, z_hat, measurements)
        j: Array = np.asarray(np.linalg.solve(h[:, :, :3], g), dtype=float)  # (N, 3, b)
        consider = np.zeros((n, k, g.shape[-1]))
        consider[:, :3] = -j * b_var[:, None, :]
        # The born position carries the biases' error too: P += J B Jᵀ keeps the joint
        # covariance of state and parameters positive semi-definite.
        cov = born.cov.copy()
        cov[:, :3, :3] += (j * b_var[:, None, :]) @ transpose(j)
        return GaussianBatch(mean=born.mean, cov=symmetrise(cov), t=born.t, consider=consider)

    def _bias_model(
        self, mean: Array, z_hat: Array, measurements: MeasurementBatch
    ) -> tuple[Array, Array]:
        """Each report's sensitivity ``G`` (N, 3, 3S) to the considered parameters and
        their variances (N, 3S)."""
        n = mean.shape[0]
        b = 3 * self.bias_slots
        slot = (
            np.zeros(n, dtype=np.intp)
            if measurements.bias_slot is None
            else np.asarray(measurements.bias_slot, dtype=np.intp)
        )
        if np.any(slot >= self.bias_slots):
            raise InputError("a report's bias slot exceeds bias_slots")
        rows = np.arange(n)
        g = np.zeros((n, 3, b))
        g[rows, 1, 3 * slot] = 1.0
        g[rows, 2, 3 * slot + 1] = 1.0
        if self.refraction_sigma > 0.0:
            bend = np.asarray(apparent_elevation(measurements.site, mean[:, :3])) - z_hat[:, 2]
            g[rows, 2, 3 * slot + 2] = bend
        var = np.tile(
            [self.bias_rad**2, self.bias_rad**2, self.refraction_sigma**2], self.bias_slots
        )
        out = np.broadcast_to(var, (n, b)).copy()
        if self.stated_bias:
            if measurements.bias_rad is None:
                raise InputError("stated_bias needs each report's stated bias (bias_rad)")
            # Each row's G touches only its own slot, so its stated spread may stand in
            # every slot of that row.
            stated = np.asarray(measurements.bias_rad, dtype=float) ** 2
            out[:, 0::3] = stated[:, None]
            out[:, 1::3] = stated[:, None]
        return g, out

    def _noise(self, measurements: MeasurementBatch) -> Array:
        r = measurements.R
        if self.registration_rad > 0.0:
            r = r + np.diag([0.0, self.registration_rad**2, self.registration_rad**2])
        return r

    def _consider_update(
        self, prediction: GaussianBatch, measurements: MeasurementBatch, about: GaussianBatch
    ) -> tuple[GaussianBatch, Array, Array, Array]:
        """The Schmidt-Kalman update (see the class): biases considered, not estimated."""
        n, k = prediction.mean.shape
        b = 3 * self.bias_slots
        c = prediction.consider
        if c is None:
            c = np.zeros((n, k, b))
        elif c.shape != (n, k, b):
            raise InputError(f"consider cross-covariance {c.shape} is not {(n, k, b)}")
        z_hat, h, omega = self._linearise(prediction, measurements, about)
        g, b_var = self._bias_model(prediction.mean, z_hat, measurements)
        gb = g * b_var[:, None, :]
        cgt = c @ transpose(g)  # (n, k, 3)
        pht = prediction.cov @ transpose(h) + cgt
        hcgt = h @ cgt
        gbgt = gb @ transpose(g)
        s = h @ prediction.cov @ transpose(h) + hcgt + transpose(hcgt) + gbgt
        r = self._noise(measurements)
        if omega is not None:
            r = r + omega
        s_inv, det = inv3_sym(symmetrise(s + r))
        gain = pht @ s_inv
        nu = innovation(measurements.z, z_hat)
        mean = prediction.mean + (gain @ nu[:, :, None])[:, :, 0]
        if prediction.ndim == AUGMENTED_NDIM:
            mean[:, KAPPA_INDEX] = np.maximum(mean[:, KAPPA_INDEX], 0.0)
        cov = prediction.cov - gain @ transpose(pht)
        consider = c - gain @ (h @ c + gb)
        posterior = GaussianBatch(mean=mean, cov=symmetrise(cov), t=prediction.t, consider=consider)
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
            consider=None
            if prediction.consider is None
            else prediction.consider.reshape(n * m, k, prediction.consider.shape[-1]),
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
            consider=None
            if post.consider is None
            else post.consider.reshape(n, m, k, post.consider.shape[-1]),
        )
