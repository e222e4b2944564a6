"""Where estimated states meet the ground, for many states at once, mean only.

The value analysis scores thousands of estimates per launch (every party, regime and
picture time), so it flies each estimate's *mean* rather than its cubature points
(:class:`~gsomia.warning.tracking.ImpactPredictor` flies 2n points per track and gives
the footprint where an ellipse is judged or drawn: :func:`footprints`). Each state is
integrated by classical Runge-Kutta through the tracker's unpowered model
(:class:`~gsomia.warning.tracking.CoastMotion`: J2 gravity, the rotating frame, drag with
the estimate's own ballistic coefficient; the tracking tests hold it equal to
:mod:`gsomia.warning.physics.dynamics`), with steps that shrink with altitude (60 s above
600 km, 10 s at 100 km, 0.5 s below 5 km), until it crosses the WGS-84 ellipsoid;
the crossing is interpolated inside the last step. The highest point passed on the way is
kept, so flying a state forwards and backwards (drag-free) gives its apogee, and backwards
its launch point. No lift is flown for the mean: a gliding or pulling-up body's point
prediction is its ballistic one; its footprint (:func:`footprints`) allows for the lift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gsomia.errors import InputError
from gsomia.warning.evaluation.consistency import Tuning
from gsomia.warning.geo.frames import ecef_to_geodetic
from gsomia.warning.tracking import (
    CoastMotion,
    GroundEstimate,
    ImpactPredictor,
    crossing_estimate,
    lift_envelope,
    runge_kutta_step,
)

__all__ = ["GroundPass", "fly_to_ground", "footprints"]

Array = NDArray[np.float64]

_MIN_STEP_S = 0.5
_MAX_STEP_S = 60.0
_STEP_PER_M = 1e-4
_TUNING = Tuning()
_FOOTPRINT = ImpactPredictor(motion=CoastMotion(), q_accel=_TUNING.q_impact)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class GroundPass:
    """Per state: ``ok`` (it reached the ground), the crossing time ``t`` (s, on the
    states' clock), ``lat_deg``, ``lon_deg``, and ``max_altitude_m`` passed on the way."""

    ok: NDArray[np.bool_]
    t: Array
    lat_deg: Array
    lon_deg: Array
    max_altitude_m: Array


def _step(altitude: Array) -> Array:
    return np.asarray(np.clip(altitude * _STEP_PER_M, _MIN_STEP_S, _MAX_STEP_S))


def fly_to_ground(
    states: Array,
    t0: Array,
    *,
    beta: Array | float = math.inf,
    backwards: bool = False,
    max_flight_s: float = 7200.0,
) -> GroundPass:
    """Fly ECEF states (N, 6) at times ``t0`` (N,) to the ground, forwards or backwards.

    ``beta`` is each state's ballistic coefficient (kg/m², ``inf`` for none); backwards
    flights are drag-free (running drag backwards through dense air is unstable).
    A state at or below the ground has landed where it is; one that has not crossed
    within ``max_flight_s`` has ``ok`` false. Raises InputError for malformed shapes.
    """
    given = np.asarray(states, dtype=float)
    if given.ndim != 2 or given.shape[1] < 6:
        raise InputError("states must have shape (N, 6)")
    n = given.shape[0]
    x = np.zeros((n, 10))
    x[:, :6] = given[:, :6]
    with np.errstate(divide="ignore"):
        x[:, 9] = 1.0 / np.broadcast_to(np.asarray(beta, dtype=float), (n,))
    motion = CoastMotion(drag=not backwards)
    sign = -1.0 if backwards else 1.0
    elapsed = np.zeros(n)
    out_t = np.full(n, math.nan)
    out_p = np.full((n, 3), math.nan)
    _, _, altitude = ecef_to_geodetic(x[:, :3])
    highest = altitude.copy()
    # A state at or below the ground has landed where it is.
    grounded = np.isfinite(altitude) & (altitude <= 0.0)
    out_t[grounded], out_p[grounded] = 0.0, x[grounded, :3]
    armed = altitude > 0.0
    active = np.isfinite(altitude) & ~grounded
    while np.any(active):
        idx = np.nonzero(active)[0]
        h = sign * _step(np.maximum(altitude[idx], 0.0))
        with np.errstate(over="ignore", invalid="ignore"):
            x_new = runge_kutta_step(motion, x[idx], h)
        _, _, alt_new = ecef_to_geodetic(x_new[:, :3])
        finite = np.isfinite(alt_new)
        crossed = armed[idx] & finite & (alt_new <= 0.0)
        if np.any(crossed):
            c = idx[crossed]
            frac = altitude[c] / (altitude[c] - alt_new[crossed])
            out_p[c] = x[c, :3] + frac[:, None] * (x_new[crossed, :3] - x[c, :3])
            out_t[c] = elapsed[c] + frac * np.abs(h[crossed])
        x[idx], altitude[idx] = x_new, alt_new
        highest[idx] = np.fmax(highest[idx], alt_new)
        elapsed[idx] += np.abs(h)
        armed[idx] |= alt_new > 0.0
        active[idx] = finite & ~crossed & (elapsed[idx] < max_flight_s)
    ok = np.isfinite(out_t)
    lat, lon, _ = ecef_to_geodetic(np.where(ok[:, None], out_p, 1.0e7))
    nan = np.full(n, math.nan)
    return GroundPass(
        ok=ok,
        t=np.where(ok, np.asarray(t0, dtype=float) + sign * out_t, nan),
        lat_deg=np.where(ok, lat, nan),
        lon_deg=np.where(ok, lon, nan),
        max_altitude_m=highest,
    )


def footprints(
    states: Array, covs: Array, t: Array, kappa: Array, kappa_var: Array | float = 0.0
) -> list[GroundEstimate | None]:
    """Predicted impacts with their 95 % footprints of N estimates: ECEF ``states`` (N, 6),
    ``covs`` (N, 6, 6) at times ``t`` (N,) with inverse ballistic coefficients ``kappa``
    (m²/kg) of variance ``kappa_var`` (the drag the estimate does not know widens it).

    One implementation with the tracker's picture: :class:`ImpactPredictor` through the
    unpowered model with drag, widened by the white acceleration the flight omits and, for
    an arc low enough for lift to matter, by the pull-ups of an unknown lift
    (:func:`~gsomia.warning.tracking.impact.lift_envelope`), with the parameters tuned on
    the consistency harness's training launches
    (:class:`~gsomia.warning.evaluation.consistency.Tuning`).
    ``None`` where some cubature point did not come down.
    """
    n = states.shape[0]
    if n == 0:
        return []
    mean = np.zeros((n, 10))
    mean[:, :6] = states
    mean[:, 9] = np.where(np.isfinite(kappa), np.clip(kappa, 0.0, None), 0.0)
    cov = np.zeros((n, 10, 10))
    cov[:, :6, :6] = covs
    cov[:, 9, 9] = np.broadcast_to(np.asarray(kappa_var, dtype=float), (n,))
    sigma = lift_envelope(mean, sigma=_TUNING.lift_sigma)
    hits = _FOOTPRINT.impact(
        mean, cov, np.asarray(t, dtype=float),
        lift_sigma=sigma, lift_mean=np.where(sigma > 0.0, _TUNING.lift_mean, 0.0),
    )  # fmt: skip
    return [crossing_estimate(hits, k) for k in range(n)]
