"""Scalar flight kernel: the forces on one body and an adaptive Dormand-Prince integrator.

A single trajectory is a sequential recurrence over a six-element state. On arrays that small
NumPy's per-call overhead dominates (the vectorised ``dynamics.ballistic_derivative`` costs
about 0.3 ms per call), so this kernel evaluates the same forces with scalar ``math`` (about a
tenth of the cost) and hands NumPy arrays back to the callers. The forces are the ones of
:mod:`gsomia.warning.physics.dynamics` (J2 gravity, the rotating frame, drag in a co-rotating
exponential atmosphere) plus thrust along a pitch programme and an optional pull-up lift;
``tests/unit/warning/physics/test_flight.py`` checks that both agree.

Integrator: Dormand and Prince, "A family of embedded Runge-Kutta formulae", J. Comp. Appl.
Math. 6 (1980), the RK5(4)7M pair with step-size control; dense output between steps is the
quintic Hermite interpolant of position, velocity and acceleration.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

from gsomia.warning.geo.frames import WGS84_A, WGS84_B, WGS84_E2
from gsomia.warning.physics.dynamics import _ATMOSPHERE, GM, J2, OMEGA_EARTH

G0 = 9.80665
"""Standard gravity (m/s²), for specific impulse."""

_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
_W2 = OMEGA_EARTH * OMEGA_EARTH
_J2K = 1.5 * J2 * WGS84_A * WGS84_A
_ATM_BASE = [float(row[0]) * 1000.0 for row in _ATMOSPHERE]
_ATM_RHO = [float(row[1]) for row in _ATMOSPHERE]
_ATM_SCALE = [float(row[2]) * 1000.0 for row in _ATMOSPHERE]
_DRAG_CEILING_R = WGS84_B + 1.0e6
"""Above this geocentric radius the air is at most 3e-15 kg/m³: drag is skipped."""

State = tuple[float, float, float, float, float, float]


def height(x: float, y: float, z: float) -> float:
    """Geodetic height (m) of an ECEF point: Bowring's formula, one iteration."""
    p = math.hypot(x, y)
    beta = math.atan2(z * WGS84_A, p * WGS84_B)
    sb, cb = math.sin(beta), math.cos(beta)
    lat = math.atan2(z + _EP2 * WGS84_B * sb * sb * sb, p - WGS84_E2 * WGS84_A * cb * cb * cb)
    sl, cl = math.sin(lat), math.cos(lat)
    n = WGS84_A / math.sqrt(1.0 - WGS84_E2 * sl * sl)
    if abs(cl) > 1e-9:
        return p / cl - n
    return abs(z) - WGS84_B


def density(h: float) -> float:
    """Air density (kg/m³) at height ``h`` (m), as :func:`dynamics.air_density`."""
    h = max(h, 0.0)
    i = bisect_right(_ATM_BASE, h) - 1
    return _ATM_RHO[i] * math.exp(-(h - _ATM_BASE[i]) / _ATM_SCALE[i])


def smoothstep(x: float, lo: float, hi: float) -> float:
    """0 below ``lo``, 1 above ``hi``, C¹-smooth in between."""
    if x <= lo:
        return 0.0
    if x >= hi:
        return 1.0
    s = (x - lo) / (hi - lo)
    return s * s * (3.0 - 2.0 * s)


@dataclass(slots=True)
class PullUpLaw:
    """A lift law holding a shallow glide slope inside an altitude window after apogee."""

    top_m: float
    bottom_m: float
    glide_angle_rad: float
    lift_loading: float
    lift_to_drag: float
    gain: float = 0.15


@dataclass(slots=True)
class Forces:
    """What acts on the body during one integration segment.

    Thrust (when ``thrust0 > 0``) is ``thrust0 / (1 - mass_rate * (t - ignition))`` m/s².
    It points along the local radial until ``pitch_start``, then tilts linearly toward
    downrange (inside the plane with unit normal ``normal``) to ``pitch_rad`` at
    ``pitch_stop`` and holds that angle from the local radial afterwards.
    """

    beta: float = math.inf
    j2: bool = True
    drag: bool = True
    thrust0: float = 0.0
    mass_rate: float = 0.0
    ignition: float = 0.0
    normal: tuple[float, float, float] = (0.0, 0.0, 1.0)
    pitch_start: float = 0.0
    pitch_stop: float = 1.0
    pitch_rad: float = 0.0
    pull_up: PullUpLaw | None = None
    apogee_passed: bool = False


def derivative(t: float, s: State, f: Forces) -> State:
    """Time derivative of the ECEF state under the forces ``f``."""
    x, y, z, vx, vy, vz = s
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    k = -GM / (r2 * r)
    if f.j2:
        zr2 = z * z / r2
        c = _J2K / r2
        kxy = k * (1.0 + c * (1.0 - 5.0 * zr2))
        ax, ay, az = kxy * x, kxy * y, k * (1.0 + c * (3.0 - 5.0 * zr2)) * z
    else:
        ax, ay, az = k * x, k * y, k * z
    ax += 2.0 * OMEGA_EARTH * vy + _W2 * x
    ay += -2.0 * OMEGA_EARTH * vx + _W2 * y
    if f.thrust0 > 0.0:
        a = f.thrust0 / (1.0 - f.mass_rate * (t - f.ignition))
        ux, uy, uz = _thrust_direction(t, x / r, y / r, z / r, f)
        ax += a * ux
        ay += a * uy
        az += a * uz
    if r < _DRAG_CEILING_R and (f.drag or f.pull_up is not None):
        h = height(x, y, z)
        rho = density(h)
        v = math.sqrt(vx * vx + vy * vy + vz * vz)
        d = 0.5 * rho * v / f.beta if (f.drag and f.beta < math.inf) else 0.0
        if f.pull_up is not None and f.apogee_passed and v > 0.0:
            lift, extra = _pull_up(h, r, rho, v, pos=(x, y, z), vel=(vx, vy, vz), law=f.pull_up)
            ax += lift[0]
            ay += lift[1]
            az += lift[2]
            d += extra / v
        ax -= d * vx
        ay -= d * vy
        az -= d * vz
    return (vx, vy, vz, ax, ay, az)


def _thrust_direction(
    t: float, rx: float, ry: float, rz: float, f: Forces
) -> tuple[float, float, float]:
    """Unit thrust direction: pitched from the radial ``(rx, ry, rz)`` toward downrange."""
    nx, ny, nz = f.normal
    hx, hy, hz = ny * rz - nz * ry, nz * rx - nx * rz, nx * ry - ny * rx
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    frac = (t - f.pitch_start) / (f.pitch_stop - f.pitch_start)
    theta = f.pitch_rad * min(1.0, max(0.0, frac))
    c, s_ = math.cos(theta), math.sin(theta) / hn
    return (c * rx + s_ * hx, c * ry + s_ * hy, c * rz + s_ * hz)


def _pull_up(
    h: float,
    r: float,
    rho: float,
    v: float,
    *,
    pos: tuple[float, float, float],
    vel: tuple[float, float, float],
    law: PullUpLaw,
) -> tuple[tuple[float, float, float], float]:
    """Lift acceleration vector and the induced-drag deceleration of the pull-up law."""
    weight = smoothstep(h, law.bottom_m, law.bottom_m + 3000.0) * (
        1.0 - smoothstep(h, law.top_m - 3000.0, law.top_m)
    )
    if weight <= 0.0:
        return (0.0, 0.0, 0.0), 0.0
    rx, ry, rz = pos[0] / r, pos[1] / r, pos[2] / r
    sin_g = (rx * vel[0] + ry * vel[1] + rz * vel[2]) / v
    gamma = math.asin(max(-1.0, min(1.0, sin_g)))
    hold = (GM / (r * r) - v * v / r) * math.cos(gamma)
    command = hold + law.gain * v * (law.glide_angle_rad - gamma)
    lift = weight * max(0.0, min(command, 0.5 * rho * v * v / law.lift_loading))
    if lift <= 0.0:
        return (0.0, 0.0, 0.0), 0.0
    lx, ly, lz = rx - sin_g * vel[0] / v, ry - sin_g * vel[1] / v, rz - sin_g * vel[2] / v
    ln = math.sqrt(lx * lx + ly * ly + lz * lz)
    scale = lift / ln
    return (scale * lx, scale * ly, scale * lz), lift / law.lift_to_drag


# Dormand-Prince RK5(4)7M coefficients.
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_E = (
    71 / 57600,
    0.0,
    -71 / 16695,
    71 / 1920,
    -17253 / 339200,
    22 / 525,
    -1 / 40,
)


@dataclass(slots=True)
class Steps:
    """Accepted steps of one segment: times, states and derivatives at the step ends."""

    t: list[float]
    y: list[State]
    f: list[State]


_POSITION_TOL = 0.5
"""Per-step error tolerance on position (m)."""
_VELOCITY_TOL = 5e-4
"""Per-step error tolerance on velocity (m/s)."""


def _stage(y: State, dt: float, ks: list[State], row: tuple[float, ...]) -> State:
    out = list(y)
    for a, k in zip(row, ks, strict=False):
        if a != 0.0:
            c = dt * a
            for i in range(6):
                out[i] += c * k[i]
    return (out[0], out[1], out[2], out[3], out[4], out[5])


def _dp_step(
    t: float, y: State, f0: State, dt: float, forces: Forces
) -> tuple[State, State, float]:
    """One Dormand-Prince step: the new state, its derivative and the scaled error norm."""
    ks: list[State] = [f0]
    for i in range(1, 7):
        yi = _stage(y, dt, ks, _A[i])
        if i == 6:
            y_new = yi
        ks.append(derivative(t + _C[i] * dt, yi, forces))
    err = 0.0
    for i in range(6):
        e = dt * sum(_E[j] * ks[j][i] for j in range(7))
        tol = _POSITION_TOL if i < 3 else _VELOCITY_TOL
        err = max(err, abs(e) / tol)
    return y_new, ks[6], err


def integrate(
    t0: float,
    y0: State,
    t_end: float,
    forces: Forces,
    *,
    stop_below_ground: bool,
    max_step: float = 60.0,
    first_step: float = 0.5,
) -> Steps:
    """Integrate from ``t0`` to ``t_end``, or until the body goes below ground on its way down.

    When it stops at the ground, the last step ends exactly at the impact (geodetic height 0,
    found by secant iteration on the dense output).
    """
    steps = Steps(t=[t0], y=[y0], f=[derivative(t0, y0, forces)])
    t, y, f0 = t0, y0, steps.f[0]
    dt = min(first_step, t_end - t0)
    climbing = True
    while t < t_end - 1e-9:
        dt = min(dt, t_end - t, max_step)
        y_new, f_new, err = _dp_step(t, y, f0, dt, forces)
        if err > 1.0:
            dt *= max(0.2, 0.9 * err**-0.2)
            continue
        radial = y_new[0] * y_new[3] + y_new[1] * y_new[4] + y_new[2] * y_new[5]
        if climbing and radial < 0.0:
            climbing = False
            forces.apogee_passed = True
            f_new = derivative(t + dt, y_new, forces)
        t_new = t + dt
        if stop_below_ground and not climbing and height(*y_new[:3]) < 0.0:
            _append_impact(steps, (t, y, f0), (t_new, y_new, f_new), forces)
            return steps
        steps.t.append(t_new)
        steps.y.append(y_new)
        steps.f.append(f_new)
        t, y, f0 = t_new, y_new, f_new
        dt *= min(5.0, 0.9 * max(err, 1e-10) ** -0.2)
    return steps


Knot = tuple[float, State, State]
"""A step end: time, state and its derivative."""


def _append_impact(steps: Steps, left: Knot, right: Knot, forces: Forces) -> None:
    """Find the ground crossing between two step ends and append it as the final step."""
    t0, y0, _ = left
    t1, y1, _ = right
    lo, hi = t0, t1
    h_lo = height(*y0[:3])
    h_hi = height(*y1[:3])
    tc = t1
    for _ in range(40):
        tc = hi - h_hi * (hi - lo) / (h_hi - h_lo) if h_hi != h_lo else 0.5 * (lo + hi)
        tc = min(max(tc, lo + 1e-9 * (hi - lo)), hi - 1e-9 * (hi - lo))
        hc = height(*hermite(left, right, tc)[:3])
        if abs(hc) < 1e-3:
            break
        if hc > 0.0:
            lo, h_lo = tc, hc
        else:
            hi, h_hi = tc, hc
    yc = hermite(left, right, tc)
    steps.t.append(tc)
    steps.y.append(yc)
    steps.f.append(derivative(tc, yc, forces))


def hermite(left: Knot, right: Knot, t: float) -> State:
    """Quintic Hermite interpolation of position (and its derivative for velocity)."""
    t0, y0, f0 = left
    t1, y1, f1 = right
    h = t1 - t0
    s = (t - t0) / h
    s2, s3 = s * s, s * s * s
    s4, s5 = s3 * s, s3 * s2
    h0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5
    h1 = s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5
    h2 = 0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5
    h3 = 0.5 * s3 - s4 + 0.5 * s5
    h4 = -4.0 * s3 + 7.0 * s4 - 3.0 * s5
    h5 = 10.0 * s3 - 15.0 * s4 + 6.0 * s5
    d0 = (-30.0 * s2 + 60.0 * s3 - 30.0 * s4) / h
    d1 = 1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4
    d2 = (s - 4.5 * s2 + 6.0 * s3 - 2.5 * s4) * h
    d3 = (1.5 * s2 - 4.0 * s3 + 2.5 * s4) * h
    d4 = -12.0 * s2 + 28.0 * s3 - 15.0 * s4
    d5 = -d0
    hh = h * h
    pos = [
        h0 * y0[i]
        + h1 * h * f0[i]
        + h2 * hh * f0[i + 3]
        + h3 * hh * f1[i + 3]
        + h4 * h * f1[i]
        + h5 * y1[i]
        for i in range(3)
    ]
    vel = [
        d0 * y0[i] + d1 * f0[i] + d2 * f0[i + 3] + d3 * f1[i + 3] + d4 * f1[i] + d5 * y1[i]
        for i in range(3)
    ]
    return (pos[0], pos[1], pos[2], vel[0], vel[1], vel[2])
