"""The truth simulation: every flying object of a launch scenario, sampled in time.

A :class:`Scenario` is an epoch (UTC) and one or more :class:`LaunchPlan` (a salvo is several
plans, seconds or minutes apart). :func:`simulate` flies each plan, lets every spent stage
coast on its own from its separation (the objects that made Japan count two missiles on
2 Oct 2019), and returns a :class:`Truth`: ECEF states of all objects on a common time grid
(NaN before an object exists and after it lands), each sample's flight phase, and per launch
the true launch point, burnout, apogee and impact. Times are seconds since the epoch.
Nothing here reads a clock or draws a random number.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from gsomia.errors import InputError, UnknownName
from gsomia.warning.geo.frames import ecef_to_geodetic
from gsomia.warning.physics.flight import Arc, Burnout, Flight, Programme, coast, fly
from gsomia.warning.physics.vehicles import MissileClass

__all__ = [
    "REENTRY_ALTITUDE_M",
    "LaunchPlan",
    "LaunchTruth",
    "ObjectKind",
    "Phase",
    "Scenario",
    "Truth",
    "TruthObject",
    "simulate",
]

Array = NDArray[np.float64]

REENTRY_ALTITUDE_M = 100_000.0
"""Below this height, on the way down, an object is in its re-entry phase."""


class Phase(enum.IntEnum):
    """Flight phase of a sample; ``ABSENT`` where the object does not (yet) fly."""

    ABSENT = -1
    BOOST = 0
    COAST = 1
    REENTRY = 2
    GLIDE = 3


class ObjectKind(enum.Enum):
    """What a true object is."""

    WARHEAD = "warhead"
    MISSILE = "missile"
    STAGE = "stage"


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchPlan:
    """One missile of a scenario: where from, which class, how steered, and when.

    ``launch_time_s`` is seconds after the scenario epoch.
    """

    label: str
    missile: MissileClass
    lat_deg: float
    lon_deg: float
    height_m: float = 0.0
    programme: Programme
    launch_time_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A named set of launches from one epoch (timezone-aware UTC datetime)."""

    name: str
    epoch: datetime
    launches: tuple[LaunchPlan, ...]

    def __post_init__(self) -> None:
        if self.epoch.tzinfo is None:
            raise InputError("a scenario epoch must be timezone-aware")
        if not self.launches:
            raise InputError("a scenario needs at least one launch")


@dataclass(frozen=True, slots=True, kw_only=True)
class TruthObject:
    """One true object: identity, what it is, its signature and its flown path.

    ``arc`` times are seconds after the object's launch; add ``launch_time_s`` for the
    scenario clock. ``rcs_m2`` is the cross-section after burnout (``boost_rcs_m2`` before).
    """

    truth_id: int
    launch: int
    kind: ObjectKind
    label: str
    rcs_m2: float
    boost_rcs_m2: float
    beta: float
    launch_time_s: float
    arc: Arc

    @property
    def start_s(self) -> float:
        """Scenario time (s) the object starts flying on its own."""
        return self.launch_time_s + self.arc.start

    @property
    def end_s(self) -> float:
        """Scenario time (s) it lands."""
        return self.launch_time_s + self.arc.end

    def states_at(self, times: Array) -> Array:
        """ECEF states (n, 6) at scenario times; NaN where the object does not fly."""
        return self.arc.sample(np.asarray(times, dtype=float) - self.launch_time_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchTruth:
    """What really happened in one launch (scenario times in seconds)."""

    index: int
    label: str
    missile: str
    launch_time_s: float
    launch_lat_deg: float
    launch_lon_deg: float
    burnout: Burnout
    apogee_time_s: float
    apogee_m: float
    impact_time_s: float
    impact_lat_deg: float
    impact_lon_deg: float
    range_m: float
    payload_id: int

    @property
    def flight_time_s(self) -> float:
        """Launch to impact of the payload (s)."""
        return self.impact_time_s - self.launch_time_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    """All objects of a scenario on one time grid.

    ``t`` (n,), ``states`` (k, n, 6) ECEF with NaN where an object is absent, ``phases``
    (k, n) :class:`Phase` codes. The arrays are read-only.
    """

    scenario: Scenario
    t: Array
    states: Array
    phases: NDArray[np.int8]
    objects: tuple[TruthObject, ...]
    launches: tuple[LaunchTruth, ...]

    def object(self, truth_id: int) -> TruthObject:
        """The object with ``truth_id``; raises :class:`~gsomia.errors.UnknownName`."""
        for obj in self.objects:
            if obj.truth_id == truth_id:
                return obj
        raise UnknownName(kind="truth object", name=str(truth_id))

    def states_at(self, times: Array) -> Array:
        """ECEF states (k, m, 6) of every object at arbitrary scenario times."""
        tq = np.asarray(times, dtype=float)
        return np.stack([obj.states_at(tq) for obj in self.objects])

    def phases_at(self, times: Array) -> NDArray[np.int8]:
        """Phase codes (k, m) of every object at arbitrary scenario times."""
        tq = np.asarray(times, dtype=float)
        return np.stack([self._phase(i, tq) for i in range(len(self.objects))])

    def _phase(self, index: int, times: Array) -> NDArray[np.int8]:
        obj = self.objects[index]
        launch = self.launches[obj.launch]
        states = obj.states_at(times)
        return _phases(obj, launch, self.scenario.launches[obj.launch].missile, times, states)


def _phases(
    obj: TruthObject, launch: LaunchTruth, missile: MissileClass, times: Array, states: Array
) -> NDArray[np.int8]:
    present = ~np.isnan(states[:, 0])
    out = np.full(times.shape, Phase.ABSENT, dtype=np.int8)
    if not np.any(present):
        return out
    _, _, h = ecef_to_geodetic(np.where(present[:, None], states[:, :3], 1.0e7))
    apogee_t = _object_apogee_time(obj, launch)
    down = times > apogee_t
    out[present] = Phase.COAST
    out[present & down & (h < REENTRY_ALTITUDE_M)] = Phase.REENTRY
    if missile.pull_up is not None and obj.kind is ObjectKind.MISSILE:
        glide = down & (h <= missile.pull_up.top_m) & (h >= missile.pull_up.bottom_m)
        out[present & glide] = Phase.GLIDE
    if obj.kind is not ObjectKind.STAGE:
        out[present & (times < launch.burnout.t)] = Phase.BOOST
    return out


def _object_apogee_time(obj: TruthObject, launch: LaunchTruth) -> float:
    if obj.truth_id == launch.payload_id:
        return launch.apogee_time_s
    r = obj.arc.y[:, :3]
    v = obj.arc.y[:, 3:]
    radial = np.sum(r * v, axis=-1)
    falling = np.nonzero(radial < 0.0)[0]
    t = obj.arc.t[falling[0]] if falling.size else obj.arc.t[-1]
    return float(t) + obj.launch_time_s


@functools.lru_cache(maxsize=128)
def _fly_cached(plan: LaunchPlan) -> Flight:
    return fly(
        plan.missile,
        plan.programme,
        lat_deg=plan.lat_deg,
        lon_deg=plan.lon_deg,
        height_m=plan.height_m,
    )


@functools.lru_cache(maxsize=512)
def _stage_arc(plan: LaunchPlan, stage: int) -> Arc:
    flight = _fly_cached(plan)
    sep = next(s for s in flight.separations if s.stage == stage)
    return coast(sep.state, sep.t, beta=plan.missile.stages[stage].spent_beta)


def _objects(index: int, plan: LaunchPlan, first_id: int) -> tuple[list[TruthObject], LaunchTruth]:
    flight = _fly_cached(plan)
    m = plan.missile
    kind = ObjectKind.WARHEAD if m.separates else ObjectKind.MISSILE
    payload = TruthObject(
        truth_id=first_id,
        launch=index,
        kind=kind,
        label=f"{plan.label} {kind.value}",
        rcs_m2=m.payload_rcs_m2,
        boost_rcs_m2=m.boost_rcs_m2,
        beta=m.payload_beta,
        launch_time_s=plan.launch_time_s,
        arc=flight.payload,
    )
    objects = [payload]
    for sep in flight.separations:
        stage = m.stages[sep.stage]
        objects.append(
            TruthObject(
                truth_id=first_id + len(objects),
                launch=index,
                kind=ObjectKind.STAGE,
                label=f"{plan.label} stage {sep.stage + 1}",
                rcs_m2=stage.spent_rcs_m2,
                boost_rcs_m2=stage.spent_rcs_m2,
                beta=stage.spent_beta,
                launch_time_s=plan.launch_time_s,
                arc=_stage_arc(plan, sep.stage),
            )
        )
    t0 = plan.launch_time_s
    launch = LaunchTruth(
        index=index,
        label=plan.label,
        missile=m.key,
        launch_time_s=t0,
        launch_lat_deg=flight.launch_lat_deg,
        launch_lon_deg=flight.launch_lon_deg,
        burnout=Burnout(
            t=flight.burnout.t + t0,
            altitude_m=flight.burnout.altitude_m,
            speed_ms=flight.burnout.speed_ms,
            flight_path_deg=flight.burnout.flight_path_deg,
            state=flight.burnout.state,
        ),
        apogee_time_s=flight.apogee_t + t0,
        apogee_m=flight.apogee_m,
        impact_time_s=flight.flight_time_s + t0,
        impact_lat_deg=flight.impact_lat_deg,
        impact_lon_deg=flight.impact_lon_deg,
        range_m=flight.range_m,
        payload_id=first_id,
    )
    return objects, launch


def simulate(scenario: Scenario, *, dt: float = 1.0) -> Truth:
    """Fly every launch of ``scenario`` and sample all objects every ``dt`` seconds.

    Raises :class:`~gsomia.errors.InputError` for a non-positive ``dt`` or an unflyable plan.
    """
    if not dt > 0.0:
        raise InputError(f"time step must be positive, not {dt}")
    objects: list[TruthObject] = []
    launches: list[LaunchTruth] = []
    for index, plan in enumerate(scenario.launches):
        objs, launch = _objects(index, plan, len(objects))
        objects.extend(objs)
        launches.append(launch)
    start = min(0.0, *(p.launch_time_s for p in scenario.launches))
    end = max(obj.end_s for obj in objects)
    t = np.asarray(start + dt * np.arange(math.ceil((end - start) / dt) + 1), dtype=np.float64)
    states = np.stack([obj.states_at(t) for obj in objects])
    phases = np.stack(
        [
            _phases(obj, launches[obj.launch], scenario.launches[obj.launch].missile, t, s)
            for obj, s in zip(objects, states, strict=True)
        ]
    )
    for array in (t, states, phases):
        array.flags.writeable = False
    return Truth(
        scenario=scenario,
        t=t,
        states=states,
        phases=phases,
        objects=tuple(objects),
        launches=tuple(launches),
    )
