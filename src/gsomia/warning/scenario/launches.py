"""The dated launches of spec/missile-scenario.md §2 as ready scenarios.

Each :class:`DatedLaunch` keeps what each side reported (Japan MOD, ROK JCS, KCNA and a few
others, as the spec lists them) beside the figures the trajectory solver is fitted to, so a
simulation can be compared with every report. Where the spec gives no direction of flight,
the bearing is toward the reported impact area or, failing that, an assumption marked as
such in ``bearing_basis``; where it gives no launch time, the scenario starts at local noon
and ``local_time`` is ``None``. Launch times are local (KST = JST = UTC+9).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from types import MappingProxyType

from gsomia.errors import UnknownName
from gsomia.warning.scenario.missiles import missile_class
from gsomia.warning.scenario.sites import launch_site
from gsomia.warning.scenario.solver import TrajectoryFit, fit_trajectory
from gsomia.warning.simulation.truth import LaunchPlan, Scenario

__all__ = [
    "KOREA_TIME",
    "DatedLaunch",
    "ReportedFigures",
    "Round",
    "dated_launch",
    "dated_launches",
    "launch_fits",
    "launch_scenario",
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


def _r(source: str, **kw: float | int | str | None) -> ReportedFigures:
    return ReportedFigures(source=source, **kw)  # type: ignore[arg-type]


_JP, _KR, _NK = "Japan MOD", "ROK JCS", "KCNA"
_ASSUMED_EAST = "assumed: due east into the Sea of Japan (the spec gives no direction)"

_LAUNCHES: tuple[DatedLaunch, ...] = (
    DatedLaunch(
        key="2017-05-14",
        day=date(2017, 5, 14),
        local_time=None,
        missile="hwasong-12",
        site="panghyon",
        bearing_deg=80.0,
        bearing_basis="assumed: east-north-east into the Sea of Japan, short of Japan's EEZ",
        rounds=(Round(offset_s=0.0, apogee_km=2110.0, range_km=780.0),),
        fit_basis="ROK official: about 780 km range, about 2,110 km apogee",
        reported=(
            _r(_JP, flight_time_s=1800.0, note="apogee > 2,000 km; fell short of the EEZ"),
            _r(
                _KR,
                range_km=700.0,
                apogee_km=2110.0,
                note="about 430 miles; an ROK official gave about 780 km and 2,110 km",
            ),
            _r(_NK, apogee_km=2111.5, range_km=787.0),
        ),
        note="Lofted, from the vicinity of Kusong.",
    ),
    DatedLaunch(
        key="2017-07-04",
        day=date(2017, 7, 4),
        local_time=time(9, 39),
        missile="hwasong-14",
        site="panghyon",
        bearing_deg=95.0,
        bearing_basis="assumed: east into Japan's EEZ in the Sea of Japan",
        rounds=(Round(offset_s=0.0, apogee_km=2800.0, range_km=930.0),),
        fit_basis="apogee 2,800 km (CSIS), range 930 km (ROK JCS)",
        reported=(
            _r(_JP, flight_time_s=2400.0, note="about 40 min; apogee well above 2,500 km"),
            _r(_KR, range_km=930.0),
            _r("US PACOM", flight_time_s=2220.0),
            _r("CSIS", apogee_km=2800.0, flight_time_s=2340.0),
        ),
        note="First Hwasong-14, lofted, from Panghyon.",
    ),
    DatedLaunch(
        key="2017-07-28",
        day=date(2017, 7, 28),
        local_time=None,
        missile="hwasong-14",
        site="chagang",
        bearing_deg=75.5,
        bearing_basis="toward the reported impact area west of Hokkaido (inside the EEZ)",
        rounds=(Round(offset_s=0.0, apogee_km=3725.0, range_km=998.0),),
        fit_basis="KCNA figures (the only numeric apogee and range)",
        reported=(
            _r(_JP, flight_time_s=2700.0, note="about 45 min; landed W of Hokkaido in the EEZ"),
            _r(_NK, apogee_km=3725.0, range_km=998.0, flight_time_s=2832.0),
        ),
    ),
    DatedLaunch(
        key="2017-08-29",
        day=date(2017, 8, 29),
        local_time=time(5, 58),
        missile="hwasong-12",
        site="sunan",
        bearing_deg=72.9,
        bearing_basis="over Cape Erimo (spec §2)",
        rounds=(Round(offset_s=0.0, apogee_km=550.0, range_km=2700.0),),
        fit_basis="Japan MOD and ROK JCS agree: about 2,700 km, about 550 km",
        reported=(
            _r(
                _JP,
                apogee_km=550.0,
                range_km=2700.0,
                flight_time_s=840.0,
                note="launch 05:58, fell about 06:12; > 2,700 km; may have split into 3 pieces",
            ),
            _r(_KR, apogee_km=550.0, range_km=2700.0),
        ),
        note="Standard trajectory over Hokkaido.",
    ),
    DatedLaunch(
        key="2017-09-15",
        day=date(2017, 9, 15),
        local_time=time(6, 57),
        missile="hwasong-12",
        site="sunan",
        bearing_deg=72.9,
        bearing_basis="over the Oshima Peninsula and Cape Erimo (spec §2)",
        rounds=(Round(offset_s=0.0, apogee_km=785.0, range_km=3700.0),),
        fit_basis="range 3,700 km (both); apogee the mean of 800 km (Japan) and 770 km (ROK)",
        reported=(
            _r(
                _JP,
                apogee_km=800.0,
                range_km=3700.0,
                flight_time_s=1140.0,
                note="launch about 06:57, fell about 07:16",
            ),
            _r(_KR, apogee_km=770.0, range_km=3700.0),
        ),
        note="Standard trajectory over Hokkaido; apogee estimates differ by about 30 km.",
    ),
    DatedLaunch(
        key="2017-11-29",
        day=date(2017, 11, 29),
        local_time=time(3, 18),
        missile="hwasong-15",
        site="pyongsong",
        bearing_deg=76.6,
        bearing_basis="toward the reported impact about 250 km west of Aomori",
        rounds=(Round(offset_s=0.0, apogee_km=4500.0, range_km=980.0),),
        fit_basis="apogee 4,500 km (ROK), range the mean of 1,000 km (Japan) and 960 km (ROK)",
        reported=(
            _r(_JP, range_km=1000.0, flight_time_s=3180.0, note="apogee far above 4,000 km"),
            _r(_KR, apogee_km=4500.0, range_km=960.0),
            _r(_NK, apogee_km=4475.0, range_km=950.0, flight_time_s=3180.0),
        ),
        note="First Hwasong-15, lofted.",
    ),
    DatedLaunch(
        key="2019-05-09",
        day=date(2019, 5, 9),
        local_time=time(16, 29),
        missile="kn-23",
        site="panghyon",
        bearing_deg=90.0,
        bearing_basis=_ASSUMED_EAST,
        rounds=(
            Round(offset_s=0.0, apogee_km=50.0, range_km=420.0),
            Round(offset_s=600.0, apogee_km=50.0, range_km=270.0),
        ),
        fit_basis="ROK JCS: about 420 and 270 km, apogee about 50 km",
        reported=(
            _r(_JP, note="none reached Japanese territory or the EEZ"),
            _r(
                _KR,
                apogee_km=50.0,
                range_km=420.0,
                missiles=2,
                note="16:29 and 16:39 KST; about 420 km and 270 km",
            ),
        ),
        note="Two SRBMs from Kusong (JCS first said Sino-ri).",
    ),
    DatedLaunch(
        key="2019-07-25",
        day=date(2019, 7, 25),
        local_time=time(5, 34),
        missile="kn-23",
        site="hodo",
        bearing_deg=90.0,
        bearing_basis=_ASSUMED_EAST,
        rounds=(
            Round(offset_s=0.0, apogee_km=50.0, range_km=600.0),
            Round(offset_s=1380.0, apogee_km=50.0, range_km=600.0),
        ),
        fit_basis="ROK JCS revised figures: about 600 km each, apogee about 50 km",
        reported=(
            _r(_JP, note="fell short of the EEZ"),
            _r(
                _KR,
                apogee_km=50.0,
                range_km=600.0,
                missiles=2,
                note="05:34 and 05:57; first reported as 430 and 690 km, revised to 600 km each",
            ),
        ),
        note="A clear case of range revision for a low, manoeuvring SRBM.",
    ),
    DatedLaunch(
        key="2019-10-02",
        day=date(2019, 10, 2),
        local_time=time(7, 11),
        missile="pukguksong-3",
        site="wonsan-sea",
        bearing_deg=119.9,
        bearing_basis="toward the reported impact inside Japan's EEZ off Shimane",
        rounds=(Round(offset_s=0.0, apogee_km=905.0, range_km=450.0),),
        fit_basis="range 450 km (ROK); apogee the mean of 900 km (Japan) and 910 km (ROK)",
        reported=(
            _r(
                _JP,
                apogee_km=900.0,
                missiles=1,
                note="first two missiles (07:17 outside the EEZ, 07:27 inside it off Shimane), "
                "corrected to one that went through stage separation",
            ),
            _r(
                _KR,
                apogee_km=910.0,
                range_km=450.0,
                missiles=1,
                note="07:11; detected by an ROK Aegis destroyer",
            ),
        ),
        note="Lofted SLBM; about 2,500 km on a standard trajectory (Kono).",
    ),
    DatedLaunch(
        key="2021-10-19",
        day=date(2021, 10, 19),
        local_time=time(10, 15),
        missile="kn-23-slbm",
        site="sinpo-sea",
        bearing_deg=85.0,
        bearing_basis="assumed: east-north-east into the Sea of Japan (not in the spec)",
        rounds=(Round(offset_s=0.0, apogee_km=55.0, range_km=595.0),),
        fit_basis="mean of Japan (600 km, 50 km) and ROK (590 km, 60 km)",
        reported=(
            _r(
                _JP,
                apogee_km=50.0,
                range_km=600.0,
                missiles=2,
                note="two launches at 10:15 and 10:16; one flew an irregular trajectory",
            ),
            _r(
                _KR,
                apogee_km=60.0,
                range_km=590.0,
                missiles=1,
                note="one missile at about 10:17; first 430 to 450 km, later about 590 km",
            ),
        ),
        note="The two sides disagreed on the number of missiles.",
    ),
    DatedLaunch(
        key="2022-03-24",
        day=date(2022, 3, 24),
        local_time=time(14, 33),
        missile="hwasong-17",
        site="sunan",
        bearing_deg=72.1,
        bearing_basis="toward the reported impact about 150 km west of the Oshima Peninsula",
        rounds=(Round(offset_s=0.0, apogee_km=6100.0, range_km=1090.0),),
        fit_basis="apogee the mean of 6,000 km (Japan) and 6,200 km (ROK); range the mean of "
        "1,100 km and 1,080 km",
        reported=(
            _r(
                _JP,
                apogee_km=6000.0,
                range_km=1100.0,
                flight_time_s=4260.0,
                note="landed at 15:44 inside the EEZ; launch time derived as 15:44 - 71 min",
            ),
            _r(_KR, apogee_km=6200.0, range_km=1080.0, note="> 6,200 km; assessed a Hwasong-15"),
            _r(_NK, apogee_km=6248.5, range_km=1090.0, flight_time_s=4050.0),
        ),
        note="Claimed Hwasong-17, lofted; the ROK assessed it as a Hwasong-15.",
    ),
    DatedLaunch(
        key="2022-11-03",
        day=date(2022, 11, 3),
        local_time=None,
        missile="hwasong-17",
        site="sunan",
        bearing_deg=80.0,
        bearing_basis="assumed: east toward northern Honshu (alerts went to Miyagi, Yamagata "
        "and Niigata)",
        rounds=(Round(offset_s=0.0, apogee_km=2000.0, range_km=750.0),),
        fit_basis="Japan MOD: about 2,000 km apogee, about 750 km range",
        reported=(
            _r(
                _JP,
                apogee_km=2000.0,
                range_km=750.0,
                note="Japan lost track over the Sea of Japan; an overflight notice was withdrawn",
            ),
        ),
        note="Long-range missile, class presumed (spec: 'long-range missile').",
    ),
    DatedLaunch(
        key="2022-11-18",
        day=date(2022, 11, 18),
        local_time=time(10, 15),
        missile="hwasong-17",
        site="sunan",
        bearing_deg=71.6,
        bearing_basis="toward the reported impact about 200 km west of Oshima-Oshima",
        rounds=(Round(offset_s=0.0, apogee_km=6050.0, range_km=1000.0),),
        fit_basis="range 1,000 km (both); apogee the mean of 6,000 km (Japan) and 6,100 km (ROK)",
        reported=(
            _r(
                _JP,
                apogee_km=6000.0,
                range_km=1000.0,
                flight_time_s=4140.0,
                note="about 69 min; > 15,000 km on a standard trajectory",
            ),
            _r(_KR, apogee_km=6100.0, range_km=1000.0, note="10:15; Mach 22"),
            _r(_NK, apogee_km=6040.9, range_km=999.2, flight_time_s=4135.0),
        ),
        note="Hwasong-17, lofted, from Sunan.",
    ),
    DatedLaunch(
        key="2023-02-18",
        day=date(2023, 2, 18),
        local_time=None,
        missile="hwasong-15",
        site="sunan",
        bearing_deg=71.6,
        bearing_basis="toward the reported impact about 200 km west of Oshima island",
        rounds=(Round(offset_s=0.0, apogee_km=5700.0, range_km=900.0),),
        fit_basis="Japan MOD: about 5,700 km apogee, about 900 km range",
        reported=(
            _r(_JP, apogee_km=5700.0, range_km=900.0, flight_time_s=3960.0),
            _r(_KR, range_km=900.0, note="lofted"),
            _r(_NK, apogee_km=5768.5, range_km=989.0, flight_time_s=4015.0),
        ),
        note="Hwasong-15, lofted, from Pyongyang International Airport (KCNA).",
    ),
    DatedLaunch(
        key="2023-12-18",
        day=date(2023, 12, 18),
        local_time=None,
        missile="hwasong-18",
        site="sunan",
        bearing_deg=72.0,
        bearing_basis="toward the reported impact west of Hokkaido",
        rounds=(Round(offset_s=0.0, apogee_km=6518.0, range_km=1000.0),),
        fit_basis="apogee 6,518 km (KCNA; Japan says > 6,000 km), range 1,000 km (ROK)",
        reported=(
            _r(_JP, flight_time_s=4380.0, note="73 min; apogee > 6,000 km; landed W of Hokkaido"),
            _r(_KR, range_km=1000.0),
            _r(_NK, apogee_km=6518.0, range_km=1002.0),
        ),
        note="Solid-fuel Hwasong-18; the launch site is not in the spec (Pyongyang area assumed).",
    ),
)

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
    """``launch`` as a ready :class:`~gsomia.warning.simulation.truth.Scenario` (epoch: first
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
