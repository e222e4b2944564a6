"""The value report: medians and spreads per regime, paired differences between regimes.

Every number here is computed from the simulated runs in
:class:`~gsomia.analysis.runner.LaunchResult`; nothing is written in by hand. Differences
between two regimes are *paired*: the same launch, run and missile under both (common
random numbers), so the spread is that of the sharing's effect, not of the sensors' luck.
The JSON form (:meth:`ValueReport.to_json`) starts with its version marker,
``"format": "gsomia/value-v1"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gsomia.analysis.association import summarise_scores
from gsomia.analysis.assumptions import Assumptions, Comparison
from gsomia.analysis.metrics import Paired, Summary, paired, summarise
from gsomia.analysis.regimes import Regime, describe
from gsomia.analysis.runner import LaunchResult
from gsomia.analysis.scoring import RoundScore
from gsomia.analysis.statistics import Difference, lead_time, paired_difference
from gsomia.analysis.validation import validate
from gsomia.warning.simulation.world import RoundTruth

__all__ = ["VALUE_FORMAT", "Measure", "ValueReport", "measures"]

VALUE_FORMAT = "gsomia/value-v1"
"""Version marker of ``value.json``."""

PARTY_NAMES = {"JPN": "Japan", "KOR": "ROK", "USA": "USA"}

Kind = Literal["time", "warning", "count"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    """One measure of a party's picture: its key, words, and which way is better.

    ``time``: seconds from launch to an event (smaller is better, ``inf`` never);
    ``warning``: seconds of warning (larger is better); ``count``: smaller is better.
    """

    key: str
    label: str
    short: str
    kind: Kind
    fix: int = -1

    def lead(self, score: RoundScore, rt: RoundTruth) -> float:
        """This measure as a lead time (s before impact or crossing; 0: never; ``nan``:
        does not apply, e.g. an overflight warning for a missile that did not cross)."""
        flight = rt.impact_t - rt.launch_t
        if self.key == "first_track_s":
            return lead_time(score.first_track_s, flight)
        if self.fix >= 0:
            return lead_time(score.fix_s[self.fix], flight)
        if self.key == "crossing_warning_s":
            return math.nan if score.crossing_warning_s is None else score.crossing_warning_s
        return score.warning_s

    def of(self, score: RoundScore) -> float:
        """This measure of one scored missile (``nan`` where it does not apply)."""
        if self.key == "first_track_s":
            return score.first_track_s
        if self.fix >= 0:
            return score.fix_s[self.fix]
        if self.key == "warning_s":
            return score.warning_s
        if self.key == "crossing_warning_s":
            return math.nan if score.crossing_warning_s is None else score.crossing_warning_s
        return float(score.tracks_lost)


def measures(assumptions: Assumptions) -> tuple[Measure, ...]:
    """The measures reported, in table order (one per fix radius of the assumptions)."""
    fixes = tuple(
        Measure(
            key=f"fix_{r / 1e3:g}km_s",
            label=f"impact point within {r / 1e3:g} km",
            short=f"impact ≤{r / 1e3:g} km",
            kind="time",
            fix=i,
        )
        for i, r in enumerate(assumptions.simulation.fix_radii_m)
    )
    return (
        Measure(key="first_track_s", label="first track", short="first track", kind="time"),
        *fixes,
        Measure(
            key="crossing_warning_s",
            label="warning before crossing Japan",
            short="overflight warning",
            kind="warning",
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ValueReport:
    """What ``gsomia value`` measured: the launches' results, and where the files went."""

    results: tuple[LaunchResult, ...]
    regimes: tuple[Regime, ...]
    assumptions: Assumptions
    workers: int = 1
    plots: tuple[Path, ...] = ()
    json_path: Path | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        """The parties whose pictures were scored."""
        return self.assumptions.simulation.parties

    def regime(self, key: str) -> Regime:
        """The regime ``key``. Raises KeyError if there is none."""
        return next(r for r in self.regimes if r.key == key)

    def _scores(self, regime: str, party: str, launch: str | None) -> Iterator[RoundScore]:
        for result in self.results:
            if launch is None or result.launch.key == launch:
                for run in result.scores.get((regime, party), ()):
                    yield from run

    def leads(
        self, regime: str, party: str, measure: Measure, launch: str | None = None
    ) -> tuple[list[float], list[str]]:
        """The measure as lead times over every launch (or one), run and missile, and the
        launch each came from (the bootstrap's clusters)."""
        values: list[float] = []
        clusters: list[str] = []
        for result in self.results:
            if launch is not None and result.launch.key != launch:
                continue
            for run in result.scores.get((regime, party), ()):
                for score, rt in zip(run, result.rounds, strict=True):
                    values.append(measure.lead(score, rt))
                    clusters.append(result.launch.key)
        return values, clusters

    def difference(
        self, comparison: Comparison, party: str, measure: Measure, launch: str | None = None
    ) -> Difference:
        """The paired gain in lead time of ``comparison.better`` over ``.worse``, with its
        bootstrap 95 % interval; missiles the measure does not apply to are left out."""
        better, clusters = self.leads(comparison.better, party, measure, launch)
        worse, _ = self.leads(comparison.worse, party, measure, launch)
        keep = [
            i
            for i, (b, w) in enumerate(zip(better, worse, strict=True))
            if not (math.isnan(b) and math.isnan(w))
        ]
        seed = self.assumptions.simulation.seed
        return paired_difference(
            [better[i] for i in keep],
            [worse[i] for i in keep],
            [clusters[i] for i in keep],
            resolution_s=self.assumptions.simulation.step_s,
            seed=seed,
        )

    def values(
        self, regime: str, party: str, measure: Measure, launch: str | None = None
    ) -> list[float]:
        """The measure over every launch (or one), run and missile, in a fixed order."""
        return [measure.of(s) for s in self._scores(regime, party, launch)]

    def summary(
        self, regime: str, party: str, measure: Measure, launch: str | None = None
    ) -> Summary:
        """Median and interquartile range of a measure."""
        return summarise(self.values(regime, party, measure, launch))

    def gaps(self, regime: str, which: str, launch: str | None = None) -> list[float]:
        """|Japan − ROK| of the final apogee (``which="apogee"``) or range estimate (km),
        per run and missile where both sides held an estimate."""
        if len(self.parties) < 2:
            return []
        a, b = self.parties[:2]
        out = []
        for sa, sb in zip(
            self._scores(regime, a, launch), self._scores(regime, b, launch), strict=True
        ):
            va = sa.apogee_km if which == "apogee" else sa.range_km
            vb = sb.apogee_km if which == "apogee" else sb.range_km
            if math.isfinite(va) and math.isfinite(vb):
                out.append(abs(va - vb))
        return out

    def compare(
        self, comparison: Comparison, party: str, measure: Measure, launch: str | None = None
    ) -> Paired:
        """Paired gains of ``comparison.better`` over ``comparison.worse`` on one measure."""
        better = self.values(comparison.better, party, measure, launch)
        worse = self.values(comparison.worse, party, measure, launch)
        return paired(better, worse, larger_is_better=measure.kind == "warning")

    def comparisons(self) -> tuple[Comparison, ...]:
        """The comparisons of the assumptions whose regimes were run."""
        keys = {r.key for r in self.regimes}
        return tuple(
            c for c in self.assumptions.comparisons if c.better in keys and c.worse in keys
        )

    def table_columns(self) -> list[str]:
        """The keys of :meth:`table_rows`, in order (they are the table's headings)."""
        return ["comparison", "party", *(m.short for m in measures(self.assumptions))]

    def table_rows(self) -> list[dict[str, str]]:
        """One row per comparison and party: each measure's paired gain, in words."""
        rows = []
        for c in self.comparisons():
            for party in self.parties:
                row = {
                    "comparison": f"{self.regime(c.better).label} vs {self.regime(c.worse).label}",
                    "party": PARTY_NAMES.get(party, party),
                }
                for m in measures(self.assumptions):
                    row[m.short] = difference_text(self.difference(c, party, m))
                rows.append(row)
        return rows

    def launch_rows(self) -> list[dict[str, str]]:
        """Per launch and comparison, each party's paired gain in first track and in the
        tightest impact fix, in short form ("+35 s · +20 s", "(+2)": reached only in the
        better regime)."""
        ms = {m.key: m for m in measures(self.assumptions)}
        tight = [m for m in ms.values() if m.fix >= 0][-1]
        rows = []
        for result in self.results:
            key = result.launch.key
            row = {"launch": key, "missile": result.launch.missile}
            for c in self.comparisons():
                for party in self.parties:
                    cells = [
                        short_difference(self.difference(c, party, m, key))
                        for m in (ms["first_track_s"], tight)
                    ]
                    row[f"{c.better}/{c.worse}/{party}"] = " · ".join(cells)
            rows.append(row)
        return rows

    def sentences(self) -> list[str]:
        """The table's headline, one sentence per comparison and party."""
        out = []
        for c in self.comparisons():
            for party in self.parties:
                parts = []
                for m in measures(self.assumptions):
                    d = self.difference(c, party, m)
                    if d.n:
                        parts.append(f"{m.label}: {difference_text(d, one_line=True)}")
                who = PARTY_NAMES.get(party, party)
                title = f"{self.regime(c.better).title} vs {self.regime(c.worse).title}"
                out.append(f"{title}: {who} " + ("; ".join(parts) if parts else "—"))
        return out

    def answers(self) -> list[tuple[str, str]]:
        """The first screen: per party, what the GSOMIA buys, what the 2023 link adds and
        what the 2019 lapse would have cost, one sentence each (the lead time of the
        widest impact fix, with its interval and run count)."""
        fix = next(m for m in measures(self.assumptions) if m.fix == 0)
        keys = {r.key for r in self.regimes}
        questions = [
            (Comparison(better="gsomia", worse="tisa-only"), "the GSOMIA buys {who}"),
            (Comparison(better="link", worse="gsomia"), "the 2023 link adds for {who}"),
            (Comparison(better="gsomia", worse="lapse-2019"),
             "the 2019 lapse would have cost {who}"),
        ]  # fmt: skip
        out = []
        for party in self.parties:
            who = PARTY_NAMES.get(party, party)
            for c, words in questions:
                if {c.better, c.worse} <= keys:
                    d = self.difference(c, party, fix)
                    out.append((party, _answer(words.format(who=who), d, fix.label)))
        return out

    def coverage_rows(self) -> list[dict[str, str]]:
        """Per missile class and party (regime ``actual``): the share of missile-runs whose
        true impact lay inside the 95 % ellipse predicted a minute after burnout (target
        90–99 %), over those with an impact estimate then (none, or one still flagged
        powered, is counted apart)."""
        tallies: dict[tuple[str, str], list[bool]] = {}
        missing: dict[tuple[str, str], int] = {}
        for result in self.results:
            for party, judged in result.coverage.items():
                key = (result.launch.missile, party)
                tallies.setdefault(key, []).extend(h for h in judged if h is not None)
                missing[key] = missing.get(key, 0) + sum(h is None for h in judged)
        rows = []
        for (missile, party), hits in sorted(tallies.items()):
            share = f"{100.0 * sum(hits) / len(hits):.0f} %" if hits else "—"
            rows.append({
                "missile": missile,
                "party": PARTY_NAMES.get(party, party),
                "inside 95 % ellipse": share,
                "runs": f"{len(hits)} (+{missing[(missile, party)]} without an impact estimate)",
                "target met": "yes" if hits and 0.90 <= sum(hits) / len(hits) <= 0.99 else "no",
            })  # fmt: skip
        return rows

    def association(self, regime: str, party: str, launch: str | None = None) -> dict[str, float]:
        """The mean association scores of ``party``'s own tracks under ``regime`` (over
        every launch, or ``launch``): :func:`~gsomia.analysis.association.summarise_scores`;
        empty where none were scored."""
        scores = [
            a
            for result in self.results
            if launch in (None, result.launch.key)
            for a in result.association.get((regime, party), ())
        ]
        c = self.assumptions.simulation.association_radius_m
        return summarise_scores(scores, c=c) if scores else {}

    def association_sentences(self) -> list[str]:
        """One sentence per party: how well its own tracks follow the objects (``actual``)."""
        out = []
        for party in self.parties:
            s = self.association("actual", party)
            if s:
                out.append(
                    f"{PARTY_NAMES.get(party, party)} holds {s['tracks']:.1f} confirmed tracks "
                    f"per run for {s['objects']:.1f} objects in flight (warheads and stages): "
                    f"purity {s['purity']:.2f}, {s['swaps']:.1f} swaps and "
                    f"{s['false_tracks']:.1f} false tracks per run, GOSPA {s['gospa_km']:.1f} km "
                    f"({s['missed_per_time']:.2f} objects missed at a time)."
                )
        return out

    def association_rows(self) -> list[dict[str, str]]:
        """Per regime and party, the association table's cells (means per run)."""
        rows = []
        for regime in self.regimes:
            for party in self.parties:
                s = self.association(regime.key, party)
                if not s:
                    continue
                rows.append({
                    "regime": regime.label,
                    "party": PARTY_NAMES.get(party, party),
                    "tracks / objects": f"{s['tracks']:.1f} / {s['objects']:.1f}",
                    "purity": f"{s['purity']:.2f}",
                    "swaps": f"{s['swaps']:.1f}",
                    "id changes": f"{s['id_changes']:.1f}",
                    "false tracks": f"{s['false_tracks']:.1f}",
                    "GOSPA (km)": f"{s['gospa_km']:.1f}",
                    "missed at a time": f"{s['missed_per_time']:.2f}",
                    "runs": f"{s['runs']:.0f}",
                })  # fmt: skip
        return rows

    def validation_rows(self) -> list[dict[str, str]]:
        """The model against the public record, one row per check whose launch was run."""
        return [
            {
                "launch": check.launch,
                "public record": check.claim,
                "model": outcome.model,
                "criterion": check.criterion,
                "agrees": "yes" if outcome.agrees else "no",
                "source": check.source,
            }
            for check, outcome in validate(self.results)
        ]

    def to_json(self) -> dict[str, Any]:
        """Every number of the report, JSON-ready, version marker first."""
        ms = measures(self.assumptions)
        return {
            "format": VALUE_FORMAT,
            "assumptions": _assumptions_json(self.assumptions),
            "regimes": [r.as_dict() for r in self.regimes],
            "launches": [self._launch_json(r, ms) for r in self.results],
            "overall": self._block(None, ms),
            "comparisons": [
                {
                    "better": c.better,
                    "worse": c.worse,
                    "parties": {
                        p: {m.key: self.difference(c, p, m).as_dict() for m in ms}
                        for p in self.parties
                    },
                }
                for c in self.comparisons()
            ],
            "table": self.table_rows(),
            "validation": self.validation_rows(),
            "impact_ellipse_coverage": self.coverage_rows(),
            "association": {
                "cut_off_km": self.assumptions.simulation.association_radius_m / 1e3,
                "scores": {
                    f"{r.key}/{p}": {k: _num(v) for k, v in self.association(r.key, p).items()}
                    for r in self.regimes
                    for p in self.parties
                },
                "sentences": self.association_sentences(),
            },
            "per_launch": self.launch_rows(),
            "sentences": self.sentences(),
            "plots": {path.stem: str(path) for path in self.plots},
        }

    def _block(self, launch: str | None, ms: tuple[Measure, ...]) -> dict[str, Any]:
        return {
            r.key: {
                "parties": {
                    p: {m.key: self.summary(r.key, p, m, launch).as_dict() for m in ms}
                    for p in self.parties
                },
                "apogee_gap_km": summarise(self.gaps(r.key, "apogee", launch)).as_dict(),
                "range_gap_km": summarise(self.gaps(r.key, "range", launch)).as_dict(),
            }
            for r in self.regimes
        }

    def _launch_json(self, result: LaunchResult, ms: tuple[Measure, ...]) -> dict[str, Any]:
        key = result.launch.key
        return {
            "key": key,
            "missile": result.launch.missile,
            "rounds": [
                {
                    "label": rt.label,
                    "flight_time_s": round(rt.impact_t - rt.launch_t, 1),
                    "apogee_km": round(rt.apogee_m / 1e3, 1),
                    "range_km": round(rt.range_m / 1e3, 1),
                    "crosses_japan_at_s": None
                    if rt.crossing_t is None
                    else round(rt.crossing_t - rt.launch_t, 1),
                }
                for rt in result.rounds
            ],
            "sharing": {k: describe(s) for k, s in result.sharing.items()},
            "same_as_actual": [k for k in result.sharing if k != "actual" and _same(result, k)],
            "results": self._block(key, ms),
            "estimates": {
                f"{regime}/{party}": {
                    "apogee_km": [_num(s.apogee_km) for run in runs for s in run],
                    "range_km": [_num(s.range_km) for run in runs for s in run],
                }
                for (regime, party), runs in result.scores.items()
            },
        }


def _same(result: LaunchResult, key: str) -> bool:
    """Whether regime ``key`` lets the same data flow as the actual agreements did."""
    actual = result.sharing.get("actual")
    other = result.sharing.get(key)
    if actual is None or other is None:
        return False
    parties = {f.recipient for f in (*actual.flows, *other.flows)}
    return all(actual.signature(p) == other.signature(p) for p in parties)


def _num(value: float) -> float | None:
    return round(value, 2) if math.isfinite(value) else None


def _paired_json(p: Paired) -> dict[str, Any]:
    return {"gain": p.gain.as_dict(), "gained": p.gained, "lost": p.lost, "neither": p.neither}


def _assumptions_json(a: Assumptions) -> dict[str, Any]:
    sim = a.simulation
    return {
        "item": {"topic": a.topic, "levels": dict(a.item_levels)},
        "channels": {
            "direct": {"level": a.direct.level, "delay_s": a.direct.delay_s},
            "hub": {"level": a.hub.level, "relay_s": a.hub.relay_s, "consent_s": a.hub.consent_s},
            "realtime": {"level": a.realtime.level, "delay_s": a.realtime.delay_s},
            "agreements": {
                k: {"level": v.level, "delay_s": v.delay_s} for k, v in a.agreements.items()
            },
        },
        "simulation": {
            "runs": sim.runs,
            "seed": sim.seed,
            "parties": list(sim.parties),
            "step_s": sim.step_s,
            "horizon_s": sim.horizon_s,
            "fix_radii_km": [r / 1e3 for r in sim.fix_radii_m],
        },
    }


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if abs(value) < 600 else f"{value / 60:.1f} min"


def headline(pair: Paired, m: Measure) -> str:
    """A paired gain in a few words: "41 s earlier", "only with sharing in 3"."""
    g = pair.gain
    words = []
    if g.n:
        words.append(_direction(g.median, m))
    if pair.gained:
        words.append(f"reached only here in {pair.gained}")
    if pair.lost:
        words.append(f"missed only here in {pair.lost}")
    return "; ".join(words) if words else "never reached"


def _direction(value: float, m: Measure) -> str:
    if m.kind == "count":
        if abs(value) < 0.05:
            return "same"
        return f"{abs(value):.1f} {'fewer' if value > 0 else 'more'}"
    if abs(value) < 0.5:
        return "same"
    if m.kind == "warning":
        return f"{_seconds(abs(value))} {'more' if value > 0 else 'less'}"
    return f"{_seconds(abs(value))} {'earlier' if value > 0 else 'later'}"


def gain_text(pair: Paired, m: Measure) -> str:
    """A table cell: the median gain, its interquartile range, and one-sided outcomes."""
    g = pair.gain
    lines = []
    if g.n:
        lines.append(_direction(g.median, m))
        if g.n > 1 and g.q25 != g.q75:
            lines.append(f"IQR {_signed(g.q25, m)}…{_signed(g.q75, m)}")
    if pair.gained or pair.lost:
        lines.append(f"+{pair.gained}/−{pair.lost} reached")
    return "\n".join(lines) if lines else "—"


def short_gain(pair: Paired) -> str:
    """A paired gain in seconds in a few characters: "+35", "0", "—", with "(+n)" or
    "(−m)" for missiles where only one regime reached the measure."""
    text = f"{pair.gain.median:+.0f}" if pair.gain.n else "—"
    if text in ("+0", "-0"):
        text = "0"
    if pair.gained:
        text += f" (+{pair.gained})"
    if pair.lost:
        text += f" (−{pair.lost})"
    return text


def _signed(value: float, m: Measure) -> str:
    return f"{value:+.1f}" if m.kind == "count" else f"{value:+.0f}"


def _lead(value: float) -> str:
    return f"{value:+.0f} s" if abs(value) < 600 else f"{value / 60:+.1f} min"


def difference_text(d: Difference, *, one_line: bool = False) -> str:
    """A table cell: the mean gain in lead time with its 95 % interval, "within
    resolution" when the whole interval is inside one picture step, and how many
    missile-runs reached the event only under one regime (of all pairs)."""
    if d.n == 0:
        return "—"
    if d.within_resolution:
        head = f"within resolution (±{d.resolution_s:g} s)"
    else:
        head = f"{_lead(d.mean)} [{_lead(d.low)}, {_lead(d.high)}]"
    lines = [head]
    if d.gained or d.lost:
        lines.append(f"only here {d.gained}/{d.n}, only there {d.lost}/{d.n}")
    return ("; " if one_line else "\n").join(lines)


def short_difference(d: Difference) -> str:
    """A difference in a few characters: "+35 [+20,+50]", "≈0", "—"."""
    if d.n == 0:
        return "—"
    if d.within_resolution:
        return "≈0"
    return f"{d.mean:+.0f} [{d.low:+.0f},{d.high:+.0f}]"


def _answer(head: str, d: Difference, label: str) -> str:
    if d.n == 0:
        return f"{head[0].upper()}{head[1:]}: not measured."
    pairs = f"{d.n} missile-runs"
    if d.within_resolution:
        return (f"{head[0].upper()}{head[1:]} nothing measurable: the {label} comes within "
                f"the {d.resolution_s:g} s picture step either way ({pairs}).")  # fmt: skip
    sign = "more" if d.mean >= 0 else "less"
    only = f"; reached only with it in {d.gained}, only without it in {d.lost}"
    return (f"{head[0].upper()}{head[1:]} {abs(d.mean):.0f} s {sign} warning from the "
            f"{label} (95 % interval {d.low:+.0f} to {d.high:+.0f} s, {pairs}{only}).")  # fmt: skip
