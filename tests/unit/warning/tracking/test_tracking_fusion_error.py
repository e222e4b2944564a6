"""Fusion judged on error against the truth over a Monte Carlo, not on ellipse size.

Each run: one object, the party's own radar and a partner's coarser radar, each with its
own tracker. Every 5 s the party fuses its own estimate with the partner's warning sent
5 s earlier (predicted to the picture time) by covariance intersection. Over the runs the
fused estimate must be better in the median, consistent (NEES), and the fraction of
pictures where it is worse than the own estimate is measured and bounded.
"""

from __future__ import annotations

import numpy as np

from gsomia.warning.evaluation.synthetic import coast_truth, radar_reports
from gsomia.warning.tracking import (
    WARNING_FORMAT,
    BallisticMotion,
    EKFPredictor,
    GaussianBatch,
    SharedWarning,
    TrackSet,
    ballistic_tracker,
    covariance_intersection,
    fuse_warnings,
)
from gsomia.warning.tracking.fusion import GATE_6DOF_999
from tests.support.tracking import Q_ACCEL, SIGMA, SIGMA_L, SITE_J, SITE_K, midcourse_start

_DELAY_S = 5.0
_PREDICT = EKFPredictor(motion=BallisticMotion(q_accel=Q_ACCEL))


def _snapshots(reports: list, until: float) -> dict[float, TrackSet[GaussianBatch]]:
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    tracks, out, now = tracker.empty(), {}, 0.0
    while now <= until:
        tracks = tracker.step(
            tracks, now=now, reports=[r for r in reports if now - 1.0 < r.t <= now]
        )
        out[now] = tracks
        now += 1.0
    return out


def _one_run(seed: int) -> tuple[list[float], list[float], list[float]]:
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, 80.0, 1.0)
    truth = coast_truth(midcourse_start()[None], times)
    own = radar_reports(truth, times, site=SITE_K, sensor="K", party="ROK", sigma=SIGMA, rng=rng)
    partner = radar_reports(
        truth,
        times + 0.5,
        site=SITE_J,
        sensor="J",
        party="JPN",
        sigma=SIGMA_L,
        rng=rng,
        min_elevation_deg=1.0,
    )
    mine, theirs = _snapshots(own, 80.0), _snapshots(partner, 80.0)
    own_err, fused_err, fused_nees = [], [], []
    for tau in np.arange(20.0, 80.0, 5.0):
        a, b = mine[tau], theirs[tau - _DELAY_S]
        if len(a) != 1 or len(b) != 1:
            continue
        x = truth[int(tau), 0]
        a_now = _PREDICT.predict(a.state, t=tau)
        b_now = _PREDICT.predict(b.state, t=tau)
        diff = a_now.mean - b_now.mean
        if float(diff[0] @ np.linalg.solve(a_now.cov[0] + b_now.cov[0], diff[0])) > GATE_6DOF_999:
            fused_mean, fused_cov = a_now.mean, a_now.cov
        else:
            fused_mean, fused_cov, _ = covariance_intersection(
                a_now.mean, a_now.cov, b_now.mean, b_now.cov
            )
        own_err.append(float(np.linalg.norm(a_now.mean[0, :3] - x[:3])))
        fused_err.append(float(np.linalg.norm(fused_mean[0, :3] - x[:3])))
        e = fused_mean[0] - x
        fused_nees.append(float(e @ np.linalg.solve(fused_cov[0], e)))
    return own_err, fused_err, fused_nees


def test_fused_error_against_truth_is_no_worse_than_own() -> None:
    own, fused, nees = [], [], []
    for seed in range(6):
        a, b, c = _one_run(100 + seed)
        own += a
        fused += b
        nees += c
    own_a, fused_a = np.array(own), np.array(fused)
    degraded = float(np.mean(fused_a > own_a))
    print(f"pictures {own_a.size}, fused worse than own in {degraded:.2f}")
    assert own_a.size >= 50
    assert np.median(fused_a) <= np.median(own_a)
    assert np.sqrt(np.mean(fused_a**2)) <= np.sqrt(np.mean(own_a**2))
    # CI is conservative: its NEES may sit below the 6 of an exact filter, never far above.
    assert float(np.mean(nees)) < 6.0 * 1.3
    # Worse in some pictures by chance (the partner's noise), never in most.
    assert degraded < 0.35
    # Never much worse: the largest loss stays within the own error's own spread.
    assert float(np.max(fused_a - own_a)) < 3.0 * float(np.std(own_a)) + 1.0


def _warning(originator: str, powered: float | None) -> SharedWarning:
    x = midcourse_start()
    cov = np.diag([200.0**2] * 3 + [5.0**2] * 3)
    return SharedWarning(
        format=WARNING_FORMAT,
        originator=originator,
        warning_id="w1",
        t=0.0,
        state=tuple(float(v) for v in x),
        cov=tuple(tuple(float(v) for v in row) for row in cov),
        launch=None,
        impact=None,
        powered=powered,
    )


def test_a_powered_warning_is_never_fused() -> None:
    both = [_warning("KOR", 0.02), _warning("USA", 0.02)]
    fused = fuse_warnings(both, party="JPN", t=2.0, predict_impact=False)
    assert len(fused.tracks) == 1 and fused.tracks[0].sources == ("KOR", "USA")
    boosting = [_warning("KOR", 0.02), _warning("USA", 0.9)]
    apart = fuse_warnings(boosting, party="JPN", t=2.0, predict_impact=False)
    assert len(apart.tracks) == 2
    assert sorted(t.powered_probability for t in apart.tracks) == [0.02, 0.9]
