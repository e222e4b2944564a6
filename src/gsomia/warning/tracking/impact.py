"""Where and when a track meets the ground: impact prediction and launch back-propagation.

Each track's Gaussian is represented by the 2n cubature points ``x ± √n Lᵢ`` (equal
weights; Arasaratnam & Haykin, IEEE Trans. AC 54(6), 2009). Every point is flown through
the unpowered motion model, forwards to impact or backwards to launch, until it crosses
the WGS-84 ellipsoid (height 0); the crossing inside the last step is found by bisection
on the cubic Hermite interpolant of that step. The spread of the crossing points about
their mean, in the local East-North plane, gives the 2×2 covariance of the ground point;
the spread of the crossing times gives the time's. Step lengths shrink with altitude, from
10 s in vacuum to 0.5 s near the ground.

What the model omits widens the footprint in two ways. ``lift_sigma`` (m²/kg, per track)
is the spread of an unknown lift-to-mass coefficient ``c`` (the inverse of a lift loading
``m / (C_L A)``): three more cubature dimensions carry ``c``, and each point flies with
the lift ``½ρv² c⊥`` (the part of ``c`` across the velocity, at most ``max_lift``, 2 g)
and the drag it induces (``lift_to_drag``, 3), so a missile that can pull up gets the
footprint of its pull-ups rather than the ellipse of a ballistic fall.
``q_accel`` (m²/s³) is white acceleration noise over the remaining flight time ``T``: it
adds ``q T³/3`` per horizontal axis. :func:`lift_envelope` gives ``lift_sigma`` to tracks
whose arc stays low enough for lift to matter.

Back-propagation gives the start of the ballistic arc through the present state, flown
without drag (running drag backwards through dense air is unstable). After burnout it
lies downrange of the true launch point by roughly the boost's ground track (tens of km
for a short-range missile): an estimate to prefer a satellite cue over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from gsomia.errors import InputError
from gsomia.warning.geo.frames import (
    ecef_to_geodetic,
    ellipsoid_height,
    enu_rotation,
    geodetic_to_ecef,
)
from gsomia.warning.physics.dynamics import GM, OMEGA_EARTH
from gsomia.warning.tracking._linalg import Array, sqrt_psd
from gsomia.warning.tracking.models import (
    BallisticMotion,
    CoastMotion,
    Flow,
    MotionModel,
    filter_air_density,
    runge_kutta_step,
)

__all__ = ["GroundCrossing", "ImpactPredictor", "drag_free", "keplerian_apogee", "lift_envelope"]

_MEAN_EARTH_RADIUS_M = 6_371_000.0

#: Regula-falsi steps of the crossing search (heights converge to well under a metre).
_CROSSING_STEPS = 12


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class GroundCrossing:
    """Ground crossings of N tracks: ``ok`` (N,) whether every cubature point crossed;
    ``t`` and ``t_sigma`` (s); ``lat_deg``, ``lon_deg``; ``enu_cov`` (N, 2, 2) in m²."""

    ok: Array
    t: Array
    t_sigma: Array
    lat_deg: Array
    lon_deg: Array
    enu_cov: Array


def _altitude(x: Array) -> Array:
    return ellipsoid_height(x[:, :3])


def _step_length(altitude: Array, *, drag: bool = True) -> Array:
    """Step lengths: short near the ground where drag acts; without drag the field is
    smooth and RK4 keeps metre accuracy with steps up to a minute."""
    if drag:
        return np.clip(altitude / 1000.0 * 0.05, 0.5, 10.0)
    return np.clip(altitude / 1000.0 * 0.1, 1.0, 60.0)


@dataclass(frozen=True, slots=True)
class _Lifted:
    """A motion model's states with three more: a lift-to-mass coefficient (m²/kg) whose
    part across the velocity, times the dynamic pressure, adds to the acceleration, capped
    at ``max_lift`` (m/s²); lift costs drag at ``lift_to_drag``."""

    motion: MotionModel
    max_lift: float
    lift_to_drag: float

    def derivative(self, x: Array) -> Array:
        n = self.motion.ndim
        base = self.motion.derivative(x[:, :n])
        r, v, c = x[:, :3], x[:, 3:6], x[:, n:]
        speed = np.maximum(np.linalg.norm(v, axis=-1), 1e-9)
        along = v / speed[:, None]
        across = c - np.einsum("ni,ni->n", c, along)[:, None] * along
        q = 0.5 * filter_air_density(ellipsoid_height(r)) * speed * speed
        lift = q[:, None] * across
        size = np.maximum(np.linalg.norm(lift, axis=-1), 1e-12)
        scale = np.minimum(1.0, self.max_lift / size)
        base[:, 3:6] += lift * scale[:, None]
        base[:, 3:6] -= (size * scale / self.lift_to_drag)[:, None] * along
        return np.concatenate([base, np.zeros_like(c)], axis=-1)


def keplerian_apogee(mean: Array) -> Array:
    """Apogee altitude (m above a mean-radius Earth) of the two-body orbit through each
    state (N, >= 6) in ECEF; ``inf`` for an unbound one."""
    r, v = mean[:, :3], mean[:, 3:6]
    v_inertial = v + np.cross(np.array([0.0, 0.0, OMEGA_EARTH]), r)
    rn = np.linalg.norm(r, axis=-1)
    energy = 0.5 * np.einsum("ni,ni->n", v_inertial, v_inertial) - GM / rn
    h = np.linalg.norm(np.cross(r, v_inertial), axis=-1)
    bound = energy < 0.0
    safe = np.where(bound, energy, -1.0)
    a = -GM / (2.0 * safe)
    e = np.sqrt(np.maximum(1.0 + 2.0 * safe * h * h / (GM * GM), 0.0))
    return np.where(bound, a * (1.0 + e) - _MEAN_EARTH_RADIUS_M, math.inf)


def lift_envelope(mean: ArrayLike, *, sigma: float, below_m: float = 150_000.0) -> Array:
    """``lift_sigma`` per track: ``sigma`` where the arc through the state peaks below
    ``below_m`` (a depressed, quasi-ballistic flight that stays where lift works), else 0.

    Judged from the estimate alone, never from what the missile is.
    """
    x = np.atleast_2d(np.asarray(mean, dtype=float))
    return np.where(keplerian_apogee(x) < below_m, sigma, 0.0)


def _hermite(x0: Array, x1: Array, h: Array, s: Array) -> Array:
    p0, v0, p1, v1 = x0[:, :3], x0[:, 3:6], x1[:, :3], x1[:, 3:6]
    s2, s3 = s * s, s * s * s
    h00, h10 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s
    h01, h11 = -2 * s3 + 3 * s2, s3 - s2
    hh = h[:, None]
    return np.asarray(
        h00[:, None] * p0 + h10[:, None] * hh * v0 + h01[:, None] * p1 + h11[:, None] * hh * v1
    )


def _crossing(x0: Array, x1: Array, h: Array) -> tuple[Array, Array]:
    """Fraction of the step and ECEF point where the Hermite path meets height 0.

    The Illinois variant of regula falsi on the bracket [0, 1] (height > 0 at 0, <= 0 at 1):
    it keeps the bracket like bisection but converges superlinearly, so a dozen steps reach
    what forty bisections did.
    """
    lo, hi = np.zeros(h.shape[0]), np.ones(h.shape[0])
    f_lo = _altitude(_hermite(x0, x1, h, lo))
    f_hi = _altitude(_hermite(x0, x1, h, hi))
    side = np.zeros(h.shape[0], dtype=np.int8)
    for _ in range(_CROSSING_STEPS):
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(f_lo != f_hi, (lo * f_hi - hi * f_lo) / (f_hi - f_lo), 0.5 * (lo + hi))
        s = np.clip(np.nan_to_num(s, nan=0.5), lo, hi)
        f = _altitude(_hermite(x0, x1, h, s))
        above = f > 0.0
        lo, f_lo = np.where(above, s, lo), np.where(above, f, f_lo)
        hi, f_hi = np.where(above, hi, s), np.where(above, f_hi, f)
        # Illinois: halve the stale end's value when the same end moved twice.
        f_hi = np.where(above & (side == 1), 0.5 * f_hi, f_hi)
        f_lo = np.where(~above & (side == -1), 0.5 * f_lo, f_lo)
        side = np.where(above, 1, -1).astype(np.int8)
    s = np.where(np.abs(f_lo) < np.abs(f_hi), lo, hi)
    return s, _hermite(x0, x1, h, s)


def _fly(
    model: Flow, x: Array, direction: float, max_time_s: float, *, drag: bool
) -> tuple[Array, Array, Array]:
    """Fly points until each crosses the ground; returns hit mask, times and ECEF points.

    A point whose state stops being finite (a sigma point far in a tail) is given up.
    """
    n = x.shape[0]
    hit = np.zeros(n, dtype=bool)
    t_hit = np.full(n, math.nan)
    p_hit = np.full((n, 3), math.nan)
    elapsed = np.zeros(n)
    altitude = _altitude(x)
    armed = altitude > 0.0
    active = np.ones(n, dtype=bool)
    while np.any(active):
        idx = np.nonzero(active)[0]
        h = direction * _step_length(np.maximum(altitude[idx], 0.0), drag=drag)
        with np.errstate(over="ignore", invalid="ignore"):
            x_new = runge_kutta_step(model, x[idx], h)
            finite = np.all(np.isfinite(x_new), axis=1)
            x_new[~finite] = x[idx][~finite]
            alt_new = _altitude(x_new)
        crossed = armed[idx] & (alt_new <= 0.0) & finite
        if np.any(crossed):
            c = idx[crossed]
            s, point = _crossing(x[c], x_new[crossed], h[crossed])
            hit[c], t_hit[c], p_hit[c] = True, elapsed[c] + s * np.abs(h[crossed]), point
        x[idx], altitude[idx] = x_new, alt_new
        elapsed[idx] += np.abs(h)
        armed[idx] |= alt_new > 0.0
        active[idx] = ~crossed & finite & (elapsed[idx] < max_time_s)
    return hit, t_hit, p_hit


def _has_drag(motion: MotionModel) -> bool:
    if isinstance(motion, BallisticMotion):
        return math.isfinite(motion.beta)
    if isinstance(motion, CoastMotion):
        return bool(motion.drag)
    return True


def drag_free(motion: MotionModel) -> MotionModel:
    """The same motion model without drag (other models are returned unchanged)."""
    if isinstance(motion, CoastMotion):
        return replace(motion, drag=False)
    if isinstance(motion, BallisticMotion):
        return replace(motion, beta=math.inf)
    return motion


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactPredictor:
    """Impact and launch points of batches of tracks through an unpowered ``motion`` model.

    The model's layout must match the tracks' (``BallisticMotion`` for 6 states,
    ``CoastMotion`` for 10). ``max_flight_s`` bounds the search: a point that has not
    crossed by then (an orbit, an escape) makes the track's crossing ``ok = False``.
    ``q_accel`` (m²/s³) is the white acceleration the footprint allows over the remaining
    flight (see the module notes); ``lift_sigma`` per call widens it for lift.
    """

    motion: MotionModel
    max_flight_s: float = 7200.0
    q_accel: float = 0.0
    max_lift: float = 2.0 * 9.81
    lift_to_drag: float = 3.0

    def impact(
        self,
        mean: Array,
        cov: Array,
        t: Array,
        *,
        lift_sigma: ArrayLike = 0.0,
        lift_mean: ArrayLike = 0.0,
    ) -> GroundCrossing:
        """Predicted impact (forward crossing) of tracks with means (N, n) at times ``t``.

        ``lift_sigma`` (m²/kg, scalar or per track) is the spread of unknown lift per
        axis, ``lift_mean`` (m²/kg) its expected value along the local vertical's part
        across the velocity (a pull-up); lift is flown only where ``lift_sigma > 0``.
        """
        sigma = np.broadcast_to(np.asarray(lift_sigma, dtype=float), (mean.shape[0],))
        centre = np.broadcast_to(np.asarray(lift_mean, dtype=float), (mean.shape[0],))
        if np.any(sigma < 0.0) or not np.all(np.isfinite(sigma)) or not np.all(np.isfinite(centre)):
            raise InputError("lift_sigma must be finite and non-negative, lift_mean finite")
        if np.any(sigma > 0.0):
            n = mean.shape[1]
            up = mean[:, :3] / np.linalg.norm(mean[:, :3], axis=-1, keepdims=True)
            along = mean[:, 3:6] / np.maximum(
                np.linalg.norm(mean[:, 3:6], axis=-1, keepdims=True), 1e-9
            )
            pull = up - np.einsum("ni,ni->n", up, along)[:, None] * along
            pull /= np.maximum(np.linalg.norm(pull, axis=-1, keepdims=True), 1e-9)
            c0 = np.where(sigma[:, None] > 0.0, centre[:, None] * pull, 0.0)
            aug_mean = np.concatenate([mean, c0], axis=1)
            aug_cov = np.zeros((mean.shape[0], n + 3, n + 3))
            aug_cov[:, :n, :n] = cov
            aug_cov[:, n:, n:] = (sigma**2)[:, None, None] * np.eye(3)
            flow = _Lifted(self.motion, self.max_lift, self.lift_to_drag)
            return self._cross(aug_mean, aug_cov, t, 1.0, flow)
        return self._cross(mean, cov, t, 1.0, self.motion)

    def launch(self, mean: Array, cov: Array, t: Array) -> GroundCrossing:
        """Back-propagated launch point (backward crossing, no drag) of tracks at ``t``."""
        free = replace(self, motion=drag_free(self.motion), q_accel=0.0)
        return free._cross(mean, cov, t, -1.0, free.motion)

    def _cross(
        self, mean: Array, cov: Array, t: Array, direction: float, flow: Flow
    ) -> GroundCrossing:
        n_tracks, n = mean.shape
        chol = sqrt_psd(cov) * math.sqrt(n)
        offsets = np.concatenate([np.swapaxes(chol, 1, 2), -np.swapaxes(chol, 1, 2)], axis=1)
        points = (mean[:, None, :] + offsets).reshape(-1, n)
        hit, t_hit, p_hit = _fly(
            flow, points.copy(), direction, self.max_flight_s, drag=_has_drag(self.motion)
        )
        out = _summarise(
            hit.reshape(n_tracks, 2 * n),
            t_hit.reshape(n_tracks, 2 * n),
            p_hit.reshape(n_tracks, 2 * n, 3),
            t,
            direction,
        )
        if self.q_accel > 0.0:
            flight = np.abs(out.t - np.asarray(t, dtype=float))
            extra = (self.q_accel * flight**3 / 3.0)[:, None, None] * np.eye(2)
            out = replace(out, enu_cov=out.enu_cov + extra)
        return out


def _summarise(hit: Array, dt: Array, p: Array, t0: Array, direction: float) -> GroundCrossing:
    ok = np.all(hit, axis=1)
    safe_p = np.where(ok[:, None, None], p, geodetic_to_ecef(0.0, 0.0, 0.0))
    safe_dt = np.where(ok[:, None], dt, 0.0)
    lat, lon, _ = ecef_to_geodetic(np.mean(safe_p, axis=1))
    ground = geodetic_to_ecef(lat, lon, 0.0)
    rot = enu_rotation(lat, lon)
    enu = np.einsum("nij,nkj->nki", rot, safe_p - ground[:, None, :])[..., :2]
    centred = enu - np.mean(enu, axis=1, keepdims=True)
    enu_cov = np.einsum("nki,nkj->nij", centred, centred) / centred.shape[1]
    t = t0 + direction * np.mean(safe_dt, axis=1)
    t_sigma = np.std(safe_dt, axis=1)
    nan = np.full(ok.shape, math.nan)
    return GroundCrossing(
        ok=ok,
        t=np.where(ok, t, nan),
        t_sigma=np.where(ok, t_sigma, nan),
        lat_deg=np.where(ok, lat, nan),
        lon_deg=np.where(ok, lon, nan),
        enu_cov=np.where(ok[:, None, None], enu_cov, math.nan),
    )
