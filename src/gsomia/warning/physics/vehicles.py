"""Missile classes as the simulation flies them: stages, burn times, ballistic coefficients.

The types only; the catalogue of classes is :mod:`gsomia.warning.scenario.missiles`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gsomia.errors import InputError

__all__ = ["G0", "MissileClass", "PullUp", "Stage"]

G0 = 9.80665


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One propulsive stage: constant thrust, linearly falling mass.

    ``propellant_fraction`` is the stage's propellant over the whole stack's mass at the
    stage's ignition; the thrust-to-weight at ignition then follows from the specific impulse
    and burn time (``f * Isp / t_b``). ``spent_beta`` and ``spent_rcs_m2`` describe the empty
    stage once it separates and tumbles.

    Raises :class:`~gsomia.errors.InputError` on a non-physical value.
    """

    burn_time_s: float
    isp_s: float
    propellant_fraction: float
    spent_beta: float
    spent_rcs_m2: float

    def __post_init__(self) -> None:
        if not 0.0 < self.propellant_fraction < 1.0:
            raise InputError(f"propellant fraction must be in (0, 1): {self.propellant_fraction}")
        if self.burn_time_s <= 0.0 or self.isp_s <= 0.0 or self.spent_beta <= 0.0:
            raise InputError("burn time, specific impulse and ballistic coefficient must be > 0")

    @property
    def thrust_to_weight(self) -> float:
        """Thrust over the stack's weight (standard gravity) at ignition."""
        return self.propellant_fraction * self.isp_s / self.burn_time_s

    @property
    def mass_rate(self) -> float:
        """Fraction of the ignition mass burnt per second (1/s)."""
        return self.propellant_fraction / self.burn_time_s

    @property
    def delta_v(self) -> float:
        """Ideal velocity gain (m/s) of a full burn: the rocket equation."""
        return self.isp_s * G0 * -math.log1p(-self.propellant_fraction)


@dataclass(frozen=True, slots=True, kw_only=True)
class PullUp:
    """A pull-up after apogee: lift holds a shallow glide inside an altitude window.

    Models the low, "irregular" KN-23-class flights (spec §2: about 50 km apogee, descent at
    about 40 to 48 km with evasive patterns). Between ``top_m`` and ``bottom_m`` on the way
    down, lift up to ``q / lift_loading`` (``lift_loading = m / (C_L A)``, kg/m²) steers toward
    the flight-path angle ``glide_angle_deg``; lift costs drag at ``lift_to_drag``.
    """

    top_m: float
    bottom_m: float
    glide_angle_deg: float
    lift_loading: float
    lift_to_drag: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MissileClass:
    """A missile class as the simulation flies it.

    ``separates`` says whether the payload (a re-entry vehicle) leaves the last stage at
    burnout; when it does not (KN-23 class), the whole missile body flies to impact.
    """

    key: str
    name: str
    aliases: tuple[str, ...]
    propellant: str
    stages: tuple[Stage, ...]
    vertical_rise_s: float
    pitch_over_s: float
    boost_beta: float
    boost_rcs_m2: float
    payload_beta: float
    payload_rcs_m2: float
    separates: bool
    pull_up: PullUp | None = None
    standard_range_km: float | None = None
    standard_range_source: str = ""
    note: str = ""

    @property
    def burn_time_s(self) -> float:
        """Total burn time of all stages (s)."""
        return sum(s.burn_time_s for s in self.stages)

    @property
    def ideal_delta_v(self) -> float:
        """Ideal velocity gain of a full burn of every stage (m/s)."""
        return sum(s.delta_v for s in self.stages)

    def stage_times(self) -> tuple[float, ...]:
        """Ignition time of each stage and, last, the end of the final burn (s)."""
        times = [0.0]
        for stage in self.stages:
            times.append(times[-1] + stage.burn_time_s)
        return tuple(times)
