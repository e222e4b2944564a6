"""The tracker's step: determinism, reordering, late reports, cues, parties, deletion."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gsomia.errors import InputError, UnknownName
from gsomia.warning.evaluation.synthetic import (
    BoostProgram,
    coast_truth,
)
from gsomia.warning.geo.frames import ground_range
from gsomia.warning.sensors.measurements import RadarReport
from gsomia.warning.tracking import (
    BallisticMotion,
    CoastMotion,
    CovarianceDeleter,
    CueInitiator,
    DuplicateDeleter,
    EKFPredictor,
    EKFUpdater,
    GaussianBatch,
    ImpactPredictor,
    Picture,
    ReportInitiator,
    Tracker,
    TrackSet,
    ballistic_tracker,
    boost_coast_tracker,
    picture_from_tracks,
)
from tests.support.tracking import (
    Q_ACCEL,
    boosted_launch,
    launch_cue,
    midcourse_start,
    paired_radar_reports,
)


def _scenario(seed: int) -> tuple[np.ndarray, list[RadarReport]]:
    """Two objects; the ROK-like radar reports on whole seconds, the Japan-like at +0.25 s."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, 40.0, 0.25)
    starts = np.stack([midcourse_start(), midcourse_start(lat_deg=39.0, azimuth_deg=110.0)])
    truth = coast_truth(starts, times)
    own, partner = paired_radar_reports(truth, times, rng, stride=4)
    return times, own + partner


def _feed(
    tracker: Tracker[GaussianBatch],
    reports: list[RadarReport],
    until: float,
    *,
    delays: list[float] | None = None,
) -> TrackSet[GaussianBatch]:
    """Step once a second, handing over the reports that arrived in that second."""
    arrival = [r.t + (delays[k] if delays else 0.0) for k, r in enumerate(reports)]
    tracks = tracker.empty()
    now = 0.0
    while now <= until:
        batch = [r for r, a in zip(reports, arrival, strict=True) if now - 1.0 < a <= now]
        tracks = tracker.step(tracks, now=now, reports=batch)
        now += 1.0
    return tracks


def _picture(tracks: TrackSet[GaussianBatch], tracker: Tracker[GaussianBatch], t: float) -> Picture:
    impact = ImpactPredictor(motion=BallisticMotion())
    return picture_from_tracks(tracks, tracker=tracker, party="ROK", t=t, impact=impact)


def _fingerprint(tracks: TrackSet[GaussianBatch], picture: Picture) -> list[object]:
    out: list[object] = [
        tracks.track_id.tolist(),
        tracks.state.mean.tobytes(),
        tracks.state.cov.tobytes(),
    ]
    for track in picture.tracks:
        assert track.impact is not None
        out += [track.track_id, track.impact.lat_deg, track.impact.lon_deg, track.impact.enu_cov]
    return out


def test_the_same_seed_gives_the_same_output() -> None:
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    runs = []
    for seed in (11, 11, 12):
        _, reports = _scenario(seed)
        tracks = _feed(tracker, reports, until=39.0)
        runs.append(_fingerprint(tracks, _picture(tracks, tracker, 40.0)))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_reports_shuffled_within_the_window_give_the_same_tracks() -> None:
    """Reports arriving up to 2 s late and out of order, held 3 s: the same result."""
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL), reorder_window_s=3.0)
    _, reports = _scenario(3)
    in_order = _feed(tracker, reports, until=45.0)
    delays = np.random.default_rng(0).uniform(0.0, 2.0, size=len(reports)).tolist()
    shuffled = _feed(tracker, reports, until=45.0, delays=delays)
    np.testing.assert_array_equal(in_order.state.mean, shuffled.state.mean)
    assert shuffled.late == 0 and len(shuffled) == 2
    unheld = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    assert _feed(unheld, reports, until=45.0, delays=delays).late > 0


def test_a_report_behind_the_retrodiction_window_is_dropped_and_counted() -> None:
    tracker = replace(
        ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL)), retrodiction_window_s=10.0
    )
    _, reports = _scenario(4)
    tracks = _feed(tracker, reports, until=20.0)
    first = next(r for r in reports if r.t == 5.0)
    old = replace(first, z=first.z + np.array([1.0, 0.0, 0.0]))
    after = tracker.step(tracks, now=21.0, reports=[old])
    assert after.late == tracks.late + 1
    np.testing.assert_array_equal(after.state.mean, tracks.state.mean)


def test_reports_of_two_parties_build_one_track_per_object() -> None:
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    _, reports = _scenario(5)
    tracks = _feed(tracker, reports, until=39.0)
    assert len(tracks) == 2
    assert set(tracks.parties) == {frozenset({"ROK", "JPN"})}
    picture = _picture(tracks, tracker, 40.0)
    assert [t.sources for t in picture.tracks] == [("JPN", "ROK"), ("JPN", "ROK")]
    with pytest.raises(UnknownName):
        picture.track("ROK-99")


def test_tracks_unseen_too_long_are_deleted() -> None:
    """Mature tracks may coast an hour between coverages; young ones only seconds."""
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    _, reports = _scenario(6)
    tracks = _feed(tracker, [r for r in reports if r.t < 20.0], until=20.0)
    assert len(tracks) == 2 and np.all(tracks.hits >= 6)
    assert len(tracker.step(tracks, now=3610.0)) == 2
    assert len(tracker.step(tracks, now=3625.0)) == 0
    young = _feed(tracker, [r for r in reports if r.t < 2.0], until=2.0)
    assert len(young) == 2 and np.all(young.hits < 6)
    assert np.all(young.last_update == 1.25)
    assert len(tracker.step(young, now=9.0)) == 2
    assert len(tracker.step(young, now=9.5)) == 0


def test_a_duplicate_of_an_established_track_is_dropped() -> None:
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    _, reports = _scenario(7)
    tracks = _feed(tracker, [r for r in reports if r.t < 30.0], until=30.0)
    assert len(tracks) == 2 and np.all(tracks.hits >= 20)
    twin = tracks.select(np.array([0, 1, 0]))
    twin = replace(twin, track_id=np.array([1, 2, 3]), hits=np.array([60, 60, 25]))
    deleter = DuplicateDeleter()
    gone = deleter.delete(twin.state, last_update=twin.last_update, hits=twin.hits, now=30.0)
    assert gone.tolist() == [False, False, True]


@pytest.mark.parametrize("seed", range(5))
def test_the_covariance_deleter_drops_exactly_what_the_largest_eigenvalue_says(seed: int) -> None:
    """Its shortcut (no eigenvalues while every row sum is under the limit) never changes
    the answer, an indefinite covariance included."""
    rng = np.random.default_rng(seed)
    limit_m = 100e3
    a = rng.normal(size=(40, 3, 3)) * rng.uniform(0.0, 1.6 * limit_m, size=(40, 1, 1))
    cov = np.zeros((40, 6, 6))
    cov[:, :3, :3] = a @ np.swapaxes(a, 1, 2) / 3.0
    cov[::7, :3, :3] = (a + np.swapaxes(a, 1, 2))[::7] * limit_m / 4.0  # indefinite
    deleter = CovarianceDeleter(max_sigma_m=limit_m)
    for rows in ([i] for i in range(40)):
        batch = GaussianBatch(mean=np.zeros((1, 6)), cov=cov[rows], t=np.zeros(1))
        gone = deleter.delete(
            batch, last_update=np.zeros(1), hits=np.ones(1, dtype=np.int64), now=0.0
        )
        largest = np.linalg.eigvalsh(cov[rows, :3, :3])[:, -1]
        assert gone.tolist() == (largest > limit_m**2).tolist()


def test_a_cue_starts_the_track_and_stays_its_launch_point() -> None:
    times = np.arange(0.0, 120.0)
    _, reports = boosted_launch(times, program=BoostProgram(azimuth_deg=95.0), seed=8)
    cue = launch_cue(t=15.0)
    tracker = boost_coast_tracker()
    tracks = tracker.empty()
    for t in times:
        cues = [cue, cue] if t == 15.0 else []
        tracks = tracker.step(tracks, now=t, reports=[r for r in reports if r.t == t], cues=cues)
    assert len(tracks) == 1 and tracks.cue[0] == cue
    impact = ImpactPredictor(motion=CoastMotion())
    picture = picture_from_tracks(tracks, tracker=tracker, party="ROK", t=120.0, impact=impact)
    (track,) = picture.tracks
    assert track.launch_method == "cue" and track.launch is not None
    assert ground_range(track.launch.lat_deg, track.launch.lon_deg, 39.23, 125.68) < 1.0
    assert track.impact is not None and track.time_to_impact_s is not None
    assert track.time_to_impact_s > 0.0
    assert track.powered_probability < 0.1


def test_a_tracker_without_cue_initiator_ignores_cues() -> None:
    tracker = ballistic_tracker()
    cue = launch_cue(t=1.0, lat_deg=39.0, lon_deg=125.0)
    assert len(tracker.step(tracker.empty(), now=2.0, cues=[cue])) == 0


def test_roles_of_different_layouts_are_refused() -> None:
    with pytest.raises(InputError):
        Tracker(
            predictor=EKFPredictor(motion=BallisticMotion()),
            updater=EKFUpdater(),
            initiator=ReportInitiator(ndim=6),
            cue_initiator=CueInitiator(),
        )
    with pytest.raises(InputError):
        ReportInitiator(ndim=7)


def test_an_empty_tracker_gives_an_empty_picture() -> None:
    tracker = ballistic_tracker()
    picture = _picture(tracker.empty(), tracker, 10.0)
    assert picture.tracks == () and picture.party == "ROK"


def test_a_late_cue_is_attached_to_the_track_radar_already_started() -> None:
    times = np.arange(0.0, 90.0)
    _, reports = boosted_launch(times, program=BoostProgram(azimuth_deg=95.0), seed=9)
    assert min(r.t for r in reports) < 60.0
    cue = launch_cue(t=75.0)
    tracker = boost_coast_tracker()
    tracks = tracker.empty()
    for t in times:
        cues = [cue] if t == 75.0 else []
        tracks = tracker.step(tracks, now=t, reports=[r for r in reports if r.t == t], cues=cues)
    assert len(tracks) == 1 and tracks.cue[0] == cue and tracks.hits[0] > 20
