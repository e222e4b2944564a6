"""The strategic value of the agreements, measured: the entry point behind ``gsomia value``.

:func:`run_value` derives every regime's sharing from the agreement library on each
launch's date, simulates the launches (Monte Carlo with common random numbers), scores
each party's picture, and, given an output directory, writes the plots (PNG) and
``value.json``. :func:`write_sweep` writes a sensitivity sweep's charts and ``sweep.json``
(the sweep itself, :mod:`gsomia.analysis.sweep`, only computes). The numbers all come from
the simulation; see docs/value.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

from gsomia.analysis.assumptions import Assumptions, load_assumptions
from gsomia.analysis.regimes import Regime, regimes_from
from gsomia.analysis.report import ValueReport, measures
from gsomia.analysis.runner import MapRequest, regime_sharing, run_launches
from gsomia.analysis.sweep import SweepResult
from gsomia.core.agreements import AgreementLibrary
from gsomia.errors import InputError
from gsomia.warning.scenario.launches import DatedLaunch, dated_launch, dated_launches

__all__ = ["run_value", "write_report", "write_sweep"]

_logger = logging.getLogger(__name__)


def _launches(launches: Sequence[DatedLaunch | str] | None) -> tuple[DatedLaunch, ...]:
    if launches is None:
        return dated_launches()
    found = tuple(x if isinstance(x, DatedLaunch) else dated_launch(x) for x in launches)
    if not found:
        raise InputError("no launch to analyse")
    return found


def run_value(
    library: AgreementLibrary,
    launches: Sequence[DatedLaunch | str] | None = None,
    *,
    runs: int | None = None,
    seed: int | None = None,
    out_dir: Path | None = None,
    assumptions: Assumptions | None = None,
    regimes: Sequence[Regime] | None = None,
    workers: int = 1,
    plots: bool = True,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> ValueReport:
    """Run the regimes over ``launches`` (all dated launches by default) and report.

    ``runs`` and ``seed`` override the assumptions' Monte Carlo settings; ``regimes``
    those of the assumptions file (``actual`` is always added first). With ``out_dir``
    the plots (unless ``plots`` is false) and ``value.json`` are written there. Raises
    InputError for a bad count or setting, UnknownName for an unknown launch.
    """
    chosen = _launches(launches)
    base = assumptions or load_assumptions()
    changes: dict[str, int] = {}
    if runs is not None:
        if runs < 1:
            raise InputError(f"runs must be at least 1, not {runs}")
        changes["runs"] = runs
    if seed is not None:
        changes["seed"] = seed
    a = base.with_simulation(**changes) if changes else base
    wanted = tuple(regimes) if regimes is not None else regimes_from(a)
    if not any(r.key == "actual" for r in wanted):
        wanted = (Regime.actual(), *wanted)
    jobs = [(dl.key, regime_sharing(library, dl, wanted, a)) for dl in chosen]
    _logger.info(
        "value: %d launches, %d regimes, %d runs", len(jobs), len(wanted), a.simulation.runs
    )
    draw = None
    if out_dir is not None and plots:
        _writable(out_dir)
        from gsomia.analysis.plots import draw_launch_map

        draw = MapRequest(
            out_dir=out_dir,
            regimes=tuple((r.key, r.title) for r in wanted),
            draw=draw_launch_map,
        )
    results = run_launches(
        jobs,
        a.simulation,
        workers=max(1, workers),
        draw=draw,
        sensors=a.sensors,
        executor=executor,
        progress=progress,
    )
    report = ValueReport(results=tuple(results), regimes=wanted, assumptions=a, workers=workers)
    if out_dir is not None:
        report = write_report(report, out_dir, plots=plots)
    return report


def _writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the report to {out_dir}: {exc}") from exc


def write_report(report: ValueReport, out_dir: Path, *, plots: bool = True) -> ValueReport:
    """Write the plots and ``value.json`` into ``out_dir``; the report with their paths.

    Raises InputError if the directory cannot be written.
    """
    _writable(out_dir)
    try:
        drawn: dict[str, Path] = {}
        if plots:
            drawn = _draw(report, out_dir)
        report = replace(report, plots=tuple(drawn.values()), json_path=out_dir / "value.json")
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=1, allow_nan=False)
        (out_dir / "value.json").write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out_dir}: {exc}") from exc
    return report


def _draw(report: ValueReport, out_dir: Path) -> dict[str, Path]:
    """Every picture of the report, in reading order: the answer (dot-and-interval), a
    swim-lane card per launch, the summaries, then the maps (an appendix)."""
    from gsomia.analysis.charts import draw_headline, draw_timeline
    from gsomia.analysis.plots import draw_launch_map, draw_summaries, map_name

    regimes = [(r.key, r.label) for r in report.regimes]
    ms = measures(report.assumptions)
    fixes = [m for m in ms if m.fix >= 0]
    drawn = {"headline": draw_headline(report, out_dir / "headline.png", measure=fixes[0].key)}
    for result in report.results:
        name = f"timeline-{result.launch.key}"
        drawn[name] = draw_timeline(
            result,
            out_dir / f"{name}.png",
            regimes=regimes,
            parties=report.parties,
            fix_labels=[m.label for m in fixes],
        )
    drawn.update(draw_summaries(report.results, out_dir, regimes=regimes, parties=report.parties))
    for result in report.results:
        path = result.map_path or draw_launch_map(
            result, out_dir, [(r.key, r.title) for r in report.regimes]
        )
        drawn[map_name(result)] = path
    return drawn


def write_sweep(result: SweepResult, out_dir: Path) -> list[Path]:
    """Write ``sweep.json``, a tornado chart per measure and the heat map into
    ``out_dir``; the paths. Raises InputError if the directory cannot be written."""
    from gsomia.analysis.charts import draw_heat, draw_tornado

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        some = next(iter(result.reports.values()))
        paths = []
        for m in measures(some.assumptions):
            if m.key != "crossing_warning_s":
                paths.append(draw_tornado(result, out_dir / f"tornado-{m.key}.png", measure=m.key))
        if any(p.key.startswith("heat:") for p in result.points):
            tight = next(m for m in measures(some.assumptions) if m.fix >= 0)
            paths.append(draw_heat(result, out_dir / "heat-direct-consent.png", measure=tight.key))
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=1, allow_nan=False)
        (out_dir / "sweep.json").write_text(text + "\n", encoding="utf-8")
        paths.append(out_dir / "sweep.json")
    except OSError as exc:
        raise InputError(f"cannot write the sweep to {out_dir}: {exc}") from exc
    return paths
