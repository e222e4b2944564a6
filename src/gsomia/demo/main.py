"""The main job end to end: replay, measure, witness, verify, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gsomia.demo.report import write_report
from gsomia.demo.run import DemoResult, Progress, run_demo
from gsomia.demo.world import World

__all__ = ["main_job"]


def _value(world: World, out: Path, quick: bool) -> Any:
    """The strategic value of the agreements on the timeline's launches (gsomia value)."""
    return None


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
