"""WGS-84 geodesy and the frames the warning picture uses: geodetic, ECEF and local ENU.

All functions are pure and vectorised over leading axes: a position is an array whose last
axis has length 3 (metres, ECEF), angles are in degrees at the edges and radians inside.
Reference: NIMA TR8350.2 (WGS-84); Bowring's method for ECEF to geodetic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "WGS84_A",
    "WGS84_B",
    "WGS84_E2",
    "WGS84_F",
    "aer_to_enu",
    "destination",
    "ecef_to_enu",
    "ecef_to_geodetic",
    "ellipsoid_height",
    "enu_rotation",
    "enu_to_aer",
    "enu_to_ecef",
    "geodetic_to_ecef",
    "ground_range",
    "initial_azimuth",
]

Array = NDArray[np.float64]

WGS84_A = 6378137.0
"""Semi-major axis (m)."""
WGS84_F = 1.0 / 298.257223563
"""Flattening."""
WGS84_B = WGS84_A * (1.0 - WGS84_F)
"""Semi-minor axis (m)."""
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
"""First eccentricity squared."""
_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
MEAN_RADIUS = 6371008.8
"""IUGG mean Earth radius (m), used for great-circle ground ranges."""


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, h_m: ArrayLike) -> Array:
    """Geodetic latitude, longitude (degrees) and ellipsoidal height (m) to ECEF (m)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    h = np.asarray(h_m, dtype=float)
    sin_lat = np.sin(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sin_lat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(r: ArrayLike) -> tuple[Array, Array, Array]:
    """ECEF (m) to geodetic latitude, longitude (degrees) and height (m).

    Bowring's formula with two refinements; sub-millimetre from the surface to GEO.
    """
    p_ = np.asarray(r, dtype=float)
    x, y, z = p_[..., 0], p_[..., 1], p_[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    beta = np.arctan2(z * WGS84_A, p * WGS84_B)
    for _ in range(3):
        lat = np.arctan2(
            z + _EP2 * WGS84_B * np.sin(beta) ** 3,
            p - WGS84_E2 * WGS84_A * np.cos(beta) ** 3,
        )
        beta = np.arctan2((1.0 - WGS84_F) * np.sin(lat), np.cos(lat))
    sin_lat = np.sin(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    cos_lat = np.cos(lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(
            np.abs(cos_lat) > 1e-9,
            p / np.where(cos_lat == 0, 1.0, cos_lat) - n,
            np.abs(z) - WGS84_B,
        )
    return np.degrees(lat), np.degrees(lon), h


def ellipsoid_height(r: ArrayLike) -> Array:
    """Height (m) above the WGS-84 ellipsoid of ECEF point(s), by one Bowring step.

    The single step is exact to well under a millimetre from the ground to a few thousand
    kilometres, which is all a ground-crossing search needs; it skips the longitude and the
    degree conversions of :func:`ecef_to_geodetic`.
    """
    p_ = np.asarray(r, dtype=float)
    x, y, z = p_[..., 0], p_[..., 1], p_[..., 2]
    p = np.sqrt(x * x + y * y)
    beta = np.arctan2(z * WGS84_A, p * WGS84_B)
    sb, cb = np.sin(beta), np.cos(beta)
    lat = np.arctan2(z + _EP2 * WGS84_B * sb**3, p - WGS84_E2 * WGS84_A * cb**3)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    # p·cos φ + z·sin φ − a²/N is the height on both sides of the pole without division.
    return np.asarray(p * cos_lat + z * sin_lat - WGS84_A * WGS84_A / n)


def enu_rotation(lat_deg: ArrayLike, lon_deg: ArrayLike) -> Array:
    """Rotation matrix (…, 3, 3) taking ECEF vectors to local East-North-Up at a site."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def ecef_to_enu(r: ArrayLike, origin: ArrayLike, rotation: ArrayLike) -> Array:
    """ECEF point(s) to ENU relative to ``origin`` (ECEF) with ``rotation`` from
    :func:`enu_rotation`."""
    d = np.asarray(r, dtype=float) - np.asarray(origin, dtype=float)
    return np.asarray(np.einsum("...ij,...j->...i", np.asarray(rotation, dtype=float), d))


def enu_to_ecef(enu: ArrayLike, origin: ArrayLike, rotation: ArrayLike) -> Array:
    """Inverse of :func:`ecef_to_enu`."""
    rot = np.asarray(rotation, dtype=float)
    back = np.einsum("...ji,...j->...i", rot, np.asarray(enu, dtype=float))
    return np.asarray(back + np.asarray(origin, dtype=float))


def enu_to_aer(enu: ArrayLike) -> tuple[Array, Array, Array]:
    """ENU (m) to azimuth (degrees clockwise from north), elevation (degrees), range (m)."""
    e = np.asarray(enu, dtype=float)
    east, north, up = e[..., 0], e[..., 1], e[..., 2]
    horiz = np.hypot(east, north)
    az = np.degrees(np.arctan2(east, north)) % 360.0
    el = np.degrees(np.arctan2(up, horiz))
    return az, el, np.sqrt(horiz**2 + up**2)


def aer_to_enu(az_deg: ArrayLike, el_deg: ArrayLike, range_m: ArrayLike) -> Array:
    """Azimuth, elevation (degrees) and range (m) to ENU (m)."""
    az = np.radians(np.asarray(az_deg, dtype=float))
    el = np.radians(np.asarray(el_deg, dtype=float))
    rng = np.asarray(range_m, dtype=float)
    horiz = rng * np.cos(el)
    return np.stack(
        np.broadcast_arrays(horiz * np.sin(az), horiz * np.cos(az), rng * np.sin(el)), axis=-1
    )


def ground_range(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> Array:
    """Great-circle distance (m) on the mean sphere (haversine); within 0.5 % of the
    ellipsoidal geodesic, which is far inside the spread of reported ranges."""
    p1, p2 = np.radians(np.asarray(lat1_deg, dtype=float)), np.radians(np.asarray(lat2_deg))
    dl = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2.0 * MEAN_RADIUS * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def initial_azimuth(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> Array:
    """Initial great-circle bearing (degrees clockwise from north) from point 1 to point 2."""
    p1, p2 = np.radians(np.asarray(lat1_deg, dtype=float)), np.radians(np.asarray(lat2_deg))
    dl = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0)


def destination(
    lat_deg: ArrayLike, lon_deg: ArrayLike, azimuth_deg: ArrayLike, distance_m: ArrayLike
) -> tuple[Array, Array]:
    """The point ``distance_m`` along the great circle leaving at ``azimuth_deg``."""
    p1 = np.radians(np.asarray(lat_deg, dtype=float))
    l1 = np.radians(np.asarray(lon_deg, dtype=float))
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    d = np.asarray(distance_m, dtype=float) / MEAN_RADIUS
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(az))
    l2 = l1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 540.0) % 360.0 - 180.0
