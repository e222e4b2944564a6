"""Dropping a track whose object must have landed since its last update.

The tracker's deleters judge a track at its last update: a spent stage's track, last
updated a few kilometres up and falling, stays until the stale limit (an hour, for a lofted
ICBM out of every radar's reach), and the next report within its gate makes the tracker
predict it for tens of minutes under the ground, where the drag of sea-level air takes
its covariance past any finite number. With stage reports in every stream this happens on
the lofted ICBMs, whose warheads fly on for an hour after their stages come down.

:class:`LandedDeleter` bounds the time such an object can still be in the air: falling
from height ``h`` it is never slower than its terminal speed at sea level,
``√(2 g / (ρ₀ κ))`` for its own inverse ballistic coefficient ``κ`` (the densest air gives
the slowest fall), so it lands within ``h`` over that speed; the deleter allows
``factor`` times that plus ``margin_s`` (room for lift and a shallow glide). Only a track
last seen below ``below_m`` and descending is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gsomia.warning.geo.frames import ellipsoid_height
from gsomia.warning.tracking import GaussianBatch

__all__ = ["LandedDeleter"]

Array = NDArray[np.float64]

_G = 9.80665
_RHO0 = 1.225


@dataclass(frozen=True, slots=True, kw_only=True)
class LandedDeleter:
    """Drops a descending low track not updated for longer than its object can stay up."""

    below_m: float = 50_000.0
    factor: float = 3.0
    margin_s: float = 60.0
    min_kappa: float = 1e-5

    def delete(
        self,
        collapsed: GaussianBatch,
        *,
        last_update: Array,
        hits: NDArray[np.int64],
        now: float,
    ) -> NDArray[np.bool_]:
        """Mask of tracks to drop (the tracker's deleter contract)."""
        if len(collapsed) == 0:
            return np.zeros(0, dtype=bool)
        mean = collapsed.mean
        h = ellipsoid_height(mean[:, :3])
        up = mean[:, :3] / np.linalg.norm(mean[:, :3], axis=1, keepdims=True)
        falling = np.einsum("ni,ni->n", up, mean[:, 3:6]) < 0.0
        kappa = np.maximum(mean[:, 9] if mean.shape[1] > 9 else 0.0, self.min_kappa)
        slowest = np.sqrt(2.0 * _G / (_RHO0 * kappa))
        limit = self.factor * np.maximum(h, 0.0) / slowest + self.margin_s
        gone = falling & (h < self.below_m) & (now - collapsed.t > limit)
        return np.asarray(gone & np.isfinite(h))
