"""Late reports are retrodicted, not dropped; a report delivered twice counts once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gsomia.warning.evaluation.synthetic import coast_truth
from gsomia.warning.sensors.measurements import RadarReport
from gsomia.warning.tracking import (
    BallisticMotion,
    GaussianBatch,
    Tracker,
    TrackSet,
    ballistic_tracker,
)
from tests.support.tracking import Q_ACCEL, midcourse_start, paired_radar_reports

_END = 60.0


def _scenario(seed: int) -> tuple[np.ndarray, np.ndarray, list[RadarReport], list[RadarReport]]:
    """One object; ROK reports on whole seconds, JPN (the partner) at +0.5 s."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, _END, 0.5)
    truth = coast_truth(midcourse_start()[None], times)
    own, partner = paired_radar_reports(truth, times, rng)
    return times, truth, own, partner


def _feed(
    tracker: Tracker[GaussianBatch], reports: list[tuple[float, RadarReport]], until: float
) -> TrackSet[GaussianBatch]:
    tracks = tracker.empty()
    now = 0.0
    while now <= until:
        batch = [r for a, r in reports if now - 1.0 < a <= now]
        tracks = tracker.step(tracks, now=now, reports=batch)
        now += 1.0
    return tracks


def _error(tracks: TrackSet[GaussianBatch], truth: np.ndarray, times: np.ndarray) -> float:
    assert len(tracks) == 1
    tracks_t = float(tracks.state.t[0])
    x = truth[int(np.argmin(np.abs(times - tracks_t))), 0]
    return float(np.linalg.norm(tracks.state.mean[0, :3] - x[:3]))


def test_a_report_delivered_twice_counts_once() -> None:
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    _, _, own, partner = _scenario(1)
    once = [(r.t, r) for r in own + partner]
    twice = once + [(r.t + 1.0, r) for r in partner]  # a second route, a second later
    a, b = _feed(tracker, once, _END + 2.0), _feed(tracker, twice, _END + 2.0)
    assert len(b) == 1 and b.confirmed.all()
    assert b.duplicates == len(partner)
    np.testing.assert_allclose(b.state.mean, a.state.mean, rtol=0, atol=1e-6)
    assert b.hits[0] == a.hits[0]


def test_late_partner_reports_are_retrodicted_not_dropped() -> None:
    """The partner's reports arrive 20 s late. Retrodiction uses them: over seeds the
    error against the truth is well below that of dropping them, near that of having
    them on time."""
    retro = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    dropping = replace(retro, retrodiction_window_s=0.0)
    errors: dict[str, list[float]] = {"on time": [], "late": [], "dropped": []}
    for seed in range(6):
        times, truth, own, partner = _scenario(10 + seed)
        on_time = [(r.t, r) for r in own + partner]
        late = [(r.t, r) for r in own] + [(r.t + 20.0, r) for r in partner]
        a = _feed(retro, on_time, _END)
        b = _feed(retro, late, _END + 20.0)
        c = _feed(dropping, late, _END + 20.0)
        assert b.late == 0 and b.retrodicted == len(partner)
        assert c.late == len(partner) and c.retrodicted == 0
        errors["on time"].append(_error(a, truth, times))
        errors["late"].append(_error(b, truth, times))
        errors["dropped"].append(_error(c, truth, times))
    rms = {k: float(np.sqrt(np.mean(np.square(v)))) for k, v in errors.items()}
    assert rms["late"] < 0.85 * rms["dropped"], rms
    assert rms["late"] < 1.5 * rms["on time"], rms
