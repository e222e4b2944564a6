"""Invariants of the warning physics, checked on generated inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.warning.geo.frames import destination, geodetic_to_ecef
from gsomia.warning.geo.horizon import line_of_sight, min_visible_altitude
from gsomia.warning.physics.dynamics import specific_energy
from gsomia.warning.physics.flight import coast

heights = st.floats(min_value=0.0, max_value=1500.0)
ranges = st.floats(min_value=1_000.0, max_value=2_500_000.0)


@given(heights, ranges, ranges)
def test_min_visible_altitude_grows_with_ground_range(h: float, d1: float, d2: float) -> None:
    lo, hi = sorted((d1, d2))
    assert float(min_visible_altitude(h, lo)) <= float(min_visible_altitude(h, hi)) + 1e-6


@given(
    st.floats(min_value=-60.0, max_value=60.0),
    st.floats(min_value=-180.0, max_value=180.0),
    heights,
    st.floats(min_value=0.0, max_value=360.0),
    st.floats(min_value=50_000.0, max_value=2_000_000.0),
)
def test_line_of_sight_agrees_with_min_visible_altitude(
    lat: float, lon: float, h: float, az: float, d: float
) -> None:
    site = geodetic_to_ecef(lat, lon, h)
    tlat, tlon = destination(lat, lon, az, d)
    limit = float(min_visible_altitude(h, d))
    margin = 0.02 * limit + 300.0
    assert bool(line_of_sight(site, geodetic_to_ecef(tlat, tlon, limit + margin)))
    if limit > margin:
        assert not bool(line_of_sight(site, geodetic_to_ecef(tlat, tlon, limit - margin)))


@settings(max_examples=15, deadline=None)
@given(
    st.floats(min_value=-50.0, max_value=50.0),
    st.floats(min_value=100_000.0, max_value=1_500_000.0),
    st.floats(min_value=500.0, max_value=5000.0),
    st.floats(min_value=0.0, max_value=6.28),
)
def test_drag_free_coast_conserves_the_jacobi_integral(
    lat: float, h: float, speed: float, heading: float
) -> None:
    r = geodetic_to_ecef(lat, 130.0, h)
    up = r / np.linalg.norm(r)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    v = speed * (0.6 * up + 0.8 * (np.cos(heading) * north + np.sin(heading) * east))
    arc = coast(np.concatenate([r, v]), 0.0, beta=np.inf, j2=False, drag=False, t_max=3000.0)
    energy = specific_energy(arc.y)
    assert np.max(np.abs(energy - energy[0])) < 1e-6 * abs(energy[0])
