"""Flying one missile: boost along a pitch programme, ballistic coast, re-entry with drag.

The boost is a point mass with constant thrust and linearly falling mass per stage (stages
burn back to back): a vertical rise, then a pitch programme that tilts the thrust linearly
from the local vertical to ``pitch_deg`` over the class's pitch-over time and holds it there
until cut-off, inside the plane through the Earth's centre that leaves the launch site at
``azimuth_deg``. A small pitch gives a lofted trajectory, a large one a standard or
depressed one. After cut-off the payload (and each
spent stage, from its separation) coasts under J2 gravity, the rotating frame and drag in a
co-rotating atmosphere, until it reaches the ground. All of it is integrated in ECEF, so
Earth rotation (Coriolis and centrifugal terms) is in the motion, not a correction to it.
The modelling choices are argued in docs/assumptions.md.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gsomia.errors import InputError
from gsomia.warning.geo.frames import (
    ecef_to_geodetic,
    enu_rotation,
    geodetic_to_ecef,
    ground_range,
    initial_azimuth,
)
from gsomia.warning.physics import _kernel
from gsomia.warning.physics.vehicles import MissileClass

__all__ = [
    "SEPARATION_DV_MPS",
    "Arc",
    "Burnout",
    "Flight",
    "Programme",
    "Separation",
    "coast",
    "fly",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Programme:
    """The steering of one launch: the three numbers the trajectory solver tunes.

    ``azimuth_deg`` is the azimuth of the thrust plane at the launch site, ``pitch_deg`` the
    thrust's final tilt from the local vertical, ``cutoff_s`` the end of powered flight (at
    most the class's total burn time).
    """

    azimuth_deg: float
    pitch_deg: float
    cutoff_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Arc:
    """The flown path of one body as integrator knots; :meth:`sample` interpolates it.

    ``t`` (m,), ``y`` (m, 6) ECEF states and ``f`` (m, 6) their time derivatives. A time may
    repeat where the forces change (a stage boundary); each side keeps its own derivative.
    """

    t: Array
    y: Array
    f: Array

    def __post_init__(self) -> None:
        # Flights are cached and shared between scenarios: their knots must not change.
        for array in (self.t, self.y, self.f):
            array.flags.writeable = False

    @property
    def start(self) -> float:
        """First time (s)."""
        return float(self.t[0])

    @property
    def end(self) -> float:
        """Last time (s): the impact, for a finished flight."""
        return float(self.t[-1])

    def sample(self, times: Array) -> Array:
        """ECEF states (n, 6) at ``times`` by quintic Hermite interpolation; NaN outside."""
        tq = np.asarray(times, dtype=float)
        out = np.full((tq.size, 6), np.nan)
        inside = (tq >= self.t[0]) & (tq <= self.t[-1])
        if not np.any(inside):
            return out
        tt = tq[inside]
        i = np.clip(np.searchsorted(self.t, tt, side="right") - 1, 0, self.t.size - 2)
        out[inside] = _hermite(self, i, tt)
        return out


def _hermite(arc: Arc, i: NDArray[np.intp], t: Array) -> Array:
    """Quintic Hermite interpolation between knots ``i`` and ``i + 1`` of ``arc``."""
    t0, y0, f0 = arc.t[i], arc.y[i], arc.f[i]
    t1, y1, f1 = arc.t[i + 1], arc.y[i + 1], arc.f[i + 1]
    h = t1 - t0
    safe = np.where(h > 0.0, h, 1.0)
    s = np.where(h > 0.0, (t - t0) / safe, 0.0)[:, None]
    hh = safe[:, None]
    s2, s3 = s * s, s * s * s
    s4, s5 = s3 * s, s3 * s2
    p0, v0, a0 = y0[:, :3], f0[:, :3], f0[:, 3:]
    p1, v1, a1 = y1[:, :3], f1[:, :3], f1[:, 3:]
    pos = (
        (1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5) * p0
        + (s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5) * hh * v0
        + (0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5) * hh * hh * a0
        + (0.5 * s3 - s4 + 0.5 * s5) * hh * hh * a1
        + (-4.0 * s3 + 7.0 * s4 - 3.0 * s5) * hh * v1
        + (10.0 * s3 - 15.0 * s4 + 6.0 * s5) * p1
    )
    d0 = (-30.0 * s2 + 60.0 * s3 - 30.0 * s4) / hh
    vel = (
        d0 * (p0 - p1)
        + (1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4) * v0
        + (s - 4.5 * s2 + 6.0 * s3 - 2.5 * s4) * hh * a0
        + (1.5 * s2 - 4.0 * s3 + 2.5 * s4) * hh * a1
        + (-12.0 * s2 + 28.0 * s3 - 15.0 * s4) * v1
    )
    return np.concatenate([pos, vel], axis=-1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Separation:
    """A spent stage leaving the stack: which stage, when, and the stack's state then."""

    stage: int
    t: float
    state: Array


@dataclass(frozen=True, slots=True, kw_only=True)
class Burnout:
    """The end of powered flight: time (s), geodetic altitude (m), Earth-relative speed (m/s),
    flight-path angle above the local horizontal (degrees) and the ECEF state."""

    t: float
    altitude_m: float
    speed_ms: float
    flight_path_deg: float
    state: Array


@dataclass(frozen=True, slots=True, kw_only=True)
class Flight:
    """One missile's flight from launch to impact (times in seconds after launch)."""

    missile: MissileClass
    programme: Programme
    launch_lat_deg: float
    launch_lon_deg: float
    launch_height_m: float
    payload: Arc
    burnout: Burnout
    separations: tuple[Separation, ...]
    apogee_t: float
    apogee_m: float
    impact_lat_deg: float
    impact_lon_deg: float
    range_m: float
    impact_bearing_deg: float
    max_speed_ms: float = field(default=0.0)

    @property
    def flight_time_s(self) -> float:
        """Launch to impact (s)."""
        return self.payload.end


def _plane_normal(lat_deg: float, lon_deg: float, azimuth_deg: float) -> tuple[float, float, float]:
    rot = enu_rotation(lat_deg, lon_deg)
    up = rot[2]
    az = math.radians(azimuth_deg)
    heading = math.sin(az) * rot[0] + math.cos(az) * rot[1]
    n = np.cross(up, heading)
    n = n / np.linalg.norm(n)
    return (float(n[0]), float(n[1]), float(n[2]))


def _segments(missile: MissileClass, cutoff_s: float) -> list[tuple[int, float, float]]:
    """(stage index, start, end) of each powered segment up to cut-off."""
    times = missile.stage_times()
    pitch_end = missile.vertical_rise_s + missile.pitch_over_s
    cuts = sorted({*times, missile.vertical_rise_s, pitch_end, cutoff_s})
    out = []
    for a, b in itertools.pairwise(cuts):
        if b <= cutoff_s + 1e-9 and b > a:
            stage = max(i for i, t in enumerate(times[:-1]) if t <= a + 1e-9)
            out.append((stage, a, b))
    return out


def _powered(
    missile: MissileClass,
    programme: Programme,
    y0: _kernel.State,
    normal: tuple[float, float, float],
) -> tuple[list[_kernel.Steps], list[Separation]]:
    times = missile.stage_times()
    parts: list[_kernel.Steps] = []
    separations: list[Separation] = []
    y = y0
    for stage_index, a, b in _segments(missile, programme.cutoff_s):
        stage = missile.stages[stage_index]
        forces = _kernel.Forces(
            beta=missile.boost_beta,
            thrust0=_kernel.G0 * stage.thrust_to_weight,
            mass_rate=stage.mass_rate,
            ignition=times[stage_index],
            normal=normal,
            pitch_start=missile.vertical_rise_s,
            pitch_stop=missile.vertical_rise_s + missile.pitch_over_s,
            pitch_rad=math.radians(programme.pitch_deg),
        )
        steps = _kernel.integrate(a, y, b, forces, stop_below_ground=False, max_step=5.0)
        parts.append(steps)
        y = steps.y[-1]
        is_stage_end = abs(b - times[stage_index + 1]) < 1e-9
        if is_stage_end and b < programme.cutoff_s - 1e-9:
            separations.append(Separation(stage=stage_index, t=b, state=np.array(y)))
    return parts, separations


def _join(parts: list[_kernel.Steps]) -> Arc:
    t = np.concatenate([np.asarray(p.t) for p in parts])
    y = np.concatenate([np.asarray(p.y) for p in parts])
    f = np.concatenate([np.asarray(p.f) for p in parts])
    return Arc(t=t, y=y, f=f)


def coast(
    state: Array,
    t0: float,
    *,
    beta: float,
    t_max: float = 20_000.0,
    j2: bool = True,
    drag: bool = True,
    pull_up: _kernel.PullUpLaw | None = None,
    stop_at_ground: bool = True,
) -> Arc:
    """Unpowered flight of one body from ``state`` at ``t0`` until impact (or ``t_max``).

    ``beta`` is the ballistic coefficient m / (C_d A) in kg/m² (``inf`` for no drag).
    """
    s = [float(v) for v in np.asarray(state, dtype=float)[:6]]
    y0: _kernel.State = (s[0], s[1], s[2], s[3], s[4], s[5])
    forces = _kernel.Forces(beta=beta, j2=j2, drag=drag, pull_up=pull_up)
    steps = _kernel.integrate(t0, y0, t_max, forces, stop_below_ground=stop_at_ground)
    return _join([steps])


def fly(
    missile: MissileClass,
    programme: Programme,
    *,
    lat_deg: float,
    lon_deg: float,
    height_m: float = 0.0,
) -> Flight:
    """Fly ``missile`` from a launch point under ``programme`` to impact.

    Raises :class:`~gsomia.errors.InputError` when the programme is outside the class's
    envelope (cut-off beyond the total burn, or a pitch outside 0 to 90 degrees) or when the
    payload never comes down.
    """
    _check(missile, programme)
    r0 = geodetic_to_ecef(lat_deg, lon_deg, height_m)
    y0: _kernel.State = (float(r0[0]), float(r0[1]), float(r0[2]), 0.0, 0.0, 0.0)
    normal = _plane_normal(lat_deg, lon_deg, programme.azimuth_deg)
    parts, separations = _powered(missile, programme, y0, normal)
    bo_state = np.array(parts[-1].y[-1])
    if missile.separates:
        last = max(i for i, t in enumerate(missile.stage_times()[:-1]) if t < programme.cutoff_s)
        separations.append(Separation(stage=last, t=programme.cutoff_s, state=_retro(bo_state)))
    law = _pull_up_law(missile)
    ballistic = coast(bo_state, programme.cutoff_s, beta=missile.payload_beta, pull_up=law)
    if not _landed(ballistic):
        raise InputError("the payload does not come down within the time limit")
    powered = _join(parts)
    payload = Arc(
        t=np.concatenate([powered.t, ballistic.t]),
        y=np.concatenate([powered.y, ballistic.y]),
        f=np.concatenate([powered.f, ballistic.f]),
    )
    return _summarise(missile, programme, (lat_deg, lon_deg, height_m), payload, separations)


SEPARATION_DV_MPS = 3.0
"""Speed (m/s) the spent last stage loses to the separation impulse at cut-off."""


def _retro(state: Array) -> Array:
    """The stack's state at cut-off as the spent stage leaves it: slowed along the velocity
    by :data:`SEPARATION_DV_MPS` (a separation impulse or retro motor pushes the stage back;
    without one it would fly within metres of the payload for the whole mid-course, the
    twin of the warhead that no radar separates)."""
    out = np.array(state, dtype=float)
    v = out[3:6]
    speed = float(np.linalg.norm(v))
    if speed > 0.0:
        out[3:6] = v * (1.0 - SEPARATION_DV_MPS / speed)
    return out


def _check(missile: MissileClass, programme: Programme) -> None:
    earliest = missile.vertical_rise_s
    if not earliest < programme.cutoff_s <= missile.burn_time_s + 1e-9:
        raise InputError(
            f"cut-off {programme.cutoff_s:.1f} s outside ({earliest}, "
            f"{missile.burn_time_s}] s for {missile.name}"
        )
    if not 0.0 <= programme.pitch_deg < 90.0:
        raise InputError(f"pitch {programme.pitch_deg} degrees outside [0, 90)")


def _landed(arc: Arc) -> bool:
    _, _, h = ecef_to_geodetic(arc.y[-1, :3])
    return bool(abs(float(h)) < 1.0)


def _pull_up_law(missile: MissileClass) -> _kernel.PullUpLaw | None:
    p = missile.pull_up
    if p is None:
        return None
    return _kernel.PullUpLaw(
        top_m=p.top_m,
        bottom_m=p.bottom_m,
        glide_angle_rad=math.radians(p.glide_angle_deg),
        lift_loading=p.lift_loading,
        lift_to_drag=p.lift_to_drag,
    )


def _summarise(
    missile: MissileClass,
    programme: Programme,
    launch: tuple[float, float, float],
    payload: Arc,
    separations: list[Separation],
) -> Flight:
    lat0, lon0, h0 = launch
    apogee_t, apogee_m = _apogee(payload)
    lat1, lon1, _ = ecef_to_geodetic(payload.y[-1, :3])
    bo = _burnout(payload, programme.cutoff_s)
    speeds = np.linalg.norm(payload.y[:, 3:], axis=-1)
    return Flight(
        missile=missile,
        programme=programme,
        launch_lat_deg=lat0,
        launch_lon_deg=lon0,
        launch_height_m=h0,
        payload=payload,
        burnout=bo,
        separations=tuple(separations),
        apogee_t=apogee_t,
        apogee_m=apogee_m,
        impact_lat_deg=float(lat1),
        impact_lon_deg=float(lon1),
        range_m=float(ground_range(lat0, lon0, lat1, lon1)),
        impact_bearing_deg=float(initial_azimuth(lat0, lon0, lat1, lon1)),
        max_speed_ms=float(np.max(speeds)),
    )


def _burnout(payload: Arc, t_bo: float) -> Burnout:
    i = int(np.searchsorted(payload.t, t_bo, side="left"))
    state = payload.y[i]
    lat, lon, h = ecef_to_geodetic(state[:3])
    up = enu_rotation(lat, lon)[2]
    v = state[3:]
    speed = float(np.linalg.norm(v))
    gamma = math.degrees(math.asin(float(np.dot(up, v)) / speed)) if speed > 0 else 90.0
    return Burnout(
        t=float(payload.t[i]),
        altitude_m=float(h),
        speed_ms=speed,
        flight_path_deg=gamma,
        state=state.copy(),
    )


def _apogee(arc: Arc) -> tuple[float, float]:
    """Time and geodetic altitude of the highest point, refined on the dense output."""
    _, _, h = ecef_to_geodetic(arc.y[:, :3])
    k = int(np.argmax(h))
    lo = float(arc.t[max(k - 1, 0)])
    hi = float(arc.t[min(k + 1, arc.t.size - 1)])
    fine = np.linspace(lo, hi, 241)
    _, _, hf = ecef_to_geodetic(arc.sample(fine)[:, :3])
    j = int(np.nanargmax(hf))
    return float(fine[j]), float(hf[j])
