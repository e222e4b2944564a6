"""The report's answer charts (matplotlib Agg, PNG): what each agreement buys, with intervals.

* ``headline.png``: per party, a dot and its 95 % interval for each comparison (GSOMIA vs
  TISA only, 2023 link vs GSOMIA, GSOMIA vs the 2019 lapse) on the lead time of an impact
  fix; a shaded band marks the picture step (within resolution).
* ``tornado-<measure>.png``: per party, each assumption's low and high end against the
  baseline headline, the widest swing on top.
* ``heat-direct-consent.png``: the headline per party over direct delay × consent delay.
* ``timeline-<launch>.png``: a swim lane per party and regime, marking the first track,
  each impact fix and impact (median over runs; a hollow mark: reached in under half).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gsomia.analysis.plots import PARTY_COLOURS, PARTY_NAMES, regime_colours
from gsomia.analysis.report import ValueReport, measures
from gsomia.analysis.runner import LaunchResult
from gsomia.analysis.sweep import HEAT_CONSENT_S, HEAT_DIRECT_S, SweepResult

__all__ = ["draw_headline", "draw_heat", "draw_timeline", "draw_tornado"]

_DPI = 110


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=_DPI)
    return path


def draw_headline(report: ValueReport, path: Path, *, measure: str) -> Path:
    """Dot-and-interval chart of every comparison, per party, on one measure."""
    m = next(x for x in measures(report.assumptions) if x.key == measure)
    comparisons = report.comparisons()
    parties = report.parties
    fig = _figure(10.0, 1.2 + 0.45 * len(comparisons) * len(parties))
    ax = fig.add_subplot()
    labels, y = [], 0.0
    step = report.assumptions.simulation.step_s
    ax.axvspan(-step, step, color="#dddddd", zorder=0, label=f"within resolution (±{step:g} s)")
    for c in comparisons:
        title = f"{report.regime(c.better).label} vs {report.regime(c.worse).label}"
        for party in parties:
            d = report.difference(c, party, m)
            if d.n:
                ax.errorbar(d.mean, y, xerr=[[d.mean - d.low], [d.high - d.mean]], fmt="o",
                            color=PARTY_COLOURS.get(party, "k"), capsize=4)  # fmt: skip
            labels.append(f"{title}: {PARTY_NAMES.get(party, party)}")
            y -= 1.0
        y -= 0.5
    ax.set_yticks(_label_positions(comparisons, parties), labels=labels)
    ax.axvline(0.0, color="k", lw=0.8)
    ax.set_xlabel(f"mean paired gain in lead time of the {m.label} (s before impact), 95 % CI")
    runs = report.assumptions.simulation.runs
    ax.set_title(f"What each agreement buys: {len(report.results)} launches × {runs} runs")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def _label_positions(comparisons: Sequence[object], parties: Sequence[str]) -> list[float]:
    out, y = [], 0.0
    for _ in comparisons:
        for _ in parties:
            out.append(y)
            y -= 1.0
        y -= 0.5
    return out


def draw_tornado(sweep: SweepResult, path: Path, *, measure: str) -> Path:
    """Per party, each factor's low and high end of the headline (GSOMIA vs TISA only)."""
    some = next(iter(sweep.reports.values()))
    parties = some.parties
    fig = _figure(5.0 * len(parties), 0.45 * len(sweep.factors) + 1.8)
    for i, party in enumerate(parties):
        ax = fig.add_subplot(1, len(parties), i + 1)
        base = sweep.headline("base", party, measure).mean
        rows = list(reversed(sweep.tornado(party, measure)))
        for j, (f, low, high) in enumerate(rows):
            if not abs(high - low) >= 0.5:
                ax.text(base, j, "  no change", va="center", fontsize=7, color="grey")
                continue
            ax.barh(j, low - base, left=base, color="#7fa7d9", height=0.6)
            ax.barh(j, high - base, left=base, color="#d98f7f", height=0.6)
            ax.text(low, j, f" {f.low_label} ", va="center", fontsize=7,
                    ha="right" if low < high else "left")  # fmt: skip
            ax.text(high, j, f" {f.high_label} ", va="center", fontsize=7,
                    ha="left" if low < high else "right")  # fmt: skip
        ax.set_yticks(range(len(rows)), labels=[f.label for f, _, _ in rows], fontsize=8)
        ax.axvline(base, color="k", lw=0.8)
        ax.set_title(f"{PARTY_NAMES.get(party, party)}: GSOMIA vs TISA only", fontsize=10)
        ax.set_xlabel(f"mean gain, {measure} lead (s)")
    fig.suptitle(f"Sensitivity: {len(sweep.launches)} launches × {sweep.runs} runs per point "
                 "(blue: low end, red: high end)")  # fmt: skip
    return _save(fig, path)


def draw_heat(sweep: SweepResult, path: Path, *, measure: str) -> Path:
    """The headline per party over the direct-channel delay × the TISA consent delay."""
    some = next(iter(sweep.reports.values()))
    parties = some.parties
    fig = _figure(4.2 * len(parties), 3.8)
    for i, party in enumerate(parties):
        ax = fig.add_subplot(1, len(parties), i + 1)
        grid = np.array([[sweep.headline(f"heat:{d:g}:{c:g}", party, measure).mean
                          for c in HEAT_CONSENT_S] for d in HEAT_DIRECT_S])  # fmt: skip
        image = ax.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
        for (r, c), v in np.ndenumerate(grid):
            ax.text(c, r, "—" if math.isnan(v) else f"{v:.0f}", ha="center", va="center",
                    color="w", fontsize=8)  # fmt: skip
        ax.set_xticks(range(len(HEAT_CONSENT_S)), labels=[f"{c:g}" for c in HEAT_CONSENT_S])
        ax.set_yticks(range(len(HEAT_DIRECT_S)), labels=[f"{d:g}" for d in HEAT_DIRECT_S])
        ax.set_xlabel("TISA consent delay (s)")
        ax.set_ylabel("GSOMIA channel delay (s)")
        ax.set_title(f"{PARTY_NAMES.get(party, party)}: GSOMIA vs TISA, {measure} (s)",
                     fontsize=9)  # fmt: skip
        fig.colorbar(image, ax=ax)
    return _save(fig, path)


def _median(values: Sequence[float]) -> tuple[float, bool]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan, False
    return float(np.median(finite)), len(finite) * 2 >= len(values)


def draw_timeline(
    result: LaunchResult, path: Path, *, regimes: Sequence[tuple[str, str]],
    parties: Sequence[str], fix_labels: Sequence[str],
) -> Path:  # fmt: skip
    """Swim lanes per party and regime: first track, each fix, and impact (s)."""
    lanes = [(p, k, t) for p in parties for k, t in regimes if (k, p) in result.scores]
    fig = _figure(10.0, 0.32 * len(lanes) + 1.6)
    ax = fig.add_subplot()
    colours = regime_colours([k for k, _ in regimes])
    markers = ["o", "s", "D", "^"]
    for y, (party, key, title) in enumerate(reversed(lanes)):
        scores = [s for run in result.scores[(key, party)] for s in run]
        events = [[s.first_track_s for s in scores]]
        events += [[s.fix_s[i] for s in scores] for i in range(len(fix_labels))]
        ax.axhline(y, color="#eeeeee", lw=0.6, zorder=0)
        for j, values in enumerate(events):
            t, most = _median(values)
            if math.isfinite(t):
                ax.plot(t, y, markers[j % len(markers)], color=colours[key],
                        mfc=colours[key] if most else "none", ms=6)  # fmt: skip
        del title
    flight = max(rt.impact_t - rt.launch_t for rt in result.rounds)
    ax.axvline(flight, color="k", lw=1.0, ls="--")
    labels = [f"{PARTY_NAMES.get(p, p)} · {t}" for p, _, t in reversed(lanes)]
    ax.set_yticks(range(len(lanes)), labels=labels, fontsize=7)
    ax.set_xlabel("seconds after launch (median over runs and missiles; dashed: impact)")
    names = ["first track", *fix_labels]
    for j, name in enumerate(names):
        ax.plot([], [], markers[j % len(markers)], color="grey", label=name)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"{result.launch.key} {result.launch.missile}: when each picture got there "
                 "(hollow: in under half the runs)", fontsize=10)  # fmt: skip
    return _save(fig, path)
