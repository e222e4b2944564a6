"""Motion models of a ballistic missile in ECEF, with their linearisation and process noise.

A model gives the time derivative of a batch of states, its Jacobian (the continuous-time
matrix ``A = ∂f/∂x``) and the discrete process noise for a step. :func:`transition`
turns these into one prediction step: the mean by classical Runge-Kutta (the same
integrator as the truth in :mod:`gsomia.warning.physics.dynamics`), the transition matrix by a
third-order series ``F = exp(A h)`` with ``A`` taken at the step's midpoint.

Two state layouts:

* 6 states ``[x y z vx vy vz]`` (:class:`BallisticMotion`): after burnout, with a known
  ballistic coefficient or none at all.
* 10 states ``[x y z vx vy vz ax ay az kappa]`` (:class:`BoostMotion`,
  :class:`CoastMotion`): the same position and velocity, a thrust acceleration (m/s², ECEF)
  and ``kappa = 1/beta`` (m²/kg), the inverse ballistic coefficient. The two models share
  the layout so that an IMM can mix them.

Forces follow :mod:`gsomia.warning.physics.dynamics`: J2 gravity, Coriolis and centrifugal terms
of the rotating frame, drag in a co-rotating exponential atmosphere. The Jacobian keeps
the point-mass gravity gradient and drops the J2 part of it (a 0.1 % term in ``F``).
References: Li & Jilkov, "Survey of maneuvering target tracking, Part II: ballistic target
models" (thrust and drag augmentation); Farina, Ristic & Benvenuti, IEEE Trans. AES 38(3),
2002 (re-entry with an inverse ballistic coefficient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gsomia.errors import InputError
from gsomia.warning.geo.frames import WGS84_A, ellipsoid_height
from gsomia.warning.physics.dynamics import GM, J2, OMEGA_EARTH
from gsomia.warning.tracking._linalg import Array, Index

__all__ = [
    "AUGMENTED_NDIM",
    "KAPPA_INDEX",
    "BallisticMotion",
    "BoostMotion",
    "CoastMotion",
    "Flow",
    "ManoeuvreMotion",
    "MotionModel",
    "dynamic_pressure",
    "filter_air_density",
    "integrate",
    "integrated_like",
    "runge_kutta_step",
    "transition",
]

AUGMENTED_NDIM = 10
"""State size of the boost/coast layout ``[r(3) v(3) a(3) kappa]``."""
KAPPA_INDEX = 9
"""Where the inverse ballistic coefficient sits in that layout."""

_W = OMEGA_EARTH
# d(Coriolis)/dv and d(centrifugal)/dr for Ω = (0, 0, ω).
_CORIOLIS_V = np.array([[0.0, 2.0 * _W, 0.0], [-2.0 * _W, 0.0, 0.0], [0.0, 0.0, 0.0]])
_CENTRIFUGAL_R = np.diag([_W * _W, _W * _W, 0.0])
_SEA_LEVEL_DENSITY = 1.225
_SCALE_HEIGHT_M = 7250.0
_EYE3 = np.eye(3)


def filter_air_density(h_m: Array) -> Array:
    """The filter's own atmosphere: one exponential, 1.225 kg/m³ at sea level with a
    7.25 km scale height.

    Deliberately not the truth's layered table
    (:func:`gsomia.warning.physics.dynamics.air_density`):
    a filter that shares the simulator's atmosphere is tested against itself. Within ±20 %
    of the table from 0 to 90 km; the estimated inverse ballistic coefficient takes up
    the rest.
    """
    h = np.maximum(np.asarray(h_m, dtype=float), 0.0)
    return np.asarray(_SEA_LEVEL_DENSITY * np.exp(-h / _SCALE_HEIGHT_M))


def dynamic_pressure(x: Array) -> Array:
    """Dynamic pressure ``q = ½ ρ(h) |v|²`` (Pa) of states (N, ≥6) in the filter's own
    atmosphere (:func:`filter_air_density`), with ``v`` the velocity in the rotating
    frame the states are kept in."""
    r, v = x[:, :3], x[:, 3:6]
    return np.asarray(0.5 * filter_air_density(_altitude(r)) * np.einsum("ni,ni->n", v, v))


class MotionModel(Protocol):
    """What a predictor needs from a motion model (the model role's contract).

    ``derivative`` and ``jacobian`` take states (N, n); ``noise`` takes step lengths
    (N,) in seconds (non-negative) and returns the discrete process noise (N, n, n).
    ``powered`` says whether the model stands for thrusting flight.
    """

    @property
    def ndim(self) -> int: ...

    @property
    def powered(self) -> bool: ...

    def derivative(self, x: Array) -> Array: ...

    def jacobian(self, x: Array) -> Array: ...

    def noise(self, h: Array) -> Array: ...


def _free_acceleration(r: Array, v: Array) -> Array:
    """J2 gravity plus the Coriolis and centrifugal terms (N, 3), written out per axis.

    The same forces as :func:`gsomia.warning.physics.dynamics.gravity_j2` plus
    :func:`gsomia.warning.physics.dynamics.frame_acceleration`, without their temporaries; a unit
    test holds the two equal.
    """
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    r2 = x * x + y * y + z * z
    k = -GM / (r2 * np.sqrt(r2))
    c = (1.5 * J2 * WGS84_A * WGS84_A) / r2
    c5 = c * 5.0 * (z * z) / r2
    fxy = k * (1.0 + c - c5) + _W * _W
    out = np.empty_like(r)
    out[:, 0] = fxy * x + (2.0 * _W) * v[:, 1]
    out[:, 1] = fxy * y - (2.0 * _W) * v[:, 0]
    out[:, 2] = k * (1.0 + 3.0 * c - c5) * z
    return out


def _gravity_gradient(r: Array) -> Array:
    """Point-mass gravity gradient ``GM/r³ (3 r̂ r̂ᵀ − I)`` (N, 3, 3)."""
    r2 = np.einsum("ni,ni->n", r, r)
    k = GM / (r2 * np.sqrt(r2))
    out = (3.0 * k / r2)[:, None, None] * (r[:, :, None] * r[:, None, :])
    out[:, [0, 1, 2], [0, 1, 2]] -= k[:, None]
    return np.asarray(out)


def _length(v: Array) -> Array:
    """The Euclidean length of each row (N, 3): ``np.linalg.norm(v, axis=-1)``, summed in
    the same order, without its dispatch."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    return np.asarray(np.sqrt(x * x + y * y + z * z))


def _altitude(r: Array) -> Array:
    return ellipsoid_height(r)


def _drag_acceleration(r: Array, v: Array, kappa: Array) -> Array:
    """Drag ``-½ ρ(h) κ |v| v`` (m/s²) in the co-rotating atmosphere.

    A negative ``kappa`` (an estimate's tail) is taken as zero: drag never pushes.
    """
    rho = filter_air_density(_altitude(r))
    speed = _length(v)
    return np.asarray((-0.5 * rho * np.maximum(kappa, 0.0) * speed)[:, None] * v)


def _drag_partials(r: Array, v: Array, kappa: Array) -> tuple[Array, Array, Array]:
    """Partials of the drag acceleration by position, velocity and κ.

    The density gradient (``-ρ/H`` of the exponential atmosphere) is taken along the
    geocentric radius.
    """
    h = _altitude(r)
    rho = filter_air_density(h)
    slope = np.where(h > 0.0, -rho / _SCALE_HEIGHT_M, 0.0)
    speed = np.maximum(_length(v), 1e-9)
    up = r / _length(r)[:, None]
    # The clamp of :func:`_drag_acceleration`: where kappa <= 0 the drag is nil and so
    # are all its partials, the one by kappa included (else the filter would take a
    # negative kappa as observable and keep shrinking its variance while the mean
    # dynamics ignore it).
    active = (kappa > 0.0).astype(float)
    kappa = np.maximum(kappa, 0.0)
    d_r = (-0.5 * kappa * speed * slope)[:, None, None] * v[:, :, None] * up[:, None, :]
    outer = v[:, :, None] * v[:, None, :] / speed[:, None, None]
    d_v = (-0.5 * rho * kappa)[:, None, None] * (speed[:, None, None] * _EYE3 + outer)
    d_kappa = (-0.5 * rho * speed * active)[:, None] * v
    return d_r, d_v, d_kappa


def _white_accel_noise(h: Array, q: float) -> Array:
    """Per-axis position/velocity noise of white acceleration with PSD ``q`` (N, 2, 2)."""
    out = np.empty((h.shape[0], 2, 2))
    out[:, 0, 0] = q * h**3 / 3.0
    out[:, 0, 1] = out[:, 1, 0] = q * h**2 / 2.0
    out[:, 1, 1] = q * h
    return out


def _kron_axes(block: Array, n_blocks: int) -> Array:
    """Expand per-axis (N, k, k) noise to (N, 3k, 3k) for states grouped by derivative."""
    n = block.shape[0]
    out = np.zeros((n, n_blocks, 3, n_blocks, 3))
    for axis in range(3):
        out[:, :, axis, :, axis] = block
    return out.reshape(n, 3 * n_blocks, 3 * n_blocks)


@dataclass(frozen=True, slots=True, kw_only=True)
class BallisticMotion:
    """Unpowered flight, 6 states; gravity (J2), the rotating frame and drag at a known
    ballistic coefficient ``beta`` (kg/m², ``inf`` for none).

    ``q_accel`` (m²/s³) is the power spectral density of white acceleration noise per axis
    that stands for what the model leaves out (higher harmonics, winds, an imperfect
    ``beta``). Raises InputError for a negative density or a non-positive ``beta``.
    """

    q_accel: float = 1e-4
    beta: float = math.inf

    def __post_init__(self) -> None:
        if self.q_accel < 0.0 or not self.beta > 0.0:
            raise InputError("BallisticMotion needs q_accel >= 0 and beta > 0")

    @property
    def ndim(self) -> int:
        """Six: position and velocity."""
        return 6

    @property
    def powered(self) -> bool:
        """No: this model stands for unpowered flight."""
        return False

    def derivative(self, x: Array) -> Array:
        """``[v, a]`` for states (N, 6); the forces of
        :func:`gsomia.warning.physics.dynamics.ballistic_derivative`."""
        r, v = x[:, :3], x[:, 3:6]
        accel = _free_acceleration(r, v)
        if math.isfinite(self.beta):
            accel = accel + _drag_acceleration(r, v, np.full(x.shape[0], 1.0 / self.beta))
        return np.concatenate([v, accel], axis=-1)

    def jacobian(self, x: Array) -> Array:
        """The continuous-time Jacobian (N, 6, 6)."""
        r, v = x[:, :3], x[:, 3:6]
        a = np.zeros((x.shape[0], 6, 6))
        a[:, [0, 1, 2], [3, 4, 5]] = 1.0
        a[:, 3:, :3] = _gravity_gradient(r) + _CENTRIFUGAL_R
        a[:, 3, 4] = 2.0 * _W
        a[:, 4, 3] = -2.0 * _W
        if math.isfinite(self.beta):
            kappa = np.full(x.shape[0], 1.0 / self.beta)
            d_r, d_v, _ = _drag_partials(r, v, kappa)
            a[:, 3:, :3] += d_r
            a[:, 3:, 3:] += d_v
        return a

    def noise(self, h: Array) -> Array:
        """Discrete process noise (N, 6, 6) for steps ``h`` (s)."""
        return _kron_axes(_white_accel_noise(h, self.q_accel), 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostMotion:
    """Powered flight, 10 states: the thrust acceleration is a random walk (white jerk).

    Drag is left to the thrust term (it estimates net thrust minus drag); ``kappa`` is
    carried unchanged but for a small random walk, so that the coast model inherits it.
    ``q_jerk`` (m²/s⁵) per axis sets how fast the net thrust may turn and grow: thrust of
    20–70 m/s² that rises as propellant burns (about 0.6 m/s³) and pitches over by about
    1°/s (about 0.9 m/s³) changes by about 1 m/s² each second. A random walk follows such a
    sustained ramp only with room to spare, so ``q_jerk = 4`` (2 m/s² per √s) by default;
    with 1 the tracker split a boosting missile in 1 of 12 seeded runs. Raises InputError
    for negative densities.
    """

    q_jerk: float = 4.0
    q_accel: float = 1e-2
    q_kappa: float = 1e-12

    def __post_init__(self) -> None:
        if min(self.q_jerk, self.q_accel, self.q_kappa) < 0.0:
            raise InputError("BoostMotion noise densities must be non-negative")

    @property
    def ndim(self) -> int:
        """Ten: position, velocity, thrust acceleration, inverse ballistic coefficient."""
        return AUGMENTED_NDIM

    @property
    def powered(self) -> bool:
        """Yes: this model stands for thrusting flight."""
        return True

    def derivative(self, x: Array) -> Array:
        """``[v, g + frame + a, 0, 0]`` for states (N, 10)."""
        r, v, thrust = x[:, :3], x[:, 3:6], x[:, 6:9]
        accel = _free_acceleration(r, v) + thrust
        return np.concatenate([v, accel, np.zeros((x.shape[0], 4))], axis=-1)

    def jacobian(self, x: Array) -> Array:
        """The continuous-time Jacobian (N, 10, 10)."""
        a = np.zeros((x.shape[0], 10, 10))
        a[:, :3, 3:6] = np.eye(3)
        a[:, 3:6, :3] = _gravity_gradient(x[:, :3]) + _CENTRIFUGAL_R
        a[:, 3:6, 3:6] = _CORIOLIS_V
        a[:, 3:6, 6:9] = np.eye(3)
        return a

    def noise(self, h: Array) -> Array:
        """Discrete process noise (N, 10, 10): a triple integrator driven by white jerk."""
        h2, h3, h4, h5 = h**2, h**3, h**4, h**5
        jerk = self.q_jerk * np.stack(
            [
                np.stack([h5 / 20.0, h4 / 8.0, h3 / 6.0], -1),
                np.stack([h4 / 8.0, h3 / 3.0, h2 / 2.0], -1),
                np.stack([h3 / 6.0, h2 / 2.0, h], -1),
            ],
            -2,
        )
        jerk[:, :2, :2] += _white_accel_noise(h, self.q_accel)
        q = np.zeros((h.shape[0], 10, 10))
        q[:, :9, :9] = _kron_axes(jerk, 3)
        q[:, 9, 9] = self.q_kappa * h
        return q


@dataclass(frozen=True, slots=True, kw_only=True)
class CoastMotion:
    """Unpowered flight in the 10-state layout, with drag through the estimated ``kappa``.

    The thrust states decay with time constant ``tau_thrust`` (s) towards zero and do not
    act on the velocity: after burnout they only carry what the IMM mixes in. RK4 is
    stable on that decay only for steps under 2.78 ``tau_thrust``; 5 s keeps the 10 s
    steps of impact prediction stable (with 2 s they blew up and no impact was found).
    ``sigma_thrust`` is their stationary spread (m/s²). ``q_kappa`` ((m²/kg)²/s) lets the
    inverse ballistic coefficient drift as the vehicle re-enters. ``drag=False`` leaves
    drag out (for back-propagation to the launch point, where running drag backwards
    through dense air is unstable and the boost was not ballistic anyway). Raises InputError for
    negative densities or a non-positive time constant.
    """

    q_accel: float = 1e-4
    q_kappa: float = 1e-12
    tau_thrust: float = 5.0
    sigma_thrust: float = 0.05
    drag: bool = True

    def __post_init__(self) -> None:
        if min(self.q_accel, self.q_kappa, self.sigma_thrust) < 0.0 or self.tau_thrust <= 0:
            raise InputError("CoastMotion needs non-negative noise and tau_thrust > 0")

    @property
    def ndim(self) -> int:
        """Ten: position, velocity, thrust acceleration, inverse ballistic coefficient."""
        return AUGMENTED_NDIM

    @property
    def powered(self) -> bool:
        """No: this model stands for unpowered flight."""
        return False

    def derivative(self, x: Array) -> Array:
        """``[v, g + frame + drag(kappa), -a/tau, 0]`` for states (N, 10)."""
        r, v, thrust, kappa = x[:, :3], x[:, 3:6], x[:, 6:9], x[:, 9]
        accel = _free_acceleration(r, v)
        if self.drag:
            accel = accel + _drag_acceleration(r, v, kappa)
        return np.concatenate(
            [v, accel, -thrust / self.tau_thrust, np.zeros((x.shape[0], 1))], axis=-1
        )

    def jacobian(self, x: Array) -> Array:
        """The continuous-time Jacobian (N, 10, 10)."""
        r, v, kappa = x[:, :3], x[:, 3:6], x[:, 9]
        a = np.zeros((x.shape[0], 10, 10))
        a[:, :3, 3:6] = np.eye(3)
        a[:, 3:6, :3] = _gravity_gradient(r) + _CENTRIFUGAL_R
        a[:, 3:6, 3:6] = _CORIOLIS_V
        if self.drag:
            d_r, d_v, d_kappa = _drag_partials(r, v, kappa)
            a[:, 3:6, :3] += d_r
            a[:, 3:6, 3:6] += d_v
            a[:, 3:6, 9] = d_kappa
        a[:, 6:9, 6:9] = -np.eye(3) / self.tau_thrust
        return a

    def noise(self, h: Array) -> Array:
        """Discrete process noise (N, 10, 10)."""
        q = np.zeros((h.shape[0], 10, 10))
        q[:, :6, :6] = _kron_axes(_white_accel_noise(h, self.q_accel), 2)
        ou = 2.0 * self.sigma_thrust**2 / self.tau_thrust
        q[:, 6:9, 6:9] = (ou * h)[:, None, None] * np.eye(3)
        q[:, 9, 9] = self.q_kappa * h
        return q


@dataclass(frozen=True, slots=True, kw_only=True)
class ManoeuvreMotion:
    """Unpowered flight with a manoeuvre (lift) acceleration, in the 10-state layout.

    The three acceleration states stand for lift (and any other steering force) instead of
    thrust: a Singer model, an Ornstein-Uhlenbeck process with time constant ``tau`` (s)
    and stationary spread ``sigma`` (m/s²) per axis, that acts on the velocity; drag acts
    through ``kappa`` as in :class:`CoastMotion`. Without this mode a pull-up is taken up
    by the boost mode (the only one whose acceleration states act), and the picture calls a
    gliding missile powered. References: Singer, IEEE Trans. AES 6(4), 1970; Li & Jilkov,
    "Survey of maneuvering target tracking, Part I" (2003), §4.

    **Lift needs air.** The acceleration states act in proportion to the air's share
    ``s = q / (q + lift_pressure_pa)`` of the dynamic pressure ``q = ½ ρ(h) |v|²`` (the
    filter's own atmosphere): lift is ``q C_L A / m``, so a body in vacuum cannot pull at
    all. Without the share the mode stood for any unmodelled acceleration, thrust
    included: on a lofted ICBM tracked from 120 km up it took the boost from the boost
    mode (weight 0.9), the boosting missile read as unpowered and its impact was
    predicted 400-800 km off. ``lift_pressure_pa`` is the dynamic pressure at which half
    the state's acceleration acts (10 kPa: a lift loading of a few thousand kg/m² gives a
    few m/s² there, the glide of a quasi-ballistic missile 30-45 km up at 2 km/s);
    ``None`` lets the states act everywhere. Raises InputError for negative densities or a
    non-positive time constant or pressure.
    """

    sigma: float = 10.0
    tau: float = 20.0
    q_accel: float = 1e-4
    q_kappa: float = 1e-12
    lift_pressure_pa: float | None = 10_000.0

    def __post_init__(self) -> None:
        if min(self.sigma, self.q_accel, self.q_kappa) < 0.0 or self.tau <= 0.0:
            raise InputError("ManoeuvreMotion needs non-negative noise and tau > 0")
        if self.lift_pressure_pa is not None and not self.lift_pressure_pa > 0.0:
            raise InputError("ManoeuvreMotion needs lift_pressure_pa > 0 (or None)")

    def _air_share(self, r: Array, v: Array) -> tuple[Array, Array, Array]:
        """The share ``s`` (N,) of the lift states that acts, and its partials by position
        and velocity (N, 3) each."""
        n = r.shape[0]
        if self.lift_pressure_pa is None:
            return np.ones(n), np.zeros((n, 3)), np.zeros((n, 3))
        h = _altitude(r)
        rho = filter_air_density(h)
        speed2 = np.einsum("ni,ni->n", v, v)
        q = 0.5 * rho * speed2
        q0 = self.lift_pressure_pa
        share = q / (q + q0)
        ds_dq = q0 / (q + q0) ** 2
        up = r / _length(r)[:, None]
        dq_dh = np.where(h > 0.0, -q / _SCALE_HEIGHT_M, 0.0)
        ds_dr = (ds_dq * dq_dh)[:, None] * up
        ds_dv = (ds_dq * rho)[:, None] * v
        return share, ds_dr, ds_dv

    @property
    def ndim(self) -> int:
        """Ten: position, velocity, manoeuvre acceleration, inverse ballistic coefficient."""
        return AUGMENTED_NDIM

    @property
    def powered(self) -> bool:
        """No: lift steers, it does not add energy."""
        return False

    def derivative(self, x: Array) -> Array:
        """``[v, g + frame + drag(kappa) + s a, -a/tau, 0]`` for states (N, 10), ``s`` the
        air's share."""
        r, v, lift, kappa = x[:, :3], x[:, 3:6], x[:, 6:9], x[:, 9]
        share, _, _ = self._air_share(r, v)
        accel = _free_acceleration(r, v) + _drag_acceleration(r, v, kappa)
        accel = accel + share[:, None] * lift
        return np.concatenate([v, accel, -lift / self.tau, np.zeros((x.shape[0], 1))], axis=-1)

    def jacobian(self, x: Array) -> Array:
        """The continuous-time Jacobian (N, 10, 10)."""
        r, v, lift, kappa = x[:, :3], x[:, 3:6], x[:, 6:9], x[:, 9]
        a = np.zeros((x.shape[0], 10, 10))
        a[:, :3, 3:6] = np.eye(3)
        d_r, d_v, d_kappa = _drag_partials(r, v, kappa)
        share, ds_dr, ds_dv = self._air_share(r, v)
        a[:, 3:6, :3] = _gravity_gradient(r) + _CENTRIFUGAL_R + d_r
        a[:, 3:6, :3] += lift[:, :, None] * ds_dr[:, None, :]
        a[:, 3:6, 3:6] = _CORIOLIS_V + d_v + lift[:, :, None] * ds_dv[:, None, :]
        a[:, 3:6, 6:9] = share[:, None, None] * np.eye(3)
        a[:, 3:6, 9] = d_kappa
        a[:, 6:9, 6:9] = -np.eye(3) / self.tau
        return a

    def noise(self, h: Array) -> Array:
        """Discrete process noise (N, 10, 10): white acceleration on the velocity, the
        Ornstein-Uhlenbeck drive on the manoeuvre acceleration, a κ random walk."""
        q = np.zeros((h.shape[0], 10, 10))
        q[:, :6, :6] = _kron_axes(_white_accel_noise(h, self.q_accel), 2)
        ou = 2.0 * self.sigma**2 / self.tau
        q[:, 6:9, 6:9] = (ou * h)[:, None, None] * np.eye(3)
        q[:, 9, 9] = self.q_kappa * h
        return q


class Flow(Protocol):
    """Anything with a state derivative (N, n) -> (N, n): what :func:`runge_kutta_step`
    integrates (a motion model, or one with a lift added)."""

    def derivative(self, x: Array) -> Array: ...


def runge_kutta_step(model: Flow, x: Array, h: Array) -> Array:
    """One classical Runge-Kutta (RK4) step of states ``x`` (N, n) by ``h`` (N,) seconds."""
    hh = h[:, None]
    k1 = model.derivative(x)
    k2 = model.derivative(x + 0.5 * hh * k1)
    k3 = model.derivative(x + 0.5 * hh * k2)
    k4 = model.derivative(x + hh * k3)
    return np.asarray(x + (hh / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4))


def _schedule(dt: Array, max_step: float) -> tuple[Index, list[int], Array] | None:
    """Each row cut into its own equal sub-steps no longer than ``max_step``: the rows in
    order of their sub-step count (most first), how many rows are still stepping at each
    sub-step (a shrinking prefix of that order), and each row's sub-step length.

    ``None`` when every row has the same count (the batch keeps its order). A track just
    updated is then neither cut as finely as one coasting through a gap in coverage nor
    carried through its many sub-steps.
    """
    counts = np.maximum(np.ceil(np.abs(dt) / max_step), 1.0) if dt.size else np.ones(0)
    if counts.size == 0 or bool(np.all(counts == counts[0])):
        return None
    order = np.argsort(-counts, kind="stable")
    ranked = counts[order]
    active = [int(np.count_nonzero(ranked > k)) for k in range(int(ranked[0]))]
    return order, active, dt[order] / ranked


def _uniform(dt: Array, max_step: float) -> tuple[int, Array]:
    n = max(1, math.ceil(float(np.max(np.abs(dt))) / max_step)) if dt.size else 1
    return n, dt / n


def integrate(model: MotionModel, x: Array, dt: Array, *, max_step: float = 5.0) -> Array:
    """Propagate states (N, n) by ``dt`` (N,) seconds (negative runs backwards), each row
    in its own equal sub-steps no longer than ``max_step``."""
    dt = np.asarray(dt, dtype=float)
    plan = _schedule(dt, max_step)
    if plan is None:
        n, h = _uniform(dt, max_step)
        for _ in range(n):
            x = runge_kutta_step(model, x, h)
        return x
    order, active, h = plan
    y = x[order]
    for m in active:
        y[:m] = runge_kutta_step(model, y[:m], h[:m])
    out = np.empty_like(y)
    out[order] = y
    return out


def integrated_like(x: Array, dt: Array, *, max_step: float = 5.0) -> Array:
    """An empty array laid out in memory as :func:`integrate` lays out its result for
    ``x`` and ``dt``: ``x``'s layout when every row takes as many sub-steps, else that
    of its rows re-ordered. A sum over the result's rows can depend on the layout."""
    plan = _schedule(np.asarray(dt, dtype=float), max_step)
    return np.empty_like(x if plan is None else x[plan[0]])


def transition(
    model: MotionModel, x: Array, dt: Array, *, max_step: float = 5.0
) -> tuple[Array, Array, Array]:
    """Mean, transition matrix and accumulated process noise over ``dt`` (N,) seconds.

    Each row's step is cut into its own equal sub-steps no longer than ``max_step``; the
    noise of each sub-step is carried through the later ones (``Q ← F Q Fᵀ + Q_k``).
    Within a sub-step ``F = I + A h + (A h)²/2 + (A h)³/6``; the third-order term carries
    the gravity gradient into the position-velocity coupling (``G h³/6``, 1e-4 at
    ``h = 10 s``).
    """
    dt = np.asarray(dt, dtype=float)
    plan = _schedule(dt, max_step)
    if plan is None:
        n, h = _uniform(dt, max_step)
        return _transition(model, x, h, [len(x)] * n)
    order, active, h = plan
    y, f, q = _transition(model, x[order], h, active)
    out = (np.empty_like(y), np.empty_like(f), np.empty_like(q))
    out[0][order], out[1][order], out[2][order] = y, f, q
    return out


def _transition(
    model: MotionModel, x: Array, h: Array, active: list[int]
) -> tuple[Array, Array, Array]:
    """:func:`transition` of rows stepping by ``h``, the first ``active[k]`` of them at
    sub-step ``k`` (all at the first)."""
    eye = np.eye(x.shape[1])
    x = x.copy()
    # Every sub-step of a row has the same length, so each adds the same noise.
    q = model.noise(np.abs(h))
    f_total, q_total = np.broadcast_to(eye, q.shape).copy(), np.zeros_like(q)
    for k, m in enumerate(active):
        x_next = runge_kutta_step(model, x[:m], h[:m])
        ah = model.jacobian(0.5 * (x[:m] + x_next)) * h[:m, None, None]
        ah2 = ah @ ah
        f = eye + ah + 0.5 * ah2 + (ah2 @ ah) / 6.0
        if k == 0:
            f_total[:m], q_total[:m] = f, q[:m]
        else:
            f_total[:m] = f @ f_total[:m]
            q_total[:m] = f @ q_total[:m] @ np.swapaxes(f, -1, -2) + q[:m]
        x[:m] = x_next
    return x, f_total, q_total
