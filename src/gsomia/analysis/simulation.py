"""One launch, simulated: the truth, every sensor's reports, each party's tracker and picture.

The truth is the catalogue's fitted trajectory (:func:`gsomia.warning.launches.launch_scenario`)
and is the same in every run; runs differ in what the sensors draw (radar revisit phases,
detections, noise, satellite cue delays and errors). Each sensor draws from its own
generator, seeded by (seed, launch, run, sensor), so every regime sees the *same* reports
(common random numbers): differences between regimes come from sharing alone.

A party's tracker is fed a *stream*: its own reports and cues at once, and those of every
partner whose reports reach it, each after the flow's delay (the tracker holds reports for
the largest delay so late ones are put back in order). To keep a Monte Carlo over every
dated launch within minutes, a stream follows each missile the way a radar's resource
manager would: every look at a missile is used until the stream holds ``acquire_looks`` of
them (enough to confirm and mature a track), then one look per ``update_s`` seconds, the
most precise of that interval; looks at spent stages alone are not processed.

A :class:`RoundPicture` is the party's best estimate of one missile at each picture time:
among its confirmed tracks that carry radar updates, those whose position is nearest that
missile's true position (among every true object) and within the association radius, the
one with the smallest position covariance. The truth is read here only to score.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from gsomia.analysis.assumptions import SimulationAssumptions
from gsomia.analysis.geography import region_map
from gsomia.warning.frames import ecef_to_geodetic
from gsomia.warning.launches import DatedLaunch, launch_scenario
from gsomia.warning.measurements import LaunchCue, RadarReport
from gsomia.warning.sensor_catalogue import sensors_in_service
from gsomia.warning.sensors import InfraredSatellite, Radar
from gsomia.warning.tracking import (
    IMMPredictor,
    MixtureBatch,
    Tracker,
    TrackSet,
    boost_coast_tracker,
)
from gsomia.warning.tracking.tracker import PRUNE_WEIGHT
from gsomia.warning.truth import Truth, simulate

__all__ = [
    "Observations",
    "RoundPicture",
    "RoundTruth",
    "World",
    "build_world",
    "make_tracker",
    "observe",
    "round_pictures",
    "run_tracker",
    "stream",
    "thin_looks",
]

Array = NDArray[np.float64]
Incoming = RadarReport | LaunchCue
Arrival = tuple[float, Incoming]

_PREDICT_STEP_S = 10.0
"""The tracker's largest integration sub-step (its default is 5 s): stable for its coast
model's 5 s thrust decay up to 13.9 s, and half the cost over the streams' 10 s gaps."""
_DT_EDGES = np.array([15.0, 60.0, 300.0])


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundTruth:
    """What one missile of the launch really did, and the part of its flight scored.

    Times are seconds since the scenario epoch; ``end_t`` is the last scored time (one
    picture step before impact, or the horizon); ``crossing_t`` the first time the
    missile was over Japanese land, if it was.
    """

    index: int
    label: str
    payload_id: int
    launch_t: float
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
    """A launch's truth, the picture times, and the sensors in service on its date."""

    launch: DatedLaunch
    truth: Truth
    rounds: tuple[RoundTruth, ...]
    grid: Array
    positions: Array
    sensors: Mapping[str, tuple[Radar | InfraredSatellite, ...]]

    def window(self, r: int) -> NDArray[np.intp]:
        """Indices of the picture times scored for round ``r``."""
        rt = self.rounds[r]
        return np.nonzero((self.grid >= rt.launch_t) & (self.grid <= rt.end_t))[0]


def _crossing(truth: Truth, payload_id: int) -> float | None:
    obj = truth.object(payload_id)
    t = truth.t[(truth.t >= obj.start_s) & (truth.t <= obj.end_s)]
    lat, lon, _ = ecef_to_geodetic(obj.states_at(t)[:, :3])
    over = region_map().inside("JPN", lat, lon)
    return float(t[np.argmax(over)]) if np.any(over) else None


def build_world(launch: DatedLaunch, sim: SimulationAssumptions) -> World:
    """Simulate ``launch`` and lay out its picture times (every ``step_s`` seconds)."""
    truth = simulate(launch_scenario(launch), dt=1.0)
    rounds = []
    for lt in truth.launches:
        end = min(lt.impact_time_s - sim.step_s, lt.launch_time_s + sim.horizon_s)
        rounds.append(
            RoundTruth(
                index=lt.index,
                label=lt.label,
                payload_id=lt.payload_id,
                launch_t=lt.launch_time_s,
                impact_t=lt.impact_time_s,
                end_t=end,
                launch_lat_deg=lt.launch_lat_deg,
                launch_lon_deg=lt.launch_lon_deg,
                impact_lat_deg=lt.impact_lat_deg,
                impact_lon_deg=lt.impact_lon_deg,
                apogee_m=lt.apogee_m,
                range_m=lt.range_m,
                crossing_t=_crossing(truth, lt.payload_id),
            )
        )
    start = min(r.launch_t for r in rounds)
    stop = max(r.end_t for r in rounds)
    count = math.floor((stop - start) / sim.step_s) + 1
    grid = np.asarray(start + sim.step_s * np.arange(count), dtype=np.float64)
    return World(
        launch=launch,
        truth=truth,
        rounds=tuple(rounds),
        grid=grid,
        positions=truth.states_at(grid)[..., :3],
        sensors=sensors_in_service(launch.day),
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Observations:
    """Every party's radar reports and satellite cues in one run, in time order."""

    reports: Mapping[str, tuple[RadarReport, ...]]
    cues: Mapping[str, tuple[LaunchCue, ...]]


def _generator(seed: int, launch: str, run: int, sensor: str) -> np.random.Generator:
    keys = [seed, zlib.crc32(launch.encode()), run, zlib.crc32(sensor.encode())]
    return np.random.default_rng(keys)


def observe(world: World, *, seed: int, run: int) -> Observations:
    """What every sensor in service reports in run ``run`` (common random numbers)."""
    stop = float(world.grid[-1])
    reports: dict[str, tuple[RadarReport, ...]] = {}
    cues: dict[str, tuple[LaunchCue, ...]] = {}
    for party, sensors in world.sensors.items():
        found: list[RadarReport] = []
        cued: list[LaunchCue] = []
        for sensor in sensors:
            rng = _generator(seed, world.launch.key, run, sensor.name)
            if isinstance(sensor, Radar):
                found.extend(r for r in sensor.observe(world.truth, rng) if r.t <= stop)
            else:
                cued.extend(c for c in sensor.observe(world.truth, rng) if c.t <= stop)
        reports[party] = tuple(sorted(found, key=lambda r: (r.t, r.sensor)))
        cues[party] = tuple(sorted(cued, key=lambda c: c.t))
    return Observations(reports=reports, cues=cues)


def _volume(report: RadarReport) -> float:
    """A look's error volume: range sigma times the two cross-range sigmas."""
    sigma = np.sqrt(np.diag(report.R))
    return float(sigma[0] * sigma[1] * sigma[2] * report.z[0] ** 2)


def thin_looks(
    reports: Sequence[RadarReport], *, follow: Mapping[int, float], acquire: int, update_s: float
) -> list[RadarReport]:
    """The reports of the looks a stream processes (module docstring).

    ``follow`` maps each missile's truth id to its launch time. A look is one sensor at
    one time; it is kept whole (every object it saw) when it is among the first
    ``acquire`` looks at a followed missile, or the most precise look at that missile in
    its ``update_s`` interval after launch.
    """
    looks: dict[tuple[float, str], list[RadarReport]] = {}
    for report in reports:
        looks.setdefault((report.t, report.sensor), []).append(report)
    kept: set[tuple[float, str]] = set()
    for truth_id, launch_t in follow.items():
        seen = 0
        best: dict[int, tuple[float, tuple[float, str]]] = {}
        for key in sorted(looks):
            hit = next((r for r in looks[key] if r.truth_id == truth_id), None)
            if hit is None:
                continue
            if seen < acquire:
                kept.add(key)
                seen += 1
                continue
            slot = math.floor((key[0] - launch_t) / update_s)
            volume = _volume(hit)
            if slot not in best or volume < best[slot][0]:
                best[slot] = (volume, key)
        kept.update(key for _, key in best.values())
    return [r for key in sorted(kept) for r in looks[key]]


def stream(
    world: World,
    obs: Observations,
    *,
    party: str,
    partners: Iterable[tuple[str, float]],
    sim: SimulationAssumptions,
) -> list[Arrival]:
    """What reaches ``party``'s tracker, as (arrival time, report or cue), arrival order.

    ``partners`` are (originator, delay in seconds) of the report flows into ``party``.
    """
    sources = [(party, 0.0), *partners]
    delay_of: dict[str, float] = {}
    reports: list[RadarReport] = []
    arrivals: list[Arrival] = []
    for source, delay in sources:
        for report in obs.reports.get(source, ()):
            delay_of[report.sensor] = delay
            reports.append(report)
        arrivals.extend((cue.t + delay, cue) for cue in obs.cues.get(source, ()))
    follow = {r.payload_id: r.launch_t for r in world.rounds}
    kept = thin_looks(reports, follow=follow, acquire=sim.acquire_looks, update_s=sim.update_s)
    arrivals.extend((r.t + delay_of[r.sensor], r) for r in kept)
    return sorted(arrivals, key=lambda a: (a[0], a[1].t, a[1].sensor))


def make_tracker(reorder_window_s: float) -> Tracker[MixtureBatch]:
    """The boost/coast IMM tracker every party runs, holding reports ``reorder_window_s``."""
    predictor = replace(IMMPredictor.boost_coast(), max_step=_PREDICT_STEP_S)
    return boost_coast_tracker(predictor=predictor, reorder_window_s=reorder_window_s)


def run_tracker(
    arrivals: Sequence[Arrival], *, grid: Array, tracker: Tracker[MixtureBatch]
) -> tuple[TrackSet[MixtureBatch], ...]:
    """Step ``tracker`` at every picture time with what has arrived; one snapshot each."""
    tracks = tracker.empty()
    snapshots = []
    i = 0
    for now in grid.tolist():
        reports: list[RadarReport] = []
        cues: list[LaunchCue] = []
        while i < len(arrivals) and arrivals[i][0] <= now:
            item = arrivals[i][1]
            if isinstance(item, LaunchCue):
                cues.append(item)
            else:
                reports.append(item)
            i += 1
        tracks = tracker.step(tracks, now=now, reports=reports, cues=cues)
        snapshots.append(tracks)
    return tuple(snapshots)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RoundPicture:
    """A party's best estimate of one missile at each picture time (module docstring).

    ``present`` (n,); ``mean`` (n, 10) and ``cov`` (n, 10, 10) in the tracker's layout
    (position, velocity, thrust, inverse ballistic coefficient) at the picture time;
    ``cue_lat`` and ``cue_lon`` the launch point of the satellite cue the track started
    from (NaN without one). Rows where ``present`` is false hold NaN.
    """

    present: NDArray[np.bool_]
    mean: Array
    cov: Array
    cue_lat: Array
    cue_lon: Array

    @classmethod
    def empty(cls, n: int) -> RoundPicture:
        """A picture that never holds the missile."""
        return cls(
            present=np.zeros(n, dtype=bool),
            mean=np.full((n, 10), math.nan),
            cov=np.full((n, 10, 10), math.nan),
            cue_lat=np.full(n, math.nan),
            cue_lon=np.full(n, math.nan),
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Entries:
    grid_index: NDArray[np.intp]
    mean: Array
    cov: Array
    cue_lat: Array
    cue_lon: Array


def _entries(
    snapshots: Sequence[TrackSet[MixtureBatch]], world: World, tracker: Tracker[MixtureBatch]
) -> _Entries | None:
    """Every radar-updated confirmed track of every scored snapshot, predicted to its time."""
    grid = world.grid
    scored = np.zeros(grid.size, dtype=bool)
    for r in range(len(world.rounds)):
        scored[world.window(r)] = True
    parts, index, cue_lat, cue_lon = [], [], [], []
    for k, tracks in enumerate(snapshots):
        if not scored[k]:
            continue
        keep = np.nonzero(tracks.confirmed & (tracks.hits >= tracker.confirm_hits))[0]
        if keep.size == 0:
            continue
        parts.append(tracks.state.take(keep))
        index.extend([k] * keep.size)
        for j in keep.tolist():
            cue = tracks.cue[j]
            cue_lat.append(math.nan if cue is None else cue.lat_deg)
            cue_lon.append(math.nan if cue is None else cue.lon_deg)
    if not parts:
        return None
    gi = np.asarray(index, dtype=np.intp)
    batch = MixtureBatch(
        mean=np.concatenate([p.mean for p in parts]),
        cov=np.concatenate([p.cov for p in parts]),
        weight=np.concatenate([p.weight for p in parts]),
        t=np.concatenate([p.t for p in parts]),
    )
    mean = np.empty((len(batch), 10))
    cov = np.empty((len(batch), 10, 10))
    # Prediction sub-steps are shared by a batch: group by how far each track must go.
    bucket = np.searchsorted(_DT_EDGES, np.abs(grid[gi] - batch.t), side="right")
    for b in np.unique(bucket).tolist():
        sel = np.nonzero(bucket == b)[0]
        predicted = tracker.predictor.predict(batch.take(sel), t=grid[gi[sel]])
        collapsed = predicted.collapse(min_weight=PRUNE_WEIGHT)
        mean[sel], cov[sel] = collapsed.mean, collapsed.cov
    return _Entries(
        grid_index=gi, mean=mean, cov=cov, cue_lat=np.array(cue_lat), cue_lon=np.array(cue_lon)
    )


def _nearest_object(world: World, entries: _Entries) -> tuple[NDArray[np.intp], Array]:
    """Per entry, the index of the nearest true object and its distance (m)."""
    truth_pos = world.positions[:, entries.grid_index, :]
    gap = np.linalg.norm(truth_pos - entries.mean[None, :, :3], axis=-1)
    gap = np.where(np.isnan(gap), np.inf, gap)
    nearest = np.argmin(gap, axis=0)
    return nearest, gap[nearest, np.arange(gap.shape[1])]


def round_pictures(
    snapshots: Sequence[TrackSet[MixtureBatch]],
    world: World,
    *,
    tracker: Tracker[MixtureBatch],
    radius_m: float,
) -> tuple[RoundPicture, ...]:
    """Each round's :class:`RoundPicture` from a tracker's snapshots (scored by truth)."""
    n = world.grid.size
    entries = _entries(snapshots, world, tracker)
    if entries is None:
        return tuple(RoundPicture.empty(n) for _ in world.rounds)
    nearest, distance = _nearest_object(world, entries)
    ids = np.array([obj.truth_id for obj in world.truth.objects])
    size = np.trace(entries.cov[:, :3, :3], axis1=1, axis2=2)
    out = []
    for rt in world.rounds:
        on = np.nonzero((ids[nearest] == rt.payload_id) & (distance <= radius_m))[0]
        pic = RoundPicture.empty(n)
        for e in on[np.argsort(-size[on])].tolist():
            k = int(entries.grid_index[e])
            pic.present[k] = True
            pic.mean[k], pic.cov[k] = entries.mean[e], entries.cov[e]
            pic.cue_lat[k], pic.cue_lon[k] = entries.cue_lat[e], entries.cue_lon[e]
        out.append(pic)
    return tuple(out)
