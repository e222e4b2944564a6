"""The trackers take the radar update the consistency harness scores."""

from __future__ import annotations

import numpy as np

from gsomia.warning.evaluation.consistency import Tuning, harness_updater
from gsomia.warning.evaluation.synthetic import coast_truth, radar_reports
from gsomia.warning.tracking import (
    BallisticMotion,
    EKFUpdater,
    GaussianBatch,
    Tracker,
    TrackSet,
    ballistic_tracker,
    boost_coast_tracker,
)
from tests.support.tracking import Q_ACCEL, SIGMA, SITE_J, midcourse_start


def test_the_imm_tracker_runs_the_harness_update_when_given_it() -> None:
    updater = harness_updater(Tuning())
    tracker = boost_coast_tracker(updater=updater)
    assert tracker.updater is updater
    assert updater.updater.sigma_points
    # The harness considers the bias each report's radar states, not a tuned one.
    assert Tuning().bias_rad is None
    assert updater.updater.stated_bias
    assert updater.updater.refraction_sigma == Tuning().refraction_sigma


def test_the_default_trackers_keep_the_first_order_update() -> None:
    assert not boost_coast_tracker().updater.updater.sigma_points  # type: ignore[attr-defined]
    assert not ballistic_tracker().updater.sigma_points  # type: ignore[attr-defined]


def _track(tracker: Tracker[GaussianBatch]) -> TrackSet[GaussianBatch]:
    rng = np.random.default_rng(19)
    times = np.arange(0.0, 60.0, 2.0)
    truth = coast_truth(midcourse_start()[None], times)
    reports = radar_reports(
        truth, times, site=SITE_J, sensor="J", party="JPN", sigma=SIGMA, rng=rng
    )
    tracks = tracker.empty()
    for report in reports:
        tracks = tracker.step(tracks, now=report.t, reports=[report])
    return tracks


def test_the_regression_update_reaches_the_track() -> None:
    motion = BallisticMotion(q_accel=Q_ACCEL)
    first = _track(ballistic_tracker(motion=motion))
    regression = _track(ballistic_tracker(motion=motion, updater=EKFUpdater(sigma_points=True)))
    assert len(first) == len(regression) == 1
    # Same reports, same prediction: only the update differs, and it shows in the state.
    assert not np.allclose(first.state.cov, regression.state.cov, rtol=1e-6, atol=0.0)
    assert np.allclose(first.state.mean[:, :3], regression.state.mean[:, :3], atol=50.0)
