"""Batched state and measurement values the tracking roles pass to each other.

Every value holds many tracks at once: a :class:`GaussianBatch` is N Gaussian states with
means (N, n), covariances (N, n, n) and one time each; a :class:`MixtureBatch` is N
mixtures of M mode-conditioned Gaussians (the IMM's state); a :class:`MeasurementBatch`
lines up one radar report per track, each with its own site, noise and time. Values are
immutable: operations return new batches and never write into their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import ArrayLike

from gsomia.errors import InputError
from gsomia.warning.sensors.measurements import RadarReport
from gsomia.warning.tracking._linalg import Array, Index, symmetrise

__all__ = ["GaussianBatch", "MeasurementBatch", "MixtureBatch"]


def _index(index: ArrayLike) -> Index:
    return np.asarray(index, dtype=np.intp)


def _put_consider(
    mine: Array | None, index: Index, theirs: Array | None, n_mine: int
) -> Array | None:
    """Cross-covariances after a put: a batch without them counts as zeros where the other
    has them (a state that never saw a biased sensor is uncorrelated with its bias)."""
    if theirs is None:
        if mine is None:
            return None
        out = mine.copy()
        out[index] = 0.0
        return out
    out = mine.copy() if mine is not None else np.zeros((n_mine, *theirs.shape[1:]))
    out[index] = theirs
    return out


def _concat_consider(
    first: Array | None, n_first: int, second: Array | None, n_second: int
) -> Array | None:
    if first is None and second is None:
        return None
    shape = (first if first is not None else second).shape[1:]  # type: ignore[union-attr]
    a = first if first is not None else np.zeros((n_first, *shape))
    b = second if second is not None else np.zeros((n_second, *shape))
    return np.concatenate([a, b])


@dataclass(frozen=True, slots=True, kw_only=True)
class GaussianBatch:
    """N Gaussian states: ``mean`` (N, n), ``cov`` (N, n, n), ``t`` (N,) seconds.

    ``consider`` (N, n, b), if given, is the cross-covariance of each state with b sensor
    bias parameters that are considered, not estimated (the Schmidt-Kalman filter; see
    :class:`gsomia.warning.tracking.updaters.EKFUpdater`). Raises InputError if the shapes
    disagree.
    """

    mean: Array
    cov: Array
    t: Array
    consider: Array | None = None

    def __post_init__(self) -> None:
        n_tracks, n = self.mean.shape
        if self.cov.shape != (n_tracks, n, n) or self.t.shape != (n_tracks,):
            raise InputError(
                f"GaussianBatch shapes disagree: mean {self.mean.shape}, "
                f"cov {self.cov.shape}, t {self.t.shape}"
            )
        if self.consider is not None and self.consider.shape[:2] != (n_tracks, n):
            raise InputError(f"GaussianBatch consider shape {self.consider.shape} disagrees")

    @classmethod
    def of(cls, *, mean: ArrayLike, cov: ArrayLike, t: ArrayLike) -> GaussianBatch:
        """Build a batch from array-likes; ``t`` may be a scalar for all tracks."""
        m = np.atleast_2d(np.asarray(mean, dtype=float))
        c = np.asarray(cov, dtype=float)
        c = c[None] if c.ndim == 2 else c
        times = np.broadcast_to(np.asarray(t, dtype=float), (m.shape[0],)).copy()
        return cls(mean=m.copy(), cov=c.copy(), t=times)

    @classmethod
    def empty(cls, ndim: int) -> GaussianBatch:
        """A batch of no tracks with state size ``ndim``."""
        return cls(mean=np.zeros((0, ndim)), cov=np.zeros((0, ndim, ndim)), t=np.zeros(0))

    def __len__(self) -> int:
        return int(self.mean.shape[0])

    @property
    def ndim(self) -> int:
        """The state size n."""
        return int(self.mean.shape[1])

    def collapse(self, *, min_weight: float = 0.0) -> GaussianBatch:
        """This batch (a single Gaussian is its own moment-matched collapse)."""
        return self

    def modes(self) -> tuple[GaussianBatch, Array]:
        """The components as one flat batch (N·M,) and their weights (N, M); here M = 1."""
        return self, np.ones((len(self), 1))

    def take(self, index: ArrayLike) -> Self:
        """The tracks at ``index`` (an integer index array), as a new batch."""
        i = _index(index)
        consider = None if self.consider is None else self.consider[i]
        return type(self)(mean=self.mean[i], cov=self.cov[i], t=self.t[i], consider=consider)

    def put(self, index: ArrayLike, values: Self) -> Self:
        """A copy of this batch with the tracks at ``index`` replaced by ``values``."""
        i = _index(index)
        mean, cov, t = self.mean.copy(), self.cov.copy(), self.t.copy()
        mean[i], cov[i], t[i] = values.mean, values.cov, values.t
        consider = _put_consider(self.consider, i, values.consider, len(self))
        return type(self)(mean=mean, cov=cov, t=t, consider=consider)

    def concat(self, other: Self) -> Self:
        """This batch followed by ``other``."""
        return type(self)(
            mean=np.concatenate([self.mean, other.mean]),
            cov=np.concatenate([self.cov, other.cov]),
            t=np.concatenate([self.t, other.t]),
            consider=_concat_consider(self.consider, len(self), other.consider, len(other)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MixtureBatch:
    """N mixtures of M mode-conditioned Gaussians (an IMM state).

    ``mean`` (N, M, n), ``cov`` (N, M, n, n), ``weight`` (N, M) mode probabilities that
    sum to one per track, ``t`` (N,); ``consider`` (N, M, n, b) each mode's cross-covariance
    with considered sensor biases (as in :class:`GaussianBatch`), or None. Raises InputError
    if the shapes disagree.
    """

    mean: Array
    cov: Array
    weight: Array
    t: Array
    consider: Array | None = None

    def __post_init__(self) -> None:
        n_tracks, n_modes, n = self.mean.shape
        ok = (
            self.cov.shape == (n_tracks, n_modes, n, n)
            and self.weight.shape == (n_tracks, n_modes)
            and self.t.shape == (n_tracks,)
        )
        if not ok:
            raise InputError(
                f"MixtureBatch shapes disagree: mean {self.mean.shape}, cov {self.cov.shape}, "
                f"weight {self.weight.shape}, t {self.t.shape}"
            )
        if self.consider is not None and self.consider.shape[:3] != self.mean.shape:
            raise InputError(f"MixtureBatch consider shape {self.consider.shape} disagrees")

    @classmethod
    def from_gaussian(cls, gaussian: GaussianBatch, *, weight: ArrayLike) -> MixtureBatch:
        """Every mode starts at the same Gaussian; ``weight`` (M,) or (N, M) are the priors."""
        w = np.asarray(weight, dtype=float)
        n_modes = w.shape[-1]
        w = np.broadcast_to(w / np.sum(w, axis=-1, keepdims=True), (len(gaussian), n_modes))
        mean = np.repeat(gaussian.mean[:, None], n_modes, axis=1)
        cov = np.repeat(gaussian.cov[:, None], n_modes, axis=1)
        consider = (
            None
            if gaussian.consider is None
            else np.repeat(gaussian.consider[:, None], n_modes, axis=1)
        )
        return cls(mean=mean, cov=cov, weight=w.copy(), t=gaussian.t.copy(), consider=consider)

    def __len__(self) -> int:
        return int(self.mean.shape[0])

    @property
    def ndim(self) -> int:
        """The state size n."""
        return int(self.mean.shape[2])

    def collapse(self, *, min_weight: float = 0.0) -> GaussianBatch:
        """The moment-matched single Gaussian of each mixture.

        Modes lighter than ``min_weight`` are left out (the rest renormalised; the heaviest
        mode always stays). An unobserved coasting track keeps a faint boost mode whose
        thrust random walk makes its spread enormous; leaving it out of the picture and of
        deletion decisions keeps them about the flight that is actually likely.
        """
        weight = self.weight
        if min_weight > 0.0:
            keep = (weight >= min_weight) | (weight == weight.max(axis=1, keepdims=True))
            weight = np.where(keep, weight, 0.0)
            weight = weight / weight.sum(axis=1, keepdims=True)
        w = weight[..., None]
        mean = np.sum(w * self.mean, axis=1)
        d = self.mean - mean[:, None]
        spread = self.cov + d[..., :, None] * d[..., None, :]
        cov = symmetrise(np.sum(w[..., None] * spread, axis=1))
        # The biases are not estimated (their mean is zero in every mode), so the mixture's
        # cross-covariance is the weighted sum of the modes' own.
        consider = None if self.consider is None else np.sum(w[..., None] * self.consider, axis=1)
        return GaussianBatch(mean=mean, cov=cov, t=self.t, consider=consider)

    def modes(self) -> tuple[GaussianBatch, Array]:
        """The components as one flat batch (N·M,), track-major, and their weights (N, M)."""
        n, m, k = self.mean.shape
        flat = GaussianBatch(
            mean=self.mean.reshape(n * m, k),
            cov=self.cov.reshape(n * m, k, k),
            t=np.repeat(self.t, m),
            consider=None
            if self.consider is None
            else self.consider.reshape(n * m, k, self.consider.shape[-1]),
        )
        return flat, self.weight

    def take(self, index: ArrayLike) -> Self:
        """The tracks at ``index``, as a new batch."""
        i = _index(index)
        consider = None if self.consider is None else self.consider[i]
        return type(self)(
            mean=self.mean[i],
            cov=self.cov[i],
            weight=self.weight[i],
            t=self.t[i],
            consider=consider,
        )

    def put(self, index: ArrayLike, values: Self) -> Self:
        """A copy with the tracks at ``index`` replaced by ``values``."""
        i = _index(index)
        mean, cov, weight, t = self.mean.copy(), self.cov.copy(), self.weight.copy(), self.t.copy()
        mean[i], cov[i], weight[i], t[i] = values.mean, values.cov, values.weight, values.t
        consider = _put_consider(self.consider, i, values.consider, len(self))
        return type(self)(mean=mean, cov=cov, weight=weight, t=t, consider=consider)

    def concat(self, other: Self) -> Self:
        """This batch followed by ``other``."""
        return type(self)(
            mean=np.concatenate([self.mean, other.mean]),
            cov=np.concatenate([self.cov, other.cov]),
            weight=np.concatenate([self.weight, other.weight]),
            t=np.concatenate([self.t, other.t]),
            consider=_concat_consider(self.consider, len(self), other.consider, len(other)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementBatch:
    """N radar measurements, one per track: ``z`` (N, 3) = [range m, azimuth, elevation rad],
    ``R`` (N, 3, 3), the sites' ECEF ``site`` (N, 3) and ``rotation`` (N, 3, 3), ``t`` (N,).

    ``bias_slot`` (N,) integers, if given, say which considered sensor bias (a pair of
    azimuth and elevation biases) each report carries; without it every report carries
    slot 0. ``bias_rad`` (N,), if given, is each report's stated residual pointing bias
    (:attr:`RadarReport.bias_rad`, one sigma in rad), which an updater may consider
    (:class:`~gsomia.warning.tracking.updaters.EKFUpdater` ``stated_bias``). Raises
    InputError if the shapes disagree.
    """

    z: Array
    R: Array
    site: Array
    rotation: Array
    t: Array
    bias_slot: Array | None = None
    bias_rad: Array | None = None

    def __post_init__(self) -> None:
        n = self.z.shape[0]
        shapes = (self.z.shape, self.R.shape, self.site.shape, self.rotation.shape, self.t.shape)
        if shapes != ((n, 3), (n, 3, 3), (n, 3), (n, 3, 3), (n,)):
            raise InputError(f"MeasurementBatch shapes disagree: {shapes}")
        if self.bias_slot is not None and (
            self.bias_slot.shape != (n,) or np.any(self.bias_slot < 0)
        ):
            raise InputError("MeasurementBatch bias_slot must be (N,) non-negative integers")
        if self.bias_rad is not None and (
            self.bias_rad.shape != (n,) or not np.all(self.bias_rad >= 0.0)
        ):
            raise InputError("MeasurementBatch bias_rad must be (N,) non-negative")

    @classmethod
    def from_reports(cls, reports: Sequence[RadarReport]) -> MeasurementBatch:
        """Stack radar reports (any sensors, any times) into one batch."""
        if not reports:
            return cls(
                z=np.zeros((0, 3)),
                R=np.zeros((0, 3, 3)),
                site=np.zeros((0, 3)),
                rotation=np.zeros((0, 3, 3)),
                t=np.zeros(0),
            )
        return cls(
            z=np.stack([np.asarray(r.z, dtype=float) for r in reports]),
            R=np.stack([np.asarray(r.R, dtype=float) for r in reports]),
            site=np.stack([np.asarray(r.site.ecef, dtype=float) for r in reports]),
            rotation=np.stack([np.asarray(r.site.enu_rotation, dtype=float) for r in reports]),
            t=np.array([r.t for r in reports], dtype=float),
            bias_rad=np.array([r.bias_rad for r in reports], dtype=float),
        )

    def __len__(self) -> int:
        return int(self.z.shape[0])

    def take(self, index: ArrayLike) -> MeasurementBatch:
        """The measurements at ``index``, as a new batch."""
        i = _index(index)
        return MeasurementBatch(
            z=self.z[i],
            R=self.R[i],
            site=self.site[i],
            rotation=self.rotation[i],
            t=self.t[i],
            bias_slot=None if self.bias_slot is None else self.bias_slot[i],
            bias_rad=None if self.bias_rad is None else self.bias_rad[i],
        )
