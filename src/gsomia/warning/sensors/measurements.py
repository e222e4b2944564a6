"""What sensors report, and the radar measurement model the tracker inverts.

A radar reports range, azimuth and elevation of a detected object relative to its own
antenna, in the antenna's local East-North-Up frame. The same function, :func:`radar_h`,
generates simulated reports from truth (plus noise, in :mod:`gsomia.warning.sensors.radar`) and
predicts measurements inside the tracker's updater, so simulation and estimation cannot
disagree about geometry. Angles are radians here; azimuth is clockwise from north.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "LaunchCue",
    "RadarReport",
    "SensorSite",
    "radar_h",
    "radar_h_and_jacobian",
    "radar_jacobian",
    "wrap_angle",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorSite:
    """Where a sensor's antenna is: ECEF position (m) and its ECEF-to-ENU rotation."""

    ecef: Array
    enu_rotation: Array


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarReport:
    """One detection: ``z = [range_m, azimuth_rad, elevation_rad]`` with covariance ``R``.

    ``t`` is seconds since the scenario epoch (the launch, for a single-launch scenario).
    ``bias_rad`` is the sensor's stated residual pointing bias (one sigma, azimuth and
    elevation, rad): a specification of the sensor, constant over a pass and so not in
    ``R``; 0 states none. ``truth_id`` names the true object for scoring only; trackers
    must not read it.
    """

    sensor: str
    party: str
    t: float
    z: Array
    R: Array
    site: SensorSite
    bias_rad: float = 0.0
    truth_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchCue:
    """An early-warning satellite's launch cue: an approximate launch point and time.

    ``position_sigma_m`` is the one-sigma horizontal uncertainty of the launch point.
    """

    sensor: str
    party: str
    t: float
    launch_t: float
    lat_deg: float
    lon_deg: float
    position_sigma_m: float
    azimuth_deg: float | None = None
    truth_id: int | None = field(default=None, compare=False)


def wrap_angle(a: ArrayLike) -> Array:
    """Wrap angle(s) to (-π, π]."""
    x = np.asarray(a, dtype=float)
    return np.asarray(np.pi - np.mod(np.pi - x, 2.0 * np.pi))


def radar_h(state: ArrayLike, site_ecef: ArrayLike, enu_rotation: ArrayLike) -> Array:
    """Range (m), azimuth and elevation (rad) of ECEF state(s) seen from a site.

    ``state`` has shape (…, ≥3); only the position is used. Vectorised over leading axes;
    ``site_ecef`` (…, 3) and ``enu_rotation`` (3, 3) or (…, 3, 3) broadcast against the
    states, so one call can serve reports from many sites.
    """
    s = np.asarray(state, dtype=float)
    d = s[..., :3] - np.asarray(site_ecef, dtype=float)
    enu = np.einsum("...ij,...j->...i", np.asarray(enu_rotation, dtype=float), d)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    rng = np.sqrt(horiz * horiz + u * u)
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    el = np.arctan2(u, horiz)
    return np.stack([rng, az, el], axis=-1)


def radar_jacobian(state: ArrayLike, site_ecef: ArrayLike, enu_rotation: ArrayLike) -> Array:
    """Jacobian (…, 3, n) of :func:`radar_h` with respect to the state (n = state size).

    Broadcasts sites and rotations like :func:`radar_h`.
    """
    s = np.asarray(state, dtype=float)
    rot = np.asarray(enu_rotation, dtype=float)
    d = s[..., :3] - np.asarray(site_ecef, dtype=float)
    enu = np.einsum("...ij,...j->...i", rot, d)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    h2 = e * e + n * n
    h = np.sqrt(h2)
    r2 = h2 + u * u
    r = np.sqrt(r2)
    zeros = np.zeros_like(e)
    d_range = np.stack([e / r, n / r, u / r], axis=-1)
    d_az = np.stack([n / h2, -e / h2, zeros], axis=-1)
    d_el = np.stack([-e * u / (r2 * h), -n * u / (r2 * h), h / r2], axis=-1)
    j_enu = np.stack([d_range, d_az, d_el], axis=-2)
    j_pos = np.matmul(j_enu, rot)
    out = np.zeros((*j_pos.shape[:-2], 3, s.shape[-1]))
    out[..., :3] = j_pos
    return out


def radar_h_and_jacobian(
    state: ArrayLike, site_ecef: ArrayLike, enu_rotation: ArrayLike
) -> tuple[Array, Array]:
    """:func:`radar_h` and :func:`radar_jacobian` together, sharing one ENU conversion.

    ``state`` (N, n), ``site_ecef`` (N, 3) or (3,), ``enu_rotation`` (N, 3, 3) or (3, 3).
    """
    s = np.asarray(state, dtype=float)
    rot = np.asarray(enu_rotation, dtype=float)
    d = s[..., :3] - np.asarray(site_ecef, dtype=float)
    enu = np.matmul(rot, d[..., None])[..., 0]
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    h2 = e * e + n * n
    h = np.sqrt(h2)
    r2 = h2 + u * u
    r = np.sqrt(r2)
    z = np.empty((*enu.shape[:-1], 3))
    z[..., 0] = r
    z[..., 1] = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    z[..., 2] = np.arctan2(u, h)
    j_enu = np.empty((*enu.shape[:-1], 3, 3))
    j_enu[..., 0, 0], j_enu[..., 0, 1], j_enu[..., 0, 2] = e / r, n / r, u / r
    j_enu[..., 1, 0], j_enu[..., 1, 1], j_enu[..., 1, 2] = n / h2, -e / h2, 0.0
    rh = r2 * h
    j_enu[..., 2, 0], j_enu[..., 2, 1], j_enu[..., 2, 2] = -e * u / rh, -n * u / rh, h / r2
    jac = np.zeros((*enu.shape[:-1], 3, s.shape[-1]))
    jac[..., :3] = np.matmul(j_enu, rot)
    return z, jac
