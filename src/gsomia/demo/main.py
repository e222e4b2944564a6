"""The main job end to end: replay, measure, witness, verify, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gsomia.demo.report import write_report
from gsomia.demo.run import DemoResult, Progress, run_demo
from gsomia.demo.world import World

__all__ = ["QUICK_LAUNCHES", "main_job"]

#: The launches a quick run measures: the 2019 KN-23 case and a lofted ICBM.
QUICK_LAUNCHES = ("2019-05-09", "2022-11-18")


def _value(world: World, out: Path, quick: bool) -> Any:
    """The strategic value of the agreements on the timeline's launches (``gsomia value``),
    with the regimes derived from the agreements as the nodes know them after the replay:
    the files as signed plus the notes exchanged on their dates."""
    from gsomia.analysis.value import run_value

    library = world.nodes["JPN"].ctx.agreements
    launches = QUICK_LAUNCHES if quick else None
    return run_value(library, launches, runs=1 if quick else 2, out_dir=out / "value", workers=2)


def main_job(
    out: Path, *, quick: bool = False, progress: Progress | None = None
) -> tuple[DemoResult, Path]:
    """Run the demo into ``out``; the result and the report's path."""
    result = run_demo(out, quick=quick, progress=progress, value=_value)
    library = next(iter(_libraries(out)))
    return result, write_report(result, library)


def _libraries(out: Path) -> list[Any]:
    from gsomia.agreement_files import load_library

    return [load_library()]
