"""Gating and assignment, and the salvo/debris cases: close objects stay separate tracks."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.evaluation.synthetic import coast_truth, radar_reports
from gsomia.warning.sensors.measurements import RadarReport, radar_h
from gsomia.warning.tracking import (
    BallisticMotion,
    GaussianBatch,
    GNNAssociator,
    MeasurementBatch,
    Tracker,
    TrackSet,
    assign,
    ballistic_tracker,
)
from tests.support.tracking import Q_ACCEL, SIGMA, SITE_K, midcourse_start


def _measurements(states: np.ndarray, t: float = 0.0) -> MeasurementBatch:
    n = states.shape[0]
    return MeasurementBatch(
        z=radar_h(states, SITE_K.ecef, SITE_K.enu_rotation),
        R=np.repeat(np.diag(np.square(SIGMA))[None], n, 0),
        site=np.repeat(SITE_K.ecef[None], n, 0),
        rotation=np.repeat(SITE_K.enu_rotation[None], n, 0),
        t=np.full(n, t),
    )


def _tracks(states: np.ndarray, sigma_m: float = 200.0) -> GaussianBatch:
    cov = np.diag([sigma_m**2] * 3 + [20.0**2] * 3)
    return GaussianBatch.of(mean=states, cov=np.repeat(cov[None], len(states), 0), t=0.0)


def test_assign_finds_the_cheaper_crossing() -> None:
    rows, cols = assign(np.array([[1.0, 2.0], [2.0, 10.0]]))
    assert rows.tolist() == [0, 1]
    assert cols.tolist() == [1, 0]


def test_assign_handles_more_rows_than_columns() -> None:
    rows, cols = assign(np.array([[5.0], [1.0], [3.0]]))
    assert (rows.tolist(), cols.tolist()) == ([1], [0])


def test_assign_refuses_infinite_costs() -> None:
    with pytest.raises(InputError):
        assign(np.array([[np.inf, 1.0]]))


def test_reports_go_to_their_own_tracks_whatever_their_order() -> None:
    a = midcourse_start()
    b = a.copy()
    b[:3] += 1500.0
    assignment = GNNAssociator().associate(
        _tracks(np.stack([a, b])), _measurements(np.stack([b, a]))
    )
    assert assignment.tracks.tolist() == [0, 1]
    assert assignment.reports.tolist() == [1, 0]
    assert assignment.unassigned_reports.size == 0


def test_a_report_outside_every_gate_is_left_for_initiation() -> None:
    a = midcourse_start()
    far = a.copy()
    far[:3] += 50e3
    assignment = GNNAssociator().associate(_tracks(a[None]), _measurements(np.stack([far, a])))
    assert assignment.tracks.tolist() == [0]
    assert assignment.reports.tolist() == [1]
    assert assignment.unassigned_reports.tolist() == [0]


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda c: c[:3, :3] * -1.0, id="negative definite"),
        pytest.param(lambda c: c[:3, :3] @ np.diag([1.0, -1.0, -1.0]), id="two negative axes"),
        pytest.param(lambda c: c[:3, :3] * np.nan, id="not a number"),
    ],
)
def test_a_track_whose_covariance_lost_definiteness_gates_nothing_and_breaks_nothing(
    spoil: object,
) -> None:
    """A predicted covariance that is no longer positive definite (its innovation covariance
    with it) makes no cost at all: the pair is outside the gate, never a NaN that stops the
    assignment; the other tracks take their reports as before."""
    a = midcourse_start()
    b = a.copy()
    b[:3] += 1500.0
    c = a.copy()
    c[:3] += 3000.0
    tracks = _tracks(np.stack([a, b, c]))
    cov = tracks.cov.copy()
    cov[1, :3, :3] = spoil(cov[1])  # type: ignore[operator]
    spoiled = GaussianBatch(mean=tracks.mean, cov=cov, t=tracks.t)
    assignment = GNNAssociator().associate(spoiled, _measurements(np.stack([a, b, c])))
    assert assignment.tracks.tolist() == [0, 2]
    assert assignment.reports.tolist() == [0, 2]
    assert assignment.unassigned_reports.tolist() == [1]


def _run(
    tracker: Tracker[GaussianBatch], reports: list[RadarReport], times: np.ndarray
) -> tuple[TrackSet[GaussianBatch], list[dict[int, int]]]:
    """Run the tracker; record, per step, which truth's report each track took.

    The record replays the step's own first moves (predict, associate), which are pure.
    """
    tracks = tracker.empty()
    owners: list[dict[int, int]] = []
    for t in times:
        scan = [r for r in reports if r.t == t]
        owner: dict[int, int] = {}
        if len(tracks) and scan:
            predicted = tracker.predictor.predict(tracks.state, t=float(t))
            assignment = tracker.associator.associate(
                predicted, MeasurementBatch.from_reports(scan)
            )
            for k, j in zip(assignment.tracks, assignment.reports, strict=True):
                owner[int(tracks.track_id[k])] = int(scan[j].truth_id or 0)
        owners.append(owner)
        tracks = tracker.step(tracks, now=float(t), reports=scan)
    return tracks, owners


def test_a_separated_stage_is_kept_as_a_second_track() -> None:
    """A stage separates with 20 m/s from the payload it carried: two tracks, no late swaps."""
    rng = np.random.default_rng(17)
    times = np.arange(0.0, 101.0)
    payload = coast_truth(midcourse_start(), times)[:, 0]
    separation = 20
    stage0 = payload[separation].copy()
    stage0[3:] -= 20.0 * stage0[3:] / np.linalg.norm(stage0[3:])
    stage = coast_truth(stage0, times[separation:])[:, 0]
    reports = radar_reports(
        payload, times, site=SITE_K, sensor="K", party="ROK", sigma=SIGMA, rng=rng, truth_ids=[0]
    ) + radar_reports(
        stage,
        times[separation:],
        site=SITE_K,
        sensor="K",
        party="ROK",
        sigma=SIGMA,
        rng=rng,
        truth_ids=[1],
    )
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    tracks, owners = _run(tracker, reports, times)
    assert len(tracks) == 2 and tracks.confirmed.all()
    ends = {0: payload[-1, :3], 1: stage[-1, :3]}
    for k in range(2):
        gaps = {j: np.linalg.norm(tracks.state.mean[k, :3] - p) for j, p in ends.items()}
        nearest = min(gaps, key=gaps.__getitem__)
        assert gaps[nearest] < 150.0
        assert gaps[1 - nearest] > 1000.0
    # Within noise of each other (under 3 cross-range sigmas, the first 25 s) the two
    # reports are interchangeable; once resolved, each track must keep its object.
    settled = owners[separation + 25 :]
    for track_id in tracks.track_id.tolist():
        history = [o[track_id] for o in settled if track_id in o]
        assert len(set(history)) == 1, f"track {track_id} swapped objects: {set(history)}"


def test_a_salvo_of_two_close_missiles_keeps_two_identities() -> None:
    """Two missiles 3 km apart on parallel paths: each track follows one missile only."""
    rng = np.random.default_rng(29)
    times = np.arange(0.0, 81.0)
    a = midcourse_start()
    b = midcourse_start(lat_deg=39.527)
    truth = coast_truth(np.stack([a, b]), times)
    assert 2500.0 < np.linalg.norm(truth[0, 0, :3] - truth[0, 1, :3]) < 3500.0
    reports = radar_reports(
        truth, times, site=SITE_K, sensor="K", party="ROK", sigma=SIGMA, rng=rng
    )
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    tracks, owners = _run(tracker, reports, times)
    assert len(tracks) == 2
    for track_id in tracks.track_id.tolist():
        history = [o[track_id] for o in owners[5:] if track_id in o]
        purity = max(history.count(0), history.count(1)) / len(history)
        assert purity == 1.0
