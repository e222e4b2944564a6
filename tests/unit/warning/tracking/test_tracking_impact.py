"""Impact and launch points: against dense integration, Monte Carlo, and known ellipses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gsomia.warning.evaluation.synthetic import coast_truth, initial_state
from gsomia.warning.geo.frames import enu_rotation, geodetic_to_ecef, ground_range
from gsomia.warning.tracking import BallisticMotion, CoastMotion, GroundEstimate, ImpactPredictor
from gsomia.warning.tracking.impact import drag_free
from tests.support.tracking import midcourse_start, truth_impact

TINY = np.diag([1e-6] * 6)


def test_impact_of_a_sharp_state_matches_dense_integration() -> None:
    x = midcourse_start()
    t_hit, lat, lon = truth_impact(x)
    crossing = ImpactPredictor(motion=BallisticMotion()).impact(
        x[None], TINY[None], np.array([7.0])
    )
    assert crossing.ok[0]
    assert ground_range(crossing.lat_deg[0], crossing.lon_deg[0], lat, lon) < 5.0
    assert crossing.t[0] == pytest.approx(7.0 + t_hit, abs=0.02)
    assert crossing.t_sigma[0] < 1e-3


def test_impact_with_drag_matches_dense_integration() -> None:
    x = midcourse_start()
    t_hit, lat, lon = truth_impact(x, beta=1500.0, step=0.2)
    crossing = ImpactPredictor(motion=BallisticMotion(beta=1500.0)).impact(
        x[None], TINY[None], np.zeros(1)
    )
    # The filter flies its own one-exponential atmosphere, the truth the layered table:
    # the two impacts differ by about 80 m at a known beta.
    assert ground_range(crossing.lat_deg[0], crossing.lon_deg[0], lat, lon) < 150.0
    assert crossing.t[0] == pytest.approx(t_hit, abs=0.5)


def test_impact_uncertainty_matches_monte_carlo() -> None:
    """Cubature ellipse and time spread against 400 sampled states flown one by one."""
    x = midcourse_start()
    cov = np.diag([200.0**2] * 3 + [8.0**2] * 3)
    predictor = ImpactPredictor(motion=BallisticMotion())
    ours = predictor.impact(x[None], cov[None], np.zeros(1))
    samples = np.random.default_rng(1).multivariate_normal(x, cov, size=400)
    mc = predictor.impact(samples, np.repeat(TINY[None], 400, 0), np.zeros(400))
    assert mc.ok.all()
    origin = geodetic_to_ecef(ours.lat_deg[0], ours.lon_deg[0], 0.0)
    rot = enu_rotation(ours.lat_deg[0], ours.lon_deg[0])
    points = geodetic_to_ecef(mc.lat_deg, mc.lon_deg, np.zeros(400))
    enu = ((points - origin) @ rot.T)[:, :2]
    sample_cov = np.cov(enu.T)
    ratio = np.trace(ours.enu_cov[0]) / np.trace(sample_cov)
    assert 0.85 < ratio < 1.15
    offset = np.mean(enu, axis=0)
    assert float(offset @ np.linalg.solve(ours.enu_cov[0], offset)) < (3.0**2) / 400 * 4
    assert ours.t_sigma[0] == pytest.approx(np.std(mc.t), rel=0.15)


def test_back_propagation_finds_the_start_of_a_ballistic_arc() -> None:
    start = initial_state(
        lat_deg=39.0,
        lon_deg=125.5,
        h_m=0.0,
        speed_mps=2500.0,
        azimuth_deg=90.0,
        flight_path_deg=45.0,
    )
    times = np.array([0.0, 120.0])
    later = coast_truth(start, times, step_s=0.25)[-1, 0]
    crossing = ImpactPredictor(motion=BallisticMotion()).launch(
        later[None], TINY[None], np.array([120.0])
    )
    assert crossing.ok[0]
    assert ground_range(crossing.lat_deg[0], crossing.lon_deg[0], 39.0, 125.5) < 20.0
    assert crossing.t[0] == pytest.approx(0.0, abs=0.05)


def test_launch_back_propagation_leaves_drag_out() -> None:
    assert drag_free(BallisticMotion(beta=100.0)) == BallisticMotion()
    assert drag_free(CoastMotion()).drag is False


def test_a_state_that_never_comes_down_has_no_impact() -> None:
    escape = initial_state(
        lat_deg=0.0,
        lon_deg=0.0,
        h_m=500e3,
        speed_mps=12000.0,
        azimuth_deg=90.0,
        flight_path_deg=30.0,
    )
    crossing = ImpactPredictor(motion=BallisticMotion(), max_flight_s=600.0).impact(
        escape[None], TINY[None], np.zeros(1)
    )
    assert not crossing.ok[0]
    assert math.isnan(crossing.lat_deg[0])


@pytest.mark.parametrize(
    ("cov", "major", "minor", "orientation"),
    [
        (((100.0**2, 0.0), (0.0, 400.0**2)), 400.0, 100.0, 0.0),
        (((400.0**2, 0.0), (0.0, 100.0**2)), 400.0, 100.0, 90.0),
        (((5.0, 3.0), (3.0, 5.0)), math.sqrt(8.0), math.sqrt(2.0), 45.0),
    ],
)
def test_ellipse_axes_and_orientation(
    cov: tuple[tuple[float, float], tuple[float, float]],
    major: float,
    minor: float,
    orientation: float,
) -> None:
    point = GroundEstimate(t=0.0, t_sigma_s=1.0, lat_deg=0.0, lon_deg=0.0, enu_cov=cov)
    k = math.sqrt(-2.0 * math.log(0.05))
    assert point.semi_major_m == pytest.approx(k * major)
    assert point.semi_minor_m == pytest.approx(k * minor)
    assert point.orientation_deg == pytest.approx(orientation)
