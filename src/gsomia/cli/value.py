"""``gsomia value``: what sharing under each regime buys, measured on the dated launches.

The command parses its options, calls :func:`gsomia.analysis.value.run_value` once and
renders the paired differences between regimes as a Rich table (or, with ``--json``, the
whole ``value.json`` document); the plots and ``value.json`` go to ``--out``. Errors are
raised as :mod:`gsomia.errors` and mapped to exit codes by the main CLI.

Mount it in the main CLI with ``app.command("value")(value.value)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gsomia.cli._render import emit_json
from gsomia.errors import InputError

if TYPE_CHECKING:  # the analysis loads only when the command runs (fast --help)
    from gsomia.analysis.assumptions import Assumptions
    from gsomia.analysis.report import ValueReport
    from gsomia.analysis.sweep import SweepResult

app = typer.Typer(
    help="The strategic value of the agreements, measured by simulation.",
    invoke_without_command=True,
)

_PLAIN_WIDTH = 150
QUICK_LAUNCH = "2019-05-09"
"""The launch a ``--quick`` run uses when none is given: short, and the ROK sees it first."""


def _workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def differences_table(report: ValueReport) -> Table:
    from gsomia.analysis.report import measures

    ms = measures(report.assumptions)
    table = Table(
        title=f"What sharing buys: mean paired gain in lead time (s before impact; a fix "
        f"never reached counts as 0) over {len(report.results)} launches × "
        f"{report.assumptions.simulation.runs} runs, [95 % bootstrap interval]; "
        "only here/there: missile-runs reaching it under one regime only.",
        title_justify="left",
        show_lines=True,
    )
    table.add_column("comparison")
    table.add_column("party")
    for m in ms:
        table.add_column(m.short, justify="right")
    for row in report.table_rows():
        table.add_row(row["comparison"], row["party"], *(row[m.short] for m in ms))
    return table


def _per_launch(report: ValueReport) -> Table:
    from gsomia.analysis.report import PARTY_NAMES, measures

    tight = [m for m in measures(report.assumptions) if m.fix >= 0][-1]
    table = Table(
        title=f"Per launch: mean paired gain in lead time (s) [95 % interval], first track · "
        f"{tight.label} (≈0: within the {report.assumptions.simulation.step_s:g} s step)",
        title_justify="left",
    )
    table.add_column("launch")
    table.add_column("missile")
    comparisons = report.comparisons()
    for c in comparisons:
        better, worse = report.regime(c.better).label, report.regime(c.worse).label
        for party in report.parties:
            table.add_column(
                f"{better} vs {worse}\n{PARTY_NAMES.get(party, party)}", justify="right"
            )
    for row in report.launch_rows():
        cells = [row[f"{c.better}/{c.worse}/{p}"] for c in comparisons for p in report.parties]
        table.add_row(row["launch"], row["missile"], *cells)
    return table


def _validation(report: ValueReport) -> Table:
    table = Table(
        title=f"The model against the public record ({report.assumptions.simulation.runs} runs "
        "per launch; regime 'actual' unless the check says 'alone')",
        title_justify="left",
        show_lines=True,
    )
    for col in ("launch", "public record", "model", "agrees", "source"):
        table.add_column(col, overflow="fold")
    for row in report.validation_rows():
        table.add_row(*(row[c] for c in ("launch", "public record", "model", "agrees", "source")))
    return table


def _coverage(report: ValueReport) -> Table:
    table = Table(
        title="Honest impact ellipses: true impact inside the predicted 95 % ellipse a minute "
        "after burnout (regime 'actual'; target 90–99 %)",
        title_justify="left",
    )
    cols = ("missile", "party", "inside 95 % ellipse", "runs", "target met")
    for col in cols:
        table.add_column(col)
    for row in report.coverage_rows():
        table.add_row(*(row[c] for c in cols))
    return table


_ASSOCIATION_COLUMNS = (
    "regime", "party", "tracks / objects", "purity", "swaps", "id changes", "false tracks",
    "GOSPA (km)", "missed at a time", "runs",
)  # fmt: skip


def _association(report: ValueReport) -> Table:
    radius = report.assumptions.simulation.association_radius_m / 1e3
    table = Table(
        title="Association without the truth's help: each party's own confirmed tracks against "
        "every object in flight (warheads and spent stages), means per launch-run; purity 1 "
        f"is perfect; GOSPA (p = 2, cut-off {radius:g} km) at each scored picture time",
        title_justify="left",
    )
    for col in _ASSOCIATION_COLUMNS:
        table.add_column(col, justify="left" if col in ("regime", "party") else "right")
    for row in report.association_rows():
        table.add_row(*(row[c] for c in _ASSOCIATION_COLUMNS))
    return table


def _cell(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f}"


def _gap(report: ValueReport, regime: str, which: str) -> str:
    from gsomia.analysis.metrics import summarise

    s = summarise(report.gaps(regime, which))
    return "—" if s.n == 0 else f"{s.median:.0f} km"


def _medians(report: ValueReport) -> Table:
    from gsomia.analysis.report import PARTY_NAMES, measures

    ms = measures(report.assumptions)
    table = Table(title="Medians per regime (s; tracks lost: count)", title_justify="left")
    for col in ("regime", "party", *(m.short for m in ms), "apogee gap", "range gap"):
        table.add_column(col, justify="right" if col not in ("regime", "party") else "left")
    for regime in report.regimes:
        apogee = _gap(report, regime.key, "apogee")
        rng = _gap(report, regime.key, "range")
        for party in report.parties:
            cells = []
            for m in ms:
                s = report.summary(regime.key, party, m)
                cells.append("—" if s.n == 0 else _cell(s.as_dict()["median"]))
            table.add_row(regime.label, PARTY_NAMES.get(party, party), *cells, apogee, rng)
    return table


def _executor(scheduler: str | None) -> Any:
    """A Dask distributed client's executor at ``scheduler`` (``None``: local processes)."""
    if scheduler is None:
        return None
    from gsomia.analysis.executors import dask_executor

    return dask_executor(scheduler)


def _progress(total: int | None, what: str) -> tuple[Progress, Any, Any]:
    """A progress bar on stderr, its advance(n) and its set_total(n)."""
    bar = Progress(
        TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip
    task = bar.add_task(what, total=total)
    return bar, lambda n: bar.advance(task, n), lambda n: bar.update(task, total=n)


@app.callback()
def value(
    ctx: typer.Context,
    launch: Annotated[
        list[str] | None,
        typer.Option("--launch", help="A dated launch, YYYY-MM-DD (repeat for more); default all."),
    ] = None,
    runs: Annotated[int | None, typer.Option(help="Monte Carlo runs per launch.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the sensors' random draws.")] = None,
    out: Annotated[Path, typer.Option(help="Directory for the plots and value.json.")] = Path(
        "gsomia-report"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help=f"Smoke run: one run (of {QUICK_LAUNCH} by default).")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = _workers(),
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler ADDRESS: run there instead.")
    ] = None,
    direct_delay: Annotated[
        float | None, typer.Option(help="Delay of a direct agreement channel (s).")
    ] = None,
    relay_delay: Annotated[float | None, typer.Option(help="Hub relay per hop (s).")] = None,
    consent_delay: Annotated[
        float | None, typer.Option(help="Originator's consent before the hub forwards (s).")
    ] = None,
    realtime_delay: Annotated[
        float | None, typer.Option(help="Delay of a real-time mechanism (s).")
    ] = None,
    us_routing: Annotated[
        str | None, typer.Option(help="US radar data to their 'host' ally only, or 'both'.")
    ] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw the PNG plots.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print value.json instead.")] = False,
) -> None:
    """Run the sharing regimes over the dated launches and show what each buys."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"workers": workers, "scheduler": scheduler, "seed": seed}
        return
    from gsomia.files import refuse_links_in

    refuse_links_in(out, what="--out")
    from gsomia.agreement_files import load_library
    from gsomia.analysis.value import run_value

    assumptions = _assumptions(direct_delay, relay_delay, consent_delay, realtime_delay, us_routing)
    launches = launch or ([QUICK_LAUNCH] if quick else None)
    chosen_runs = 1 if quick and runs is None else runs
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=_PLAIN_WIDTH)
    total = (len(launches) if launches else _launch_count()) * (
        chosen_runs or assumptions.simulation.runs
    )
    bar, advance, _ = _progress(total, "launch-runs")
    with bar:
        report = run_value(
            load_library(),
            launches,
            runs=chosen_runs,
            seed=seed,
            out_dir=out,
            assumptions=assumptions,
            workers=workers,
            plots=plots,
            executor=_executor(scheduler),
            progress=advance,
        )
    if as_json:
        emit_json(report.to_json())
        return
    console.print(differences_table(report))
    console.print(_validation(report))
    console.print(_coverage(report))
    for sentence in report.association_sentences():
        console.print(sentence)
    console.print(_association(report))
    console.print(_per_launch(report))
    console.print(_medians(report))
    for sentence in report.sentences():
        console.print(sentence)
    for path in report.plots:
        console.print(f"[dim]{path.stem}:[/dim] {path}")
    console.print(f"[dim]numbers:[/dim] {report.json_path}")


def _launch_count() -> int:
    from gsomia.warning.scenario.launches import dated_launches

    return len(dated_launches())


def _assumptions(
    direct: float | None,
    relay: float | None,
    consent: float | None,
    realtime: float | None,
    us_routing: str | None,
) -> Assumptions:
    from gsomia.analysis.assumptions import load_assumptions

    a = load_assumptions().with_delays(
        direct_s=direct, relay_s=relay, consent_s=consent, realtime_s=realtime
    )
    if us_routing is not None:
        if us_routing not in ("host", "both"):
            raise InputError(f"--us-routing must be 'host' or 'both', not {us_routing!r}")
        a = a.with_sensors(us_radar_routing=us_routing)
    return a


@app.command("sweep")
def sweep(
    ctx: typer.Context,
    launch: Annotated[
        list[str] | None,
        typer.Option("--launch", help="A dated launch (repeat); default a representative five."),
    ] = None,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs per launch and point.")] = 4,
    out: Annotated[Path, typer.Option(help="Directory for the charts and sweep.json.")] = Path(
        "gsomia-sweep"
    ),
    heat: Annotated[
        bool, typer.Option("--heat/--no-heat", help="Direct × consent delay heat map.")
    ] = True,
    factor: Annotated[
        list[str] | None, typer.Option("--factor", help="Only these factors (repeat).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print sweep.json instead.")] = False,
) -> None:
    """Vary each assumption over its stated range: tornado charts and a heat map."""
    from gsomia.files import refuse_links_in

    refuse_links_in(out, what="--out")
    from gsomia.agreement_files import load_library
    from gsomia.analysis.assumptions import load_assumptions
    from gsomia.analysis.sweep import DEFAULT_LAUNCHES, factors, run_sweep
    from gsomia.analysis.value import write_sweep

    opts = ctx.obj or {}
    if runs < 1:
        raise InputError(f"runs must be at least 1, not {runs}")
    known = {f.key: f for f in factors()}
    unknown = [f for f in factor or [] if f not in known]
    if unknown:
        raise InputError(f"unknown factor(s) {unknown}; known: {', '.join(known)}")
    chosen = [known[f] for f in factor] if factor else None
    base = load_assumptions()
    if opts.get("seed") is not None:
        base = base.with_simulation(seed=opts["seed"])
    console = Console(highlight=False, width=_PLAIN_WIDTH)
    bar, advance, set_total = _progress(None, "sweep launch-runs")
    with bar:
        result = run_sweep(
            load_library(),
            base,
            launches=tuple(launch) if launch else DEFAULT_LAUNCHES,
            runs=runs,
            chosen=chosen,
            heat=heat,
            workers=int(opts.get("workers", _workers())),
            executor=_executor(opts.get("scheduler")),
            progress=advance,
            on_total=set_total,
        )
    paths = write_sweep(result, out)
    if as_json:
        emit_json(result.to_json())
        return
    console.print(tornado_table(result))
    for path in paths:
        console.print(f"[dim]{path.stem}:[/dim] {path}")


def tornado_table(result: SweepResult) -> Table:
    """The three assumptions that move the headline most, per party and measure."""
    from gsomia.analysis.report import PARTY_NAMES, measures

    some = next(iter(result.reports.values()))
    table = Table(
        title=f"Sensitivity of 'GSOMIA vs TISA only' (mean gain in lead time, s): top three "
        f"assumptions per party; {len(result.launches)} launches × {result.runs} runs per point",
        title_justify="left",
        show_lines=True,
    )
    for col in ("party", "measure", "baseline", "1st", "2nd", "3rd"):
        table.add_column(col)
    for party in some.parties:
        for m in measures(some.assumptions):
            if m.key == "crossing_warning_s":
                continue
            base = result.headline("base", party, m.key)
            cells = [
                f"{f.label}: {low:+.0f} ({f.low_label}) … {high:+.0f} ({f.high_label})"
                if abs(high - low) >= 0.5
                else "—"
                for f, low, high in result.tornado(party, m.key)[:3]
            ]
            table.add_row(PARTY_NAMES.get(party, party), m.short, f"{base.mean:+.0f}", *cells)
    return table


if __name__ == "__main__":
    app()
