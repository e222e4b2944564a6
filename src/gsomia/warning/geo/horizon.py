"""Radar horizon on the 4/3 effective Earth, by exact spherical geometry.

Standard atmospheric refraction bends radar rays toward the ground; the usual model replaces
the Earth of radius ``R`` by one of radius ``k R`` with ``k = 4/3`` and lets rays travel in
straight lines. On that sphere a radar at height ``h1`` sees a target at height ``h2`` and
ground range ``d`` if and only if the central angle ``d / (k R)`` is at most
``acos(kR / (kR + h1)) + acos(kR / (kR + h2))``: the two tangent angles. For ``h`` much
smaller than ``R`` this is the familiar ``d = sqrt(2 k R h1) + sqrt(2 k R h2)``
(spec/missile-scenario.md §4.1, which gives the worked values the tests check).
All functions are vectorised over their arguments.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gsomia.warning.geo.frames import MEAN_RADIUS, ecef_to_geodetic

__all__ = [
    "EFFECTIVE_RADIUS",
    "K_FACTOR",
    "apparent_elevation",
    "horizon_distance",
    "horizon_distance_approx",
    "line_of_sight",
    "min_visible_altitude",
]

Array = NDArray[np.float64]

K_FACTOR = 4.0 / 3.0
"""Effective-Earth factor of the standard refracting atmosphere."""
EFFECTIVE_RADIUS = K_FACTOR * MEAN_RADIUS
"""Radius of the 4/3 effective Earth (m)."""


def _tangent_angle(h: ArrayLike) -> Array:
    """Central angle from a point at height ``h`` to its horizon on the effective sphere."""
    hh = np.clip(np.asarray(h, dtype=float), 0.0, None)
    return np.asarray(np.arccos(EFFECTIVE_RADIUS / (EFFECTIVE_RADIUS + hh)))


def horizon_distance(h_m: ArrayLike) -> Array:
    """Ground distance (m) to the horizon of a point at height ``h_m``: exact geometry.

    The distance is measured along the true surface (the central angle times ``kR``,
    which is how the 4/3 model maps ground range).
    """
    return np.asarray(EFFECTIVE_RADIUS * _tangent_angle(h_m))


def horizon_distance_approx(h_m: ArrayLike) -> Array:
    """The small-height form ``sqrt(2 k R h)`` (m), valid for ``h`` much below ``R``."""
    return np.asarray(np.sqrt(2.0 * EFFECTIVE_RADIUS * np.clip(np.asarray(h_m, float), 0, None)))


def min_visible_altitude(radar_height_m: ArrayLike, ground_range_m: ArrayLike) -> Array:
    """Lowest target height (m) a radar at ``radar_height_m`` sees at ``ground_range_m``."""
    phi = np.asarray(ground_range_m, dtype=float) / EFFECTIVE_RADIUS
    rest = np.clip(phi - _tangent_angle(radar_height_m), 0.0, np.pi / 2 - 1e-9)
    return np.asarray(EFFECTIVE_RADIUS / np.cos(rest) - EFFECTIVE_RADIUS)


def _geometry(site_ecef: ArrayLike, target_ecef: ArrayLike) -> tuple[Array, Array, Array]:
    """Heights of site and target (m) and the effective central angle between them."""
    s = np.asarray(site_ecef, dtype=float)
    t = np.asarray(target_ecef, dtype=float)
    _, _, h1 = ecef_to_geodetic(s)
    _, _, h2 = ecef_to_geodetic(t)
    us = s / np.linalg.norm(s, axis=-1, keepdims=True)
    ut = t / np.linalg.norm(t, axis=-1, keepdims=True)
    psi = np.arccos(np.clip(np.sum(us * ut, axis=-1), -1.0, 1.0))
    return h1, h2, psi / K_FACTOR


def line_of_sight(site_ecef: ArrayLike, target_ecef: ArrayLike) -> Array:
    """Whether each target is above the site's 4/3-Earth radar horizon (boolean array)."""
    h1, h2, phi = _geometry(site_ecef, target_ecef)
    return np.asarray(phi <= _tangent_angle(h1) + _tangent_angle(h2))


def apparent_elevation(site_ecef: ArrayLike, target_ecef: ArrayLike) -> Array:
    """Elevation (radians) of each target as the refracted ray leaves the site.

    It is the elevation on the effective sphere, where rays are straight: slightly higher
    than the geometric elevation, which is what an elevation mask applies to. It is taken
    from the geocentric vertical, within 0.2 degrees of the geodetic one.
    """
    h1, h2, phi = _geometry(site_ecef, target_ecef)
    r1 = EFFECTIVE_RADIUS + h1
    r2 = EFFECTIVE_RADIUS + h2
    return np.asarray(np.arctan2(r2 * np.cos(phi) - r1, r2 * np.sin(phi)))
