"""Missile classes: stages, burn times, ballistic coefficients and radar cross-sections.

No public source gives measured burn times, thrust profiles, ballistic coefficients or radar
cross-sections for North Korean missiles (spec/missile-scenario.md §2, "Burn times"). Every
number here is therefore an assumption, chosen as docs/assumptions.md explains: stage burn
times of the size typical for liquid and solid stages of each missile's class, propellant
fractions calibrated so that each class's full burn covers the most energetic reported shot of
that class (and, where a standard-trajectory range was reported, roughly reproduces it), and
ballistic coefficients and cross-sections of the usual order for re-entry vehicles, missile
bodies and tumbling spent stages. Each class is a value; the catalogue is :func:`missile_classes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gsomia.errors import UnknownName
from gsomia.warning.physics.vehicles import MissileClass, PullUp, Stage

__all__ = ["missile_class", "missile_classes"]


def _spent(spent_beta: float = 300.0, spent_rcs: float = 5.0) -> dict[str, float]:
    return {"spent_beta": spent_beta, "spent_rcs_m2": spent_rcs}


_CLASSES: tuple[MissileClass, ...] = (
    MissileClass(
        key="kn-23",
        name="KN-23 (Hwasong-11Ga)",
        aliases=("kn23", "hwasong-11", "hwasong-11ga", "srbm"),
        propellant="solid",
        stages=(
            Stage(
                burn_time_s=38.0,
                isp_s=245.0,
                propellant_fraction=0.781,
                spent_beta=4000.0,
                spent_rcs_m2=0.3,
            ),
        ),
        vertical_rise_s=4.0,
        pitch_over_s=14.0,
        boost_beta=20_000.0,
        boost_rcs_m2=0.5,
        payload_beta=12_000.0,
        payload_rcs_m2=0.3,
        separates=False,
        pull_up=PullUp(
            top_m=45_000.0,
            bottom_m=12_000.0,
            glide_angle_deg=-3.0,
            lift_loading=5000.0,
            lift_to_drag=2.5,
        ),
        note="Iskander-like quasi-ballistic SRBM; the body flies to impact without separation.",
    ),
    MissileClass(
        key="kn-23-slbm",
        name="Small SLBM of the KN-23 class (2021)",
        aliases=("slbm-kn-23", "mini-slbm", "small-slbm"),
        propellant="solid",
        stages=(
            Stage(
                burn_time_s=36.0,
                isp_s=245.0,
                propellant_fraction=0.768,
                spent_beta=4000.0,
                spent_rcs_m2=0.3,
            ),
        ),
        vertical_rise_s=6.0,
        pitch_over_s=14.0,
        boost_beta=20_000.0,
        boost_rcs_m2=0.5,
        payload_beta=12_000.0,
        payload_rcs_m2=0.3,
        separates=False,
        pull_up=PullUp(
            top_m=55_000.0,
            bottom_m=12_000.0,
            glide_angle_deg=-3.0,
            lift_loading=5000.0,
            lift_to_drag=2.5,
        ),
        note="Sea-launched variant of the KN-23 body (19 Oct 2021, off Sinpo).",
    ),
    MissileClass(
        key="pukguksong-3",
        name="Pukguksong-3 SLBM",
        aliases=("pks-3", "pukguksong3", "kn-26"),
        propellant="solid",
        stages=(
            Stage(
                burn_time_s=60.0,
                isp_s=250.0,
                propellant_fraction=0.644,
                spent_beta=300.0,
                spent_rcs_m2=3.0,
            ),
            Stage(
                burn_time_s=55.0,
                isp_s=265.0,
                propellant_fraction=0.684,
                spent_beta=250.0,
                spent_rcs_m2=1.5,
            ),
        ),
        vertical_rise_s=8.0,
        pitch_over_s=107.0,
        boost_beta=12_000.0,
        boost_rcs_m2=3.0,
        payload_beta=3000.0,
        payload_rcs_m2=0.1,
        separates=True,
        standard_range_km=2500.0,
        standard_range_source="Kono (Japan), 2 Oct 2019: about 2,500 km on a standard trajectory",
    ),
    MissileClass(
        key="hwasong-12",
        name="Hwasong-12 IRBM",
        aliases=("hwasong12", "hs-12", "kn-17"),
        propellant="liquid",
        stages=(Stage(burn_time_s=140.0, isp_s=290.0, propellant_fraction=0.932, **_spent()),),
        vertical_rise_s=10.0,
        pitch_over_s=130.0,
        boost_beta=15_000.0,
        boost_rcs_m2=5.0,
        payload_beta=3000.0,
        payload_rcs_m2=0.1,
        separates=True,
    ),
    MissileClass(
        key="hwasong-14",
        name="Hwasong-14 ICBM",
        aliases=("hwasong14", "hs-14", "kn-20"),
        propellant="liquid",
        stages=(
            Stage(burn_time_s=150.0, isp_s=290.0, propellant_fraction=0.825, **_spent()),
            Stage(burn_time_s=160.0, isp_s=300.0, propellant_fraction=0.748, **_spent(250.0, 2.0)),
        ),
        vertical_rise_s=10.0,
        pitch_over_s=300.0,
        boost_beta=15_000.0,
        boost_rcs_m2=5.0,
        payload_beta=3000.0,
        payload_rcs_m2=0.1,
        separates=True,
    ),
    MissileClass(
        key="hwasong-15",
        name="Hwasong-15 ICBM",
        aliases=("hwasong15", "hs-15", "kn-22"),
        propellant="liquid",
        stages=(
            Stage(burn_time_s=140.0, isp_s=290.0, propellant_fraction=0.832, **_spent()),
            Stage(burn_time_s=170.0, isp_s=310.0, propellant_fraction=0.805, **_spent(250.0, 2.0)),
        ),
        vertical_rise_s=10.0,
        pitch_over_s=300.0,
        boost_beta=18_000.0,
        boost_rcs_m2=6.0,
        payload_beta=3500.0,
        payload_rcs_m2=0.1,
        separates=True,
    ),
    MissileClass(
        key="hwasong-17",
        name="Hwasong-17 ICBM",
        aliases=("hwasong17", "hs-17", "kn-28"),
        propellant="liquid",
        stages=(
            Stage(burn_time_s=150.0, isp_s=290.0, propellant_fraction=0.834, **_spent(300.0, 8.0)),
            Stage(burn_time_s=180.0, isp_s=310.0, propellant_fraction=0.825, **_spent(250.0, 3.0)),
        ),
        vertical_rise_s=12.0,
        pitch_over_s=318.0,
        boost_beta=20_000.0,
        boost_rcs_m2=8.0,
        payload_beta=3500.0,
        payload_rcs_m2=0.1,
        separates=True,
        standard_range_km=15_000.0,
        standard_range_source="Japan MOD, 18 Nov 2022: > 15,000 km on a standard trajectory",
    ),
    MissileClass(
        key="hwasong-18",
        name="Hwasong-18 solid ICBM",
        aliases=("hwasong18", "hs-18"),
        propellant="solid",
        stages=(
            Stage(burn_time_s=85.0, isp_s=260.0, propellant_fraction=0.729, **_spent(300.0, 6.0)),
            Stage(burn_time_s=80.0, isp_s=275.0, propellant_fraction=0.729, **_spent(250.0, 3.0)),
            Stage(burn_time_s=70.0, isp_s=285.0, propellant_fraction=0.65, **_spent(200.0, 1.0)),
        ),
        vertical_rise_s=10.0,
        pitch_over_s=225.0,
        boost_beta=18_000.0,
        boost_rcs_m2=6.0,
        payload_beta=3500.0,
        payload_rcs_m2=0.1,
        separates=True,
    ),
    MissileClass(
        key="hwasong-19",
        name="Hwasong-19 solid ICBM",
        aliases=("hwasong19", "hs-19"),
        propellant="solid",
        stages=(
            Stage(burn_time_s=90.0, isp_s=260.0, propellant_fraction=0.751, **_spent(300.0, 8.0)),
            Stage(burn_time_s=85.0, isp_s=275.0, propellant_fraction=0.751, **_spent(250.0, 3.0)),
            Stage(burn_time_s=75.0, isp_s=285.0, propellant_fraction=0.683, **_spent(200.0, 1.0)),
        ),
        vertical_rise_s=10.0,
        pitch_over_s=240.0,
        boost_beta=20_000.0,
        boost_rcs_m2=8.0,
        payload_beta=3500.0,
        payload_rcs_m2=0.1,
        separates=True,
    ),
)

_BY_NAME: Mapping[str, MissileClass] = MappingProxyType(
    {name: c for c in _CLASSES for name in (c.key, *c.aliases)}
)


def missile_classes() -> tuple[MissileClass, ...]:
    """Every class in the catalogue, from the least to the most capable."""
    return _CLASSES


def missile_class(name: str) -> MissileClass:
    """The class called ``name`` (key or alias, case-insensitive).

    Raises :class:`~gsomia.errors.UnknownName` when there is none.
    """
    found = _BY_NAME.get(name.strip().lower())
    if found is None:
        raise UnknownName(kind="missile class", name=name, known=(c.key for c in _CLASSES))
    return found
