"""What the value analysis assumes where no public source gives a number.

The assumptions live in a data file (``analysis/data/value.toml``, format
``gsomia/value-assumptions-v1``): how fast and at what level the data of a permitted flow
travels (per route kind, with per-agreement overrides), which counterfactual branches of
the agreement data to compare, and how the Monte Carlo simulation is run. Every number is
stated there with its basis; :func:`load_assumptions` validates it and
:meth:`Assumptions.with_delays` changes the latencies a person may want to explore.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from gsomia.errors import InputError

__all__ = [
    "ASSUMPTIONS_FORMAT",
    "Assumptions",
    "ChannelAssumption",
    "Comparison",
    "HubAssumption",
    "Level",
    "RegimeSpec",
    "Routing",
    "SensorAssumptions",
    "SimulationAssumptions",
    "load_assumptions",
]

ASSUMPTIONS_FORMAT = "gsomia/value-assumptions-v1"
"""Version marker of the assumptions file."""

Level = Literal["reports", "tracks", "warnings"]
"""What a channel carries: raw radar ``reports`` (and satellite cues), ``tracks`` (a state
with its full covariance), or ``warnings`` (warning-level data, RT-1: launch point,
trajectory and impact point, the covariance coarsened so it says nothing of the sensors,
RT-3)."""
_LEVELS = ("reports", "tracks", "warnings")
Routing = Literal["host", "both"]
_ROUTINGS = ("host", "both")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelAssumption:
    """How a channel carries data: radar ``reports`` or track ``warnings`` (RT-1), and its
    end-to-end delay in seconds, with the reason for both."""

    level: Level
    delay_s: float
    basis: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HubAssumption:
    """A route through a hub (TI-2): the level, the delay per hop, and the originator's
    consent before the hub forwards (TI-3)."""

    level: Level
    relay_s: float
    consent_s: float
    basis: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RegimeSpec:
    """A counterfactual branch of the agreement data (see :mod:`gsomia.analysis.regimes`)."""

    key: str
    title: str
    short: str = ""
    no_agreements: bool = False
    terminate: tuple[str, ...] = ()
    in_force: tuple[str, ...] = ()
    lapse: tuple[str, ...] = ()
    lapse_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorAssumptions:
    """Which sensors are up and how far they see, where the public record gives a range or
    an outage history rather than one figure (docs/assumptions.md §4a).

    ``us_radar_routing``: ``host`` (a US radar's reports reach only the ally whose soil it
    stands on) or ``both``. ``fps3_kai``: the seven J/FPS-3 Kai sites take part.
    ``green_pine_reach_km``: the reach of the 2012 Block B units; with
    ``green_pine_alternate`` only one of the two is up in a run, each with
    ``green_pine_outage`` probability of being down. ``jpn_aegis_ships``: JMSDF Aegis
    ships on station (``None``: the catalogue's dated stations).
    ``cue_miss_probability``: the chance the satellite cue misses a launch whose boost is
    shorter than ``cue_short_burn_s``.
    """

    us_radar_routing: Routing = "host"
    fps3_kai: bool = True
    fps3_kai_reach_km: float = 1000.0
    green_pine_reach_km: float = 600.0
    green_pine_alternate: bool = True
    green_pine_outage: float = 0.0016
    jpn_aegis_ships: int | None = None
    cue_miss_probability: float = 0.3
    cue_short_burn_s: float = 60.0
    basis: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """One line of the table: regime ``better`` against regime ``worse``."""

    better: str
    worse: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationAssumptions:
    """How the Monte Carlo is run and scored (docs/value.md §4)."""

    parties: tuple[str, ...]
    runs: int
    seed: int
    step_s: float
    horizon_s: float
    boost_s: float
    dense_s: float
    update_s: float
    settle_sigma_ms: float
    association_radius_m: float
    fix_radii_m: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Assumptions:
    """Everything the analysis assumes: the item asked about, the channels, the regimes to
    compare and the simulation settings."""

    topic: str
    purpose: str
    item_levels: Mapping[str, str]
    direct: ChannelAssumption
    hub: HubAssumption
    realtime: ChannelAssumption
    agreements: Mapping[str, ChannelAssumption]
    regimes: tuple[RegimeSpec, ...]
    comparisons: tuple[Comparison, ...]
    simulation: SimulationAssumptions
    sensors: SensorAssumptions = field(default_factory=SensorAssumptions)

    def with_sensors(self, **changes: Any) -> Assumptions:
        """A copy with other sensor assumptions (``us_radar_routing="both"``, …)."""
        return replace(self, sensors=_checked_sensors(replace(self.sensors, **changes)))

    def with_agreement_channel(self, agreement_id: str, **changes: Any) -> Assumptions:
        """A copy whose channel under ``agreement_id`` has other ``level`` / ``delay_s``.
        Raises InputError if the agreement has no stated channel."""
        if agreement_id not in self.agreements:
            raise InputError(f"no channel stated for agreement {agreement_id!r}")
        chosen = dict(self.agreements)
        chosen[agreement_id] = replace(chosen[agreement_id], **changes)
        return replace(self, agreements=MappingProxyType(chosen))

    def with_delays(
        self,
        *,
        direct_s: float | None = None,
        relay_s: float | None = None,
        consent_s: float | None = None,
        realtime_s: float | None = None,
    ) -> Assumptions:
        """A copy with other latencies (seconds). Raises InputError for a negative one."""
        for value in (direct_s, relay_s, consent_s, realtime_s):
            if value is not None and value < 0:
                raise InputError(f"a delay cannot be negative: {value}")
        return replace(
            self,
            direct=_maybe(self.direct, direct_s),
            realtime=_maybe(self.realtime, realtime_s),
            hub=replace(
                self.hub,
                relay_s=self.hub.relay_s if relay_s is None else relay_s,
                consent_s=self.hub.consent_s if consent_s is None else consent_s,
            ),
        )

    def with_simulation(self, **changes: Any) -> Assumptions:
        """A copy with other simulation settings (``runs=…``, ``horizon_s=…``)."""
        return replace(self, simulation=replace(self.simulation, **changes))

    def regime(self, key: str) -> RegimeSpec:
        """The regime ``key``. Raises InputError if there is none."""
        for spec in self.regimes:
            if spec.key == key:
                return spec
        raise InputError(f"no regime {key!r}; known: {', '.join(r.key for r in self.regimes)}")


def _maybe(channel: ChannelAssumption, delay_s: float | None) -> ChannelAssumption:
    return channel if delay_s is None else replace(channel, delay_s=delay_s)


def load_assumptions(path: Path | None = None) -> Assumptions:
    """Load the assumptions file (the packaged one by default).

    Raises InputError naming the field that is missing or malformed.
    """
    try:
        if path is None:
            text = resources.files("gsomia.analysis").joinpath("data/value.toml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the value assumptions: {exc}") from exc
    if raw.get("format") != ASSUMPTIONS_FORMAT:
        raise InputError(f"not a {ASSUMPTIONS_FORMAT} file: format {raw.get('format')!r}")
    try:
        return _build(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed value assumptions: {type(exc).__name__}: {exc}") from exc


def _build(raw: dict[str, Any]) -> Assumptions:
    channels = raw["channels"]
    regimes = tuple(_regime(r) for r in raw["regimes"])
    keys = [r.key for r in regimes]
    if len(set(keys)) != len(keys) or "actual" in keys:
        raise ValueError("regime keys must be unique and not 'actual'")
    comparisons = tuple(
        Comparison(better=c["better"], worse=c["worse"]) for c in raw["comparisons"]
    )
    for c in comparisons:
        if {c.better, c.worse} - {*keys, "actual"}:
            raise ValueError(f"comparison names an unknown regime: {c}")
    return Assumptions(
        topic=str(raw["item"]["topic"]),
        purpose=str(raw["item"]["purpose"]),
        item_levels=MappingProxyType({str(k): str(v) for k, v in raw["item"]["levels"].items()}),
        direct=_channel(channels["direct"]),
        hub=HubAssumption(
            level=_level(channels["hub"]["level"]),
            relay_s=_seconds(channels["hub"]["relay_s"]),
            consent_s=_seconds(channels["hub"]["consent_s"]),
            basis=str(channels["hub"].get("basis", "")),
        ),
        realtime=_channel(channels["realtime"]),
        agreements=MappingProxyType(
            {str(a["id"]): _channel(a) for a in channels.get("agreement", [])}
        ),
        regimes=regimes,
        comparisons=comparisons,
        simulation=_simulation(raw["simulation"]),
        sensors=_sensors(raw.get("sensors", {})),
    )


def _level(value: Any) -> Level:
    if value not in _LEVELS:
        raise ValueError(f"level must be one of {_LEVELS}, not {value!r}")
    return cast(Level, value)


def _seconds(value: Any) -> float:
    out = float(value)
    if not out >= 0.0:
        raise ValueError(f"a delay must be a non-negative number, not {value!r}")
    return out


def _channel(raw: dict[str, Any]) -> ChannelAssumption:
    return ChannelAssumption(
        level=_level(raw["level"]),
        delay_s=_seconds(raw["delay_s"]),
        basis=str(raw.get("basis", "")),
    )


def _regime(raw: dict[str, Any]) -> RegimeSpec:
    agreements = raw.get("agreements", "as-is")
    if agreements not in ("none", "as-is"):
        raise ValueError(f"regime agreements must be 'none' or 'as-is', not {agreements!r}")
    return RegimeSpec(
        key=str(raw["key"]),
        title=str(raw["title"]),
        short=str(raw.get("short", raw["title"])),
        no_agreements=agreements == "none",
        terminate=tuple(str(x) for x in raw.get("terminate", [])),
        in_force=tuple(str(x) for x in raw.get("in_force", [])),
        lapse=tuple(str(x) for x in raw.get("lapse", [])),
        lapse_on=_day(raw["lapse_on"]) if "lapse_on" in raw else None,
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _sensors(raw: dict[str, Any]) -> SensorAssumptions:
    ships = raw.get("jpn_aegis_ships", "catalogue")
    basis = {str(k): str(v) for k, v in raw.get("basis", {}).items()}
    routing = raw.get("us_radar_routing", "host")
    if routing not in _ROUTINGS:
        raise ValueError(f"us_radar_routing must be one of {_ROUTINGS}, not {routing!r}")
    return _checked_sensors(
        SensorAssumptions(
            us_radar_routing=cast(Routing, routing),
            fps3_kai=bool(raw.get("fps3_kai", True)),
            fps3_kai_reach_km=float(raw.get("fps3_kai_reach_km", 1000.0)),
            green_pine_reach_km=float(raw.get("green_pine_reach_km", 600.0)),
            green_pine_alternate=bool(raw.get("green_pine_alternate", True)),
            green_pine_outage=float(raw.get("green_pine_outage", 0.0016)),
            jpn_aegis_ships=None if ships == "catalogue" else int(ships),
            cue_miss_probability=float(raw.get("cue_miss_probability", 0.3)),
            cue_short_burn_s=float(raw.get("cue_short_burn_s", 60.0)),
            basis=basis,
        )
    )


def _checked_sensors(s: SensorAssumptions) -> SensorAssumptions:
    if s.us_radar_routing not in _ROUTINGS:
        raise InputError(f"us_radar_routing must be one of {_ROUTINGS}")
    for name in ("green_pine_outage", "cue_miss_probability"):
        if not 0.0 <= getattr(s, name) <= 1.0:
            raise InputError(f"{name} must be a probability, not {getattr(s, name)!r}")
    if min(s.fps3_kai_reach_km, s.green_pine_reach_km) <= 0 or s.cue_short_burn_s < 0:
        raise InputError("reaches must be positive and cue_short_burn_s non-negative")
    if s.jpn_aegis_ships is not None and not 0 <= s.jpn_aegis_ships <= 3:
        raise InputError(f"jpn_aegis_ships must be 0 to 3, not {s.jpn_aegis_ships}")
    return s


def _simulation(raw: dict[str, Any]) -> SimulationAssumptions:
    sim = SimulationAssumptions(
        parties=tuple(str(p) for p in raw["parties"]),
        runs=int(raw["runs"]),
        seed=int(raw["seed"]),
        step_s=float(raw["step_s"]),
        horizon_s=float(raw["horizon_s"]),
        boost_s=float(raw["boost_s"]),
        dense_s=float(raw["dense_s"]),
        update_s=float(raw["update_s"]),
        settle_sigma_ms=float(raw["settle_sigma_ms"]),
        association_radius_m=float(raw["association_radius_km"]) * 1e3,
        fix_radii_m=tuple(float(r) * 1e3 for r in raw["fix_radii_km"]),
    )
    if sim.runs < 1 or min(sim.step_s, sim.horizon_s, sim.boost_s, sim.dense_s, sim.update_s) <= 0:
        raise ValueError("runs and every interval must be positive")
    if not sim.parties or not sim.fix_radii_m:
        raise ValueError("parties and fix_radii_km must not be empty")
    return sim
