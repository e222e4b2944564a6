"""Physics of a flight: the kernel's forces, conservation on coast arcs, boost and re-entry."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.errors import InputError
from gsomia.warning.geo.frames import geodetic_to_ecef
from gsomia.warning.physics import _kernel
from gsomia.warning.physics.dynamics import OMEGA_EARTH, ballistic_derivative, specific_energy
from gsomia.warning.physics.flight import SEPARATION_DV_MPS, Programme, coast, fly
from gsomia.warning.scenario.missiles import missile_class


def _coast_start() -> np.ndarray:
    r = geodetic_to_ecef(39.2, 125.7, 300_000.0)
    up = r / np.linalg.norm(r)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    return np.concatenate([r, 3000.0 * up + 4000.0 * east])


def _inertial_hz(y: np.ndarray) -> np.ndarray:
    x, yy, vx, vy = y[:, 0], y[:, 1], y[:, 3], y[:, 4]
    return x * vy - yy * vx + OMEGA_EARTH * (x * x + yy * yy)


@pytest.mark.parametrize("beta", [np.inf, 2000.0])
def test_kernel_forces_agree_with_dynamics(beta: float) -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        h = rng.uniform(0.0, 900_000.0)
        r = geodetic_to_ecef(rng.uniform(-60, 60), rng.uniform(-180, 180), h)
        state = np.concatenate([r, rng.normal(0.0, 3000.0, 3)])
        ours = _kernel.derivative(0.0, tuple(state), _kernel.Forces(beta=beta))
        theirs = ballistic_derivative(state, beta)
        assert np.allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def test_coast_conserves_the_jacobi_integral_without_j2_or_drag() -> None:
    arc = coast(_coast_start(), 0.0, beta=np.inf, j2=False, drag=False)
    energy = specific_energy(arc.y)
    assert arc.end > 600.0
    assert np.max(np.abs(energy - energy[0])) < 1e-6 * abs(energy[0])


def test_coast_conserves_inertial_polar_angular_momentum_under_j2() -> None:
    arc = coast(_coast_start(), 0.0, beta=np.inf, j2=True, drag=False)
    hz = _inertial_hz(arc.y)
    assert np.max(np.abs(hz - hz[0])) < 1e-7 * abs(hz[0])
    # J2 does not conserve the rotating-frame point-mass energy: the check can fail.
    energy = specific_energy(arc.y)
    assert np.max(np.abs(energy - energy[0])) > 1e-6 * abs(energy[0])


def test_drag_removes_energy_during_reentry() -> None:
    ideal = coast(_coast_start(), 0.0, beta=np.inf, drag=False)
    draggy = coast(_coast_start(), 0.0, beta=500.0)
    assert np.linalg.norm(draggy.y[-1, 3:]) < 0.5 * np.linalg.norm(ideal.y[-1, 3:])


def test_dense_output_matches_the_integrator_knots() -> None:
    arc = coast(_coast_start(), 0.0, beta=np.inf)
    mid = 0.5 * (arc.t[:-1] + arc.t[1:])
    sampled = arc.sample(mid)
    for i in (3, len(mid) // 2):
        fine = coast(
            arc.y[i], float(arc.t[i]), beta=np.inf, t_max=float(mid[i]), stop_at_ground=False
        )
        assert np.allclose(sampled[i, :3], fine.y[-1, :3], atol=2.0)
    assert np.isnan(arc.sample(np.array([-1.0]))[0, 0])


def test_boost_stages_separate_and_burnout_is_reported() -> None:
    m = missile_class("hwasong-15")
    flight = fly(
        m,
        Programme(azimuth_deg=80.0, pitch_deg=14.0, cutoff_s=m.burn_time_s),
        lat_deg=39.224,
        lon_deg=125.67,
    )
    assert [s.stage for s in flight.separations] == [0, 1]
    assert flight.separations[0].t == pytest.approx(m.stages[0].burn_time_s)
    assert flight.burnout.t == pytest.approx(m.burn_time_s)
    assert 60.0 < flight.burnout.flight_path_deg < 90.0
    assert flight.burnout.speed_ms > 5000.0
    assert flight.apogee_m > 1_000_000.0


def test_the_spent_last_stage_leaves_with_a_separation_impulse() -> None:
    """The stage is slowed by SEPARATION_DV_MPS at cut-off, so it drifts away from the
    payload (kilometres within minutes) instead of flying as its twin."""
    m = missile_class("hwasong-12")
    flight = fly(
        m,
        Programme(azimuth_deg=80.0, pitch_deg=40.0, cutoff_s=m.burn_time_s),
        lat_deg=39.224,
        lon_deg=125.67,
    )
    last = flight.separations[-1]
    bo = flight.burnout.state
    assert np.linalg.norm(last.state[:3] - bo[:3]) == 0.0
    dv = np.linalg.norm(bo[3:6]) - np.linalg.norm(last.state[3:6])
    assert dv == pytest.approx(SEPARATION_DV_MPS, rel=1e-9)
    stage = coast(last.state, last.t, beta=300.0)
    t = last.t + 300.0
    apart = np.linalg.norm(
        stage.sample(np.array([t]))[0, :3] - flight.payload.sample(np.array([t]))[0, :3]
    )
    assert 500.0 < apart < 5_000.0


def test_lofting_raises_apogee_and_shortens_range() -> None:
    m = missile_class("hwasong-12")
    lofted, standard = (
        fly(
            m,
            Programme(azimuth_deg=90.0, pitch_deg=p, cutoff_s=m.burn_time_s),
            lat_deg=39.224,
            lon_deg=125.67,
        )
        for p in (10.0, 75.0)
    )
    assert lofted.apogee_m > 2 * standard.apogee_m
    assert lofted.range_m < 0.5 * standard.range_m


def test_pull_up_extends_the_range_of_a_low_kn23_flight() -> None:
    import dataclasses

    m = missile_class("kn-23")
    plain = dataclasses.replace(m, pull_up=None)
    prog = Programme(azimuth_deg=90.0, pitch_deg=79.0, cutoff_s=m.burn_time_s)
    with_glide = fly(m, prog, lat_deg=39.35, lon_deg=127.53)
    ballistic = fly(plain, prog, lat_deg=39.35, lon_deg=127.53)
    assert with_glide.apogee_m < 60_000.0
    assert with_glide.range_m > 1.1 * ballistic.range_m


def test_programme_outside_the_envelope_is_refused() -> None:
    m = missile_class("kn-23")
    with pytest.raises(InputError):
        fly(
            m,
            Programme(azimuth_deg=90.0, pitch_deg=40.0, cutoff_s=m.burn_time_s + 5.0),
            lat_deg=39.0,
            lon_deg=127.0,
        )
    with pytest.raises(InputError):
        fly(
            m,
            Programme(azimuth_deg=90.0, pitch_deg=95.0, cutoff_s=20.0),
            lat_deg=39.0,
            lon_deg=127.0,
        )
