"""The dated launches of spec/missile-scenario.md §2 as ready scenarios.

Each :class:`DatedLaunch` keeps what each side reported (Japan MOD, ROK JCS, KCNA and a few
others, as the spec lists them) beside the figures the trajectory solver is fitted to, so a
simulation can be compared with every report. Where the spec gives no direction of flight,
the bearing is toward the reported impact area or, failing that, an assumption marked as
such in ``bearing_basis``; where it gives no launch time, the scenario starts at local noon
and ``local_time`` is ``None``. Launch times are local (KST = JST = UTC+9).

The data is ``data/launches.toml``; this module reads it once, checked field by field, and
keeps what is computed from it (the solver's fits, the scenarios) here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from types import MappingProxyType

from gsomia.errors import UnknownName
from gsomia.warning.physics.truth import LaunchPlan, Scenario
from gsomia.warning.scenario.data_files import build, check_unique, data_text, entries, fail, parse
from gsomia.warning.scenario.missiles import missile_class
from gsomia.warning.scenario.sites import launch_site
from gsomia.warning.scenario.solver import TrajectoryFit, fit_trajectory

__all__ = [
    "KOREA_TIME",
    "DatedLaunch",
    "ReportedFigures",
    "Round",
    "dated_launch",
    "dated_launches",
    "launch_fits",
    "launch_scenario",
    "parse_dated_launches",
]

KOREA_TIME = timezone(timedelta(hours=9), "KST")
"""Korea and Japan standard time, UTC+9."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportedFigures:
    """What one side reported: apogee and range (km), flight time (s), number of missiles."""

    source: str
    apogee_km: float | None = None
    range_km: float | None = None
    flight_time_s: float | None = None
    missiles: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    """One missile of a dated launch, as fitted: seconds after the first, apogee and range."""

    offset_s: float
    apogee_km: float
    range_km: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DatedLaunch:
    """A launch of spec §2 with both sides' figures and what the simulation flies."""

    key: str
    day: date
    local_time: time | None
    missile: str
    site: str
    bearing_deg: float
    bearing_basis: str
    rounds: tuple[Round, ...]
    fit_basis: str
    reported: tuple[ReportedFigures, ...]
    note: str = ""
    sources: tuple[str, ...] = ()

    @property
    def epoch(self) -> datetime:
        """The first launch as a UTC datetime (local noon when the time is not reported)."""
        local = datetime.combine(self.day, self.local_time or time(12, 0), KOREA_TIME)
        return local.astimezone(UTC)

    def figures(self, source: str) -> ReportedFigures | None:
        """The figures reported by ``source`` (e.g. ``"Japan MOD"``), if any."""
        return next((r for r in self.reported if r.source == source), None)


def parse_dated_launches(text: str, where: str = "launches.toml") -> tuple[DatedLaunch, ...]:
    """The dated launches in the TOML ``text``; a bad entry raises naming ``where``, the field.

    Each launch's ``missile`` and ``site`` must name a known class and site.
    """
    launches: list[DatedLaunch] = []
    for entry, raw in entries(parse(text, where), "launch", where):
        launch = build(DatedLaunch, raw, where=where, field=entry)
        for field, lookup in (("missile", missile_class), ("site", launch_site)):
            try:
                lookup(getattr(launch, field))
            except UnknownName as exc:
                raise fail(where, f"{entry}.{field}", str(exc)) from None
        if not launch.rounds:
            raise fail(where, f"{entry}.rounds", "a launch needs at least one round")
        launches.append(launch)
    check_unique([(f"launch[{dl.key}]", dl.key) for dl in launches], where)
    return tuple(launches)


_LAUNCHES: tuple[DatedLaunch, ...] = parse_dated_launches(data_text("launches.toml"))
_BY_KEY: Mapping[str, DatedLaunch] = MappingProxyType({dl.key: dl for dl in _LAUNCHES})


def dated_launches() -> tuple[DatedLaunch, ...]:
    """Every dated launch in the catalogue, oldest first."""
    return _LAUNCHES


def dated_launch(key: str) -> DatedLaunch:
    """The launch of date ``key`` (``YYYY-MM-DD``); raises :class:`~gsomia.errors.UnknownName`."""
    found = _BY_KEY.get(key.strip())
    if found is None:
        raise UnknownName(kind="dated launch", name=key, known=_BY_KEY)
    return found


@functools.lru_cache(maxsize=64)
def launch_fits(launch: DatedLaunch) -> tuple[TrajectoryFit, ...]:
    """The solver's fit of each round of ``launch`` to its fitted apogee and range.

    Raises :class:`~gsomia.errors.InputError` if a round cannot be flown by its class.
    """
    site = launch_site(launch.site)
    missile = missile_class(launch.missile)
    return tuple(
        fit_trajectory(
            lat_deg=site.lat_deg,
            lon_deg=site.lon_deg,
            height_m=site.height_m,
            bearing_deg=launch.bearing_deg,
            apogee_m=r.apogee_km * 1e3,
            range_m=r.range_km * 1e3,
            missile=missile,
        )
        for r in launch.rounds
    )


def launch_scenario(launch: DatedLaunch) -> Scenario:
    """``launch`` as a ready :class:`~gsomia.warning.physics.truth.Scenario` (epoch: first
    launch)."""
    site = launch_site(launch.site)
    missile = missile_class(launch.missile)
    plans = tuple(
        LaunchPlan(
            label=f"{launch.key} #{i + 1}",
            missile=missile,
            lat_deg=site.lat_deg,
            lon_deg=site.lon_deg,
            height_m=site.height_m,
            programme=fit.flight.programme,
            launch_time_s=r.offset_s,
        )
        for i, (r, fit) in enumerate(zip(launch.rounds, launch_fits(launch), strict=True))
    )
    return Scenario(name=f"{launch.key} {missile.name}", epoch=launch.epoch, launches=plans)
