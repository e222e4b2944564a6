"""One launch under the value analysis: each party's tracker and picture in a simulated world.

The world (the truth, the picture times, what every sensor reports in a run) is
:mod:`gsomia.warning.simulation.world`; :func:`world_under` builds it under the analysis's
assumptions (the sensors in service, their per-run availability, whose radars report to
their host only). The truth is the same in every run; runs differ in what the sensors draw,
and every regime sees the *same* reports (common random numbers): differences between
regimes come from sharing alone.

A party's tracker is fed a *stream*: its own reports and cues at once, and those of every
partner whose reports reach it, each after the flow's delay (the tracker holds reports for
the largest delay so late ones are put back in order). Every report goes in, spent stages'
as much as warheads'; the looks are rationed by what the party's scheduler knows, its own
tracks (:class:`~gsomia.warning.sensors.scheduling.LookScheduler`), never by the truth id
a report carries.

A :class:`RoundPicture` is the party's estimate of one missile at each picture time: at
each time the party's confirmed, radar-updated tracks are assigned to the launch's
missiles in flight by a minimum-cost assignment on the distance from each track to each
missile (the assignment GOSPA makes, :mod:`gsomia.analysis.association`), a pair counting
only within the association radius. A duplicate track, a track that followed the spent
stage away, or one that swapped objects is what the party holds, and is scored as such;
nothing inside the tracker is labelled by the truth. The same confirmed tracks are scored
against every true object in flight (warheads and stages) with GOSPA, track purity, swaps
and false tracks. The truth is read here only to score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from gsomia.analysis.association import (
    AssociationScore,
    Snapshot,
    min_cost_pairs,
    score_association,
)
from gsomia.analysis.assumptions import SensorAssumptions, SimulationAssumptions
from gsomia.analysis.geography import region_map
from gsomia.analysis.landed import LandedDeleter
from gsomia.analysis.looks import known_tracks
from gsomia.analysis.sensors import AssumedAvailability, host_of, sensors_on
from gsomia.warning.scenario.launches import DatedLaunch
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport
from gsomia.warning.sensors.radar import Radar
from gsomia.warning.sensors.scheduling import LookScheduler
from gsomia.warning.simulation.world import Observations, World, build_world
from gsomia.warning.tracking import (
    PRUNE_WEIGHT,
    AnyDeleter,
    GaussianBatch,
    IMMPredictor,
    MixtureBatch,
    Tracker,
    TrackSet,
    boost_coast_tracker,
)

__all__ = [
    "RoundPicture",
    "make_tracker",
    "pictures_and_association",
    "round_pictures",
    "run_tracker",
    "stream",
    "tracker_predictor",
    "world_under",
]

Array = NDArray[np.float64]
Incoming = RadarReport | LaunchCue
Arrival = tuple[float, Incoming]

_PREDICT_STEP_S = 10.0
"""The tracker's largest integration sub-step (its default is 5 s): stable for its coast
model's 5 s thrust decay up to 13.9 s, and half the cost over the streams' 10 s gaps."""
_HOUSEKEEPING_S = 30.0
"""With nothing arriving, the tracker's housekeeping (deleting tracks that coasted too
long) runs this often rather than at every picture time: a lofted ICBM is beyond every
radar for most of its hour, and its coasting tracks change only by prediction."""


def world_under(
    launch: DatedLaunch,
    sim: SimulationAssumptions,
    sensors: SensorAssumptions | None = None,
) -> World:
    """Simulate ``launch`` (:func:`~gsomia.warning.simulation.world.build_world`) with the
    sensors in service on its date under the sensor assumptions, its picture times every
    ``step_s`` seconds, and each round's first time over Japanese land."""
    chosen = sensors or SensorAssumptions()
    in_service = sensors_on(launch.day, chosen)
    return build_world(
        launch,
        step_s=sim.step_s,
        horizon_s=sim.horizon_s,
        sensors=in_service,
        availability=AssumedAvailability(chosen),
        hosts={s.name: host_of(s) for s in in_service.get("USA", ()) if isinstance(s, Radar)},
        host_bound=frozenset() if chosen.us_radar_routing == "both" else frozenset({"USA"}),
        region=_over_japan,
    )


def _over_japan(lat: Array, lon: Array) -> NDArray[np.bool_]:
    return region_map().inside("JPN", lat, lon)


def stream(
    world: World,
    obs: Observations,
    *,
    party: str,
    partners: Iterable[tuple[str, float]],
    releasing_to: str | None = None,
) -> list[Arrival]:
    """What reaches ``party``'s tracker, as (arrival time, report or cue), arrival order.

    ``partners`` are (originator, delay in seconds) of the report flows into ``party``;
    each partner's reports are those it may release to ``party``
    (:meth:`World.releasable`). With ``releasing_to`` the party's own reports are only
    those it may release to that recipient (the picture its warnings to it rest on).
    Every report goes in, a spent stage's as much as a warhead's: telling them apart is
    the tracker's work, scored by :func:`pictures_and_association`.
    """
    arrivals: list[Arrival] = []
    sources = [(party, 0.0, world.releasable(party, releasing_to))]
    sources += [(o, d, world.releasable(o, party)) for o, d in partners]
    for source, delay, names in sources:
        arrivals.extend(
            (r.t + delay, r)
            for r in obs.reports.get(source, ())
            if names is None or r.sensor in names
        )
        arrivals.extend(
            (cue.t + delay, cue)
            for cue in obs.cues.get(source, ())
            if names is None or cue.sensor in names
        )
    return sorted(arrivals, key=lambda a: (a[0], a[1].t, a[1].sensor))


def tracker_predictor() -> IMMPredictor:
    """The prediction of the tracker every party runs: the boost/coast IMM with 10 s
    largest integration sub-steps."""
    return replace(IMMPredictor.boost_coast(), max_step=_PREDICT_STEP_S)


def make_tracker(
    reorder_window_s: float, *, predictor: IMMPredictor | None = None
) -> Tracker[MixtureBatch]:
    """The boost/coast IMM tracker every party runs, holding reports ``reorder_window_s``;
    its deleters also drop a track whose object must have landed (:mod:`.landed`).
    ``predictor`` stands in for :func:`tracker_predictor` (with its settings: the
    lockstep one, :mod:`.lockstep`)."""
    predictor = predictor or tracker_predictor()
    deleter = AnyDeleter(deleters=(*AnyDeleter().deleters, LandedDeleter()))
    return boost_coast_tracker(
        predictor=predictor, deleter=deleter, reorder_window_s=reorder_window_s
    )


def run_tracker(
    arrivals: Sequence[Arrival],
    *,
    grid: Array,
    tracker: Tracker[MixtureBatch],
    scheduler: LookScheduler,
) -> tuple[TrackSet[MixtureBatch], ...]:
    """Step ``tracker`` at every picture time with the looks ``scheduler`` passes of what
    has arrived; one snapshot per picture time."""
    tracks = tracker.empty()
    snapshots: list[TrackSet[MixtureBatch]] = []
    i = 0
    stepped = -math.inf
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
        idle = not (reports or cues or tracks.pending)
        if idle and (not len(tracks) or now - stepped < _HOUSEKEEPING_S):
            snapshots.append(snapshots[-1] if snapshots else tracks)
            continue
        stepped = now
        chosen = scheduler.select(reports, known_tracks(tracks, tracker)) if reports else []
        tracks = tracker.step(tracks, now=now, reports=chosen, cues=cues)
        snapshots.append(_without_hold(tracker, tracks, now))
    return tuple(snapshots)


def _without_hold(
    tracker: Tracker[MixtureBatch], tracks: TrackSet[MixtureBatch], now: float
) -> TrackSet[MixtureBatch]:
    """The picture at ``now`` with nothing held back for reordering.

    The tracker holds every report for its reorder window so that partners' late reports
    are put back in order; but a partner's report measured before ``now - window`` has
    already been processed, so what it still holds at ``now`` arrived on time and may be
    processed at once for the picture (on a copy: the main run keeps its order). Without
    this a party's own radar would wait for the slowest partner (docs/value.md §3).
    """
    if not tracks.pending or tracker.reorder_window_s <= 0.0:
        return tracks
    return tracker.step(tracks, now=now + tracker.reorder_window_s)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RoundPicture:
    """A party's best estimate of one missile at each picture time (module docstring).

    ``present`` (n,); ``t`` (n,) the time of the estimate (its track's last update, at or
    before the picture time: a ballistic estimate predicts the same impact from either);
    ``mean`` (n, 10) and ``cov`` (n, 10, 10) in the tracker's layout (position, velocity,
    thrust, inverse ballistic coefficient); ``cue_lat`` and ``cue_lon`` the launch point
    of the satellite cue the track started from (NaN without one); ``powered`` the
    probability that the missile was still powered. Rows where ``present`` is false hold
    NaN.
    """

    present: NDArray[np.bool_]
    t: Array
    mean: Array
    cov: Array
    cue_lat: Array
    cue_lon: Array
    powered: Array

    @classmethod
    def empty(cls, n: int) -> RoundPicture:
        """A picture that never holds the missile."""
        return cls(
            present=np.zeros(n, dtype=bool),
            t=np.full(n, math.nan),
            mean=np.full((n, 10), math.nan),
            cov=np.full((n, 10, 10), math.nan),
            cue_lat=np.full(n, math.nan),
            cue_lon=np.full(n, math.nan),
            powered=np.full(n, math.nan),
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Entries:
    """Distinct track states (track id, update time) and the picture times that hold them."""

    track_id: NDArray[np.int64]
    t: Array
    mean: Array
    cov: Array
    cue_lat: Array
    cue_lon: Array
    powered: Array
    held_at: tuple[tuple[int, ...], ...]


def _scored(world: World) -> NDArray[np.bool_]:
    scored = np.zeros(world.grid.size, dtype=bool)
    for r in range(len(world.rounds)):
        scored[world.window(r)] = True
    return scored


def _entries(
    snapshots: Sequence[TrackSet[MixtureBatch]], world: World, tracker: Tracker[MixtureBatch]
) -> _Entries | None:
    """Every distinct radar-updated confirmed track state of the scored snapshots."""
    index: dict[tuple[int, float], int] = {}
    ids: list[int] = []
    held: list[list[int]] = []
    parts: list[GaussianBatch] = []
    powered: list[Array] = []
    cues: list[tuple[float, float]] = []
    # A picture time where the tracker did not step holds the previous one's track set.
    last: TrackSet[MixtureBatch] | None = None
    last_held: list[int] = []
    for k in np.nonzero(_scored(world))[0].tolist():
        tracks = snapshots[k]
        if tracks is last:
            for e in last_held:
                held[e].append(k)
            continue
        keep = np.nonzero(tracks.confirmed & (tracks.hits >= tracker.confirm_hits))[0]
        fresh = []
        last, last_held = tracks, []
        for j in keep.tolist():
            key = (int(tracks.track_id[j]), float(tracks.state.t[j]))
            if key not in index:
                index[key] = len(held)
                held.append([])
                fresh.append(j)
                ids.append(key[0])
                cue = tracks.cue[j]
                cues.append((math.nan, math.nan) if cue is None else (cue.lat_deg, cue.lon_deg))
            held[index[key]].append(k)
            last_held.append(index[key])
        if fresh:
            state = tracks.state.take(np.array(fresh))
            parts.append(state.collapse(min_weight=PRUNE_WEIGHT))
            powered.append(tracker.predictor.powered_probability(state))
    if not parts:
        return None
    cue_array = np.array(cues, dtype=float)
    return _Entries(
        track_id=np.array(ids, dtype=np.int64),
        t=np.concatenate([p.t for p in parts]),
        mean=np.concatenate([p.mean for p in parts]),
        cov=np.concatenate([p.cov for p in parts]),
        cue_lat=cue_array[:, 0],
        cue_lon=cue_array[:, 1],
        powered=np.concatenate(powered),
        held_at=tuple(tuple(h) for h in held),
    )


def _matched(d: Array, radius_m: float) -> list[tuple[int, int]]:
    """(row, column) pairs of a minimum-cost assignment on distances ``d``, each within
    ``radius_m`` (the cost is the distance squared, capped at the radius: GOSPA's)."""
    if d.shape[0] == 1:
        j = int(np.argmin(d[0]))
        return [(0, j)] if d[0, j] <= radius_m else []
    rows, cols = min_cost_pairs(np.minimum(d, radius_m) ** 2)
    pairs = zip(rows.tolist(), cols.tolist(), strict=True)
    return [(i, j) for i, j in pairs if d[i, j] <= radius_m]


def _fill(pic: RoundPicture, k: int, entries: _Entries, e: int) -> None:
    pic.present[k], pic.t[k] = True, entries.t[e]
    pic.mean[k], pic.cov[k] = entries.mean[e], entries.cov[e]
    pic.cue_lat[k], pic.cue_lon[k] = entries.cue_lat[e], entries.cue_lon[e]
    pic.powered[k] = entries.powered[e]


def _held(entries: _Entries | None, n: int) -> list[list[int]]:
    """Per picture time, the entries held then."""
    at: list[list[int]] = [[] for _ in range(n)]
    for e, times in enumerate(entries.held_at if entries is not None else ()):
        for k in times:
            at[k].append(e)
    return at


def _assigned(
    world: World, entries: _Entries, at: list[list[int]], radius_m: float
) -> list[RoundPicture]:
    """Each round's picture: at every picture time, the missiles in flight and the tracks
    held are paired by :func:`_matched` on the distance at each track's update time."""
    n = world.grid.size
    ids = [obj.truth_id for obj in world.truth.objects]
    rows = [ids.index(rt.payload_id) for rt in world.rounds]
    truth_pos = world.truth.states_at(entries.t)[rows, :, :3]
    gap = np.linalg.norm(truth_pos - entries.mean[None, :, :3], axis=-1)
    gap = np.where(np.isnan(gap), np.inf, gap)
    alive = np.zeros((len(rows), n), dtype=bool)
    for r in range(len(rows)):
        alive[r, world.window(r)] = True
    out = [RoundPicture.empty(n) for _ in rows]
    for k, held in enumerate(at):
        live = np.nonzero(alive[:, k])[0]
        if not held or live.size == 0:
            continue
        for i, j in _matched(gap[np.ix_(live, np.array(held, dtype=np.intp))], radius_m):
            _fill(out[int(live[i])], k, entries, held[j])
    return out


def _association(
    world: World, entries: _Entries | None, at: list[list[int]], radius_m: float
) -> AssociationScore:
    """The confirmed tracks against every true object in flight at each scored time."""
    ids = np.array([obj.truth_id for obj in world.truth.objects], dtype=np.int64)
    snaps = []
    for k in np.nonzero(_scored(world))[0].tolist():
        truth = world.positions[:, k]
        flying = ~np.isnan(truth[:, 0])
        held = np.array(at[k], dtype=np.intp)
        if entries is not None and held.size:
            dt = world.grid[k] - entries.t[held]
            tracks = entries.mean[held, :3] + entries.mean[held, 3:6] * dt[:, None]
            track_ids = entries.track_id[held]
        else:
            tracks, track_ids = np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
        snaps.append(
            Snapshot(truth_ids=ids[flying], truth=truth[flying], track_ids=track_ids, tracks=tracks)
        )
    return score_association(snaps, c=radius_m)


def pictures_and_association(
    snapshots: Sequence[TrackSet[MixtureBatch]],
    world: World,
    *,
    tracker: Tracker[MixtureBatch],
    radius_m: float,
) -> tuple[tuple[RoundPicture, ...], AssociationScore]:
    """Each round's :class:`RoundPicture` from a tracker's snapshots, and the association
    score of its confirmed tracks against every true object (module docstring)."""
    n = world.grid.size
    entries = _entries(snapshots, world, tracker)
    at = _held(entries, n)
    score = _association(world, entries, at, radius_m)
    if entries is None:
        return tuple(RoundPicture.empty(n) for _ in world.rounds), score
    return tuple(_assigned(world, entries, at, radius_m)), score


def round_pictures(
    snapshots: Sequence[TrackSet[MixtureBatch]],
    world: World,
    *,
    tracker: Tracker[MixtureBatch],
    radius_m: float,
) -> tuple[RoundPicture, ...]:
    """Each round's :class:`RoundPicture` from a tracker's snapshots."""
    return pictures_and_association(snapshots, world, tracker=tracker, radius_m=radius_m)[0]
