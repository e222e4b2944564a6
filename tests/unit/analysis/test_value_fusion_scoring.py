"""Fusing partners' warnings and scoring estimates, on hand-made tracks of a simulated flight.

The tracks here are made by hand from the truth (the 29 August 2017 Hwasong-12) with
chosen gaps, offsets and covariances, so each measure has a value known in advance.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from gsomia.analysis.assumptions import SimulationAssumptions, load_assumptions
from gsomia.analysis.fusion import KAPPA_PRIOR, Estimate, Predictions, fuse_round, lagged_index
from gsomia.analysis.regimes import Flow
from gsomia.analysis.scoring import Scorer
from gsomia.analysis.simulation import RoundPicture, world_under
from gsomia.warning.scenario.launches import dated_launch
from gsomia.warning.simulation.world import World


@pytest.fixture(scope="module")
def sim() -> SimulationAssumptions:
    return load_assumptions().simulation


@pytest.fixture(scope="module")
def world(sim: SimulationAssumptions) -> World:
    return world_under(dated_launch("2017-08-29"), sim)


def _picture(
    world: World, *, start: float, sigma_m: float = 200.0, offset_m: float = 0.0
) -> RoundPicture:
    """A track on the missile from ``start`` on: truth at each picture time plus an offset."""
    rt = world.rounds[0]
    n = world.grid.size
    pic = RoundPicture.empty(n)
    payload = world.truth.object(rt.payload_id)
    for k, t in enumerate(world.grid.tolist()):
        if t < start or t > rt.end_t:
            continue
        state = payload.states_at(np.array([t]))[0]
        pic.present[k], pic.t[k] = True, t
        pic.mean[k, :6] = state
        pic.mean[k, 0] += offset_m
        pic.mean[k, 6:9], pic.mean[k, 9] = 0.0, 1.0 / payload.beta
        pic.cov[k] = np.diag(
            [sigma_m**2] * 3 + [(sigma_m / 50.0) ** 2] * 3 + [0.05**2] * 3 + [1e-8]
        )
        pic.powered[k] = 1.0 if t < rt.burnout_t else 0.0
    return pic


def _flow(delay: float, *, conceal: bool = False) -> Flow:
    return Flow(
        originator="KOR",
        recipient="JPN",
        agreement_id="test",
        level="warnings",
        delay_s=delay,
        route=("KOR", "JPN"),
        conceal=conceal,
        rule_ids=(),
        reason="",
        basis="",
    )


def test_lagged_index_finds_the_warning_that_has_arrived() -> None:
    grid = np.arange(0.0, 50.0, 5.0)
    assert lagged_index(grid, 12.0).tolist() == [-1, -1, -1, 0, 1, 2, 3, 4, 5, 6]
    assert lagged_index(grid, 0.0).tolist() == list(range(10))


def test_a_partner_s_warning_gives_a_track_after_its_delay(world: World) -> None:
    partner = _picture(world, start=40.0)
    own = RoundPicture.empty(world.grid.size)
    est = fuse_round(own, [(partner, _flow(30.0))], world.grid)
    first = world.grid[np.argmax(est.present)]
    assert first == 70.0
    assert np.all(est.shared[est.present])
    assert np.all(est.kappa == KAPPA_PRIOR)


def test_consistent_estimates_fuse_tighter_and_inconsistent_ones_do_not(world: World) -> None:
    own = _picture(world, start=160.0, sigma_m=300.0)
    partner = _picture(world, start=100.0, sigma_m=150.0)
    fused = fuse_round(own, [(partner, _flow(5.0))], world.grid)
    k = int(np.nonzero(own.present)[0][10])
    assert fused.shared[k]
    assert np.linalg.slogdet(fused.cov[k])[1] < np.linalg.slogdet(own.cov[k, :6, :6])[1]
    far = _picture(world, start=100.0, sigma_m=150.0, offset_m=200e3)
    kept = fuse_round(own, [(far, _flow(5.0))], world.grid)
    # The warning rests on an older measurement than the own track: the own track stays.
    assert not kept.shared[k]
    np.testing.assert_allclose(kept.state[k], own.mean[k, :6])


def test_predictions_recalled_within_a_run_change_no_estimate(world: World) -> None:
    own = _picture(world, start=160.0, sigma_m=300.0)
    partner = _picture(world, start=100.0, sigma_m=150.0)
    fresh = [fuse_round(own, [(partner, _flow(d))], world.grid) for d in (5.0, 30.0)]
    shared = Predictions()
    first = fuse_round(own, [(partner, _flow(5.0))], world.grid, predictions=shared)
    made = len(shared)
    recalled = fuse_round(own, [(partner, _flow(30.0))], world.grid, predictions=shared)
    # The second delay pairs the same own states with warnings of the same age: many of
    # its predictions were made for the first.
    assert 0 < len(shared) - made < made
    for a, b in zip(fresh, [first, recalled], strict=True):
        for name in ("present", "t", "state", "cov", "shared", "powered"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name


def test_concealed_geometry_coarsens_the_warning(world: World) -> None:
    partner = _picture(world, start=160.0, sigma_m=150.0)
    own = RoundPicture.empty(world.grid.size)
    plain = fuse_round(own, [(partner, _flow(5.0))], world.grid)
    hidden = fuse_round(own, [(partner, _flow(5.0, conceal=True))], world.grid)
    k = int(np.nonzero(hidden.present)[0][5])
    block = hidden.cov[k, :3, :3]
    np.testing.assert_allclose(block, block[0, 0] * np.eye(3))
    assert np.all(np.linalg.eigvalsh(hidden.cov[k] - plain.cov[k]) >= -1e-6)


def _score(world: World, sim: SimulationAssumptions, est: Estimate):  # type: ignore[no-untyped-def]
    scorer = Scorer(sim=sim)
    ticket = scorer.add(est, world, 0)
    scorer.fly()
    return scorer.score(ticket)


def test_a_perfect_track_scores_its_start_and_the_true_flight(
    world: World, sim: SimulationAssumptions
) -> None:
    rt = world.rounds[0]
    pic = _picture(world, start=100.0)
    pic.cue_lat[:], pic.cue_lon[:] = rt.launch_lat_deg, rt.launch_lon_deg
    score = _score(world, sim, fuse_round(pic, [], world.grid))
    assert score.first_track_s == 100.0
    # The instantaneous impact point settles within a picture step of burnout.
    burnout = rt.burnout_t - rt.launch_t
    assert burnout - 5.0 <= score.fix_s[0] <= burnout + 10.0
    assert score.fix_s[1] <= burnout + 10.0
    assert score.warning_s == pytest.approx(rt.impact_t - rt.launch_t - score.fix_s[0])
    assert rt.crossing_t is not None
    assert score.crossing_warning_s == pytest.approx(rt.crossing_t - rt.launch_t - score.fix_s[0])
    assert score.tracks_lost == 0
    assert np.nanmax(score.error_m[score.error_t > burnout + 10.0]) < 1000.0
    assert score.apogee_km == pytest.approx(rt.apogee_m / 1e3, abs=3.0)
    assert score.range_km == pytest.approx(rt.range_m / 1e3, rel=0.01)


def test_a_gap_breaks_the_fix_and_counts_as_a_lost_track(
    world: World, sim: SimulationAssumptions
) -> None:
    pic = _picture(world, start=100.0)
    gap = np.nonzero(np.abs(world.grid - 400.0) < 1.0)[0]
    pic.present[gap] = False
    score = _score(world, sim, fuse_round(pic, [], world.grid))
    assert score.tracks_lost == 1
    assert score.fix_s[0] == pytest.approx(405.0)


def test_an_offset_track_is_held_but_never_fixed(world: World, sim: SimulationAssumptions) -> None:
    pic = _picture(world, start=100.0, offset_m=120e3)
    score = _score(world, sim, fuse_round(pic, [], world.grid))
    assert score.first_track_s == 100.0
    assert math.isinf(score.fix_s[0])
    # Scored until impact: a fix that never came is a warning of zero, not unknown.
    assert score.warning_s == 0.0
    short = world_under(world.launch, replace(sim, horizon_s=900.0))
    pic = _picture(short, start=100.0, offset_m=120e3)
    assert math.isnan(_score(short, sim, fuse_round(pic, [], short.grid)).warning_s)
    never = _score(world, sim, fuse_round(RoundPicture.empty(world.grid.size), [], world.grid))
    assert math.isinf(never.first_track_s)
    assert math.isnan(never.apogee_km)
