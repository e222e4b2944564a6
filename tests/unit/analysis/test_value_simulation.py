"""Simulating a launch for the value analysis: common random numbers, streams, look rationing."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.analysis.assumptions import SimulationAssumptions, load_assumptions
from gsomia.analysis.looks import known_tracks, look_scheduler
from gsomia.analysis.simulation import (
    make_tracker,
    round_pictures,
    run_tracker,
    stream,
    world_under,
)
from gsomia.warning.scenario.launches import dated_launch
from gsomia.warning.sensors.measurements import RadarReport
from gsomia.warning.sensors.scheduling import Mode
from gsomia.warning.simulation.world import World, observe


@pytest.fixture(scope="module")
def sim() -> SimulationAssumptions:
    return load_assumptions().simulation


@pytest.fixture(scope="module")
def world(sim: SimulationAssumptions) -> World:
    return world_under(dated_launch("2019-05-09"), sim)


def _key(r: RadarReport) -> tuple[str, float, tuple[float, ...]]:
    return (r.sensor, r.t, tuple(r.z.tolist()))


def test_the_same_run_draws_the_same_reports_and_another_run_does_not(world: World) -> None:
    a = observe(world, seed=7, run=0)
    b = observe(world, seed=7, run=0)
    c = observe(world, seed=7, run=1)
    assert [_key(r) for r in a.reports["KOR"]] == [_key(r) for r in b.reports["KOR"]]
    assert [_key(r) for r in a.reports["KOR"]] != [_key(r) for r in c.reports["KOR"]]
    assert all(r.t <= world.grid[-1] for r in a.reports["KOR"])


def test_the_world_scores_each_missile_until_just_before_it_lands(world: World) -> None:
    assert len(world.rounds) == 2
    for r, rt in enumerate(world.rounds):
        times = world.grid[world.window(r)]
        assert times[0] == rt.launch_t
        assert rt.impact_t - 5.0 - 5.0 < times[-1] <= rt.impact_t - 5.0
        assert rt.crossing_t is None
    assert world.rounds[1].launch_t == 600.0


def test_a_stream_delays_partner_reports_and_leaves_out_no_missile(world: World) -> None:
    obs = observe(world, seed=7, run=0)
    own = stream(world, obs, party="JPN", partners=[])
    shared = stream(world, obs, party="JPN", partners=[("KOR", 30.0)])
    assert len(shared) == len(own) + len(obs.reports["KOR"]) + len(obs.cues.get("KOR", ()))
    for arrival, item in shared:
        assert arrival == pytest.approx(item.t + (30.0 if item.party == "KOR" else 0.0))
    assert [a for a, _ in shared] == sorted(a for a, _ in shared)


def test_the_scheduler_uses_every_look_to_acquire_then_rations_them(
    world: World, sim: SimulationAssumptions
) -> None:
    obs = observe(world, seed=7, run=0)
    arrivals = stream(world, obs, party="KOR", partners=[])
    tracker = make_tracker(0.0)
    scheduler = look_scheduler(sim)
    snapshots = run_tracker(arrivals, grid=world.grid, tracker=tracker, scheduler=scheduler)
    used = {mode for _, mode, _ in scheduler._used}
    assert Mode.MAINTAIN in used or Mode.SETTLE in used
    # Rationed looks fill at most one per slot; acquisition used every look.
    processed = sum(int(s.hits.sum()) for s in snapshots[-1:])
    assert processed < len(arrivals)
    empty = look_scheduler(sim)
    reports = [item for _, item in arrivals[:5] if isinstance(item, RadarReport)]
    assert empty.owners(reports[:1], known_tracks(tracker.empty(), tracker)) == [(-1, Mode.ACQUIRE)]
    assert empty.select(reports, known_tracks(tracker.empty(), tracker)) == sorted(
        reports, key=lambda r: (r.t, r.sensor)
    )
    pictures = round_pictures(snapshots, world, tracker=tracker, radius_m=sim.association_radius_m)
    for r, pic in enumerate(pictures):
        held = world.window(r)[pic.present[world.window(r)]]
        assert held.size > 10
        assert np.all(pic.t[held] <= world.grid[held])
