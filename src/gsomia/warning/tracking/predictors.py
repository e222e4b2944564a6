"""Predictors: the extended Kalman prediction and the interacting multiple model (IMM).

Both work on whole batches. :class:`EKFPredictor` propagates N Gaussians through one
motion model (mean by RK4, covariance by ``F P Fᵀ + Q``). :class:`IMMPredictor` mixes N
mixtures of M mode-conditioned Gaussians and predicts each mode with its own model, all
N·M at once per model. References: Bar-Shalom, Li & Kirubarajan, *Estimation with
Applications to Tracking and Navigation* (2001), §10.3 (EKF) and §11.6.6 (IMM).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gsomia.errors import InputError
from gsomia.warning.tracking._linalg import Array, Index, sqrt_psd, symmetrise, transpose
from gsomia.warning.tracking.models import (
    AUGMENTED_NDIM,
    BoostMotion,
    CoastMotion,
    ManoeuvreMotion,
    MotionModel,
    dynamic_pressure,
    integrate,
    integrated_like,
    transition,
)
from gsomia.warning.tracking.states import GaussianBatch, MixtureBatch

__all__ = ["EKFPredictor", "IMMPredictor", "markov_matrix"]

_MIN_PROBABILITY = 1e-12


def _targets(t: ArrayLike, n: int) -> Array:
    return np.broadcast_to(np.asarray(t, dtype=float), (n,)).copy()


@dataclass(frozen=True, slots=True, kw_only=True)
class EKFPredictor:
    """Extended Kalman prediction through one motion model, for N tracks at once.

    ``max_step`` (s) caps the integration sub-step.
    """

    motion: MotionModel
    max_step: float = 5.0

    def predict(self, prior: GaussianBatch, *, t: ArrayLike) -> GaussianBatch:
        """The prior predicted to time(s) ``t``."""
        target = _targets(t, len(prior))
        x, f, q = transition(self.motion, prior.mean, target - prior.t, max_step=self.max_step)
        cov = symmetrise(f @ prior.cov @ transpose(f) + q)
        # Considered biases are constant: their cross-covariance moves with the state.
        consider = None if prior.consider is None else f @ prior.consider
        return GaussianBatch(mean=x, cov=cov, t=target, consider=consider)

    def start(self, gaussian: GaussianBatch, *, powered: Array) -> GaussianBatch:
        """The initiator's Gaussians as they are; raises InputError if the layout differs."""
        if gaussian.ndim != self.motion.ndim:
            raise InputError(f"initiator gives {gaussian.ndim} states, model {self.motion.ndim}")
        return gaussian

    def powered_probability(self, state: GaussianBatch) -> Array:
        """One for a powered model, zero otherwise."""
        return np.full(len(state), 1.0 if self.motion.powered else 0.0)


def cubature_predict(
    motion: MotionModel, mean: Array, cov: Array, dt: Array, *, max_step: float
) -> tuple[Array, Array, Array]:
    """Mean and covariance after ``dt`` by the cubature rule: the 2n points ``x ± √n Lᵢ``
    flown through the model, their sample mean and covariance, plus the process noise
    accumulated along the mean (Arasaratnam & Haykin 2009). Over long gaps the EKF's one
    linearisation misses the curvature of the flight (a banana-shaped spread). The third
    value is the statistical linearisation ``Pₓᵧᵀ P⁻¹`` (N, n, n) of the flight, with which
    a cross-covariance with considered parameters moves consistently with the spread."""
    n_tracks, n = mean.shape
    offsets, points = _cubature_points(mean, cov)
    flown = integrate(motion, points, np.repeat(dt, 2 * n), max_step=max_step)
    _, _, q = transition(motion, mean, dt, max_step=max_step)
    return _cubature_moments(flown.reshape(n_tracks, 2 * n, n), offsets, cov, q)


def _cubature_batches(
    motion: MotionModel,
    mean: Array,
    cov: Array,
    dt: Array,
    *,
    q: Array,
    batches: Sequence[Index],
    max_step: float,
) -> list[tuple[Index, tuple[Array, Array, Array]]]:
    """:func:`cubature_predict` of the rows of each batch, ``q`` the process noise along
    every row's mean: every batch's points flown in one pass, each batch's matrix
    roots and moments taken on their own, over its flight laid out in memory as if
    flown alone (the roots fall back to eigenvalues for a whole batch, and the order of
    the moments' sums follows the layout), so that each gets its numbers alone."""
    if not batches:
        return []
    parts = [_cubature_points(mean[g], cov[g]) for g in batches]
    n_points = 2 * mean.shape[1]
    steps = np.concatenate([np.repeat(dt[g], n_points) for g in batches])
    flown = integrate(motion, np.concatenate([p for _, p in parts]), steps, max_step=max_step)
    out = []
    first = 0
    for g, (offsets, points) in zip(batches, parts, strict=True):
        alone = integrated_like(points, np.repeat(dt[g], n_points), max_step=max_step)
        alone[...] = flown[first : first + points.shape[0]]
        first += points.shape[0]
        flight = alone.reshape(g.size, n_points, -1)
        out.append((g, _cubature_moments(flight, offsets, cov[g], q[g])))
    return out


def _cubature_points(mean: Array, cov: Array) -> tuple[Array, Array]:
    """The cubature offsets ``±√n Lᵢ`` (N, 2n, n) and points (N·2n, n), track-major."""
    n = mean.shape[1]
    chol = sqrt_psd(cov) * math.sqrt(n)
    offsets = np.concatenate([np.swapaxes(chol, 1, 2), -np.swapaxes(chol, 1, 2)], axis=1)
    return offsets, (mean[:, None, :] + offsets).reshape(-1, n)


def _cubature_moments(
    flown: Array, offsets: Array, cov: Array, q: Array
) -> tuple[Array, Array, Array]:
    """Mean, covariance (plus the process noise ``q``) and statistical linearisation of
    the flown points (N, 2n, n) of :func:`cubature_predict`."""
    two_n = flown.shape[1]
    centre = np.mean(flown, axis=1)
    d = flown - centre[:, None, :]
    cross = np.einsum("npi,npj->nij", d, offsets) / two_n  # Cov(x after, x before)
    slope = transpose(np.asarray(np.linalg.solve(cov, transpose(cross)), dtype=float))
    return centre, symmetrise(np.einsum("npi,npj->nij", d, d) / two_n + q), slope


def markov_matrix(rates: Array, dt: Array) -> Array:
    """Mode transition probabilities ``exp(Λ |dt|)`` (N, M, M) from a rate matrix Λ (1/s),
    one for all tracks (M, M) or one per track (N, M, M).

    Scaling and squaring of an 8-term Taylor series; rows of the result sum to one.
    """
    return markov_matrices(rates, dt, (int(np.shape(dt)[0]),))


def markov_matrices(rates: Array, dt: Array, sizes: Sequence[int]) -> Array:
    """:func:`markov_matrix` of consecutive batches of ``sizes`` rows in one pass, each
    batch's series scaled by its own longest step: the numbers of each batch alone."""
    per_track = rates if rates.ndim == 3 else rates[None]
    a = per_track * np.abs(dt)[:, None, None]
    row_norm = np.max(np.sum(np.abs(a), axis=-1), axis=-1) if a.size else np.zeros(0)
    squarings = np.zeros(a.shape[0], dtype=np.intp)
    start = 0
    for n in sizes:
        norm = float(np.max(row_norm[start : start + n])) if n else 0.0
        squarings[start : start + n] = max(0, math.ceil(math.log2(norm)) + 2) if norm > 0 else 0
        start += n
    a = a / (2.0**squarings)[:, None, None]
    eye = np.eye(rates.shape[-1])
    out = np.broadcast_to(eye, a.shape).copy()
    term = out.copy()
    for k in range(1, 9):
        term = term @ a / k
        out = out + term
    most = int(np.max(squarings)) if squarings.size else 0
    for k in range(most):
        more = np.nonzero(squarings > k)[0]
        out[more] = out[more] @ out[more]
    out = np.clip(out, 0.0, None)
    return np.asarray(out / np.sum(out, axis=-1, keepdims=True))


def _mix(prior: MixtureBatch, pi: Array) -> tuple[Array, Array, Array, Array | None, Array]:
    """IMM interaction: predicted mode probabilities and the mixed means and covariances
    (and cross-covariances with considered biases, whose mean is zero in every mode), and
    the mixing probabilities ``μ[i, j]`` (N, M, M) of mode i given mode j."""
    joint = pi * prior.weight[:, :, None]
    c = np.sum(joint, axis=1)
    # A mode that nothing enters and that its own weight has left (its predicted
    # probability underflows, e.g. a manoeuvre mode over a long gap in vacuum, where its
    # onset hazard is nil) keeps its own state: dividing by a floored probability made
    # its mixing weights sum to almost nothing and its mixed mean almost zero, the
    # Earth's centre.
    empty = c <= _MIN_PROBABILITY
    safe = np.where(empty, 1.0, c)
    own = np.broadcast_to(np.eye(pi.shape[-1], dtype=bool), pi.shape) & empty[:, None, :]
    mix = np.where(empty[:, None, :], own.astype(float), joint / safe[:, None, :])
    c = np.maximum(c, _MIN_PROBABILITY)
    mean0 = np.einsum("nij,nik->njk", mix, prior.mean)
    d = prior.mean[:, :, None, :] - mean0[:, None, :, :]
    spread = d[..., :, None] * d[..., None, :]
    cov0 = np.einsum("nij,nikl->njkl", mix, prior.cov) + np.einsum("nij,nijkl->njkl", mix, spread)
    consider0 = None if prior.consider is None else np.einsum("nij,nikl->njkl", mix, prior.consider)
    return c / np.sum(c, axis=-1, keepdims=True), mean0, symmetrise(cov0), consider0, mix


def _cutoff_spread(thrust: Array, share: Array, dt: Array) -> Array:
    """Position-velocity spread (N, 6, 6) of a thrust ``thrust`` (N, 3) that stops at an
    unknown moment of a step ``dt`` (N,), for the ``share`` (N,) of an unpowered mode's
    prior that came from a powered mode.

    Over a step in which the engine stops, the truth thrusts for a part ``u`` of the step
    (uniform on [0, dt]) and the unpowered model for none of it: about the unpowered
    prediction, ``Δv = a u`` and ``Δr = a u² / 2``, with second moments ``a aᵀ`` times
    ``dt²/3``, ``dt⁴/20`` and ``dt³/8`` (cross). Without it an unpowered mode took over
    from the boost mode at burnout with a velocity error of 100-500 m/s against per-axis
    sigmas of 40-90 m/s (on the training Hwasong-12 the mean NEES of the bins after
    burnout was 13-142), and took half a minute to recover.
    """
    h = np.abs(dt)
    outer = thrust[:, :, None] * thrust[:, None, :] * share[:, None, None]
    out = np.zeros((thrust.shape[0], 6, 6))
    out[:, :3, :3] = outer * (h**4 / 20.0)[:, None, None]
    out[:, :3, 3:] = out[:, 3:, :3] = outer * (h**3 / 8.0)[:, None, None]
    out[:, 3:, 3:] = outer * (h**2 / 3.0)[:, None, None]
    return out


def _reseed(
    prior: MixtureBatch, motions: tuple[MotionModel, ...], threshold: float, spread_s: float
) -> tuple[MixtureBatch, list[tuple[int, Index, Array]]]:
    """Light modes restart from the heaviest mode; returned with the widening each is due,
    their own noise over ``spread_s`` (so a re-seeded boost mode can still catch a sudden
    thrust or manoeuvre), as ``(mode, tracks, widening)``.

    With ``IMMPredictor.widen_after_mixing`` the widening is applied after the interaction
    (:func:`_widen`): it is the light mode's hypothesis about its own next step. Added
    before the mixing, a boost
    mode held at its weight floor passed its thrust random walk's spread to the coast
    mode at every step (``μ ≈ 2e-5`` of a velocity variance of about 170 m²/s², some
    thirty times the coast mode's own process noise), and a coasting track's velocity
    read several times less precise than it was."""
    heavy = np.argmax(prior.weight, axis=1)
    mean, cov = prior.mean.copy(), prior.cov.copy()
    consider = None if prior.consider is None else prior.consider.copy()
    widening: list[tuple[int, Index, Array]] = []
    for j, motion in enumerate(motions):
        light = np.nonzero((prior.weight[:, j] < threshold) & (heavy != j))[0]
        if light.size:
            mean[light, j] = prior.mean[light, heavy[light]]
            cov[light, j] = prior.cov[light, heavy[light]]
            widening.append((j, light, motion.noise(np.full(light.size, spread_s))))
            if consider is not None and prior.consider is not None:
                consider[light, j] = prior.consider[light, heavy[light]]
    reseeded = MixtureBatch(mean=mean, cov=cov, weight=prior.weight, t=prior.t, consider=consider)
    return reseeded, widening


def _widen(cov0: Array, widening: list[tuple[int, Index, Array]]) -> Array:
    """The mixed covariances (N, M, n, n) with each re-seeded mode's widening added."""
    if not widening:
        return cov0
    out = cov0.copy()
    for j, light, widen in widening:
        out[light, j] = out[light, j] + widen
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class IMMPredictor:
    """IMM prediction over several motion models sharing one state layout.

    ``rates`` (M, M) is the generator of mode switching in 1/s: off-diagonal entries are
    switching rates, each row sums to zero. A mode lighter than ``reseed_weight`` is
    re-seeded from the heaviest mode before each prediction, widened by its own process
    noise over ``reseed_spread_s``: left alone, an unlikely and unobserved boost mode
    drifts without bound (its thrust is a random walk), and the IMM's mixing leaks that
    drift back into the likely coast mode (in a simulated ICBM flight, six minutes of
    scans without a report for the warhead inflated its coast mode's velocity sigma from
    1.6 m/s to 117 m/s). A prediction longer than ``cubature_after_s`` (a gap in coverage)
    uses :func:`cubature_predict` for the unpowered modes instead of the EKF's one
    linearisation.

    Two corrections found by the consistency harness, on where the harness runs them
    (:func:`gsomia.warning.evaluation.consistency.harness_predictor`), off by default:
    ``widen_after_mixing`` adds a re-seeded mode's widening after the interaction, so that
    it no longer leaks into the heavy modes (:func:`_reseed`); ``burnout_spread`` (the
    10-state layout only) gives each unpowered mode's prior the spread of a thrust that
    stops at an unknown moment of the step, in proportion to the share of it that came
    from a powered mode (:func:`_cutoff_spread`). The node's trackers leave both off: with
    the first-order radar update (:class:`~gsomia.warning.tracking.updaters.EKFUpdater`)
    the leak's extra spread was hiding that update's over-confidence, and the end-to-end
    Hwasong-12 test's impact miss grew from under 2 km to 4.8 km without it.

    ``onset_pressure_pa`` (off by default) makes the switch into a manoeuvre mode a
    hazard of the air the track is in: each track's rates into the
    :class:`~gsomia.warning.tracking.models.ManoeuvreMotion` modes are the generator's
    times ``q / onset_pressure_pa``, ``q`` the dynamic pressure of the track's mean state
    in the filter's atmosphere (:func:`~gsomia.warning.tracking.models.dynamic_pressure`)
    at the start of the step. Lift is ``q C_L A / m``: a body that cannot pull cannot
    start a pull-up, so in vacuum the hazard is nil, and it grows with the control
    authority in denser air (a state-dependent transition probability; Li & Jilkov,
    "Survey of maneuvering target tracking, Part V: multiple-model methods", IEEE Trans.
    AES 41(4), 2005). With a constant rate the manoeuvre mode kept a weight of 0.01-0.03
    through a KN-23-class coast near apogee (4 kPa) and widened it (docs/tracking.md,
    section 16, fifth pass).

    Raises InputError if the rates are malformed or the models' layouts
    differ.
    """

    motions: tuple[MotionModel, ...]
    rates: Array
    max_step: float = 5.0
    reseed_weight: float = 0.01
    reseed_spread_s: float = 5.0
    cubature_after_s: float = 120.0
    widen_after_mixing: bool = False
    burnout_spread: bool = False
    onset_pressure_pa: float | None = None

    def __post_init__(self) -> None:
        if self.onset_pressure_pa is not None and not self.onset_pressure_pa > 0.0:
            raise InputError("IMMPredictor needs onset_pressure_pa > 0 (or None)")
        m = len(self.motions)
        if m < 1 or len({model.ndim for model in self.motions}) != 1:
            raise InputError("IMMPredictor needs models of one state layout")
        off = self.rates - np.diag(np.diag(self.rates))
        if (
            self.rates.shape != (m, m)
            or np.any(off < 0)
            or np.any(np.abs(self.rates.sum(1)) > 1e-9)
        ):
            raise InputError("IMM rates must be an M×M generator (rows sum to zero)")

    @classmethod
    def boost_coast(
        cls,
        *,
        boost: BoostMotion | None = None,
        coast: CoastMotion | None = None,
        mean_boost_s: float = 90.0,
        mean_coast_s: float = 1e6,
    ) -> IMMPredictor:
        """The two-model boost/coast IMM: a boost ends after ``mean_boost_s`` on average;
        a coast almost never turns back into a boost on its own (``mean_coast_s``): a
        later stage or a manoeuvre is caught by the likelihood of the re-seeded boost
        mode, whose weight the updater keeps above its floor, not by the Markov prior,
        which would otherwise put a wide boost mode into every long prediction."""
        rates = np.array(
            [[-1.0 / mean_boost_s, 1.0 / mean_boost_s], [1.0 / mean_coast_s, -1.0 / mean_coast_s]]
        )
        return cls(motions=(boost or BoostMotion(), coast or CoastMotion()), rates=rates)

    @classmethod
    def boost_coast_manoeuvre(
        cls,
        *,
        boost: BoostMotion | None = None,
        coast: CoastMotion | None = None,
        manoeuvre: ManoeuvreMotion | None = None,
        mean_boost_s: float = 90.0,
        mean_coast_s: float = 1e6,
        mean_manoeuvre_s: float = 60.0,
        manoeuvre_onset_s: float = 300.0,
    ) -> IMMPredictor:
        """Three modes: boost, coast and manoeuvre (lift; :class:`ManoeuvreMotion`).

        A boost ends after ``mean_boost_s`` on average, into coast; a coast starts to
        manoeuvre at a rate of one per ``manoeuvre_onset_s`` and a manoeuvre returns to
        coast after ``mean_manoeuvre_s``. Lift is unpowered, so a pull-up no longer
        reads as thrust (``powered_probability``); :meth:`manoeuvre_probability` reports it.
        With ``onset_pressure_pa`` set (``dataclasses.replace``) the onset rate is the one
        at that dynamic pressure, in proportion to it elsewhere.
        """
        b, c, m = 1.0 / mean_boost_s, 1.0 / mean_coast_s, 1.0 / manoeuvre_onset_s
        back = 1.0 / mean_manoeuvre_s
        rates = np.array([[-b, b, 0.0], [c, -(c + m), m], [0.0, back, -back]])
        return cls(
            motions=(
                boost or BoostMotion(),
                coast or CoastMotion(),
                manoeuvre or ManoeuvreMotion(),
            ),
            rates=rates,
        )

    @property
    def ndim(self) -> int:
        """The shared state size."""
        return self.motions[0].ndim

    def manoeuvre_probability(self, state: MixtureBatch) -> Array:
        """The total probability of the manoeuvre (lift) modes, per track."""
        flags = np.array([isinstance(m, ManoeuvreMotion) for m in self.motions])
        return np.asarray(np.sum(state.weight[:, flags], axis=-1))

    def predict(self, prior: MixtureBatch, *, t: ArrayLike) -> MixtureBatch:
        """Mix, then predict every mode to time(s) ``t``."""
        return self._predict(prior, _targets(t, len(prior)), (len(prior),))

    def predict_groups(
        self, priors: Sequence[MixtureBatch], targets: Sequence[ArrayLike]
    ) -> list[MixtureBatch]:
        """:meth:`predict` of several batches (``priors[i]`` to ``targets[i]``) in one pass
        through the models, so that each numpy call carries the tracks of all of them.

        Each result is the one :meth:`predict` gives its batch alone, bit for bit: every
        row of the models' integration is cut into its own sub-steps
        (:func:`~gsomia.warning.tracking.models.transition`), while what :meth:`predict`
        takes over a whole batch is taken per batch here: the mode transition
        probabilities (their series is scaled by the batch's longest step) and the
        cubature's matrix roots and moments over long gaps (the roots fall back to
        eigenvalues for the whole batch, and the moments' sums follow the memory layout
        of the batch's own flight: :func:`_cubature_batches`). Batches that carry
        considered biases are predicted one by one.
        """
        if len(priors) != len(targets):
            raise InputError("predict_groups needs one target per batch")
        if len(priors) < 2 or any(p.consider is not None for p in priors):
            return [self.predict(p, t=t) for p, t in zip(priors, targets, strict=True)]
        sizes = tuple(len(p) for p in priors)
        joined = MixtureBatch(
            mean=np.concatenate([p.mean for p in priors]),
            cov=np.concatenate([p.cov for p in priors]),
            weight=np.concatenate([p.weight for p in priors]),
            t=np.concatenate([p.t for p in priors]),
        )
        target = np.concatenate([_targets(t, n) for t, n in zip(targets, sizes, strict=True)])
        out = self._predict(joined, target, sizes)
        ends = np.cumsum(sizes)
        return [
            out.take(np.arange(end - n, end)) for n, end in zip(sizes, ends.tolist(), strict=True)
        ]

    def _predict(self, prior: MixtureBatch, target: Array, sizes: tuple[int, ...]) -> MixtureBatch:
        """:meth:`predict` of consecutive batches of ``sizes`` rows, each as if alone."""
        dt = target - prior.t
        widening: list[tuple[int, Index, Array]] = []
        if self.reseed_weight > 0.0:
            prior, widening = _reseed(prior, self.motions, self.reseed_weight, self.reseed_spread_s)
            if not self.widen_after_mixing:
                prior = replace(prior, cov=_widen(prior.cov, widening))
                widening = []
        weight, mean0, cov0, consider0, mix = _mix(prior, self._markov(prior, dt, sizes))
        cov0 = _widen(cov0, widening)
        if self.burnout_spread and self.ndim == AUGMENTED_NDIM:
            cov0 = self._burnout(prior, mix, cov0, dt)
        means, covs, considers = [], [], []
        long_gap = np.abs(dt) > self.cubature_after_s
        for j, motion in enumerate(self.motions):
            cubature = long_gap if not motion.powered else np.zeros_like(long_gap)
            x, cov, f = self._mode(motion, mean0[:, j], cov0[:, j], dt, cubature, sizes=sizes)
            means.append(x)
            covs.append(cov)
            if consider0 is not None:
                # Over a long gap the cubature's statistical linearisation stands for F.
                considers.append(f @ consider0[:, j])
        return MixtureBatch(
            mean=np.stack(means, axis=1),
            cov=np.stack(covs, axis=1),
            weight=weight,
            t=target,
            consider=np.stack(considers, axis=1) if considers else None,
        )

    def _markov(self, prior: MixtureBatch, dt: Array, sizes: tuple[int, ...]) -> Array:
        """The mode transition probabilities of each batch of ``sizes`` rows (per-track
        rates, with ``onset_pressure_pa``, are already one per row)."""
        rates = self._rates(prior)
        if len(sizes) == 1 or rates.ndim == 3:
            return markov_matrix(rates, dt)
        return markov_matrices(self.rates, dt, sizes)

    def _rates(self, prior: MixtureBatch) -> Array:
        """The generator (M, M), or with ``onset_pressure_pa`` one per track (N, M, M)
        whose rates into the manoeuvre modes scale with the dynamic pressure of the
        track's mean state: ``rate · q / onset_pressure_pa``."""
        if self.onset_pressure_pa is None:
            return self.rates
        into = np.array([isinstance(m, ManoeuvreMotion) for m in self.motions])
        mean = np.einsum("nj,njk->nk", prior.weight, prior.mean)
        scale = dynamic_pressure(mean) / self.onset_pressure_pa
        rates = np.broadcast_to(self.rates, (len(prior), *self.rates.shape)).copy()
        off = ~np.eye(len(self.motions), dtype=bool) & into[None, :] & ~into[:, None]
        rates[:, off] *= scale[:, None]
        eye = np.eye(len(self.motions), dtype=bool)
        rates[:, eye] = 0.0
        rates[:, eye] = -np.sum(rates, axis=-1)
        return rates

    def _mode(
        self,
        motion: MotionModel,
        mean: Array,
        cov: Array,
        dt: Array,
        cubature: NDArray[np.bool_],
        *,
        sizes: tuple[int, ...],
    ) -> tuple[Array, Array, Array]:
        """One mode's predicted mean, covariance and transition matrix (or, over a long
        gap, its statistical linearisation): the rows of ``cubature`` by
        :func:`cubature_predict` (per batch of ``sizes`` rows), the others by the EKF's
        linearisation."""
        # Every row's flight goes through the model in one pass (each row is integrated on
        # its own); only the cubature's matrix roots and moments are taken per batch.
        x, f, q = transition(motion, mean, dt, max_step=self.max_step)
        if not np.any(cubature):
            return x, symmetrise(f @ cov @ transpose(f) + q), f
        e = np.nonzero(~cubature)[0]
        out = np.empty_like(cov)
        if e.size:
            out[e] = symmetrise(f[e] @ cov[e] @ transpose(f[e]) + q[e])
        starts = np.cumsum((0, *sizes[:-1])).tolist()
        groups = [
            a + np.nonzero(cubature[a : a + n])[0] for a, n in zip(starts, sizes, strict=True)
        ]
        batches = [g for g in groups if g.size]
        for g, moments in _cubature_batches(
            motion, mean, cov, dt, q=q, batches=batches, max_step=self.max_step
        ):
            x[g], out[g], f[g] = moments
        return x, out, f

    def _burnout(self, prior: MixtureBatch, mix: Array, cov0: Array, dt: Array) -> Array:
        """Each unpowered mode's mixed covariance with the spread of a thrust that may stop
        within the step (:func:`_cutoff_spread`), from each powered mode's share of it."""
        out = cov0.copy()
        powered = [i for i, m in enumerate(self.motions) if m.powered]
        for j, motion in enumerate(self.motions):
            if motion.powered:
                continue
            for i in powered:
                thrust = prior.mean[:, i, 6:9]
                out[:, j, :6, :6] += _cutoff_spread(thrust, mix[:, i, j], dt)
        return out

    def start(self, gaussian: GaussianBatch, *, powered: Array) -> MixtureBatch:
        """Every mode at the initiator's Gaussian, weighted by the prior of powered flight."""
        if gaussian.ndim != self.ndim:
            raise InputError(f"initiator gives {gaussian.ndim} states, IMM {self.ndim}")
        flags = np.array([m.powered for m in self.motions])
        p = np.clip(np.asarray(powered, dtype=float), 1e-3, 1.0 - 1e-3)[:, None]
        w = np.where(flags[None], p / max(flags.sum(), 1), (1.0 - p) / max((~flags).sum(), 1))
        return MixtureBatch.from_gaussian(gaussian, weight=w)

    def powered_probability(self, state: MixtureBatch) -> Array:
        """The total probability of the powered modes, per track."""
        flags = np.array([m.powered for m in self.motions])
        return np.asarray(np.sum(state.weight[:, flags], axis=-1))
