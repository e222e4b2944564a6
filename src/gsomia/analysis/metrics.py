"""The measures of a party's picture of one missile, as pure functions of arrays.

Times are seconds since that missile's launch; a measure that never happens is ``inf``,
one that cannot be known (the scored window ended before the missile landed) is ``nan``.

* :func:`first_time`: when the picture first holds a track on the missile.
* :func:`sustained_time`: from when on the predicted impact point stays within a radius
  of the true one, at every later picture time (a single lucky pass does not count: the
  instantaneous impact point of a boosting missile sweeps past the real one).
* :func:`warning_time`: how long before impact (or before another event, such as crossing
  Japan) that fix came: zero if it never came or came after.
* :func:`losses`: how often a held track was dropped again.
* :func:`summarise` and :func:`paired`: medians and spreads over runs and launches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Paired",
    "Summary",
    "first_time",
    "losses",
    "paired",
    "summarise",
    "sustained_time",
    "warning_time",
]

Array = NDArray[np.float64]

_NEVER = 1e18


def first_time(times: ArrayLike, present: ArrayLike) -> float:
    """The first time at which ``present`` holds; ``inf`` if it never does."""
    t = np.asarray(times, dtype=float)
    p = np.asarray(present, dtype=bool)
    return float(t[np.argmax(p)]) if np.any(p) else math.inf


def sustained_time(times: ArrayLike, error_m: ArrayLike, radius_m: float) -> float:
    """The earliest time from which ``error_m`` is at most ``radius_m`` at every later time.

    A missing estimate (``nan`` error) breaks the run. ``inf`` if the last time fails.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(error_m, dtype=float)
    if t.size == 0:
        return math.inf
    good = np.where(np.isnan(e), False, e <= radius_m)
    if not good[-1]:
        return math.inf
    bad = np.nonzero(~good)[0]
    return float(t[bad[-1] + 1]) if bad.size else float(t[0])


def warning_time(fix_s: float, event_s: float, *, complete: bool) -> float:
    """Seconds between a fix at ``fix_s`` and an event at ``event_s`` (at least zero).

    A fix that never came gives zero when the scored window reached the event
    (``complete``) and ``nan`` when it did not (the fix may have come later).
    """
    if math.isfinite(fix_s):
        return max(0.0, event_s - fix_s)
    return 0.0 if complete else math.nan


def losses(present: ArrayLike) -> int:
    """How many times a held track is no longer held at the next picture time."""
    p = np.asarray(present, dtype=bool)
    return int(np.count_nonzero(p[:-1] & ~p[1:])) if p.size > 1 else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Median and quartiles of a set of values; ``inf`` values count (as "never"), ``nan``
    values are left out. ``n`` values were summarised, ``never`` of them infinite."""

    median: float
    q25: float
    q75: float
    n: int
    never: int

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-ready: non-finite numbers become ``None`` (``never`` says how many)."""
        return {
            "median": _finite(self.median),
            "q25": _finite(self.q25),
            "q75": _finite(self.q75),
            "n": self.n,
            "never": self.never,
        }


def _finite(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def summarise(values: Iterable[float]) -> Summary:
    """Median and interquartile range of ``values`` (``nan`` ignored, ``inf`` kept)."""
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=float)
    if v.size == 0:
        return Summary(median=math.nan, q25=math.nan, q75=math.nan, n=0, never=0)
    # Quartiles interpolate linearly; one that leans on a "never" is itself "never".
    finite = np.where(np.isposinf(v), _NEVER, np.where(np.isneginf(v), -_NEVER, v))
    q = np.quantile(finite, [0.25, 0.5, 0.75])
    q = np.where(q >= _NEVER / 10, math.inf, np.where(q <= -_NEVER / 10, -math.inf, q))
    return Summary(
        median=float(q[1]),
        q25=float(q[0]),
        q75=float(q[2]),
        n=int(v.size),
        never=int(np.count_nonzero(np.isinf(v))),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Paired:
    """Paired differences of one measure between two regimes on the same runs.

    ``gain`` summarises the finite differences (positive: the first regime is better);
    ``gained`` counts pairs where only the first regime achieved the measure, ``lost``
    where only the second did, ``neither`` where neither did.
    """

    gain: Summary
    gained: int
    lost: int
    neither: int


def paired(better: Iterable[float], worse: Iterable[float], *, larger_is_better: bool) -> Paired:
    """Paired gains of ``better`` over ``worse`` (same order, same runs).

    For times to an event (``larger_is_better=False``) the gain is ``worse - better``:
    how much sooner; for warning times it is ``better - worse``. ``inf`` means the event
    never happened (a time to an event only). Pairs with a ``nan`` are left out.
    """
    gains: list[float] = []
    gained = lost = neither = 0
    for b, w in zip(better, worse, strict=True):
        if math.isnan(b) or math.isnan(w):
            continue
        if math.isinf(b) and math.isinf(w):
            neither += 1
        elif math.isinf(w):
            gained += 1
        elif math.isinf(b):
            lost += 1
        else:
            gains.append(b - w if larger_is_better else w - b)
    return Paired(gain=summarise(gains), gained=gained, lost=lost, neither=neither)
