"""Fusion: a partner's reports help the impact estimate; covariance intersection is consistent."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.synthetic import coast_truth, radar_reports
from gsomia.warning.geo.frames import ground_range
from gsomia.warning.tracking import (
    BallisticMotion,
    CovarianceIntersectionFuser,
    EKFPredictor,
    GaussianBatch,
    ImpactPredictor,
    Picture,
    ballistic_tracker,
    covariance_intersection,
    fuse_warnings,
    picture_from_tracks,
    share_warning,
)
from tests.support.tracking import (
    Q_ACCEL,
    SIGMA,
    SITE_J,
    SITE_K,
    midcourse_start,
    run_batch_filter,
    two_radar_reports,
)

P0 = np.diag([500.0**2] * 3 + [50.0**2] * 3)
Q_MIDCOURSE = 1e-4
"""Process noise for exo-atmospheric flight: unmodelled forces of about 1e-4 m/s² or less."""
TINY = np.diag([1e-6] * 6)


def _impact_errors(state: GaussianBatch, truth_now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Impact miss distance (m) of each run's estimate, and its ellipse's semi-major axis."""
    predictor = ImpactPredictor(motion=BallisticMotion())
    ours = predictor.impact(state.mean, state.cov, state.t)
    truth = predictor.impact(truth_now, np.repeat(TINY[None], len(state), 0), state.t)
    assert ours.ok.all() and truth.ok.all()
    miss = ground_range(ours.lat_deg, ours.lon_deg, truth.lat_deg, truth.lon_deg)
    return np.asarray(miss), np.sqrt(np.linalg.eigvalsh(ours.enu_cov)[:, -1])


@pytest.mark.slow
def test_a_partners_reports_improve_the_impact_estimate() -> None:
    """60 seeded runs: an L-band ROK-like radar alone, and with an X-band partner's reports.

    The median miss must not grow and a clear majority of runs (70 %; 78–87 % over five
    seeds) must be strictly better; no run's ellipse may grow. The truth coasts without
    random forces, as a mid-course vehicle does.
    """
    runs = 60
    rng = np.random.default_rng(99)
    times = np.arange(0.0, 90.5, 0.5)
    start = midcourse_start() + rng.multivariate_normal(np.zeros(6), P0, size=runs)
    truth = coast_truth(start, times)
    own, partner = two_radar_reports(truth, times, rng)
    assert len(own) == runs * 91 and len(partner) == runs * 90
    prior = GaussianBatch.of(
        mean=np.repeat(midcourse_start()[None], runs, 0), cov=np.repeat(P0[None], runs, 0), t=0.0
    )
    alone = run_batch_filter(prior, own, q_accel=Q_MIDCOURSE)[-1]
    both = run_batch_filter(prior, own + partner, q_accel=Q_MIDCOURSE)
    fused = EKFPredictor(motion=BallisticMotion(q_accel=Q_MIDCOURSE)).predict(both[-1], t=90.0)
    assert np.all(alone.t == 90.0) and np.all(fused.t == 90.0)
    miss_alone, axis_alone = _impact_errors(alone, truth[-1])
    miss_both, axis_both = _impact_errors(fused, truth[-1])
    assert np.median(miss_both) <= np.median(miss_alone)
    assert np.mean(miss_both < miss_alone) >= 0.7
    assert np.all(axis_both <= axis_alone * 1.001)


@pytest.mark.slow
def test_covariance_intersection_is_consistent_where_naive_fusion_is_not() -> None:
    """Two estimates whose errors are 80 % correlated: CI's NEES stays at or below n."""
    n, trials = 6, 4000
    rng = np.random.default_rng(3)
    a_cov = np.diag([4.0, 1.0, 9.0, 0.5, 2.0, 1.0])
    b_cov = np.diag([1.0, 5.0, 2.0, 3.0, 0.4, 1.5])
    cross = 0.8 * np.sqrt(np.outer(np.diag(a_cov), np.diag(b_cov))) * np.eye(n)
    joint = np.block([[a_cov, cross], [cross.T, b_cov]])
    errors = rng.multivariate_normal(np.zeros(2 * n), joint, size=trials)
    ea, eb = errors[:, :n], errors[:, n:]
    ca, cb = np.repeat(a_cov[None], trials, 0), np.repeat(b_cov[None], trials, 0)
    mean, cov, omega = covariance_intersection(ea, ca, eb, cb)
    assert np.all((omega >= 0.0) & (omega <= 1.0))
    nees = np.einsum("ki,kij,kj->k", mean, np.linalg.inv(cov), mean)
    assert nees.mean() <= n * 1.02
    naive_cov = np.linalg.inv(np.linalg.inv(a_cov) + np.linalg.inv(b_cov))
    naive = (naive_cov @ (np.linalg.solve(a_cov, ea.T) + np.linalg.solve(b_cov, eb.T))).T
    naive_nees = np.einsum("ki,ij,kj->k", naive, np.linalg.inv(naive_cov), naive)
    assert naive_nees.mean() > n * 1.2
    assert np.linalg.det(cov[0]) <= min(np.linalg.det(a_cov), np.linalg.det(b_cov))


def test_fusing_an_estimate_with_itself_changes_nothing() -> None:
    x = np.arange(6.0)
    c = np.diag([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    mean, cov = CovarianceIntersectionFuser().fuse(np.stack([x, x]), np.stack([c, c]))
    np.testing.assert_allclose(mean, x, atol=1e-9)
    np.testing.assert_allclose(cov, c, rtol=1e-9)
    with pytest.raises(InputError):
        CovarianceIntersectionFuser().fuse(np.zeros((0, 6)), np.zeros((0, 6, 6)))


def _picture(
    party: str, site_name: str, truth: np.ndarray, times: np.ndarray, seed: int
) -> Picture:
    site = SITE_K if site_name == "K" else SITE_J
    rng = np.random.default_rng(seed)
    reports = radar_reports(
        truth,
        times,
        site=site,
        sensor=f"{site_name}-radar",
        party=party,
        sigma=SIGMA,
        rng=rng,
        min_elevation_deg=1.0,
    )
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    tracks = tracker.empty()
    for t in times:
        tracks = tracker.step(tracks, now=float(t), reports=[r for r in reports if r.t == t])
    impact = ImpactPredictor(motion=BallisticMotion())
    return picture_from_tracks(
        tracks, tracker=tracker, party=party, t=float(times[-1]), impact=impact
    )


def test_fuse_warnings_merges_the_same_missile_and_keeps_the_others() -> None:
    times = np.arange(0.0, 61.0)
    a, b = midcourse_start(), midcourse_start(lat_deg=38.5, azimuth_deg=115.0)
    truth = coast_truth(np.stack([a, b]), times)
    own = _picture("ROK", "K", truth[:, :1], times, seed=1)
    partner = _picture("JPN", "J", truth, times, seed=2)
    assert len(own.tracks) == 1 and len(partner.tracks) == 2
    warnings = [
        share_warning(track, originator="JPN", warning_id=f"w{k}", conceal_geometry=False)
        for k, track in enumerate(partner.tracks)
    ]
    fused = fuse_warnings(warnings, party="ROK", t=62.0, own=own)
    assert len(fused.tracks) == 2
    merged = next(t for t in fused.tracks if t.sources == ("JPN", "ROK"))
    single = next(t for t in fused.tracks if t.sources == ("JPN",))
    truth_62 = coast_truth(truth[-1], [60.0, 62.0])[-1]
    err = merged.state - truth_62[0]
    assert float(err @ np.linalg.solve(merged.cov, err)) < 22.46
    assert np.linalg.norm(single.state[:3] - truth_62[1, :3]) < 2000.0
    alone = fuse_warnings([], party="ROK", t=62.0, own=own).tracks[0]
    assert np.linalg.det(merged.cov) <= np.linalg.det(alone.cov)
    assert merged.impact is not None and merged.launch_method == "fused"


def test_fuse_warnings_refuses_another_partys_picture() -> None:
    with pytest.raises(InputError):
        fuse_warnings([], party="ROK", t=0.0, own=Picture(party="JPN", t=0.0, tracks=()))
