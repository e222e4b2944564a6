"""Equations of motion in the rotating Earth-fixed frame (ECEF), vectorised over objects.

The state of a body is ``[x, y, z, vx, vy, vz]`` in ECEF metres and metres per second;
arrays carry any number of leading axes (many missiles, many tracks, sigma points).
Forces: gravity with the J2 zonal harmonic, the Coriolis and centrifugal terms of the
rotating frame, and aerodynamic drag through the ballistic coefficient
``beta = m / (C_d A)`` (kg/m²) in an atmosphere that co-rotates with the Earth, so the
air-relative velocity is the ECEF velocity.

References: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., §8.6
(J2 acceleration) and Table 8-4 (exponential atmosphere); WGS-84 (NIMA TR8350.2) constants.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gsomia.warning.geo.frames import WGS84_A, ecef_to_geodetic

__all__ = [
    "GM",
    "J2",
    "OMEGA_EARTH",
    "air_density",
    "ballistic_derivative",
    "drag_acceleration",
    "frame_acceleration",
    "gravity_j2",
    "rk4_step",
    "specific_energy",
]

Array = NDArray[np.float64]

GM = 3.986004418e14
"""Earth's gravitational parameter (m³/s²), WGS-84."""
J2 = 1.08262668e-3
"""Second zonal harmonic (unnormalised), EGM96."""
OMEGA_EARTH = 7.292115e-5
"""Earth's rotation rate (rad/s), WGS-84."""
_OMEGA = np.array([0.0, 0.0, OMEGA_EARTH])

# Vallado Table 8-4: base altitude (km), nominal density (kg/m³), scale height (km).
_ATMOSPHERE = np.array(
    [
        (0, 1.225, 7.249),
        (25, 3.899e-2, 6.349),
        (30, 1.774e-2, 6.682),
        (40, 3.972e-3, 7.554),
        (50, 1.057e-3, 8.382),
        (60, 3.206e-4, 7.714),
        (70, 8.770e-5, 6.549),
        (80, 1.905e-5, 5.799),
        (90, 3.396e-6, 5.382),
        (100, 5.297e-7, 5.877),
        (110, 9.661e-8, 7.263),
        (120, 2.438e-8, 9.473),
        (130, 8.484e-9, 12.636),
        (140, 3.845e-9, 16.149),
        (150, 2.070e-9, 22.523),
        (180, 5.464e-10, 29.740),
        (200, 2.789e-10, 37.105),
        (250, 7.248e-11, 45.546),
        (300, 2.418e-11, 53.628),
        (350, 9.518e-12, 53.298),
        (400, 3.725e-12, 58.515),
        (450, 1.585e-12, 60.828),
        (500, 6.967e-13, 63.822),
        (600, 1.454e-13, 71.835),
        (700, 3.614e-14, 88.667),
        (800, 1.170e-14, 124.64),
        (900, 5.245e-15, 181.05),
        (1000, 3.019e-15, 268.00),
    ]
)


def gravity_j2(r: ArrayLike) -> Array:
    """Gravitational acceleration (m/s²) with J2 at ECEF position(s) ``r`` (m)."""
    p = np.asarray(r, dtype=float)
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = -GM / (r2 * rn)
    zr2 = (z * z) / r2
    c = 1.5 * J2 * (WGS84_A * WGS84_A) / r2
    fxy = k * (1.0 + c * (1.0 - 5.0 * zr2))
    fz = k * (1.0 + c * (3.0 - 5.0 * zr2))
    return np.stack([fxy * x, fxy * y, fz * z], axis=-1)


def frame_acceleration(r: ArrayLike, v: ArrayLike) -> Array:
    """Coriolis plus centrifugal acceleration of the rotating frame (m/s²)."""
    p = np.asarray(r, dtype=float)
    w = np.asarray(v, dtype=float)
    coriolis = -2.0 * np.cross(_OMEGA, w)
    centrifugal = -np.cross(_OMEGA, np.cross(_OMEGA, p))
    return np.asarray(coriolis + centrifugal)


def air_density(h_m: ArrayLike) -> Array:
    """Air density (kg/m³) at geometric altitude ``h_m`` by Vallado's exponential model.

    Below sea level it is the sea-level value; above 1,000 km it keeps decaying with the
    last layer's scale height.
    """
    h_km = np.clip(np.asarray(h_m, dtype=float) / 1000.0, 0.0, None)
    idx = np.clip(np.searchsorted(_ATMOSPHERE[:, 0], h_km, side="right") - 1, 0, None)
    base, rho0, scale = _ATMOSPHERE[idx, 0], _ATMOSPHERE[idx, 1], _ATMOSPHERE[idx, 2]
    return np.asarray(rho0 * np.exp(-(h_km - base) / scale))


def drag_acceleration(r: ArrayLike, v: ArrayLike, beta: ArrayLike) -> Array:
    """Drag (m/s²) on a body of ballistic coefficient ``beta`` (kg/m², ``inf`` for none)."""
    p = np.asarray(r, dtype=float)
    w = np.asarray(v, dtype=float)
    b = np.asarray(beta, dtype=float)
    _, _, h = ecef_to_geodetic(p)
    rho = air_density(h)
    speed = np.linalg.norm(w, axis=-1)
    with np.errstate(divide="ignore"):
        scale = np.where(np.isfinite(b), -0.5 * rho * speed / b, 0.0)
    return np.asarray(scale[..., None] * w)


def ballistic_derivative(state: ArrayLike, beta: ArrayLike = np.inf) -> Array:
    """Time derivative of ECEF state(s) ``[r, v]`` under gravity (J2), the rotating frame and
    drag."""
    s = np.asarray(state, dtype=float)
    r, v = s[..., :3], s[..., 3:6]
    a = gravity_j2(r) + frame_acceleration(r, v)
    if np.any(np.isfinite(beta)):
        a = a + drag_acceleration(r, v, beta)
    return np.concatenate([v, a], axis=-1)


def rk4_step(state: ArrayLike, dt: float, beta: ArrayLike = np.inf) -> Array:
    """One classical Runge-Kutta step of :func:`ballistic_derivative`."""
    s = np.asarray(state, dtype=float)
    k1 = ballistic_derivative(s, beta)
    k2 = ballistic_derivative(s + 0.5 * dt * k1, beta)
    k3 = ballistic_derivative(s + 0.5 * dt * k2, beta)
    k4 = ballistic_derivative(s + dt * k3, beta)
    return np.asarray(s + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4))


def specific_energy(state: ArrayLike) -> Array:
    """Jacobi-type specific energy (J/kg) in the rotating frame, point-mass potential.

    ``v²/2 - GM/r - |Ω × r|²/2`` is conserved by drag-free, J2-free motion in ECEF;
    tests use it to check the integrator.
    """
    s = np.asarray(state, dtype=float)
    r, v = s[..., :3], s[..., 3:6]
    rn = np.linalg.norm(r, axis=-1)
    omega_r = np.cross(_OMEGA, r)
    return np.asarray(
        0.5 * np.sum(v * v, axis=-1) - GM / rn - 0.5 * np.sum(omega_r * omega_r, axis=-1)
    )
