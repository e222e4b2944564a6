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
from gsomia.warning.measurements import RadarReport
from gsomia.warning.tracking._linalg import Array, Index, symmetrise

__all__ = ["GaussianBatch", "MeasurementBatch", "MixtureBatch"]


def _index(index: ArrayLike) -> Index:
    return np.asarray(index, dtype=np.intp)


@dataclass(frozen=True, slots=True, kw_only=True)
class GaussianBatch:
    """N Gaussian states: ``mean`` (N, n), ``cov`` (N, n, n), ``t`` (N,) seconds.

    Raises InputError if the shapes disagree.
    """

    mean: Array
    cov: Array
    t: Array

    def __post_init__(self) -> None:
        n_tracks, n = self.mean.shape
        if self.cov.shape != (n_tracks, n, n) or self.t.shape != (n_tracks,):
            raise InputError(
                f"GaussianBatch shapes disagree: mean {self.mean.shape}, "
                f"cov {self.cov.shape}, t {self.t.shape}"
            )

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
        return type(self)(mean=self.mean[i], cov=self.cov[i], t=self.t[i])

    def put(self, index: ArrayLike, values: Self) -> Self:
        """A copy of this batch with the tracks at ``index`` replaced by ``values``."""
        i = _index(index)
        mean, cov, t = self.mean.copy(), self.cov.copy(), self.t.copy()
        mean[i], cov[i], t[i] = values.mean, values.cov, values.t
        return type(self)(mean=mean, cov=cov, t=t)

    def concat(self, other: Self) -> Self:
        """This batch followed by ``other``."""
        return type(self)(
            mean=np.concatenate([self.mean, other.mean]),
            cov=np.concatenate([self.cov, other.cov]),
            t=np.concatenate([self.t, other.t]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MixtureBatch:
    """N mixtures of M mode-conditioned Gaussians (an IMM state).

    ``mean`` (N, M, n), ``cov`` (N, M, n, n), ``weight`` (N, M) mode probabilities that
    sum to one per track, ``t`` (N,). Raises InputError if the shapes disagree.
    """

    mean: Array
    cov: Array
    weight: Array
    t: Array

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

    @classmethod
    def from_gaussian(cls, gaussian: GaussianBatch, *, weight: ArrayLike) -> MixtureBatch:
        """Every mode starts at the same Gaussian; ``weight`` (M,) or (N, M) are the priors."""
        w = np.asarray(weight, dtype=float)
        n_modes = w.shape[-1]
        w = np.broadcast_to(w / np.sum(w, axis=-1, keepdims=True), (len(gaussian), n_modes))
        mean = np.repeat(gaussian.mean[:, None], n_modes, axis=1)
        cov = np.repeat(gaussian.cov[:, None], n_modes, axis=1)
        return cls(mean=mean, cov=cov, weight=w.copy(), t=gaussian.t.copy())

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
        return GaussianBatch(mean=mean, cov=cov, t=self.t)

    def modes(self) -> tuple[GaussianBatch, Array]:
        """The components as one flat batch (N·M,), track-major, and their weights (N, M)."""
        n, m, k = self.mean.shape
        flat = GaussianBatch(
            mean=self.mean.reshape(n * m, k),
            cov=self.cov.reshape(n * m, k, k),
            t=np.repeat(self.t, m),
        )
        return flat, self.weight

    def take(self, index: ArrayLike) -> Self:
        """The tracks at ``index``, as a new batch."""
        i = _index(index)
        return type(self)(mean=self.mean[i], cov=self.cov[i], weight=self.weight[i], t=self.t[i])

    def put(self, index: ArrayLike, values: Self) -> Self:
        """A copy with the tracks at ``index`` replaced by ``values``."""
        i = _index(index)
        mean, cov, weight, t = self.mean.copy(), self.cov.copy(), self.weight.copy(), self.t.copy()
        mean[i], cov[i], weight[i], t[i] = values.mean, values.cov, values.weight, values.t
        return type(self)(mean=mean, cov=cov, weight=weight, t=t)

    def concat(self, other: Self) -> Self:
        """This batch followed by ``other``."""
        return type(self)(
            mean=np.concatenate([self.mean, other.mean]),
            cov=np.concatenate([self.cov, other.cov]),
            weight=np.concatenate([self.weight, other.weight]),
            t=np.concatenate([self.t, other.t]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementBatch:
    """N radar measurements, one per track: ``z`` (N, 3) = [range m, azimuth, elevation rad],
    ``R`` (N, 3, 3), the sites' ECEF ``site`` (N, 3) and ``rotation`` (N, 3, 3), ``t`` (N,).

    Raises InputError if the shapes disagree.
    """

    z: Array
    R: Array
    site: Array
    rotation: Array
    t: Array

    def __post_init__(self) -> None:
        n = self.z.shape[0]
        shapes = (self.z.shape, self.R.shape, self.site.shape, self.rotation.shape, self.t.shape)
        if shapes != ((n, 3), (n, 3, 3), (n, 3), (n, 3, 3), (n,)):
            raise InputError(f"MeasurementBatch shapes disagree: {shapes}")

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
        )

    def __len__(self) -> int:
        return int(self.z.shape[0])

    def take(self, index: ArrayLike) -> MeasurementBatch:
        """The measurements at ``index``, as a new batch."""
        i = _index(index)
        return MeasurementBatch(
            z=self.z[i], R=self.R[i], site=self.site[i], rotation=self.rotation[i], t=self.t[i]
        )
