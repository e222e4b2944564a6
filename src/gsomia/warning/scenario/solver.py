"""The trajectory solver: from a reported apogee, range and direction to a full flight.

Given a launch point, the bearing to the impact point, an apogee and a ground range, the
solver tunes the three knobs of a :class:`~gsomia.warning.physics.flight.Programme` (thrust-plane
azimuth, final pitch, cut-off time) by a damped Newton iteration with a finite-difference
Jacobian until the flown trajectory matches all three. The flight time, burnout state and
impact point then follow from the physics, not from the report. Without an apogee it finds
the standard (minimum-energy) trajectory for the range instead.

For comparison it also reports the flight time of a pure Kepler arc from the ground with the
same apogee and range (non-rotating spherical Earth, no boost): reported flight times are
several per cent longer than that arc, and the boost phase is what closes the gap.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.geo.frames import MEAN_RADIUS
from gsomia.warning.physics.dynamics import GM
from gsomia.warning.physics.flight import Flight, Programme, fly
from gsomia.warning.physics.vehicles import MissileClass
from gsomia.warning.scenario.missiles import missile_classes

__all__ = [
    "TrajectoryFit",
    "fit_trajectory",
    "kepler_arc",
    "max_range",
    "standard_trajectory",
]

_logger = logging.getLogger(__name__)

_APOGEE_TOL = 1e-3
_RANGE_TOL = 1e-3
_BEARING_TOL_DEG = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class KeplerArc:
    """A ballistic arc from the ground and back on a non-rotating sphere, no atmosphere."""

    speed_ms: float
    flight_path_deg: float
    flight_time_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TrajectoryFit:
    """A solved trajectory: the flight, the targets it was fitted to, and the Kepler arc."""

    flight: Flight
    target_apogee_m: float | None
    target_range_m: float
    target_bearing_deg: float
    kepler: KeplerArc | None
    iterations: int


def kepler_arc(*, apogee_m: float, range_m: float) -> KeplerArc:
    """The ground-to-ground Kepler ellipse with the given apogee and range.

    Raises :class:`~gsomia.errors.InputError` when no such ellipse exists.
    """
    r = MEAN_RADIUS
    ra = r + apogee_m
    phi = range_m / (2.0 * r)
    if apogee_m <= 0.0 or range_m <= 0.0 or phi >= math.pi / 2:
        raise InputError("apogee and range must be positive and the range under half the globe")
    e = (ra - r) / (ra - r * math.cos(phi))
    p = ra * (1.0 - e)
    a = p / (1.0 - e * e)
    speed = math.sqrt(GM * (2.0 / r - 1.0 / a))
    gamma = math.acos(min(1.0, math.sqrt(GM * p) / (r * speed)))
    nu = math.pi - phi
    big_e = 2.0 * math.atan(math.sqrt((1.0 - e) / (1.0 + e)) * math.tan(nu / 2.0))
    mean = big_e - e * math.sin(big_e)
    half = math.sqrt(a**3 / GM) * (math.pi - mean)
    return KeplerArc(speed_ms=speed, flight_path_deg=math.degrees(gamma), flight_time_s=2 * half)


def _initial_guess(
    missile: MissileClass, apogee_m: float, range_m: float, bearing_deg: float
) -> Programme:
    """A starting programme from the Kepler arc: pitch from its angle, cut-off from its speed."""
    arc = kepler_arc(apogee_m=apogee_m, range_m=range_m)
    pitch = min(85.0, max(1.0, 0.95 * (90.0 - arc.flight_path_deg)))
    need = arc.speed_ms
    t, dv = missile.vertical_rise_s, 0.0
    times = missile.stage_times()
    loss_per_s = 9.0 * math.sin(math.radians(0.5 * (90.0 + arc.flight_path_deg)))
    cutoff = missile.burn_time_s
    for stage, ign in zip(missile.stages, times, strict=False):
        for tau in np.arange(0.0, stage.burn_time_s, 0.5):
            dv = dv + 0.5 * (
                9.80665 * stage.isp_s * stage.mass_rate / (1.0 - stage.mass_rate * tau)
            )
            t = ign + tau
            if dv - loss_per_s * t >= need:
                cutoff = max(missile.vertical_rise_s + 1.0, t)
                return Programme(azimuth_deg=bearing_deg, pitch_deg=pitch, cutoff_s=cutoff)
    return Programme(azimuth_deg=bearing_deg, pitch_deg=pitch, cutoff_s=cutoff)


def _residual(
    flight: Flight, apogee_m: float | None, range_m: float, bearing_deg: float
) -> np.ndarray:
    bearing_err = (flight.impact_bearing_deg - bearing_deg + 180.0) % 360.0 - 180.0
    apogee_err = 0.0 if apogee_m is None else flight.apogee_m / apogee_m - 1.0
    return np.array([apogee_err, flight.range_m / range_m - 1.0, bearing_err / 10.0])


def _clamp(missile: MissileClass, x: np.ndarray) -> np.ndarray:
    lo = np.array([-1e9, 0.2, missile.vertical_rise_s + 1.0])
    hi = np.array([1e9, 89.5, missile.burn_time_s])
    return np.asarray(np.clip(x, lo, hi), dtype=float)


def _programme(x: np.ndarray) -> Programme:
    return Programme(azimuth_deg=float(x[0]) % 360.0, pitch_deg=float(x[1]), cutoff_s=float(x[2]))


def fit_trajectory(
    *,
    lat_deg: float,
    lon_deg: float,
    bearing_deg: float,
    apogee_m: float,
    range_m: float,
    missile: MissileClass | None = None,
    height_m: float = 0.0,
    max_iterations: int = 20,
) -> TrajectoryFit:
    """Find the flight from the launch point that reaches ``apogee_m`` and lands ``range_m``
    away on the bearing ``bearing_deg`` (degrees from north, launch point to impact).

    Without ``missile`` the least capable catalogue class that can fly it is used.
    Raises :class:`~gsomia.errors.InputError` when no class, or not the given one, can.
    """
    if missile is None:
        return _fit_any(
            lat_deg=lat_deg,
            lon_deg=lon_deg,
            bearing_deg=bearing_deg,
            apogee_m=apogee_m,
            range_m=range_m,
            height_m=height_m,
        )
    guess = _initial_guess(missile, apogee_m, range_m, bearing_deg)
    x = np.array([guess.azimuth_deg, guess.pitch_deg, guess.cutoff_s])
    steps = np.array([0.05, 0.05, 0.05])

    def flown(xv: np.ndarray) -> Flight:
        return fly(missile, _programme(xv), lat_deg=lat_deg, lon_deg=lon_deg, height_m=height_m)

    def evaluate(xv: np.ndarray) -> tuple[Flight, np.ndarray]:
        flight = flown(xv)
        return flight, _residual(flight, apogee_m, range_m, bearing_deg)

    current, res = evaluate(x)
    for iteration in range(1, max_iterations + 1):
        if _converged(res):
            return _fit(current, apogee_m, range_m, bearing_deg, iteration - 1)
        jac = np.empty((3, 3))
        for j in range(3):
            xp = x.copy()
            xp[j] += steps[j] if x[j] + steps[j] <= _clamp(missile, xp)[j] + 1e-12 else -steps[j]
            delta = xp[j] - x[j]
            jac[:, j] = (_residual(flown(xp), apogee_m, range_m, bearing_deg) - res) / delta
        try:
            dx = np.linalg.solve(jac, -res)
        except np.linalg.LinAlgError as exc:
            raise InputError("the trajectory solver met a singular Jacobian") from exc
        x, current, res = _line_search(x, dx, res, missile, evaluate)
    if _converged(res):
        return _fit(current, apogee_m, range_m, bearing_deg, max_iterations)
    raise InputError(
        f"{missile.name} cannot fly {apogee_m / 1e3:.0f} km apogee and {range_m / 1e3:.0f} km "
        f"range (closest: {current.apogee_m / 1e3:.0f} km, {current.range_m / 1e3:.0f} km)"
    )


def _converged(res: np.ndarray) -> bool:
    return bool(
        abs(res[0]) < _APOGEE_TOL
        and abs(res[1]) < _RANGE_TOL
        and abs(res[2]) * 10 < _BEARING_TOL_DEG
    )


def _line_search(
    x: np.ndarray,
    dx: np.ndarray,
    res: np.ndarray,
    missile: MissileClass,
    evaluate: Callable[[np.ndarray], tuple[Flight, np.ndarray]],
) -> tuple[np.ndarray, Flight, np.ndarray]:
    """Backtrack along the Newton step until the residual norm falls (or accept the last)."""
    norm0 = float(np.linalg.norm(res))
    scale = 1.0
    limit = np.array([20.0, 15.0, 0.25 * missile.burn_time_s])
    dx = dx * min(1.0, float(np.min(limit / np.maximum(np.abs(dx), 1e-12))))
    best: tuple[np.ndarray, Flight, np.ndarray] | None = None
    for _ in range(8):
        xn = _clamp(missile, x + scale * dx)
        try:
            fl, rn = evaluate(xn)
        except InputError:
            scale *= 0.5
            continue
        if best is None or np.linalg.norm(rn) < np.linalg.norm(best[2]):
            best = (xn, fl, rn)
        if np.linalg.norm(rn) < norm0:
            return xn, fl, rn
        scale *= 0.5
    if best is None:
        raise InputError("the trajectory solver could not find a flyable step")
    return best


def _fit(
    flight: Flight, apogee_m: float | None, range_m: float, bearing_deg: float, iterations: int
) -> TrajectoryFit:
    kepler = None if apogee_m is None else kepler_arc(apogee_m=apogee_m, range_m=range_m)
    return TrajectoryFit(
        flight=flight,
        target_apogee_m=apogee_m,
        target_range_m=range_m,
        target_bearing_deg=bearing_deg,
        kepler=kepler,
        iterations=iterations,
    )


def _fit_any(
    *,
    lat_deg: float,
    lon_deg: float,
    bearing_deg: float,
    apogee_m: float,
    range_m: float,
    height_m: float,
) -> TrajectoryFit:
    need = kepler_arc(apogee_m=apogee_m, range_m=range_m).speed_ms
    last_error: InputError | None = None
    for missile in missile_classes():
        if missile.ideal_delta_v < need or not _energetic_enough(
            missile,
            lat_deg=lat_deg,
            lon_deg=lon_deg,
            bearing_deg=bearing_deg,
            apogee_m=apogee_m,
            range_m=range_m,
        ):
            continue
        try:
            return fit_trajectory(
                lat_deg=lat_deg,
                lon_deg=lon_deg,
                bearing_deg=bearing_deg,
                apogee_m=apogee_m,
                range_m=range_m,
                missile=missile,
                height_m=height_m,
            )
        except InputError as exc:
            _logger.debug("%s cannot fly it: %s", missile.key, exc)
            last_error = exc
    raise InputError(
        f"no catalogue class flies {apogee_m / 1e3:.0f} km apogee and {range_m / 1e3:.0f} km range"
    ) from last_error


def _energetic_enough(
    missile: MissileClass,
    *,
    lat_deg: float,
    lon_deg: float,
    bearing_deg: float,
    apogee_m: float,
    range_m: float,
) -> bool:
    """Whether a full burn on the guessed pitch reaches the Kepler arc's specific energy."""
    guess = _initial_guess(missile, apogee_m, range_m, bearing_deg)
    full = Programme(
        azimuth_deg=bearing_deg, pitch_deg=guess.pitch_deg, cutoff_s=missile.burn_time_s
    )
    try:
        state = fly(missile, full, lat_deg=lat_deg, lon_deg=lon_deg).burnout.state
    except InputError:
        return True
    arc = kepler_arc(apogee_m=apogee_m, range_m=range_m)
    have = 0.5 * float(np.dot(state[3:], state[3:])) - GM / float(np.linalg.norm(state[:3]))
    need = 0.5 * arc.speed_ms**2 - GM / MEAN_RADIUS
    return have >= need


def max_range(
    missile: MissileClass, *, lat_deg: float, lon_deg: float, azimuth_deg: float
) -> Flight:
    """The longest flight of a full burn, over the pitch programme (golden-section search)."""

    def flown(pitch: float) -> Flight:
        return fly(
            missile,
            Programme(azimuth_deg=azimuth_deg, pitch_deg=pitch, cutoff_s=missile.burn_time_s),
            lat_deg=lat_deg,
            lon_deg=lon_deg,
        )

    lo, hi = 20.0, 89.5
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = flown(a), flown(b)
    for _ in range(22):
        if fa.range_m > fb.range_m:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = flown(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = flown(b)
    return fa if fa.range_m > fb.range_m else fb


def standard_trajectory(
    *, lat_deg: float, lon_deg: float, bearing_deg: float, range_m: float, missile: MissileClass
) -> TrajectoryFit:
    """The minimum-energy trajectory of ``missile`` for ``range_m``: the earliest cut-off
    that reaches the range, over the pitch programme.

    Raises :class:`~gsomia.errors.InputError` when the range is beyond the class.
    """
    best: TrajectoryFit | None = None
    for apogee_ratio in np.linspace(0.15, 0.45, 7):
        try:
            fit = fit_trajectory(
                lat_deg=lat_deg,
                lon_deg=lon_deg,
                bearing_deg=bearing_deg,
                apogee_m=range_m * float(apogee_ratio),
                range_m=range_m,
                missile=missile,
            )
        except InputError:
            continue
        if best is None or fit.flight.programme.cutoff_s < best.flight.programme.cutoff_s:
            best = fit
    if best is None:
        raise InputError(f"{missile.name} cannot reach {range_m / 1e3:.0f} km")
    return TrajectoryFit(
        flight=best.flight,
        target_apogee_m=None,
        target_range_m=range_m,
        target_bearing_deg=bearing_deg,
        kepler=None,
        iterations=best.iterations,
    )
