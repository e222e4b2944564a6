"""Sensitivity of the headline to every stated assumption (``gsomia value sweep``).

Each :class:`Factor` varies one assumption over a stated range (channel delays, consent
delay, US routing and data level, sensor availability, ships on station, cue misses);
each point of the sweep is the same Monte Carlo (same seed, launches and runs) under the
changed assumptions, and its result is the headline difference (GSOMIA in force against
TISA only) per party and measure, with its bootstrap interval. A tornado chart ranks the
factors by how far they move the headline; a heat map crosses the direct-channel delay
with the TISA consent delay. The agreement-text what-ifs are points too: standing TISA
consent, the GSOMIA used only on request after the event, and the November 2019 lapse.

Points that share their sensors share their tracker runs: their regimes' sharing goes to
one :func:`~gsomia.analysis.runner.run_launch` per launch and chunk of runs, whose caches
then hold every distinct picture once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from gsomia.analysis.assumptions import Assumptions, Comparison
from gsomia.analysis.regimes import Regime, regimes_from
from gsomia.analysis.report import ValueReport, measures
from gsomia.analysis.runner import LaunchResult, regime_sharing, run_launches
from gsomia.analysis.statistics import Difference
from gsomia.core.agreements import AgreementLibrary
from gsomia.warning.scenario.launches import dated_launch

__all__ = [
    "DEFAULT_LAUNCHES",
    "HEAT_CONSENT_S",
    "HEAT_DIRECT_S",
    "Factor",
    "Point",
    "SweepResult",
    "factors",
    "run_sweep",
]

DEFAULT_LAUNCHES = ("2017-11-29", "2019-05-09", "2019-07-25", "2022-11-03", "2022-11-18")
"""A sweep's default launches: an ICBM before the 2019 notice, the two 2019 KN-23 salvos,
the 2022 failure case and a lofted ICBM after the lapse date."""
HEAT_DIRECT_S = (5.0, 60.0, 180.0, 600.0, 3600.0)
HEAT_CONSENT_S = (0.0, 60.0, 600.0, 3600.0)
HEADLINE = Comparison(better="gsomia", worse="tisa-only")
_SWEEP_REGIMES = ("tisa-only", "gsomia", "lapse-2019", "link")

Change = Callable[[Assumptions], Assumptions]


@dataclass(frozen=True, slots=True, kw_only=True)
class Factor:
    """One assumption and its stated range: ``low`` and ``high`` change the baseline."""

    key: str
    label: str
    low_label: str
    high_label: str
    low: Change
    high: Change


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """One point of the sweep: a name and the assumptions it runs under."""

    key: str
    label: str
    assumptions: Assumptions


def _us_level(level: str) -> Change:
    def change(a: Assumptions) -> Assumptions:
        for agreement in ("jpn-usa-gsomia", "kor-usa-gsomia"):
            if agreement in a.agreements:
                a = a.with_agreement_channel(agreement, level=level)
        return a

    return change


def factors() -> tuple[Factor, ...]:
    """The assumptions the sweep varies, each over its stated range (docs/value.md §7)."""
    return (
        Factor(key="direct", label="GSOMIA channel delay", low_label="5 s",
               high_label="1 h (post-event)",
               low=lambda a: a.with_delays(direct_s=5.0),
               high=lambda a: a.with_delays(direct_s=3600.0)),
        Factor(key="consent", label="TISA consent delay", low_label="0 (standing)",
               high_label="1 h",
               low=lambda a: a.with_delays(consent_s=0.0),
               high=lambda a: a.with_delays(consent_s=3600.0)),
        Factor(key="realtime", label="2023 link delay", low_label="2 s", high_label="30 s",
               low=lambda a: a.with_delays(realtime_s=2.0),
               high=lambda a: a.with_delays(realtime_s=30.0)),
        Factor(key="routing", label="US radar routing", low_label="host only",
               high_label="both allies",
               low=lambda a: a.with_sensors(us_radar_routing="host"),
               high=lambda a: a.with_sensors(us_radar_routing="both")),
        Factor(key="us-level", label="US data to allies", low_label="tracks",
               high_label="raw reports", low=_us_level("tracks"), high=_us_level("reports")),
        Factor(key="ships", label="JMSDF Aegis on station", low_label="0", high_label="3",
               low=lambda a: a.with_sensors(jpn_aegis_ships=0),
               high=lambda a: a.with_sensors(jpn_aegis_ships=3)),
        Factor(key="green-pine", label="Green Pine Block B reach", low_label="500 km",
               high_label="800 km",
               low=lambda a: a.with_sensors(green_pine_reach_km=500.0),
               high=lambda a: a.with_sensors(green_pine_reach_km=800.0)),
        Factor(key="alternate", label="Green Pine B units up", low_label="one (alternating)",
               high_label="both",
               low=lambda a: a.with_sensors(green_pine_alternate=True),
               high=lambda a: a.with_sensors(green_pine_alternate=False)),
        Factor(key="fps3", label="J/FPS-3 Kai sites", low_label="off", high_label="on",
               low=lambda a: a.with_sensors(fps3_kai=False),
               high=lambda a: a.with_sensors(fps3_kai=True)),
        Factor(key="cue", label="cue misses a short burn", low_label="never",
               high_label="80 %",
               low=lambda a: a.with_sensors(cue_miss_probability=0.0),
               high=lambda a: a.with_sensors(cue_miss_probability=0.8)),
    )  # fmt: skip


def what_ifs(base: Assumptions) -> tuple[Point, ...]:
    """The agreement-text what-ifs, from the agreement data and its stated channels."""
    return (
        Point(key="whatif:standing-consent", label="TISA with standing consent (TI-3 waived)",
              assumptions=base.with_delays(consent_s=0.0)),
        Point(key="whatif:post-event", label="GSOMIA used only on request after the event",
              assumptions=base.with_delays(direct_s=3600.0)),
    )  # fmt: skip


def points(base: Assumptions, chosen: Sequence[Factor], *, heat: bool = True) -> tuple[Point, ...]:
    """Every point of a sweep: the baseline, each factor's ends, the heat map, what-ifs."""
    out = [Point(key="base", label="baseline", assumptions=base)]
    for f in chosen:
        out.append(Point(key=f"{f.key}:low", label=f.low_label, assumptions=f.low(base)))
        out.append(Point(key=f"{f.key}:high", label=f.high_label, assumptions=f.high(base)))
    if heat:
        for d in HEAT_DIRECT_S:
            for c in HEAT_CONSENT_S:
                a = base.with_delays(direct_s=d, consent_s=c)
                out.append(Point(key=f"heat:{d:g}:{c:g}", label=f"{d:g} s × {c:g} s",
                                 assumptions=a))  # fmt: skip
    out.extend(what_ifs(base))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SweepResult:
    """Per point, the headline difference per party and measure, and the lapse's cost."""

    points: tuple[Point, ...]
    factors: tuple[Factor, ...]
    reports: Mapping[str, ValueReport]
    runs: int
    launches: tuple[str, ...]

    def headline(self, point: str, party: str, measure: str) -> Difference:
        """GSOMIA in force against TISA only at ``point``."""
        report = self.reports[point]
        m = next(x for x in measures(report.assumptions) if x.key == measure)
        return report.difference(HEADLINE, party, m)

    def tornado(self, party: str, measure: str) -> list[tuple[Factor, float, float]]:
        """(factor, headline at low, at high), the widest swing first."""
        rows = [
            (
                f,
                self.headline(f"{f.key}:low", party, measure).mean,
                self.headline(f"{f.key}:high", party, measure).mean,
            )
            for f in self.factors
        ]
        return sorted(rows, key=lambda r: -abs(r[2] - r[1]))

    def to_json(self) -> dict[str, Any]:
        """Every point's headline differences, JSON-ready."""
        some = next(iter(self.reports.values()))
        ms = [m.key for m in measures(some.assumptions)]
        parties = some.parties
        return {
            "format": "gsomia/value-sweep-v1",
            "runs": self.runs,
            "launches": list(self.launches),
            "comparison": {"better": HEADLINE.better, "worse": HEADLINE.worse},
            "points": [
                {
                    "key": p.key,
                    "label": p.label,
                    "parties": {
                        party: {m: self.headline(p.key, party, m).as_dict() for m in ms}
                        for party in parties
                    },
                }
                for p in self.points
            ],
        }


def _group_key(a: Assumptions) -> str:
    s = a.sensors
    channel = {k: (v.level, v.delay_s) for k, v in a.agreements.items()}
    return repr((replace(s, basis={}), sorted(channel.items())))


def _split(result: LaunchResult, key: str) -> LaunchResult:
    prefix = f"{key}::"
    return replace(
        result,
        sharing={k[len(prefix):]: v for k, v in result.sharing.items() if k.startswith(prefix)},
        scores={(k[len(prefix):], p): v for (k, p), v in result.scores.items()
                if k.startswith(prefix)},
    )  # fmt: skip


def run_sweep(
    library: AgreementLibrary,
    base: Assumptions,
    *,
    launches: Sequence[str] = DEFAULT_LAUNCHES,
    runs: int = 4,
    chosen: Sequence[Factor] | None = None,
    heat: bool = True,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run every point of the sweep over ``launches`` × ``runs`` and collect the
    headline differences. ``on_total`` is told the number of launch-runs first."""
    use = tuple(chosen if chosen is not None else factors())
    a0 = base.with_simulation(runs=runs)
    every = points(a0, use, heat=heat)
    regimes = [r for r in regimes_from(a0) if r.key in _SWEEP_REGIMES]
    groups: dict[str, list[Point]] = {}
    for p in every:
        groups.setdefault(_group_key(p.assumptions), []).append(p)
    if on_total is not None:
        on_total(len(groups) * len(launches) * runs)
    results: dict[str, list[LaunchResult]] = {p.key: [] for p in every}
    for members in groups.values():
        a = members[0].assumptions
        jobs = []
        for key in launches:
            dl = dated_launch(key)
            shared = {}
            for p in members:
                for k, s in regime_sharing(library, dl, regimes, p.assumptions).items():
                    shared[f"{p.key}::{k}"] = s
            jobs.append((key, shared))
        done = run_launches(
            jobs, a.simulation, workers=workers, sensors=a.sensors, executor=executor,
            progress=progress, chunk=max(1, runs // 2),
        )  # fmt: skip
        for p in members:
            results[p.key] = [_split(r, p.key) for r in done]
    reports = {
        p.key: ValueReport(results=tuple(results[p.key]), regimes=_regimes(regimes),
                           assumptions=p.assumptions)
        for p in every
    }  # fmt: skip
    return SweepResult(points=every, factors=use, reports=reports, runs=runs,
                       launches=tuple(launches))  # fmt: skip


def _regimes(regimes: Sequence[Regime]) -> tuple[Regime, ...]:
    return tuple(regimes)
