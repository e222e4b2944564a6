"""The 4/3-Earth radar horizon reproduces the worked values of spec §4.1."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.warning.geo.frames import destination, geodetic_to_ecef
from gsomia.warning.geo.horizon import (
    apparent_elevation,
    horizon_distance,
    horizon_distance_approx,
    line_of_sight,
    min_visible_altitude,
)


@pytest.mark.parametrize(
    ("height_m", "spec_km"), [(10, 13.0), (30, 22.6), (400, 82.0), (680, 107.0)]
)
def test_antenna_horizon_matches_spec(height_m: float, spec_km: float) -> None:
    assert float(horizon_distance(height_m)) / 1e3 == pytest.approx(spec_km, rel=0.01)


@pytest.mark.parametrize(
    ("height_km", "spec_km"), [(20, 583), (50, 922), (60, 1010), (100, 1303), (300, 2258)]
)
def test_target_horizon_term_matches_spec(height_km: float, spec_km: float) -> None:
    # The spec's values use the small-height form; exact geometry departs from it only as
    # the height grows (1.5 % at 300 km), as spec §4.1 warns.
    assert float(horizon_distance_approx(height_km * 1e3)) / 1e3 == pytest.approx(spec_km, abs=1)
    exact = float(horizon_distance(height_km * 1e3)) / 1e3
    assert exact == pytest.approx(spec_km, rel=0.016)
    assert exact < spec_km


@pytest.mark.parametrize(
    ("ground_km", "spec_km"), [(500, 10.0), (800, 30.0), (1000, 50.0), (1200, 74.0)]
)
def test_min_visible_altitude_from_400_m(ground_km: float, spec_km: float) -> None:
    got = float(min_visible_altitude(400.0, ground_km * 1e3)) / 1e3
    assert got == pytest.approx(spec_km, rel=0.05, abs=0.5)


def test_line_of_sight_flips_at_the_min_visible_altitude() -> None:
    site = geodetic_to_ecef(31.6, 129.7, 400.0)
    lat, lon = destination(31.6, 129.7, 10.0, 1_000_000.0)
    limit = float(min_visible_altitude(400.0, 1_000_000.0))
    below = geodetic_to_ecef(lat, lon, limit - 500.0)
    above = geodetic_to_ecef(lat, lon, limit + 500.0)
    assert not bool(line_of_sight(site, below))
    assert bool(line_of_sight(site, above))


def test_apparent_elevation_is_negative_at_the_horizon_and_vertical_overhead() -> None:
    site = geodetic_to_ecef(36.0, 128.2, 680.0)
    overhead = geodetic_to_ecef(36.0, 128.2, 100_000.0)
    # Elevation on the effective sphere is taken from the geocentric vertical, which differs
    # from the geodetic one by under 0.2 degrees.
    assert float(apparent_elevation(site, overhead)) == pytest.approx(np.pi / 2, abs=4e-3)
    lat, lon = destination(36.0, 128.2, 0.0, 600_000.0)
    limit = float(min_visible_altitude(680.0, 600_000.0))
    at_limit = geodetic_to_ecef(lat, lon, limit)
    assert float(apparent_elevation(site, at_limit)) < 0.0
