"""Association in the value analysis, without the truth's help.

On the 29 August 2017 Hwasong-12 (a warhead and the spent stage beside it): the stage's
reports reach the tracker, the looks are rationed by the party's own tracks (the reports'
truth ids are never read), missiles get tracks by a minimum-cost assignment, and the tracks
are scored against both objects. A spent stage's track is dropped once its object must
have landed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import SimulationAssumptions, load_assumptions
from gsomia.analysis.landed import LandedDeleter
from gsomia.analysis.looks import known_tracks, look_scheduler
from gsomia.analysis.regimes import Regime, regimes_from
from gsomia.analysis.runner import regime_sharing, run_launch
from gsomia.analysis.simulation import (
    _matched,
    make_tracker,
    pictures_and_association,
    run_tracker,
    stream,
    world_under,
)
from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef
from gsomia.warning.physics.truth import ObjectKind
from gsomia.warning.scenario.launches import dated_launch
from gsomia.warning.sensors.measurements import RadarReport
from gsomia.warning.simulation.world import World, observe
from gsomia.warning.tracking import GaussianBatch, MixtureBatch, Tracker, TrackSet

Run = tuple[list[RadarReport], Tracker[MixtureBatch], tuple[TrackSet[MixtureBatch], ...]]


@pytest.fixture(scope="module")
def sim() -> SimulationAssumptions:
    return load_assumptions().simulation


@pytest.fixture(scope="module")
def world(sim: SimulationAssumptions) -> World:
    return world_under(dated_launch("2017-08-29"), sim)


@pytest.fixture(scope="module")
def run(world: World, sim: SimulationAssumptions) -> Run:
    obs = observe(world, seed=sim.seed, run=0)
    arrivals = stream(world, obs, party="JPN", partners=[])
    tracker = make_tracker(0.0)
    scheduler = look_scheduler(sim)
    snapshots = run_tracker(arrivals, grid=world.grid, tracker=tracker, scheduler=scheduler)
    reports = [item for _, item in arrivals if isinstance(item, RadarReport)]
    return reports, tracker, snapshots


def test_the_spent_stages_reports_reach_the_tracker(world: World, run: Run) -> None:
    stage = {o.truth_id for o in world.truth.objects if o.kind is ObjectKind.STAGE}
    assert stage
    reports = run[0]
    assert sum(r.truth_id in stage for r in reports) > 10


def _keys(reports: list[RadarReport]) -> list[tuple[str, float, tuple[float, ...]]]:
    return [(r.sensor, r.t, tuple(r.z.tolist())) for r in reports]


@pytest.mark.parametrize("label", [None, 0, 1])
def test_the_looks_chosen_do_not_depend_on_the_truth_ids(
    world: World, sim: SimulationAssumptions, run: Run, label: int | None
) -> None:
    reports, tracker, snapshots = run
    rationed = 0
    for k in range(1, world.grid.size):
        step = [r for r in reports if world.grid[k - 1] < r.t <= world.grid[k]]
        if not step:
            continue
        relabelled = [replace(r, truth_id=label) for r in step]
        chosen = look_scheduler(sim).select(step, known_tracks(snapshots[k - 1], tracker))
        blind = look_scheduler(sim).select(relabelled, known_tracks(snapshots[k - 1], tracker))
        assert _keys(chosen) == _keys(blind)
        rationed += len(step) - len(chosen)
    assert rationed > 0


def test_the_tracks_are_scored_against_the_warhead_and_the_stage(
    world: World, sim: SimulationAssumptions, run: Run
) -> None:
    _, tracker, snapshots = run
    pictures, score = pictures_and_association(
        snapshots, world, tracker=tracker, radius_m=sim.association_radius_m
    )
    assert score.objects == 2
    assert score.tracks >= 1
    assert 0.5 < score.purity <= 1.0
    assert 0.0 < score.gospa < sim.association_radius_m
    window = world.window(0)
    assert np.mean(pictures[0].present[window]) > 0.5


def test_a_track_serves_one_missile_at_a_time() -> None:
    # Nearest-per-missile would give track 0 to both; the assignment gives each its own.
    assert sorted(_matched(np.array([[1.0, 2.0], [1.5, 100.0]]), 50.0)) == [(0, 1), (1, 0)]
    assert _matched(np.array([[1.0], [2.0]]), 50.0) == [(0, 0)]
    assert _matched(np.array([[60.0, 70.0]]), 50.0) == []
    assert _matched(np.array([[60.0, 3.0], [4.0, 80.0]]), 50.0) == [(0, 1), (1, 0)]


def _falling(height_m: float, *, up: float, kappa: float, t: float) -> GaussianBatch:
    lat, lon = 40.0, 135.0
    mean = np.zeros((1, 10))
    mean[0, :3] = geodetic_to_ecef(lat, lon, height_m)
    mean[0, 3:6] = enu_rotation(lat, lon).T @ np.array([200.0, 0.0, up])
    mean[0, 9] = kappa
    return GaussianBatch(mean=mean, cov=np.eye(10)[None], t=np.array([t]))


def test_a_falling_track_is_dropped_once_its_object_must_have_landed() -> None:
    deleter = LandedDeleter()
    hits = np.array([50])
    # A spent stage 5 km up (κ = 3.3e-3 m²/kg) falls no slower than about 70 m/s.
    stage = _falling(5_000.0, up=-100.0, kappa=3.3e-3, t=1000.0)
    assert not deleter.delete(stage, last_update=stage.t, hits=hits, now=1200.0)[0]
    assert deleter.delete(stage, last_update=stage.t, hits=hits, now=1400.0)[0]
    # Climbing, or high up (a lofted warhead out of reach for an hour), it stays.
    climbing = _falling(5_000.0, up=100.0, kappa=3.3e-3, t=1000.0)
    high = _falling(600_000.0, up=-100.0, kappa=3.3e-4, t=1000.0)
    for track in (climbing, high):
        assert not deleter.delete(track, last_update=track.t, hits=hits, now=4000.0)[0]


@pytest.mark.slow
def test_a_lofted_icbms_stage_tracks_do_not_break_the_run() -> None:
    """2022-11-18, run 1: a stage's track last seen 11 km up was predicted 50 minutes under
    the ground when the ROK Aegis saw the next stage, and the tracker raised LinAlgError."""
    a = load_assumptions()
    sim = replace(a.simulation, parties=("KOR",))
    sharing = regime_sharing(load_library(), dated_launch("2022-11-18"), (Regime.actual(),), a)
    result = run_launch("2022-11-18", sharing, sim, sensors=a.sensors, runs=range(1, 2))
    (score,) = result.association[("actual", "KOR")]
    assert score.objects >= 3


@pytest.mark.slow
def test_a_track_whose_covariance_lost_definiteness_does_not_stop_the_analysis() -> None:
    """2017-05-14, run 21 of the defaults: a predicted innovation covariance with a negative
    determinant gave a NaN cost and the assignment refused the matrix, ending `gsomia value`.
    Such a pair is now outside the gate; every regime of the run is scored."""
    a = load_assumptions()
    wanted = (Regime.actual(), *(r for r in regimes_from(a) if r.key != "actual"))
    sharing = regime_sharing(load_library(), dated_launch("2017-05-14"), wanted, a)
    result = run_launch("2017-05-14", sharing, a.simulation, sensors=a.sensors, runs=range(21, 22))
    assert {regime for regime, _ in result.association} == {r.key for r in wanted}
