"""Small synthetic truths and radar reports for exercising the tracker.

This is not the scenario simulator (that is :mod:`gsomia.warning.simulation`); it is the
minimum the tracker's tests and benchmark need: coasting and boosting objects
integrated with :func:`gsomia.warning.physics.dynamics.rk4_step`, and radar reports made with
:func:`gsomia.warning.sensors.measurements.radar_h` plus Gaussian noise. Randomness is a
``numpy.random.Generator`` passed in, so the same seed gives the same reports.

Radar noise follows the monopulse accuracy limit ``σθ ≈ θ₃ / (k √(2 E/N₀))`` (see
``docs/tracking.md``); no public accuracy figures exist for the real radars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gsomia.errors import InputError
from gsomia.warning.geo.frames import aer_to_enu, ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from gsomia.warning.physics.dynamics import rk4_step
from gsomia.warning.sensors.measurements import RadarReport, SensorSite, radar_h
from gsomia.warning.tracking.models import BallisticMotion

__all__ = [
    "BoostProgram",
    "boost_truth",
    "coast_truth",
    "initial_state",
    "monopulse_sigma",
    "radar_reports",
    "radar_site",
]

Array = NDArray[np.float64]


def radar_site(*, lat_deg: float, lon_deg: float, h_m: float = 0.0) -> SensorSite:
    """A radar site at a geodetic position."""
    return SensorSite(
        ecef=geodetic_to_ecef(lat_deg, lon_deg, h_m), enu_rotation=enu_rotation(lat_deg, lon_deg)
    )


def monopulse_sigma(*, beamwidth_rad: float, snr_db: float, slope: float = 1.6) -> float:
    """One-sigma monopulse angle accuracy (rad): ``θ₃ / (k √(2 E/N₀))``."""
    return beamwidth_rad / (slope * math.sqrt(2.0 * 10.0 ** (snr_db / 10.0)))


def initial_state(
    *,
    lat_deg: float,
    lon_deg: float,
    h_m: float,
    speed_mps: float,
    azimuth_deg: float,
    flight_path_deg: float,
) -> Array:
    """An ECEF state (6,) at a geodetic point moving at a speed, heading and climb angle."""
    r = geodetic_to_ecef(lat_deg, lon_deg, h_m)
    v_enu = aer_to_enu(azimuth_deg, flight_path_deg, speed_mps)
    v = enu_rotation(lat_deg, lon_deg).T @ v_enu
    return np.concatenate([r, v])


def _integrate_to(state: Array, t0: float, t1: float, step_s: float, beta: float) -> Array:
    n = max(1, math.ceil((t1 - t0) / step_s - 1e-9))
    h = (t1 - t0) / n
    for _ in range(n):
        state = rk4_step(state, h, beta)
    return state


def coast_truth(
    initial: ArrayLike,
    times: ArrayLike,
    *,
    beta: float = math.inf,
    step_s: float = 0.1,
    q_accel: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Array:
    """States (T, K, 6) of K coasting objects at ``times`` (from the first time).

    With ``q_accel > 0`` (m²/s³) each interval adds white-acceleration noise of that
    density, the process the filters assume; ``rng`` is then required.
    Raises InputError if the noise has no generator.
    """
    x = np.atleast_2d(np.asarray(initial, dtype=float)).copy()
    ts = np.asarray(times, dtype=float)
    if q_accel > 0.0 and rng is None:
        raise InputError("coast_truth with process noise needs an rng")
    out = np.empty((ts.size, *x.shape))
    out[0] = x
    for k in range(1, ts.size):
        dt = float(ts[k] - ts[k - 1])
        x = _integrate_to(x, 0.0, dt, step_s, beta)
        if q_accel > 0.0 and rng is not None:
            x = x + _white_accel_sample(rng, x.shape[0], dt, q_accel)
        out[k] = x
    return out


def _white_accel_sample(rng: np.random.Generator, k: int, dt: float, q: float) -> Array:
    block = q * np.array([[dt**3 / 3.0, dt**2 / 2.0], [dt**2 / 2.0, dt]])
    chol = np.linalg.cholesky(block)
    w = rng.standard_normal((k, 2, 3))
    pv = np.einsum("ij,kjl->kil", chol, w)
    return np.asarray(pv.reshape(k, 6))


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostProgram:
    """A simple powered ascent: thrust rising linearly from ``accel_start`` to ``accel_end``
    (m/s²) as propellant burns, vertical for ``vertical_s``, then pitching over linearly
    in elevation to ``burnout_elevation_deg`` on ``azimuth_deg``; burnout at ``burn_s``."""

    azimuth_deg: float
    burn_s: float = 70.0
    accel_start: float = 25.0
    accel_end: float = 70.0
    vertical_s: float = 8.0
    burnout_elevation_deg: float = 35.0

    def thrust_enu(self, t: float) -> Array:
        """Thrust acceleration (m/s²) in the launch site's ENU frame at ``t`` after launch."""
        if t >= self.burn_s:
            return np.zeros(3)
        span = self.burn_s - self.vertical_s
        pitch = max(0.0, t - self.vertical_s) / span
        el = 90.0 + (self.burnout_elevation_deg - 90.0) * pitch
        mag = self.accel_start + (self.accel_end - self.accel_start) * t / self.burn_s
        return aer_to_enu(self.azimuth_deg, el, mag)


def boost_truth(
    *,
    lat_deg: float,
    lon_deg: float,
    program: BoostProgram,
    times: ArrayLike,
    beta: float = math.inf,
    step_s: float = 0.1,
) -> Array:
    """States (T, 6) of one missile launched at ``times[0]`` from a ground point.

    The thrust follows ``program`` (in the launch site's ENU frame); after burnout the
    missile coasts under the forces of :mod:`gsomia.warning.physics.dynamics` (evaluated through
    :class:`~gsomia.warning.tracking.models.BallisticMotion`, which a unit test holds equal
    to them and which is faster on a single state).
    """
    ts = np.asarray(times, dtype=float)
    rot_t = enu_rotation(lat_deg, lon_deg).T
    forces = BallisticMotion(beta=beta)

    def f(s: Array, t: float) -> Array:
        d: Array = forces.derivative(s[None])[0]
        d[3:] += rot_t @ program.thrust_enu(t)
        return d

    x = np.concatenate([geodetic_to_ecef(lat_deg, lon_deg, 0.0), np.zeros(3)])
    out = np.empty((ts.size, 6))
    out[0] = x
    t = 0.0
    for k in range(1, ts.size):
        t_end = float(ts[k] - ts[0])
        while t < t_end - 1e-9:
            h = min(step_s, t_end - t)
            k1 = f(x, t)
            k2 = f(x + 0.5 * h * k1, t + 0.5 * h)
            k3 = f(x + 0.5 * h * k2, t + 0.5 * h)
            k4 = f(x + h * k3, t + h)
            x = x + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
            t += h
        out[k] = x
    return out


def radar_reports(
    truth: ArrayLike,
    times: ArrayLike,
    *,
    site: SensorSite,
    sensor: str,
    party: str,
    sigma: Sequence[float],
    rng: np.random.Generator,
    min_elevation_deg: float = 0.0,
    truth_ids: Sequence[int] | None = None,
) -> list[RadarReport]:
    """Noisy reports of every object above the elevation mask and the ground.

    ``truth`` is (T, K, ≥3) at ``times`` (T,); ``sigma`` is (range m, azimuth rad,
    elevation rad). Reports come out in time order, objects in index order.
    """
    x = np.asarray(truth, dtype=float)
    x = x[:, None] if x.ndim == 2 else x
    ts = np.asarray(times, dtype=float)
    ids = list(truth_ids) if truth_ids is not None else list(range(x.shape[1]))
    r_cov = np.diag(np.square(np.asarray(sigma, dtype=float)))
    chol = np.sqrt(np.diag(r_cov))
    z_true = radar_h(x, site.ecef, site.enu_rotation)
    noise = rng.standard_normal(z_true.shape) * chol
    _, _, alt = ecef_to_geodetic(x[..., :3])
    visible = (z_true[..., 2] >= math.radians(min_elevation_deg)) & (alt >= 0.0)
    reports = []
    for k, j in zip(*np.nonzero(visible), strict=True):
        z = z_true[k, j] + noise[k, j]
        z[1] = z[1] % (2.0 * math.pi)
        reports.append(
            RadarReport(
                sensor=sensor,
                party=party,
                t=float(ts[k]),
                z=z,
                R=r_cov,
                site=site,
                truth_id=ids[j],
            )
        )
    return reports
