"""gsomia's full tracker against Stone Soup's MultiTargetTracker on the same reports.

Neither tracker sees a truth label: both start, associate and delete tracks themselves.
Both are scored by :func:`gsomia.analysis.association.score_association` every second;
Stone Soup's own ``GOSPAMetric`` scores Stone Soup's tracks too, as a check on ours.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from gsomia.analysis.association import AssociationScore, Snapshot, score_association
from gsomia.warning.tracking import BallisticMotion, ballistic_tracker

GOSPA_C = 5_000.0
"""GOSPA cut-off (m): a track farther than this from every object counts as false."""
_EPOCH = datetime(2026, 1, 1)


def _truth_snapshot(sc: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    pos = sc.truth[k, :, :3]
    ok = np.all(np.isfinite(pos), axis=1)
    return np.nonzero(ok)[0].astype(np.int64), pos[ok]


def run_gsomia_tracker(sc: Any, q_accel: float) -> tuple[list[Snapshot], float]:
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=q_accel))
    tracks = tracker.empty()
    snaps: list[Snapshot] = []
    t0 = time.perf_counter()
    for k, scan in enumerate(sc.scans):
        tracks = tracker.step(tracks, now=float(sc.times[k]), reports=scan)
        keep = np.nonzero(tracks.confirmed)[0]
        ids, pos = _truth_snapshot(sc, k)
        snaps.append(
            Snapshot(
                truth_ids=ids,
                truth=pos,
                track_ids=tracks.track_id[keep].astype(np.int64),
                tracks=tracks.state.mean[keep, :3],
            )
        )
    return snaps, time.perf_counter() - t0


def run_stonesoup_tracker(
    sc: Any, transition: Any, radar: Any, p0: np.ndarray
) -> tuple[list[Snapshot], float, float]:
    """Stone Soup's MultiTargetTracker; returns snapshots, seconds, and its own mean GOSPA."""
    from stonesoup.base import Property
    from stonesoup.buffered_generator import BufferedGenerator
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Euclidean, Mahalanobis
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor
    from stonesoup.reader.base import DetectionReader
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.angle import Bearing, Elevation
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState, State
    from stonesoup.updater.kalman import ExtendedKalmanUpdater

    models: dict[str, Any] = {}
    scans = []
    for k, scan in enumerate(sc.scans):
        dets = set()
        for r in scan:
            model = models.setdefault(r.sensor, radar(r.site))
            rng_m, az, el = (float(v) for v in r.z)
            vector = StateVector([Elevation(el), Bearing(math.pi / 2.0 - az), rng_m])
            dets.add(
                Detection(
                    vector, timestamp=_EPOCH + timedelta(seconds=r.t), measurement_model=model
                )
            )
        scans.append((_EPOCH + timedelta(seconds=float(sc.times[k])), dets))

    class Feed(DetectionReader):  # type: ignore[misc]
        frames: list[Any] = Property(doc="(time, detections) per step")

        @BufferedGenerator.generator_method
        def detections_gen(self) -> Iterator[tuple[datetime, set[Any]]]:
            yield from self.frames

    predictor = ExtendedKalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(measurement_model=None)
    # The same 99.99 % gate as gsomia's (χ² with 3 dof, 21.1), as a Mahalanobis distance.
    hypothesiser = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=math.sqrt(21.1)
    )
    associator = GNNWith2DAssignment(hypothesiser)
    deleter = UpdateTimeStepsDeleter(time_steps_since_update=10)
    prior = GaussianState(
        StateVector(np.zeros(6)), np.diag([1.0] * 3 + [3000.0**2] * 3), timestamp=_EPOCH
    )
    init_hyp = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=math.sqrt(21.1)
    )
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        measurement_model=None,
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=3),
        data_associator=GNNWith2DAssignment(init_hyp),
        updater=updater,
        min_points=3,
    )
    tracker = MultiTargetTracker(
        initiator=initiator,
        deleter=deleter,
        detector=Feed(frames=scans),
        data_associator=associator,
        updater=updater,
    )
    metric = GOSPAMetric(c=GOSPA_C, p=2.0, measure=Euclidean(mapping=[0, 1, 2]))
    snaps: list[Snapshot] = []
    theirs: list[float] = []
    names: dict[int, int] = {}
    elapsed = 0.0
    iterator = iter(tracker)
    for k in range(len(scans)):
        t0 = time.perf_counter()
        stamp, tracks = next(iterator)
        elapsed += time.perf_counter() - t0
        live = [t for t in tracks if t.state.timestamp <= stamp]
        ids, pos = _truth_snapshot(sc, k)
        track_pos = np.array(
            [np.asarray(t.state_vector, dtype=float).ravel()[:3] for t in live]
        ).reshape(-1, 3)
        snaps.append(
            Snapshot(
                truth_ids=ids,
                truth=pos,
                track_ids=np.array([names.setdefault(id(t), len(names)) for t in live], np.int64),
                tracks=track_pos,
            )
        )
        measured = [State(StateVector(p), timestamp=stamp) for p in track_pos]
        truths = [State(StateVector(p), timestamp=stamp) for p in pos]
        if measured or truths:
            value, _ = metric.compute_gospa_metric(measured, truths)
            theirs.append(float(value.value["distance"]))
    return snaps, elapsed, float(np.mean(theirs)) if theirs else math.nan


def _line(name: str, s: AssociationScore, seconds: float, reports: int) -> str:
    return (
        f"{name:9s} {reports / seconds:,.0f} reports/s  gospa {s.gospa:,.0f} m "
        f"(rms localisation {math.sqrt(s.localisation):,.0f} m, missed objects "
        f"{s.missed / (GOSPA_C**2 / 2):.2f}, false tracks {s.false / (GOSPA_C**2 / 2):.2f} "
        "per second)  "
        f"purity {s.purity:.3f}  swaps {s.swaps}  id changes {s.id_changes}  "
        f"tracks {s.tracks}  false tracks {s.false_tracks}"
    )


def compare(sc: Any, transition: Any, radar: Any, p0: np.ndarray, q_accel: float) -> list[str]:
    reports = sum(len(s) for s in sc.scans)
    ours, t_ours = run_gsomia_tracker(sc, q_accel)
    theirs, t_theirs, their_gospa = run_stonesoup_tracker(sc, transition, radar, p0)
    a = score_association(ours, c=GOSPA_C)
    b = score_association(theirs, c=GOSPA_C)
    return [
        f"tracker  {sc.truth.shape[1]} objects, {reports} reports, no truth labels; "
        f"GOSPA c = {GOSPA_C:,.0f} m, p = 2, per second",
        "  " + _line("gsomia", a, t_ours, reports),
        "  " + _line("stonesoup", b, t_theirs, reports),
        f"  tracker speed ratio {t_theirs / t_ours:,.1f}x  gospa ratio "
        f"{a.gospa / b.gospa if b.gospa else math.nan:.3f}  "
        f"(stonesoup's own GOSPAMetric on its tracks: {their_gospa:,.0f} m; ours {b.gospa:,.0f} m)",
    ]
