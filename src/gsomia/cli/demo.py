"""``gsomia demo``: the main job — the 2016–2023 timeline replayed, measured and audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from gsomia.cli._render import console, emit_json, table


def demo(
    out: Annotated[Path, typer.Option(help="Report folder (emptied first).")] = Path(
        "gsomia-report"
    ),
    quick: Annotated[bool, typer.Option(help="Fewer Monte Carlo runs (for tests).")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Three nodes replay 2016-11-23 to 2023-12-19; writes OUT/index.html."""
    from gsomia.files import refuse_links_in

    refuse_links_in(out, what="--out")
    from gsomia.demo.main import main_job

    with Progress(
        TextColumn("[bold]{task.description:<45}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=json_,
    ) as bar:
        task = bar.add_task("starting", total=1)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what[:45], completed=done, total=total)

        result, report = main_job(out, quick=quick, progress=progress)
    summary = {
        "report": str(report),
        "seconds": round(result.seconds, 1),
        "ledgers_verified": result.ok,
        "steps": [
            {
                "at": s.at.isoformat(),
                "title": s.title,
                "outcome": s.outcome,
                "rule_ids": list(s.rule_ids),
                "refused": s.refused,
            }
            for s in result.steps
        ],
        "audits": {
            p: {k: v for k, v in a.items() if k != "checks"} for p, a in result.audits.items()
        },
    }
    if json_:
        emit_json(summary)
    else:
        console.print(
            table(
                "Timeline",
                ["date", "step", "outcome"],
                [[s.at.date(), s.title, s.outcome] for s in result.steps],
            )
        )
        console.print(
            table(
                "Ledgers",
                ["node", "entries", "checkpoints", "cosignatures", "verified"],
                [
                    [
                        p,
                        a["entries"],
                        a["checkpoints"],
                        a["cosignatures"],
                        "yes" if a["ok"] else "NO",
                    ]
                    for p, a in result.audits.items()
                ],
            )
        )
        if result.value is not None:
            from gsomia.cli.value import differences_table

            console.print(differences_table(result.value))
        console.print(f"Report: {report}  ({result.seconds:.0f} s)")
    if not result.ok:
        raise typer.Exit(code=5)
