"""A fresh but poor warning must not displace a better estimate (docs/value.md §6).

On the lofted flights a party that cannot see the missile holds it through partners'
warnings: the 2023 link's, fresh (5 s) but coarsened (RT-3), beside the GSOMIA's full
tracks, 180 s late. When the originator re-acquires the warhead after the long mid-course
gap, its track is for a few seconds far off (an IMM transient: velocity wrong by hundreds
of m/s, sometimes flagged powered). The tracks here are made by hand from the truth, with
such a transient in the fast partner's picture, so the right answer is known: the party's
estimate during the transient stays with the better estimate, and outside it the fast
warning is still used.
"""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.analysis.assumptions import SimulationAssumptions, load_assumptions
from gsomia.analysis.fusion import Estimate, fuse_round
from gsomia.analysis.regimes import Flow
from gsomia.analysis.simulation import RoundPicture, world_under
from gsomia.warning.scenario.launches import dated_launch
from gsomia.warning.simulation.world import World

_GLITCH_VELOCITY = 1_000.0
"""How far off (m/s) the fast partner's velocity is during its transient."""


@pytest.fixture(scope="module")
def sim() -> SimulationAssumptions:
    return load_assumptions().simulation


def _world(sim: SimulationAssumptions, key: str) -> World:
    return world_under(dated_launch(key), sim)


def _picture(world: World, *, sigma_m: float, frozen_at: float | None = None) -> RoundPicture:
    """A track on the missile after burnout: the truth at each picture time, or, with
    ``frozen_at``, a track last updated then and held (coasting) after."""
    rt = world.rounds[0]
    payload = world.truth.object(rt.payload_id)
    pic = RoundPicture.empty(world.grid.size)
    for k, t in enumerate(world.grid.tolist()):
        if t < rt.burnout_t + 30.0 or t > rt.end_t:
            continue
        at = t if frozen_at is None else min(t, frozen_at)
        pic.present[k], pic.t[k] = True, at
        pic.mean[k, :6] = payload.states_at(np.array([at]))[0]
        pic.mean[k, 6:9], pic.mean[k, 9] = 0.0, 1.0 / payload.beta
        pic.cov[k] = np.diag(
            [sigma_m**2] * 3 + [(sigma_m / 50.0) ** 2] * 3 + [0.05**2] * 3 + [1e-8]
        )
        pic.powered[k] = 0.0
    return pic


def _glitch(pic: RoundPicture, rows: np.ndarray, *, powered: float) -> None:
    """The originator's transient on re-acquisition, at picture indices ``rows``."""
    pic.mean[rows, 3] += _GLITCH_VELOCITY
    pic.cov[rows, 3:6, 3:6] = np.eye(3) * 100.0**2
    pic.cov[rows, :3, :3] = np.eye(3) * 1_000.0**2
    pic.powered[rows] = powered


def _flow(originator: str, delay: float, *, level: str, conceal: bool) -> Flow:
    return Flow(
        originator=originator,
        recipient="KOR",
        agreement_id="test",
        level=level,  # type: ignore[arg-type]
        delay_s=delay,
        route=(originator, "KOR"),
        conceal=conceal,
        rule_ids=(),
        reason="",
        basis="",
    )


@pytest.mark.parametrize(
    ("launch", "own_kind", "powered"),
    [
        ("2017-07-28", "none", 0.0),  # Hwasong-14, lofted: no own track, an unpowered transient
        ("2017-11-29", "none", 0.99),  # Hwasong-15: the transient flagged powered
        ("2017-05-14", "stale", 0.0),  # Hwasong-12: an own track coasting for minutes
    ],
)
def test_a_fresh_transient_warning_does_not_displace_a_better_estimate(
    sim: SimulationAssumptions, launch: str, own_kind: str, powered: float
) -> None:
    world = _world(sim, launch)
    rt = world.rounds[0]
    grid = world.grid
    payload = world.truth.object(rt.payload_id)
    fast = _picture(world, sigma_m=300.0)
    slow = _picture(world, sigma_m=200.0)
    # The transient comes late in the descent, still far above the atmosphere.
    k0 = int(np.searchsorted(grid, rt.launch_t + 0.8 * (rt.impact_t - rt.launch_t)))
    sent = np.arange(k0, k0 + 3)
    _glitch(fast, sent, powered=powered)
    if own_kind == "none":
        own = RoundPicture.empty(grid.size)
    else:
        own = _picture(world, sigma_m=500.0, frozen_at=float(grid[k0 - 120]))
    link = _flow("JPN", 5.0, level="warnings", conceal=True)
    gsomia = _flow("JPN", 180.0, level="tracks", conceal=False)
    window = world.window(0)
    both = fuse_round(own, [(fast, link), (slow, gsomia)], grid, window)
    only_slow = fuse_round(own, [(slow, gsomia)], grid, window)
    # Adding the link never leaves the party's estimate farther from the truth than
    # without it, at any picture time of the flight (hand-made tracks: both are exact
    # but for the transient).
    held = window[only_slow.present[window]]
    assert held.size > 100
    assert np.all(both.present[held])

    def velocity_error(est: Estimate) -> np.ndarray:
        truth = payload.states_at(est.t[held])
        return np.asarray(np.linalg.norm(est.state[held, 3:6] - truth[:, 3:6], axis=1))

    assert np.max(velocity_error(both)) < 1.0, np.max(velocity_error(both))
    assert np.max(velocity_error(only_slow)) < 1.0
    received = sent + 1  # 5 s later: the next picture time
    assert np.all(both.powered[received] < 0.5)
    # Outside the transient the link's fresh warning is used (fused at its time).
    calm = k0 - 10
    assert both.t[calm] == pytest.approx(float(fast.t[calm - 1]))
    assert both.shared[calm]


def test_an_older_warning_carried_through_the_air_does_not_displace_a_newer_track(
    sim: SimulationAssumptions,
) -> None:
    """The 25 Jul 2019 KN-23 stays below 60 km: a warning predicted through the air omits
    the pull-up's lift whatever its covariance says, so when it disagrees with the party's
    newer own track (coasting, flagged powered by the manoeuvre) the newer one stays."""
    world = _world(sim, "2019-07-25")
    rt = world.rounds[0]
    grid = world.grid
    frozen = rt.launch_t + 250.0
    own = _picture(world, sigma_m=300.0, frozen_at=frozen)
    own.powered[own.present] = 0.99
    stale = _picture(world, sigma_m=100.0)
    stale.mean[:, 0] += 100e3
    est = fuse_round(own, [(stale, _flow("JPN", 180.0, level="tracks", conceal=False))], grid)
    k = int(np.searchsorted(grid, frozen + 60.0))
    assert grid[k] < rt.end_t
    assert not est.shared[k]
    assert est.t[k] == pytest.approx(frozen)
    np.testing.assert_allclose(est.state[k], own.mean[k, :6])


@pytest.mark.parametrize(
    ("launch", "glitch_velocity"),
    [
        ("2017-11-29", 300.0),  # Hwasong-15, lofted: a warhead track started late in the descent
        ("2022-11-18", 250.0),  # Hwasong-17, lofted
        ("2017-05-14", 300.0),  # Hwasong-12, lofted to 2,100 km
    ],
)
def test_a_fresh_track_does_not_displace_a_mature_one_that_places_the_impact_better(
    sim: SimulationAssumptions, launch: str, glitch_velocity: float
) -> None:
    """An originator that followed a stage through the mid-course starts a new track on
    the re-entering warhead: its position is known to 100 m, its velocity to 50 m/s (and
    is 250-300 m/s off for its first seconds). A mature track 3 km wide in position but
    known to 2 m/s in velocity places the impact far better, though its six-dimensional
    covariance is the larger. The two disagree (no fusion); the mature one stays."""
    world = _world(sim, launch)
    rt = world.rounds[0]
    grid = world.grid
    payload = world.truth.object(rt.payload_id)
    mature = _picture(world, sigma_m=3_000.0)
    mature.cov[:, 3:6, 3:6] = np.eye(3) * 2.0**2
    fresh = _picture(world, sigma_m=100.0)
    k0 = int(np.searchsorted(grid, rt.launch_t + 0.85 * (rt.impact_t - rt.launch_t)))
    sent = np.arange(k0, k0 + 4)
    fresh.mean[sent, 3] += glitch_velocity
    fresh.cov[sent, 3:6, 3:6] = np.eye(3) * 50.0**2
    # The fresh track's 6-D covariance is the smaller: a choice by its determinant would
    # take it.
    assert (
        np.linalg.slogdet(fresh.cov[k0, :6, :6])[1] < np.linalg.slogdet(mature.cov[k0, :6, :6])[1]
    )
    link = _flow("JPN", 5.0, level="tracks", conceal=False)
    gsomia = _flow("USA", 180.0, level="tracks", conceal=False)
    est = fuse_round(RoundPicture.empty(grid.size), [(fresh, link), (mature, gsomia)], grid)
    received = sent + 1
    assert np.all(est.present[received])
    truth = payload.states_at(est.t[received])
    velocity_error = np.linalg.norm(est.state[received, 3:6] - truth[:, 3:6], axis=1)
    assert np.max(velocity_error) < 1.0, velocity_error
