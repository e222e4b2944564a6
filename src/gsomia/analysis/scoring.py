"""Scoring a party's estimate of one missile against the truth.

Every estimate at every scored picture time is flown to the ground (mean only, with the
estimate's own drag term: :mod:`gsomia.analysis.ground`), and its impact error is the
great-circle distance to the true impact point. The party's assessment of the flight, its
last estimate while the missile coasted above 20 km, is also flown backwards without drag:
the highest point of that arc (or of the track itself) is the party's apogee estimate, and
where the arc starts its launch point if no satellite cue gave one; the range estimate runs
from that launch point to the impact predicted by its last estimate. To keep this fast,
:class:`Scorer` collects the estimates of a whole launch (every run, party and regime),
flies each distinct state once, then scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gsomia.analysis import metrics
from gsomia.analysis.assumptions import SimulationAssumptions
from gsomia.analysis.fusion import Estimate
from gsomia.analysis.ground import GroundPass, fly_to_ground
from gsomia.warning.geo.frames import ecef_to_geodetic, ground_range
from gsomia.warning.simulation.world import World

__all__ = ["RoundScore", "Scorer"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RoundScore:
    """The measures of one party's picture of one missile in one run (docs/value.md §5).

    Times are seconds since launch (``inf``: never; ``nan``: unknown). ``fix_s`` holds
    one time per fix radius of the assumptions. ``crossing_warning_s`` is ``None`` unless
    the missile crossed Japan. ``apogee_km`` and ``range_km`` are the party's last
    estimate (``nan`` without one); ``error_t`` and ``error_m`` the impact error at each
    scored picture time (``nan`` where the party held no track).
    """

    first_track_s: float
    fix_s: tuple[float, ...]
    warning_s: float
    crossing_warning_s: float | None
    tracks_lost: int
    apogee_km: float
    range_km: float
    shared_fraction: float
    error_t: Array
    error_m: Array


_ASSESS_ABOVE_M = 20_000.0


def _assessment(estimate: Estimate, held: NDArray[np.intp]) -> int:
    """Which held estimate is the party's assessment of the flight: the last one while the
    missile coasted (its own track saying powered flight is unlikely) above 20 km, or the
    last one of all."""
    _, _, altitude = ecef_to_geodetic(estimate.state[held, :3])
    coasting = np.nonzero((altitude > _ASSESS_ABOVE_M) & (estimate.powered[held] < 0.5))[0]
    return int(coasting[-1]) if coasting.size else held.size - 1


@dataclass(slots=True)
class _Ticket:
    world: World
    r: int
    estimate: Estimate
    window: NDArray[np.intp]
    rows: NDArray[np.intp]
    final: int
    highest_m: float


@dataclass(slots=True)
class Scorer:
    """Collects estimates (:meth:`add`), flies them all at once (:meth:`fly`), scores them."""

    sim: SimulationAssumptions
    _states: list[Array] = field(default_factory=list)
    _t: list[Array] = field(default_factory=list)
    _beta: list[Array] = field(default_factory=list)
    _tickets: list[_Ticket] = field(default_factory=list)
    _count: int = 0
    _flown: bool = False
    _forward: GroundPass | None = None
    _inverse: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    _back: Array = field(default_factory=lambda: np.zeros((0, 3)))

    def add(self, estimate: Estimate, world: World, r: int) -> int:
        """Queue round ``r``'s estimate for scoring; returns a ticket number."""
        window = world.window(r)
        held = window[estimate.present[window]]
        self._states.append(estimate.state[held])
        self._t.append(estimate.t[held])
        with np.errstate(divide="ignore"):
            self._beta.append(1.0 / estimate.kappa[held])
        rows = np.arange(self._count, self._count + held.size)
        self._count += held.size
        final = int(rows[_assessment(estimate, held)]) if held.size else -1
        _, _, altitude = ecef_to_geodetic(estimate.state[held, :3])
        highest = float(np.max(altitude)) if held.size else math.nan
        self._tickets.append(_Ticket(world, r, estimate, window, rows, final, highest))
        self._flown = False
        return len(self._tickets) - 1

    def fly(self) -> None:
        """Fly every queued state forwards (each distinct one once), and each estimate's
        assessment backwards."""
        self._flown = True
        states = np.concatenate(self._states).reshape(-1, 6) if self._states else np.zeros((0, 6))
        t = np.concatenate(self._t) if self._t else np.zeros(0)
        beta = np.concatenate(self._beta) if self._beta else np.zeros(0)
        if t.size == 0:
            return
        key = np.column_stack([states, t, beta])
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse, dtype=np.intp).reshape(-1)
        flown = fly_to_ground(states[first], t[first], beta=beta[first])
        every = GroundPass(
            ok=flown.ok[inverse],
            t=flown.t[inverse],
            lat_deg=flown.lat_deg[inverse],
            lon_deg=flown.lon_deg[inverse],
            max_altitude_m=flown.max_altitude_m[inverse],
        )
        self._forward, self._inverse = every, np.arange(self._count)
        finals = np.array(sorted({tk.final for tk in self._tickets if tk.final >= 0}))
        back = fly_to_ground(states[finals], t[finals], backwards=True)
        self._back = np.full((self._count, 3), math.nan)
        self._back[finals] = np.column_stack([back.lat_deg, back.lon_deg, back.max_altitude_m])

    def score(self, ticket: int) -> RoundScore:
        """The measures of a queued estimate (after :meth:`fly`)."""
        tk = self._tickets[ticket]
        rt = tk.world.rounds[tk.r]
        times = tk.world.grid[tk.window] - rt.launch_t
        error = np.full(tk.window.size, math.nan)
        held = tk.estimate.present[tk.window]
        if tk.rows.size:
            fwd = self._pass(tk.rows)
            error[held] = ground_range(fwd[0], fwd[1], rt.impact_lat_deg, rt.impact_lon_deg)
        fixes = tuple(metrics.sustained_time(times, error, r) for r in self.sim.fix_radii_m)
        complete = rt.end_t >= rt.impact_t - self.sim.step_s - 1e-6
        flight = rt.impact_t - rt.launch_t
        crossing = None
        if rt.crossing_t is not None:
            crossing = metrics.warning_time(
                fixes[0], rt.crossing_t - rt.launch_t, complete=rt.end_t >= rt.crossing_t
            )
        apogee, rng = self._final(tk)
        return RoundScore(
            first_track_s=metrics.first_time(times, held),
            fix_s=fixes,
            warning_s=metrics.warning_time(fixes[0], flight, complete=complete),
            crossing_warning_s=crossing,
            tracks_lost=metrics.losses(held),
            apogee_km=apogee,
            range_km=rng,
            shared_fraction=float(np.mean(tk.estimate.shared[tk.window])) if held.any() else 0.0,
            error_t=times,
            error_m=error,
        )

    def _pass(self, rows: NDArray[np.intp]) -> tuple[Array, Array, Array]:
        if not self._flown:
            self.fly()
        if self._forward is None:
            nan = np.full(rows.size, math.nan)
            return nan, nan, nan
        u = self._inverse[rows]
        return self._forward.lat_deg[u], self._forward.lon_deg[u], self._forward.max_altitude_m[u]

    def _final(self, tk: _Ticket) -> tuple[float, float]:
        """The party's apogee and range estimates (km), or nan without a track.

        Apogee: the highest point of the assessment's arc or of the track itself. Range:
        from the launch point (a satellite cue's, else the assessment flown back) to the
        impact predicted by the last estimate held.
        """
        if tk.final < 0:
            return math.nan, math.nan
        _, _, high = self._pass(np.array([tk.final]))
        lat, lon, _ = self._pass(tk.rows[-1:])
        back_lat, back_lon, back_high = self._back[tk.final]
        if math.isnan(lat[0]) or math.isnan(back_lat):
            return math.nan, math.nan
        apogee = float(np.nanmax([high[0], back_high, tk.highest_m])) / 1e3
        held = tk.window[tk.estimate.present[tk.window]]
        k = int(held[tk.final - int(tk.rows[0])])
        launch_lat = tk.estimate.launch_lat[k]
        launch_lon = tk.estimate.launch_lon[k]
        if math.isnan(launch_lat):
            launch_lat, launch_lon = back_lat, back_lon
        rng = float(ground_range(launch_lat, launch_lon, lat[0], lon[0])) / 1e3
        return apogee, rng
