"""Fusion: gsomia's batched EKF against Stone Soup's EKF on the same truth and reports.

Two comparisons, side by side:

* the filter at equal conditions: both run the same N tracks (1, 10 and 200) through the
  same reports, so the speed ratio shows what batching buys at each N (at N = 1 there is
  none to buy);
* the full multi-target tracker: gsomia's tracker (gating, GNN assignment, initiation,
  deletion) against Stone Soup's ``MultiTargetTracker`` with its own
  ``MultiMeasurementInitiator``, ``GNNWith2DAssignment`` over a Mahalanobis
  ``DistanceHypothesiser`` and an ``UpdateTimeStepsDeleter``, on the same reports with no
  truth labels; both scored by :mod:`gsomia.analysis.association` (GOSPA, purity, swaps,
  false tracks), and Stone Soup's own ``GOSPAMetric`` on its tracks as a check of ours.

Many ballistic objects coast through mid-course; two radars (a ROK-like and a Japan-like
site) take turns reporting range, azimuth and elevation of every visible object once a
second. Both trackers start every track from the same prior and fold in exactly the same
reports. Stone Soup (``ExtendedKalmanPredictor`` and ``ExtendedKalmanUpdater``, with the
ballistic model written as a Stone Soup transition model and the radar as a
``CartesianToElevationBearingRange`` adapted to each site's ENU frame) is slow, so it runs
a subset of the tracks while gsomia runs all of them in batches; position RMSE is compared
over that subset.

    python bench/fusion.py             # N = 1, 10, 200; 60 s of reports; median of 3
    python bench/fusion.py --quick     # smoke run on tiny inputs
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, timed
from _tracker_compare import compare
from gsomia.warning.evaluation.synthetic import (
    coast_truth,
    initial_state,
    radar_reports,
    radar_site,
)
from gsomia.warning.physics.dynamics import GM, OMEGA_EARTH, rk4_step
from gsomia.warning.sensors.measurements import RadarReport, SensorSite, radar_jacobian
from gsomia.warning.tracking import (
    BallisticMotion,
    EKFPredictor,
    EKFUpdater,
    GaussianBatch,
    MeasurementBatch,
    ballistic_tracker,
)

Q_ACCEL = 1e-2
"""White-acceleration density (m²/s³) of both filters' process noise."""
SIGMA = (15.0, 0.3e-3, 0.3e-3)
"""Radar noise: range (m), azimuth and elevation (rad)."""
P0 = np.diag([300.0**2] * 3 + [30.0**2] * 3)
"""Prior covariance every track starts from (and its initial error is drawn from)."""
SITES = {
    "K-radar": (35.9, 128.1, 680.0),
    "J-radar": (35.77, 135.2, 100.0),
}


@dataclass(frozen=True)
class Scenario:
    """Truth (T, N, 6), report times (T,), the reports of each step, and the shared prior."""

    times: np.ndarray
    truth: np.ndarray
    scans: list[list[RadarReport]]
    prior_mean: np.ndarray


def make_scenario(n_tracks: int, n_steps: int, seed: int) -> Scenario:
    """Mid-course objects from several launch areas, reported by two radars in turn."""
    rng = np.random.default_rng(seed)
    starts = []
    for _ in range(n_tracks):
        starts.append(
            initial_state(
                lat_deg=rng.uniform(38.5, 40.5),
                lon_deg=rng.uniform(125.0, 128.5),
                h_m=rng.uniform(120e3, 220e3),
                speed_mps=rng.uniform(2200.0, 3600.0),
                azimuth_deg=rng.uniform(80.0, 130.0),
                flight_path_deg=rng.uniform(15.0, 35.0),
            )
        )
    times = np.arange(n_steps, dtype=float)
    truth = coast_truth(np.array(starts), times, step_s=0.25)
    sites = {name: radar_site(lat_deg=a, lon_deg=b, h_m=c) for name, (a, b, c) in SITES.items()}
    names = list(sites)
    scans: list[list[RadarReport]] = []
    for k, t in enumerate(times):
        name = names[k % 2]
        party = "ROK" if name.startswith("K") else "JPN"
        scans.append(
            radar_reports(
                truth[k : k + 1],
                [t],
                site=sites[name],
                sensor=name,
                party=party,
                sigma=SIGMA,
                rng=rng,
                min_elevation_deg=1.0,
            )
        )
    error = rng.multivariate_normal(np.zeros(6), P0, size=n_tracks)
    return Scenario(times=times, truth=truth, scans=scans, prior_mean=truth[0] + error)


def run_gsomia(sc: Scenario, batches: list[tuple[np.ndarray, MeasurementBatch]]) -> np.ndarray:
    """Every track through every report, one batch per scan; returns estimates (T, N, 6)."""
    predictor = EKFPredictor(motion=BallisticMotion(q_accel=Q_ACCEL))
    updater = EKFUpdater()
    n = sc.prior_mean.shape[0]
    state = GaussianBatch.of(mean=sc.prior_mean, cov=np.repeat(P0[None], n, 0), t=sc.times[0])
    out = np.full((sc.times.size, n, 6), math.nan)
    for k, (index, measurements) in enumerate(batches):
        if index.size:
            predicted = predictor.predict(state.take(index), t=sc.times[k])
            state = state.put(index, updater.update(predicted, measurements))
        out[k] = state.mean
    return out


def gsomia_batches(sc: Scenario) -> list[tuple[np.ndarray, MeasurementBatch]]:
    """The reports of each scan stacked as one measurement batch (inputs, not timed)."""
    out = []
    for scan in sc.scans:
        index = np.array([r.truth_id for r in scan], dtype=np.intp)
        out.append((index, MeasurementBatch.from_reports(scan)))
    return out


def count_updates(sc: Scenario, tracks: np.ndarray | None = None) -> int:
    """Reports of the given tracks (all if None)."""
    keep = None if tracks is None else set(tracks.tolist())
    return sum(1 for scan in sc.scans for r in scan if keep is None or r.truth_id in keep)


def rmse(estimates: np.ndarray, truth: np.ndarray) -> float:
    """Position RMSE (m) over the second half of the steps."""
    half = truth.shape[0] // 2
    err = estimates[half:, :, :3] - truth[half:, :, :3]
    return float(np.sqrt(np.nanmean(np.sum(err * err, axis=-1))))


def _stonesoup_models() -> tuple[Any, Callable[[SensorSite], Any]]:
    """The ballistic transition model and a radar model factory, as Stone Soup classes."""
    from stonesoup.base import Property
    from stonesoup.models.base import TimeVariantModel
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
    from stonesoup.models.transition.nonlinear import GaussianTransitionModel
    from stonesoup.types.array import CovarianceMatrix, StateVector

    class BallisticTransition(GaussianTransitionModel, TimeVariantModel):  # type: ignore[misc]
        """J2 gravity and the rotating frame (gsomia.warning.physics.dynamics.rk4_step)."""

        q_accel: float = Property(doc="White-acceleration density (m²/s³)")

        @property
        def ndim_state(self) -> int:
            return 6

        def function(self, state: Any, noise: Any = False, **kwargs: Any) -> Any:
            dt = kwargs["time_interval"].total_seconds()
            x = np.asarray(state.state_vector, dtype=float).ravel()
            return StateVector(rk4_step(x, dt))

        def jacobian(self, state: Any, **kwargs: Any) -> Any:
            dt = kwargs["time_interval"].total_seconds()
            r = np.asarray(state.state_vector, dtype=float).ravel()[:3]
            rn = float(np.linalg.norm(r))
            u = r / rn
            a = np.zeros((6, 6))
            a[:3, 3:] = np.eye(3)
            w2 = OMEGA_EARTH**2
            a[3:, :3] = GM / rn**3 * (3.0 * np.outer(u, u) - np.eye(3)) + np.diag([w2, w2, 0.0])
            a[3, 4], a[4, 3] = 2.0 * OMEGA_EARTH, -2.0 * OMEGA_EARTH
            ah = a * dt
            return np.eye(6) + ah + 0.5 * ah @ ah

        def covar(self, **kwargs: Any) -> Any:
            dt = kwargs["time_interval"].total_seconds()
            q = self.q_accel
            block = np.array([[dt**3 / 3.0, dt**2 / 2.0], [dt**2 / 2.0, dt]]) * q
            return CovarianceMatrix(np.kron(block, np.eye(3)))

    class SiteRadar(CartesianToElevationBearingRange):  # type: ignore[misc]
        """Elevation, bearing (counter-clockwise from east) and range in a site's ENU frame."""

        enu_rotation: np.ndarray = Property(doc="ECEF-to-ENU rotation of the site")

        @property
        def rotation_matrix(self) -> np.ndarray:
            return self.enu_rotation

        def jacobian(self, state: Any, **kwargs: Any) -> Any:
            x = np.asarray(state.state_vector, dtype=float).ravel()
            site = np.asarray(self.translation_offset, dtype=float).ravel()
            h = radar_jacobian(x, site, self.enu_rotation)
            return np.stack([h[2], -h[1], h[0]])

    def radar(site: SensorSite) -> Any:
        return SiteRadar(
            ndim_state=6,
            mapping=(0, 1, 2),
            noise_covar=np.diag([SIGMA[2] ** 2, SIGMA[1] ** 2, SIGMA[0] ** 2]),
            translation_offset=StateVector(site.ecef),
            enu_rotation=site.enu_rotation,
        )

    return BallisticTransition(q_accel=Q_ACCEL), radar


def stonesoup_inputs(sc: Scenario, tracks: np.ndarray) -> dict[int, list[Any]]:
    """Stone Soup detections per track (the same reports, in its conventions)."""
    from stonesoup.types.angle import Bearing, Elevation
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Detection

    _, radar = _stonesoup_models()
    models: dict[str, Any] = {}
    epoch = datetime(2026, 1, 1)
    out: dict[int, list[Any]] = {int(j): [] for j in tracks}
    for scan in sc.scans:
        for r in scan:
            if r.truth_id not in out:
                continue
            model = models.setdefault(r.sensor, radar(r.site))
            rng_m, az, el = (float(v) for v in r.z)
            vector = StateVector([Elevation(el), Bearing(math.pi / 2.0 - az), rng_m])
            det = Detection(
                vector, timestamp=epoch + timedelta(seconds=r.t), measurement_model=model
            )
            out[int(r.truth_id)].append(det)
    return out


def run_stonesoup(sc: Scenario, detections: dict[int, list[Any]]) -> np.ndarray:
    """Stone Soup's EKF over each subset track's detections; returns estimates (T, N, 6)."""
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor
    from stonesoup.types.hypothesis import SingleHypothesis
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater

    transition, _ = _stonesoup_models()
    predictor = ExtendedKalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(measurement_model=None)
    epoch = datetime(2026, 1, 1)
    out = np.full((sc.times.size, sc.prior_mean.shape[0], 6), math.nan)
    for j, dets in detections.items():
        prior = GaussianState(sc.prior_mean[j].reshape(6, 1), P0, timestamp=epoch)
        for det in dets:
            predicted = predictor.predict(prior, timestamp=det.timestamp)
            prior = updater.update(SingleHypothesis(predicted, det))
            k = round((det.timestamp - epoch).total_seconds())
            out[k, j] = np.asarray(prior.state_vector, dtype=float).ravel()
    return _carry_forward(out)


def _carry_forward(est: np.ndarray) -> np.ndarray:
    """Fill steps without a report with the last estimate (as the batched run holds it)."""
    out = est.copy()
    for k in range(1, out.shape[0]):
        missing = np.isnan(out[k, :, 0])
        out[k, missing] = out[k - 1, missing]
    return out


def run_tracker(sc: Scenario) -> int:
    """The full tracker (gating, GNN, initiation) over all reports; returns tracks held."""
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    tracks = tracker.empty()
    for k, scan in enumerate(sc.scans):
        tracks = tracker.step(tracks, now=float(sc.times[k]), reports=scan)
    return len(tracks)


def node_latency_figure(*, quick: bool) -> list[str]:
    """End-to-end latency from a radar report entering the KOR node to JPN's fused picture
    updated, through the in-process transport, at 2,000 reports/s: direct under the GSOMIA
    (2019) and through the US hub under the 2023 mechanism. Reports are paced in real time
    and processed in 10 ms batches: the KOR tracker steps, its picture's updated tracks are
    shared as warnings (frame-v1 frames on a stream announced through custody), and JPN
    fuses them into its picture by covariance intersection; latency is wall time from a
    report's arrival to the end of JPN's fusion step that includes it."""
    import tempfile
    from datetime import UTC, datetime
    from pathlib import Path

    from gsomia.adapters.clock import SimulatedClock
    from gsomia.agreement_files import load_library
    from gsomia.bootstrap import Member, connect_in_process, demonstration_registry, fresh_node
    from gsomia.core.people import Authority

    rate, batch_s = 2_000.0, 0.010
    seconds = 1.0 if quick else 4.0
    library = load_library([])
    clock = SimulatedClock(datetime(2019, 10, 2, 7, 11, tzinfo=UTC))
    root = Path(tempfile.mkdtemp(prefix="gsomia-latency-"))
    nodes = {}
    for party, level in (("JPN", "極秘"), ("KOR", "군사II급비밀"), ("USA", "SECRET")):
        node = fresh_node(
            f"sqlite:///{root}/{party}.db",
            party=party,
            library=library,
            clock=clock,
            default_facility="hq",
        )
        demonstration_registry(
            node,
            facility="hq",
            facility_name="hq",
            registrar=Member(
                person_id="registrar", name="Registrar", role="security-officer", clearance=level
            ),
            members=[
                Member(
                    person_id="duty",
                    name="Duty",
                    role="security-officer",
                    clearance=level,
                    need_to_know=frozenset({"nk-missile"}),
                    authorities=tuple(Authority),
                )
            ],
        )
        nodes[party] = node
    connect_in_process(list(nodes.values()))
    nodes["USA"].set_duty_officer("duty")
    sc = make_scenario(30, 300, seed=11)
    reports = [r for scan in sc.scans for r in scan]
    lines = []
    for name, day, agreement in (
        ("direct", datetime(2019, 10, 2, 7, 12, tzinfo=UTC), "jpn-kor-gsomia"),
        ("via hub", datetime(2024, 1, 14, 5, 55, tzinfo=UTC), "trilateral-warning-link"),
    ):
        clock.set(day)
        latencies = _paced_run(nodes, agreement, reports, rate, batch_s, seconds)
        p50, p99 = (float(np.percentile(latencies, q)) * 1e3 for q in (50, 99))
        target = "50" if name == "direct" else "100"
        lines.append(
            f"fusion-latency {name}  p50 {p50:.1f} ms  p99 {p99:.1f} ms  target p99 {target} ms  "
            f"({len(latencies):,} reports at {rate:,.0f}/s, {batch_s * 1e3:.0f} ms batches, "
            f"{agreement}; impact points refreshed in the background every 0.5 s)"
        )
    for node in nodes.values():
        node.ctx.store.close()
    return lines


def _paced_run(nodes, agreement, reports, rate, batch_s, seconds):  # type: ignore[no-untyped-def]
    """Feed ``reports`` to KOR at ``rate`` for ``seconds``; per-report latencies (s).

    The report path (track, share, send, fuse) never waits for an impact prediction: a
    background thread refreshes each track's ground points (impact, launch) every 0.5 s
    and warnings carry the latest ones, as a real-time feed would.
    """
    import threading
    import time
    from dataclasses import replace as with_

    from gsomia.warning.tracking import ImpactPredictor, picture_from_tracks, share_warning
    from gsomia.warning.tracking.fusion import fuse_warnings

    kor, jpn = nodes["KOR"], nodes["JPN"]
    stream = kor.feed.open_stream(
        recipient="JPN", level="군사II급비밀", by="duty", agreement_id=agreement
    )
    for node in nodes.values():
        node.delivery.drain()
    tracker = ballistic_tracker(motion=BallisticMotion(q_accel=Q_ACCEL))
    impact = ImpactPredictor(motion=BallisticMotion(q_accel=Q_ACCEL))
    state = {"tracks": tracker.empty(), "t": 0.0}
    ground: dict[str, tuple[object, object]] = {}
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(0.5):
            snapshot, t = state["tracks"], state["t"]
            picture = picture_from_tracks(
                snapshot, tracker=tracker, party="KOR", t=t, impact=impact
            )
            for tr in picture.tracks:
                ground[tr.track_id] = (tr.launch, tr.impact)

    worker = threading.Thread(target=refresh, daemon=True)
    worker.start()
    latest: dict[str, object] = {}
    jpn.feed.on_warning(lambda w, _t: latest.__setitem__(w.warning_id, w))
    per_batch = max(1, int(rate * batch_s))
    latencies: list[float] = []
    start = time.perf_counter()
    for b in range(0, int(rate * seconds), per_batch):
        batch = reports[b % len(reports) : b % len(reports) + per_batch]
        arrivals = [start + (b + i) / rate for i in range(len(batch))]
        wait = arrivals[-1] - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        t = max(r.t for r in batch)
        tracks = tracker.step(state["tracks"], now=t, reports=batch)
        state["tracks"], state["t"] = tracks, t
        picture = picture_from_tracks(tracks, tracker=tracker, party="KOR", t=t, impact=None)
        updated = {f"KOR-{int(i)}" for i in tracks.track_id[tracks.last_update >= t]}
        warnings = []
        for tr in picture.tracks:
            if tr.track_id not in updated:
                continue
            launch, hit = ground.get(tr.track_id, (tr.launch, None))
            grounded = with_(tr, launch=launch, impact=hit)
            warnings.append(
                share_warning(
                    grounded, originator="KOR", warning_id=tr.track_id, conceal_geometry=True
                )
            )
        if warnings:
            kor.feed.publish(stream, warnings)
            fuse_warnings(list(latest.values()), party="JPN", t=t, predict_impact=False)  # type: ignore[arg-type]
        finished = time.perf_counter()
        latencies.extend(finished - a for a in arrivals)
    stop.set()
    worker.join(5)
    return latencies


def compare_trackers(objects: int, steps: int, seed: int) -> list[str]:
    """The full trackers side by side (see ``_tracker_compare``)."""
    transition, radar = _stonesoup_models()
    return compare(make_scenario(objects, steps, seed), transition, radar, P0, Q_ACCEL)


def equal_conditions(n_tracks: int, steps: int, seed: int, repeat: int) -> None:
    """Both filters run the same ``n_tracks`` through the same reports."""
    sc = make_scenario(n_tracks, steps, seed)
    every = np.arange(n_tracks)
    batches = gsomia_batches(sc)
    detections = stonesoup_inputs(sc, every)
    n_all = count_updates(sc)
    ours_rates, theirs_rates = [], []
    ours_est = theirs_est = np.zeros(0)
    for k in range(repeat):
        dt, ours_est = timed(lambda: run_gsomia(sc, batches))
        ours_rates.append(n_all / dt)
        if k == 0 or n_tracks <= 10:  # Stone Soup's 200-track run is timed once
            dt, theirs_est = timed(lambda: run_stonesoup(sc, detections))
            theirs_rates.append(n_all / dt)
    ours, theirs = statistics.median(ours_rates), statistics.median(theirs_rates)
    rmse_ours, rmse_theirs = rmse(ours_est, sc.truth), rmse(theirs_est, sc.truth)
    print(
        f"fusion N={n_tracks:<3d}  gsomia {ours:,.0f} updates/s  stonesoup {theirs:,.0f} "
        f"updates/s  ratio {ours / theirs:,.1f}x  rmse gsomia {rmse_ours:.1f} m  "
        f"stonesoup {rmse_theirs:.1f} m  ratio {rmse_ours / rmse_theirs:.3f}  "
        f"(both run all {n_tracks} tracks; median of {repeat} gsomia, "
        f"{len(theirs_rates)} stonesoup)"
    )
    sys.stdout.flush()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60, help="seconds of reports (default 60)")
    p.add_argument("--objects", type=int, default=10, help="objects in the tracker run")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-latency", action="store_true", help="skip the node latency figure")
    p.set_defaults(repeat=3)
    args = p.parse_args()
    sizes = (1, 10, 200)
    if args.quick:
        sizes, args.steps, args.objects, args.repeat = (1, 4), 15, 3, 1
    for n in sizes:
        equal_conditions(n, args.steps, args.seed, args.repeat)
    for line in compare_trackers(args.objects, args.steps, args.seed):
        print(line)
    sys.stdout.flush()
    if args.no_latency:
        return
    for line in node_latency_figure(quick=args.quick):
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
