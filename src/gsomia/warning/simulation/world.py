"""One launch's simulated world: its truth, the picture times, and what the sensors report.

:func:`build_world` flies a dated launch (:func:`gsomia.warning.scenario.launches.
launch_scenario`) once and lays out the picture times: every ``step_s`` seconds from the
first launch to the end of the last scored round (one step before impact, or the horizon).
The truth is the same in every run; runs differ in what the sensors draw. :func:`observe`
gives every sensor in service its own generator, seeded by (seed, launch, run, sensor), so
that every regime of a run sees the *same* reports (common random numbers).

What is assumed about the sensors beyond what they see (which of them are up in a run,
whether the satellite cue misses a launch, whose radars report only to the ally that hosts
them) comes in from the caller: an :class:`Availability` and the world's ``hosts``. Nothing
here reads a clock or draws a random number of its own.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from gsomia.warning.geo.frames import ecef_to_geodetic
from gsomia.warning.physics.truth import Truth, simulate
from gsomia.warning.scenario.launches import DatedLaunch, launch_scenario
from gsomia.warning.sensors.base import Sensor
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport
from gsomia.warning.sensors.radar import Radar

__all__ = [
    "ALWAYS_UP",
    "Availability",
    "Observations",
    "RoundTruth",
    "World",
    "build_world",
    "observe",
]

Array = NDArray[np.float64]
Region = Callable[[Array, Array], NDArray[np.bool_]]


class Availability(Protocol):
    """Which sensors are up in a run, and whether a launch's cue is missed.

    Both MUST be pure functions of their arguments (the same run, the same answer), so
    that every regime of a run sees the same sensors.
    """

    def up(
        self, sensors: Mapping[str, tuple[Sensor, ...]], *, seed: int, launch: str, run: int
    ) -> Mapping[str, tuple[Sensor, ...]]:
        """The sensors of each party that are up in run ``run``."""
        ...

    def cue_missed(self, boost_s: float, *, seed: int, launch: str, run: int, index: int) -> bool:
        """Whether the satellite cue of the launch's round ``index`` is missed in ``run``."""
        ...


@dataclass(frozen=True, slots=True)
class _AlwaysUp:
    """Every sensor up in every run; no cue missed."""

    def up(
        self, sensors: Mapping[str, tuple[Sensor, ...]], *, seed: int, launch: str, run: int
    ) -> Mapping[str, tuple[Sensor, ...]]:
        return sensors

    def cue_missed(self, boost_s: float, *, seed: int, launch: str, run: int, index: int) -> bool:
        return False


ALWAYS_UP: Availability = _AlwaysUp()


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundTruth:
    """What one missile of the launch really did, and the part of its flight scored.

    Times are seconds since the scenario epoch; ``end_t`` is the last scored time (one
    picture step before impact, or the horizon); ``crossing_t`` the first time the
    missile was over the world's region (Japanese land in the value analysis), if it was.
    """

    index: int
    label: str
    payload_id: int
    launch_t: float
    burnout_t: float
    impact_t: float
    end_t: float
    launch_lat_deg: float
    launch_lon_deg: float
    impact_lat_deg: float
    impact_lon_deg: float
    apogee_m: float
    range_m: float
    crossing_t: float | None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class World:
    """A launch's truth, the picture times, and the sensors in service on its date.

    ``hosts`` names, for the radars of the parties in ``host_bound``, the ally whose soil
    each stands on (``None``: no host); such a radar's reports reach its host only.
    """

    launch: DatedLaunch
    truth: Truth
    rounds: tuple[RoundTruth, ...]
    grid: Array
    positions: Array
    sensors: Mapping[str, tuple[Sensor, ...]]
    availability: Availability = ALWAYS_UP
    hosts: Mapping[str, str | None] = field(default_factory=dict)
    host_bound: frozenset[str] = frozenset()

    def releasable(self, originator: str, recipient: str | None) -> frozenset[str] | None:
        """The names of ``originator``'s sensors whose data may reach ``recipient``
        (``None``: all of them). A host-bound party's radars go to the ally that hosts
        them only; its satellite cues go to every ally."""
        if recipient is None or originator not in self.host_bound:
            return None
        return frozenset(
            s.name
            for s in self.sensors.get(originator, ())
            if not isinstance(s, Radar) or self.hosts.get(s.name) in (None, recipient)
        )

    def window(self, r: int) -> NDArray[np.intp]:
        """Indices of the picture times scored for round ``r``."""
        rt = self.rounds[r]
        return np.nonzero((self.grid >= rt.launch_t) & (self.grid <= rt.end_t))[0]


def _crossing(truth: Truth, payload_id: int, region: Region | None) -> float | None:
    if region is None:
        return None
    obj = truth.object(payload_id)
    t = truth.t[(truth.t >= obj.start_s) & (truth.t <= obj.end_s)]
    lat, lon, _ = ecef_to_geodetic(obj.states_at(t)[:, :3])
    over = region(lat, lon)
    return float(t[np.argmax(over)]) if np.any(over) else None


def build_world(
    launch: DatedLaunch,
    *,
    step_s: float,
    horizon_s: float,
    sensors: Mapping[str, tuple[Sensor, ...]],
    availability: Availability = ALWAYS_UP,
    hosts: Mapping[str, str | None] | None = None,
    host_bound: frozenset[str] = frozenset(),
    region: Region | None = None,
) -> World:
    """Simulate ``launch`` and lay out its picture times (every ``step_s`` seconds, each
    round scored for at most ``horizon_s`` after its launch); ``region(lat, lon)`` tells
    which points are over the region whose first overflight each round records."""
    truth = simulate(launch_scenario(launch), dt=1.0)
    rounds = []
    for lt in truth.launches:
        end = min(lt.impact_time_s - step_s, lt.launch_time_s + horizon_s)
        rounds.append(
            RoundTruth(
                index=lt.index,
                label=lt.label,
                payload_id=lt.payload_id,
                launch_t=lt.launch_time_s,
                burnout_t=lt.burnout.t,
                impact_t=lt.impact_time_s,
                end_t=end,
                launch_lat_deg=lt.launch_lat_deg,
                launch_lon_deg=lt.launch_lon_deg,
                impact_lat_deg=lt.impact_lat_deg,
                impact_lon_deg=lt.impact_lon_deg,
                apogee_m=lt.apogee_m,
                range_m=lt.range_m,
                crossing_t=_crossing(truth, lt.payload_id, region),
            )
        )
    start = min(r.launch_t for r in rounds)
    stop = max(r.end_t for r in rounds)
    count = math.floor((stop - start) / step_s) + 1
    grid = np.asarray(start + step_s * np.arange(count), dtype=np.float64)
    return World(
        launch=launch,
        truth=truth,
        rounds=tuple(rounds),
        grid=grid,
        positions=truth.states_at(grid)[..., :3],
        sensors=sensors,
        availability=availability,
        hosts=dict(hosts or {}),
        host_bound=host_bound,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Observations:
    """Every party's radar reports and satellite cues in one run, in time order."""

    reports: Mapping[str, tuple[RadarReport, ...]]
    cues: Mapping[str, tuple[LaunchCue, ...]]


def _generator(seed: int, launch: str, run: int, sensor: str) -> np.random.Generator:
    keys = [seed, zlib.crc32(launch.encode()), run, zlib.crc32(sensor.encode())]
    return np.random.default_rng(keys)


def _until(truth: Truth, stop: float) -> Truth:
    """The truth sampled only up to ``stop`` (sensors look over the samples' span)."""
    keep = truth.t <= stop + 1.0
    return replace(
        truth, t=truth.t[keep], states=truth.states[:, keep], phases=truth.phases[:, keep]
    )


def observe(world: World, *, seed: int, run: int) -> Observations:
    """What every sensor in service reports in run ``run`` (common random numbers)."""
    stop = float(world.grid[-1])
    truth = _until(world.truth, stop)
    reports: dict[str, tuple[RadarReport, ...]] = {}
    cues: dict[str, tuple[LaunchCue, ...]] = {}
    key = world.launch.key
    up = world.availability.up(world.sensors, seed=seed, launch=key, run=run)
    missed = {
        rt.payload_id
        for rt in world.rounds
        if world.availability.cue_missed(
            rt.burnout_t - rt.launch_t, seed=seed, launch=key, run=run, index=rt.index
        )
    }
    for party, sensors in up.items():
        found: list[RadarReport] = []
        cued: list[LaunchCue] = []
        for sensor in sensors:
            rng = _generator(seed, key, run, sensor.name)
            for item in sensor.observe(truth, rng):
                if item.t > stop:
                    continue
                if isinstance(item, RadarReport):
                    found.append(item)
                elif item.truth_id not in missed:
                    cued.append(item)
        reports[party] = tuple(sorted(found, key=lambda r: (r.t, r.sensor)))
        cues[party] = tuple(sorted(cued, key=lambda c: c.t))
    return Observations(reports=reports, cues=cues)
