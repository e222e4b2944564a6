"""Rationing a party's radar looks by what its scheduler knows: its tracks, not the truth.

To keep a Monte Carlo over every dated launch within minutes, the looks a party's tracker
processes are rationed the way a radar's resource manager would ration them, judged from
the tracker's own state. Each report is put with the mature track (:class:`KnownTracks`)
whose position, carried to the report's time, lies nearest it within ``near_m``
(or three position sigmas): the look that the track's schedule asked for. A report near
no mature track is an acquisition look and is always processed. Per track, the most
precise look (one radar's dwell: its reports at one time) of each interval is processed,
with every report of that dwell near the track: ``dense_s`` while the track settles (its IMM
undecided between powered and coasting flight, or its velocity still uncertain),
``boost_s`` while it is powered, ``update_s`` once it coasts settled. (With a fixed 10 s
ration after burnout the IMM kept switching back to its boost mode on precise X-band
reports, with velocity errors near 2 km/s; a track lost in the ration could not be found
again, as a new one needs updates within 8 s to mature.)

The truth id a report carries is never read: a warhead and the spent stage flying beside
it share one track's looks, as they would share one radar beam, and both their
detections in that beam reach the tracker, which must tell them apart.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gsomia.warning.sensors.measurements import RadarReport

__all__ = ["KnownTracks", "LookGeometry", "LookScheduler", "Mode"]

Array = NDArray[np.float64]


class Mode(enum.Enum):
    """How often a track's looks are used (module docstring)."""

    ACQUIRE = "acquire"
    SETTLE = "settle"
    BOOST = "boost"
    MAINTAIN = "maintain"


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownTracks:
    """What the scheduler knows: its party's mature tracks, each collapsed to one estimate.

    ``track_id`` (n,); ``position`` and ``velocity`` (n, 3) ECEF at ``t`` (n,);
    ``position_sigma`` and ``velocity_sigma`` (n,) the root traces of their covariances
    (zero where a covariance lost positivity); ``powered`` (n,) the probability that the
    object is still powered. The scheduler never sees the truth, only these.
    """

    track_id: NDArray[np.int64]
    position: Array
    velocity: Array
    t: Array
    position_sigma: Array
    velocity_sigma: Array
    powered: Array

    @classmethod
    def none(cls) -> KnownTracks:
        """No mature track: every look is an acquisition look."""
        empty = np.zeros(0)
        return cls(
            track_id=np.zeros(0, dtype=np.int64),
            position=np.zeros((0, 3)),
            velocity=np.zeros((0, 3)),
            t=empty,
            position_sigma=empty,
            velocity_sigma=empty,
            powered=empty,
        )


def _volume(report: RadarReport) -> float:
    """A look's error volume: range sigma times the two cross-range sigmas."""
    sigma = np.sqrt(np.diag(report.R))
    return float(sigma[0] * sigma[1] * sigma[2] * report.z[0] ** 2)


def _position(report: RadarReport) -> Array:
    """The ECEF position the report puts its object at (the radar model inverted)."""
    rng, az, el = (float(v) for v in report.z)
    enu = np.array(
        [rng * math.cos(el) * math.sin(az), rng * math.cos(el) * math.cos(az),
         rng * math.sin(el)]
    )  # fmt: skip
    return np.asarray(report.site.ecef + report.site.enu_rotation.T @ enu)


@dataclass(slots=True, eq=False)
class LookGeometry:
    """Each report's position and error volume, worked out once for every scheduler that
    shares this (the trackers of one simulated run all see the same reports).

    Reports are known by identity; each one seen is held, so that no other object can
    take its identity while this lives.
    """

    _seen: dict[int, tuple[RadarReport, Array, float]] = field(default_factory=dict)

    def of(self, report: RadarReport) -> tuple[Array, float]:
        """The report's ECEF position (the radar model inverted) and its error volume."""
        known = self._seen.get(id(report))
        if known is None:
            known = (report, _position(report), _volume(report))
            self._seen[id(report)] = known
        return known[1], known[2]


@dataclass(frozen=True, slots=True)
class _Mature:
    """The mature tracks at one step: ids, positions, velocities, times, slack, modes."""

    track_id: NDArray[np.int64]
    position: Array
    velocity: Array
    t: Array
    slack: Array
    mode: tuple[Mode, ...]


@dataclass(slots=True)
class LookScheduler:
    """Chooses which of a step's looks a party's tracker processes (module docstring)."""

    dense_s: float
    boost_s: float
    update_s: float
    settle_sigma_ms: float
    near_m: float = 10_000.0
    geometry: LookGeometry = field(default_factory=LookGeometry)
    _used: set[tuple[int, Mode, int]] = field(default_factory=set)

    def _mature(self, known: KnownTracks) -> _Mature:
        modes = tuple(
            Mode.BOOST if p >= 0.95
            else Mode.SETTLE if p > 0.05 or s > self.settle_sigma_ms
            else Mode.MAINTAIN
            for p, s in zip(known.powered.tolist(), known.velocity_sigma.tolist(), strict=True)
        )  # fmt: skip
        return _Mature(
            track_id=known.track_id,
            position=known.position,
            velocity=known.velocity,
            t=known.t,
            slack=np.maximum(self.near_m, 3.0 * known.position_sigma),
            mode=modes,
        )

    def owners(
        self,
        reports: Sequence[RadarReport],
        known: KnownTracks,
    ) -> list[tuple[int, Mode]]:
        """Per report, the mature track it serves and that track's mode; ``(-1,
        ACQUIRE)`` for a report near no mature track."""
        mature = self._mature(known)
        if mature.track_id.size == 0 or not reports:
            return [(-1, Mode.ACQUIRE)] * len(reports)
        when = np.array([r.t for r in reports])
        dt = when[:, None] - mature.t[None, :]
        ahead = mature.position[None] + mature.velocity[None] * dt[..., None]
        positions = np.array([self.geometry.of(r)[0] for r in reports])
        gap = np.linalg.norm(ahead - positions[:, None, :], axis=-1)
        gap = np.where(gap <= mature.slack[None, :], gap, np.inf)
        best = np.argmin(gap, axis=1)
        out: list[tuple[int, Mode]] = []
        for i, j in enumerate(best.tolist()):
            near = math.isfinite(float(gap[i, j]))
            out.append((int(mature.track_id[j]), mature.mode[j]) if near else (-1, Mode.ACQUIRE))
        return out

    def select(
        self,
        reports: Sequence[RadarReport],
        known: KnownTracks,
    ) -> list[RadarReport]:
        """The reports of this step's looks that the tracker processes, in time order."""
        interval = {
            Mode.SETTLE: self.dense_s,
            Mode.BOOST: self.boost_s,
            Mode.MAINTAIN: self.update_s,
        }
        kept: list[RadarReport] = []
        owned: list[tuple[RadarReport, tuple[int, Mode, int]]] = []
        best: dict[tuple[int, Mode, int], tuple[float, str, float]] = {}
        for r, (track, mode) in zip(reports, self.owners(reports, known), strict=True):
            if mode is Mode.ACQUIRE:
                kept.append(r)
                continue
            key = (track, mode, math.floor(r.t / interval[mode]))
            if key in self._used:
                continue
            owned.append((r, key))
            look = (self.geometry.of(r)[1], r.sensor, r.t)
            if key not in best or look < best[key]:
                best[key] = look
        self._used.update(best)
        kept.extend(r for r, key in owned if best[key][1:] == (r.sensor, r.t))
        return sorted(kept, key=lambda r: (r.t, r.sensor))
