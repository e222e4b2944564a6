"""Scenarios and reference computations shared by the tracking tests.

The truth here is independent of the tracker's own integrator: impact points come from
dense RK4 steps of :func:`gsomia.warning.physics.dynamics.rk4_step` and a bisection on the step
length, not from the tracker's Hermite interpolation.
"""

from __future__ import annotations

import math

import numpy as np

from gsomia.warning.evaluation.consistency import (
    HELD_OUT,
    Case,
    Mismatch,
    Run,
    Tuning,
    run_case,
)
from gsomia.warning.evaluation.synthetic import (
    BoostProgram,
    boost_truth,
    coast_truth,
    initial_state,
    radar_reports,
    radar_site,
)
from gsomia.warning.geo.frames import ecef_to_geodetic
from gsomia.warning.physics.dynamics import rk4_step
from gsomia.warning.sensors.measurements import LaunchCue, RadarReport
from gsomia.warning.tracking import (
    BallisticMotion,
    EKFPredictor,
    EKFUpdater,
    GaussianBatch,
    MeasurementBatch,
)

SITE_K = radar_site(lat_deg=35.9, lon_deg=128.1, h_m=680.0)
"""A ROK-like radar site (Seongju)."""
SITE_J = radar_site(lat_deg=35.77, lon_deg=135.2, h_m=100.0)
"""A Japan-like radar site (Kyogamisaki)."""
SIGMA = (15.0, 0.3e-3, 0.3e-3)
"""Radar noise: range (m), azimuth, elevation (rad); an X-band monopulse radar at 20 dB
(beamwidth 0.4°, slope 1.6: 7 mrad / (1.6 √200) ≈ 0.3 mrad)."""
SIGMA_L = (30.0, 1.5e-3, 1.5e-3)
"""An L-band radar at 20 dB (beamwidth 2°): 35 mrad / (1.6 √200) ≈ 1.5 mrad."""
Q_ACCEL = 1e-2


def midcourse_start(**overrides: float) -> np.ndarray:
    """A mid-course state over the Sea of Japan's western edge, heading east-south-east."""
    args = dict(
        lat_deg=39.5,
        lon_deg=127.0,
        h_m=150e3,
        speed_mps=3000.0,
        azimuth_deg=100.0,
        flight_path_deg=30.0,
    )
    args.update(overrides)
    return initial_state(**args)


def _altitude(x: np.ndarray) -> float:
    _, _, h = ecef_to_geodetic(x[:3])
    return float(h)


def truth_impact(
    state: np.ndarray, *, beta: float = math.inf, step: float = 0.5
) -> tuple[float, float, float]:
    """Seconds to impact, latitude and longitude of a state flown to height 0.

    Steps of 4 s above 120 km, ``step`` below; the last step is found by bisection.
    """
    x = np.asarray(state, dtype=float)
    t = 0.0
    while True:
        h = 4.0 if _altitude(x) > 120e3 else step
        nxt = rk4_step(x, h, beta)
        if _altitude(nxt) <= 0.0:
            break
        x, t = nxt, t + h
    lo, hi = 0.0, h
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if _altitude(rk4_step(x, mid, beta)) > 0.0:
            lo = mid
        else:
            hi = mid
    lat, lon, _ = ecef_to_geodetic(rk4_step(x, lo, beta)[:3])
    return t + lo, float(lat), float(lon)


def monte_carlo_truth(
    n_runs: int, times: np.ndarray, rng: np.random.Generator, p0: np.ndarray
) -> np.ndarray:
    """Truth (T, n_runs, 6) drawn about the mid-course start with covariance ``p0``."""
    start = midcourse_start() + rng.multivariate_normal(np.zeros(6), p0, size=n_runs)
    return coast_truth(start, times, q_accel=Q_ACCEL, rng=rng)


def reports_by_time(reports: list[RadarReport]) -> dict[float, list[RadarReport]]:
    """Reports grouped by time, each group in truth-id order."""
    out: dict[float, list[RadarReport]] = {}
    for r in reports:
        out.setdefault(r.t, []).append(r)
    return {t: sorted(group, key=lambda r: int(r.truth_id or 0)) for t, group in out.items()}


def run_batch_filter(
    prior: GaussianBatch, reports: list[RadarReport], *, q_accel: float = Q_ACCEL
) -> list[GaussianBatch]:
    """Every run (one per truth id) through its reports in time order, batched per time."""
    predictor = EKFPredictor(motion=BallisticMotion(q_accel=q_accel))
    updater = EKFUpdater()
    state = prior
    out = []
    for t, group in sorted(reports_by_time(reports).items()):
        index = np.array([int(r.truth_id or 0) for r in group], dtype=np.intp)
        predicted = predictor.predict(state.take(index), t=t)
        state = state.put(index, updater.update(predicted, MeasurementBatch.from_reports(group)))
        out.append(state)
    return out


def paired_radar_reports(
    truth: np.ndarray,
    times: np.ndarray,
    rng: np.random.Generator,
    *,
    stride: int = 2,
    sensors: tuple[str, str] = ("K", "J"),
    own_sigma: tuple[float, float, float] = SIGMA,
    own_min_elevation_deg: float = 0.0,
) -> tuple[list[RadarReport], list[RadarReport]]:
    """Reports of every run by the ROK-like radar (``sensors[0]``) at the first of every
    ``stride`` steps, and by the X-band Japan-like one (``sensors[1]``, above 1°) at the
    second; the ROK-like radar's reports are drawn first."""
    own = radar_reports(
        truth[0::stride],
        times[0::stride],
        site=SITE_K,
        sensor=sensors[0],
        party="ROK",
        sigma=own_sigma,
        rng=rng,
        min_elevation_deg=own_min_elevation_deg,
    )
    partner = radar_reports(
        truth[1::stride],
        times[1::stride],
        site=SITE_J,
        sensor=sensors[1],
        party="JPN",
        sigma=SIGMA,
        rng=rng,
        min_elevation_deg=1.0,
    )
    return own, partner


def two_radar_reports(
    truth: np.ndarray, times: np.ndarray, rng: np.random.Generator
) -> tuple[list[RadarReport], list[RadarReport]]:
    """Reports of every run: an L-band ROK-like radar at even steps, an X-band Japan-like
    one at odd steps."""
    return paired_radar_reports(
        truth,
        times,
        rng,
        sensors=("K-radar", "J-radar"),
        own_sigma=SIGMA_L,
        own_min_elevation_deg=1.0,
    )


def boosted_launch(
    times: np.ndarray, *, program: BoostProgram, seed: int, sensor: str = "K"
) -> tuple[np.ndarray, list[RadarReport]]:
    """The truth of a launch near Pyongyang flown by ``program``, and the X-band ROK-like
    radar's reports of it above 1° elevation, drawn with ``seed``."""
    truth = boost_truth(lat_deg=39.224, lon_deg=125.670, program=program, times=times)
    reports = radar_reports(
        truth,
        times,
        site=SITE_K,
        sensor=sensor,
        party="ROK",
        sigma=SIGMA,
        rng=np.random.default_rng(seed),
        min_elevation_deg=1.0,
    )
    return truth, reports


def launch_cue(
    *,
    t: float,
    sensor: str = "ir",
    position_sigma_m: float = 1500.0,
    lat_deg: float = 39.23,
    lon_deg: float = 125.68,
) -> LaunchCue:
    """A US infrared cue, sent at ``t``, of a launch at time 0 near Pyongyang."""
    return LaunchCue(
        sensor=sensor,
        party="USA",
        t=t,
        launch_t=0.0,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        position_sigma_m=position_sigma_m,
    )


def held_out_runs(launch: str, *, impact_every_s: float, stride: int) -> list[Run]:
    """Three runs (seed 3, default tuning and mismatch) of the held-out case of ``launch``."""
    case: Case = next(c for c in HELD_OUT if c.launch == launch)
    return run_case(
        case,
        runs=3,
        tuning=Tuning(),
        mismatch=Mismatch(),
        seed=3,
        impact_every_s=impact_every_s,
        stride=stride,
    )
