"""Deleters: when a track is dropped from the picture.

A track goes when it has not been updated for too long (young tracks sooner), when its
position uncertainty has grown past use, when its state is below the ground (it has
impacted), or when it duplicates an older track. :class:`AnyDeleter` combines several.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gsomia.warning.geo.frames import ellipsoid_height
from gsomia.warning.tracking._linalg import Array, Counts, Mask
from gsomia.warning.tracking.base import Deleter
from gsomia.warning.tracking.states import GaussianBatch

__all__ = [
    "AnyDeleter",
    "CovarianceDeleter",
    "DuplicateDeleter",
    "GroundDeleter",
    "StaleDeleter",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StaleDeleter:
    """Drops tracks not updated for too long.

    A young track (updated at least once, fewer than ``mature_hits`` times) may miss
    ``young_s`` seconds: it is a false start or a duplicate that lost its object. A
    mature track, or a cue track still waiting for its first radar report, may miss
    ``mature_s`` (an hour): a lofted ICBM's warhead is out of every radar's reach for most
    of its flight. Lost or impacted tracks go by the covariance and ground deleters.
    """

    mature_s: float = 3600.0
    young_s: float = 8.0
    mature_hits: int = 6

    def delete(
        self, collapsed: GaussianBatch, *, last_update: Array, hits: Counts, now: float
    ) -> Mask:
        """Mask of tracks to drop."""
        young = (hits > 0) & (hits < self.mature_hits)
        limit = np.where(young, self.young_s, self.mature_s)
        return np.asarray(now - last_update > limit)


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceDeleter:
    """Drops tracks whose largest one-sigma position error exceeds ``max_sigma_m``."""

    max_sigma_m: float = 100e3

    def delete(
        self, collapsed: GaussianBatch, *, last_update: Array, hits: Counts, now: float
    ) -> Mask:
        """Mask of tracks to drop."""
        if len(collapsed) == 0:
            return np.zeros(0, dtype=bool)
        limit = self.max_sigma_m**2
        position = collapsed.cov[:, :3, :3]
        # Gershgorin's bound (the largest absolute row sum) holds the largest eigenvalue
        # of any symmetric matrix: below the limit, no track needs its eigenvalues (and a
        # non-finite covariance never passes the bound).
        if bool(np.all(np.sum(np.abs(position), axis=2) <= limit)):
            return np.zeros(len(collapsed), dtype=bool)
        largest = np.linalg.eigvalsh(position)[:, -1]
        return np.asarray(largest > limit)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroundDeleter:
    """Drops tracks whose estimated altitude is below ``-margin_m`` (they have impacted)."""

    margin_m: float = 2000.0

    def delete(
        self, collapsed: GaussianBatch, *, last_update: Array, hits: Counts, now: float
    ) -> Mask:
        """Mask of tracks to drop."""
        if len(collapsed) == 0:
            return np.zeros(0, dtype=bool)
        return np.asarray(ellipsoid_height(collapsed.mean[:, :3]) < -self.margin_m)


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateDeleter:
    """Drops the younger of two established tracks that estimate one object.

    Two tracks at the same time, each with at least ``min_hits`` updates, whose position
    and velocity differ by ``d² ≤ max_d2`` (with ``S = P_i + P_j``; 12.6 is the 95 %
    point of chi-square with 6 degrees of freedom) are duplicates: the one with fewer
    updates goes. Objects that truly separated (a stage, a re-entry vehicle) differ in
    velocity by metres per second against sigmas well under that once tracks are
    established, so they stay apart.
    """

    max_d2: float = 12.6
    min_hits: int = 20

    def delete(
        self, collapsed: GaussianBatch, *, last_update: Array, hits: Counts, now: float
    ) -> Mask:
        """Mask of tracks to drop."""
        mask = np.zeros(len(collapsed), dtype=bool)
        old = np.nonzero(hits >= self.min_hits)[0]
        if old.size < 2:
            return mask
        g = collapsed.take(old)
        spread = np.linalg.eigvalsh(g.cov[:, :3, :3])[:, -1]
        gap = np.linalg.norm(g.mean[:, None, :3] - g.mean[None, :, :3], axis=-1) ** 2
        near = gap <= 4.0 * self.max_d2 * (spread[:, None] + spread[None, :])
        same_time = np.abs(g.t[:, None] - g.t[None, :]) < 1e-6
        rows, cols = np.nonzero(np.triu(near & same_time, k=1))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            d = g.mean[i, :6] - g.mean[j, :6]
            s = g.cov[i, :6, :6] + g.cov[j, :6, :6]
            try:
                d2 = float(d @ np.linalg.solve(s, d))
            except np.linalg.LinAlgError:
                continue  # a singular pair cannot be judged the same track
            if d2 <= self.max_d2:
                younger = i if hits[old[i]] < hits[old[j]] else j
                mask[old[younger]] = True
        return mask


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyDeleter:
    """Drops a track if any of its ``deleters`` would."""

    deleters: tuple[Deleter, ...] = (
        StaleDeleter(),
        CovarianceDeleter(),
        GroundDeleter(),
        DuplicateDeleter(),
    )

    def delete(
        self, collapsed: GaussianBatch, *, last_update: Array, hits: Counts, now: float
    ) -> Mask:
        """Mask of tracks to drop."""
        mask = np.zeros(len(collapsed), dtype=bool)
        for deleter in self.deleters:
            mask |= deleter.delete(collapsed, last_update=last_update, hits=hits, now=now)
        return mask
