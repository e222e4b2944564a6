"""Trackers stepped in lockstep give the pictures they give one by one, bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.lockstep import LockstepPool
from gsomia.analysis.regimes import Regime, regimes_from
from gsomia.analysis.runner import _Run, _track_together, regime_sharing
from gsomia.analysis.simulation import RoundPicture, tracker_predictor, world_under
from gsomia.warning.scenario.launches import dated_launch
from gsomia.warning.simulation.world import observe
from gsomia.warning.tracking import GaussianBatch, MixtureBatch

FIELDS = ["present", "t", "mean", "cov", "cue_lat", "cue_lon", "powered"]


def _same(a: tuple[RoundPicture, ...], b: tuple[RoundPicture, ...]) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(getattr(x, f), getattr(y, f), equal_nan=True)
        for x, y in zip(a, b, strict=True)
        for f in FIELDS
    )


def test_every_feed_of_two_runs_gets_the_pictures_it_gets_alone() -> None:
    a = load_assumptions().with_simulation(runs=2)
    launch = dated_launch("2019-05-09")
    sharing = regime_sharing(load_library(), launch, (Regime.actual(), *regimes_from(a)), a)
    world = world_under(launch, a.simulation)
    states = [_Run(world, observe(world, seed=7, run=r), a.simulation, {}, {}) for r in (0, 1)]
    _track_together(states, sharing, a.simulation.parties)
    checked = 0
    for state in states:
        assert len(state.pictures) >= 4
        for feed, pictures in state.pictures.items():
            alone, association = state.track(feed)
            assert _same(pictures, alone), feed
            assert repr(state.association[feed]) == repr(association)  # NaN != NaN
            checked += any(p.present.any() for p in alone)
    assert checked >= 4  # the comparison is of pictures that hold tracks


def _prior(t: float) -> MixtureBatch:
    mean = np.zeros((1, 10))
    mean[0, :3] = [-3.5e6, 4.1e6, 3.9e6]
    mean[0, 3:6] = [1.2e3, 0.8e3, 2.1e3]
    g = GaussianBatch(mean=mean, cov=np.eye(10)[None] * 100.0, t=np.array([t]))
    return MixtureBatch.from_gaussian(g, weight=np.array([[0.5, 0.5]]))


def test_a_failing_job_raises_after_the_others_end_and_nothing_hangs() -> None:
    pool = LockstepPool(tracker_predictor())
    predictor = pool.predictor_for()
    finished: list[str] = []

    def fails() -> int:
        predictor.predict(_prior(0.0), t=5.0)
        raise ValueError("this job fails")

    def goes_on() -> int:
        for k in range(3):
            predictor.predict(_prior(0.0), t=5.0 * (k + 1))
        finished.append(threading.current_thread().name)
        return 3

    with pytest.raises(ValueError, match="this job fails"):
        pool.run([goes_on, fails, goes_on])
    assert len(finished) == 2


def test_outside_its_threads_the_predictor_predicts_alone() -> None:
    pool = LockstepPool(tracker_predictor())
    got = pool.predictor_for().predict(_prior(0.0), t=30.0)
    want = tracker_predictor().predict(_prior(0.0), t=30.0)
    assert np.array_equal(got.mean, want.mean) and np.array_equal(got.cov, want.cov)
    assert pool.run([lambda: 1, lambda: 2]) == [1, 2]
