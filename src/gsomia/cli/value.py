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
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from gsomia.cli._render import emit_json

if TYPE_CHECKING:  # the analysis loads only when the command runs (fast --help)
    from gsomia.analysis.report import ValueReport

app = typer.Typer(help="The strategic value of the agreements, measured by simulation.")

_PLAIN_WIDTH = 150
QUICK_LAUNCH = "2019-05-09"
"""The launch a ``--quick`` run uses when none is given: short, and the ROK sees it first."""


def _workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def differences_table(report: ValueReport) -> Table:
    from gsomia.analysis.report import measures

    ms = measures(report.assumptions)
    table = Table(
        title=f"What sharing buys: paired differences over {len(report.results)} launches × "
        f"{report.assumptions.simulation.runs} runs (median; IQR; +n/−m: reached only in "
        "the first regime / only in the second). Apogee and range gaps: Japan vs ROK.",
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
        title=f"Per launch: median paired gain in seconds, first track · {tight.label} "
        "((+n): reached only in the first regime; —: neither reached it)",
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


@app.command("value")
def value(
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
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw the PNG plots.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print value.json instead.")] = False,
) -> None:
    """Run the sharing regimes over the dated launches and show what each buys."""
    from gsomia.files import refuse_links_in

    refuse_links_in(out, what="--out")
    from gsomia.agreement_files import load_library
    from gsomia.analysis.assumptions import load_assumptions
    from gsomia.analysis.value import run_value

    assumptions = load_assumptions().with_delays(
        direct_s=direct_delay,
        relay_s=relay_delay,
        consent_s=consent_delay,
        realtime_s=realtime_delay,
    )
    launches = launch or ([QUICK_LAUNCH] if quick else None)
    report = run_value(
        load_library(),
        launches,
        runs=1 if quick and runs is None else runs,
        seed=seed,
        out_dir=out,
        assumptions=assumptions,
        workers=workers,
        plots=plots,
    )
    if as_json:
        emit_json(report.to_json())
        return
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=_PLAIN_WIDTH)
    console.print(differences_table(report))
    console.print(_per_launch(report))
    console.print(_medians(report))
    for sentence in report.sentences():
        console.print(sentence)
    for path in report.plots:
        console.print(f"[dim]{path.stem}:[/dim] {path}")
    console.print(f"[dim]numbers:[/dim] {report.json_path}")


if __name__ == "__main__":
    app()
