"""Paired differences between regimes with bootstrap confidence intervals.

Every measure is turned into a *lead time*: seconds before impact at which the event
(first track, an impact fix) came, or the warning time itself. An event that never came is
a censored value, and it is counted as a lead of zero (the party learned nothing useful
before impact), never dropped: a regime that reaches a fix where another does not gets
the whole lead time as its gain. Runs are paired (the same launch, run and missile under
both regimes, common random numbers), so the difference is that of the sharing alone.

The interval is a two-stage (cluster) bootstrap: launches are resampled with replacement,
then the missile-runs within each launch, and the mean paired gain is computed on each
resample; the 2.5 % and 97.5 % quantiles bound the 95 % interval. Resampling launches
as well as runs keeps the interval honest about how different launches are; with one
launch it is a plain bootstrap over runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Difference", "bootstrap_mean", "lead_time", "paired_difference"]

Array = NDArray[np.float64]

BOOTSTRAP_DRAWS = 2000
"""Resamples per interval: the 2.5 % quantile then rests on 50 resamples."""


def lead_time(event_s: float, flight_s: float) -> float:
    """Seconds before impact at which an event at ``event_s`` after launch came: zero for
    an event that never came (``inf``) or came at or after impact; ``nan`` if unknown."""
    if math.isnan(event_s):
        return math.nan
    if math.isinf(event_s):
        return 0.0
    return max(0.0, flight_s - event_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """A paired difference of lead times (seconds; positive: the first regime is better).

    ``mean`` with its 95 % interval ``low``…``high``; ``median`` of the paired gains;
    ``n`` pairs (censored ones included); ``gained``: pairs where only the first regime
    reached the event, ``lost``: only the second, ``neither``: neither; ``unknown``:
    pairs left out because a value could not be known (should be zero: every round is
    scored until impact). ``resolution_s`` is the picture step: a difference whose whole
    interval lies within it is "within resolution".
    """

    mean: float
    low: float
    high: float
    median: float
    n: int
    gained: int
    lost: int
    neither: int
    unknown: int
    resolution_s: float

    @property
    def within_resolution(self) -> bool:
        """Whether the interval lies inside ± one picture step."""
        return self.n > 0 and -self.resolution_s < self.low and self.high < self.resolution_s

    @property
    def significant(self) -> bool:
        """Whether the 95 % interval excludes zero."""
        return self.n > 0 and (self.low > 0.0 or self.high < 0.0)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (seconds, rounded to 0.1 s)."""
        return {
            "mean_s": _round(self.mean),
            "ci95_s": [_round(self.low), _round(self.high)],
            "median_s": _round(self.median),
            "n": self.n,
            "gained": self.gained,
            "lost": self.lost,
            "neither": self.neither,
            "unknown": self.unknown,
            "within_resolution": self.within_resolution,
        }


def _round(value: float) -> float | None:
    return round(value, 1) if math.isfinite(value) else None


def bootstrap_mean(
    values: ArrayLike,
    clusters: ArrayLike,
    *,
    seed: int = 0,
    draws: int = BOOTSTRAP_DRAWS,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """The mean of ``values`` and its two-stage bootstrap interval (clusters, then values
    within each). Raises ValueError on mismatched lengths or an empty sample."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(clusters)
    if v.shape != c.shape or v.size == 0:
        raise ValueError("values and clusters must be non-empty and of the same length")
    rng = np.random.default_rng(seed)
    groups = [v[c == key] for key in dict.fromkeys(c.tolist())]
    sizes = np.array([g.size for g in groups], dtype=float)
    # Each cluster's resampled totals, one column per cluster.
    totals = np.column_stack(
        [g[rng.integers(0, g.size, size=(draws, g.size))].sum(axis=1) for g in groups]
    )
    picks = rng.multinomial(len(groups), np.full(len(groups), 1.0 / len(groups)), size=draws)
    means = (picks * totals).sum(axis=1) / (picks * sizes).sum(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(v.mean()), float(low), float(high)


def paired_difference(
    better: Sequence[float],
    worse: Sequence[float],
    clusters: Sequence[str],
    *,
    resolution_s: float,
    seed: int = 0,
) -> Difference:
    """The paired gain of ``better`` over ``worse`` (lead times, censored at zero by
    :func:`lead_time`; ``reached_*`` counts use a positive lead as "reached")."""
    b = np.asarray(better, dtype=float)
    w = np.asarray(worse, dtype=float)
    c = np.asarray(clusters)
    known = ~(np.isnan(b) | np.isnan(w))
    b, w, c = b[known], w[known], c[known]
    unknown = int(np.count_nonzero(~known))
    if b.size == 0:
        nan = math.nan
        return Difference(
            mean=nan, low=nan, high=nan, median=nan, n=0, gained=0, lost=0, neither=0,
            unknown=unknown, resolution_s=resolution_s,
        )  # fmt: skip
    gain = b - w
    mean, low, high = bootstrap_mean(gain, c, seed=seed)
    return Difference(
        mean=mean,
        low=low,
        high=high,
        median=float(np.median(gain)),
        n=int(gain.size),
        gained=int(np.count_nonzero((b > 0) & (w <= 0))),
        lost=int(np.count_nonzero((w > 0) & (b <= 0))),
        neither=int(np.count_nonzero((b <= 0) & (w <= 0))),
        unknown=unknown,
        resolution_s=resolution_s,
    )
