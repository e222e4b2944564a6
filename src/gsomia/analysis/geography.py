"""The region's land and borders, and what a radar covers at a given target altitude.

The land comes from a small file the repository carries, ``analysis/data/region_map.npz``:
Natural Earth's 1:10m Admin 0 countries (public domain), clipped to 118–172 E, 24–52 N and
simplified at about 1 km by ``tools/extract_region_map.py``. Nothing is downloaded.

A radar's coverage at a target altitude is the ground range out to which a target at that
height is above the radar's 4/3-Earth horizon, above its elevation mask and inside its
maximum range (the geometry of :mod:`gsomia.warning.geo.horizon`); detection probability is
not part of it. Radars are modelled without azimuth sectors, so coverage is a circle.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
from matplotlib.path import Path
from numpy.typing import NDArray

from gsomia.warning.geo.frames import MEAN_RADIUS, destination
from gsomia.warning.geo.horizon import EFFECTIVE_RADIUS, K_FACTOR
from gsomia.warning.sensors.radar import Radar

__all__ = ["RegionMap", "coverage_radius_m", "coverage_ring", "region_map"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RegionMap:
    """Land rings (lon, lat in degrees) with each ring's ISO 3166 alpha-3 country code."""

    rings: tuple[tuple[Array, Array], ...]
    countries: tuple[str, ...]
    source: str

    def paths(self, country: str) -> tuple[Path, ...]:
        """The rings of ``country`` as matplotlib paths in (lon, lat)."""
        return tuple(
            Path(np.column_stack(ring))
            for ring, code in zip(self.rings, self.countries, strict=True)
            if code == country
        )

    def inside(self, country: str, lat_deg: Array, lon_deg: Array) -> NDArray[np.bool_]:
        """Whether each point lies on ``country``'s land."""
        points = np.column_stack([np.asarray(lon_deg, float), np.asarray(lat_deg, float)])
        hit = np.zeros(points.shape[0], dtype=bool)
        for path in self.paths(country):
            hit |= path.contains_points(points)
        return hit


@functools.cache
def region_map() -> RegionMap:
    """The region's land, loaded once from the packaged file."""
    ref = resources.files("gsomia.analysis").joinpath("data/region_map.npz")
    with ref.open("rb") as handle, np.load(handle) as data:
        lon = data["lon"].astype(float)
        lat = data["lat"].astype(float)
        start = data["start"]
        rings = tuple(
            (lon[a:b].copy(), lat[a:b].copy()) for a, b in itertools.pairwise(start.tolist())
        )
        return RegionMap(
            rings=rings,
            countries=tuple(str(c) for c in data["country"]),
            source=str(data["source"]),
        )


def coverage_radius_m(radar: Radar, altitude_m: float) -> float:
    """Ground range (m) out to which ``radar`` can see a target at ``altitude_m``.

    Geometry only: 4/3-Earth horizon, elevation mask (on the effective sphere, as the
    sensor model applies it) and maximum slant range.
    """
    r1 = EFFECTIVE_RADIUS + radar.height_m
    r2 = EFFECTIVE_RADIUS + altitude_m
    phi = np.linspace(0.0, 0.6, 6001)
    elevation = np.arctan2(r2 * np.cos(phi) - r1, r2 * np.sin(phi))
    slant = np.sqrt(r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * np.cos(phi))
    seen = (elevation >= math.radians(radar.elevation_mask_deg)) & (slant <= radar.max_range_m)
    if not np.any(seen):
        return 0.0
    last = int(np.nonzero(seen)[0].max())
    return float(phi[last] * K_FACTOR * MEAN_RADIUS)


def coverage_ring(radar: Radar, altitude_m: float, *, points: int = 181) -> tuple[Array, Array]:
    """The coverage boundary at ``altitude_m`` as (lon, lat) arrays (degrees)."""
    radius = coverage_radius_m(radar, altitude_m)
    azimuths = np.linspace(0.0, 360.0, points)
    lat, lon = destination(radar.lat_deg, radar.lon_deg, azimuths, radius)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
