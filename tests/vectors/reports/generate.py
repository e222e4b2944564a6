"""Write the vectors of the reports ``gsomia warning`` writes: launches-v1, sensors-v1 and
trajectory-v1 (``docs/tracking.md``).

Run ``python tests/vectors/reports/generate.py`` from the repository root after a deliberate
format change. Each report is what the command prints with ``--json`` for the fixed options
below (the launch catalogue and the sensor catalogue are data in the package), so the files
are the same on every run; ``test_report_vectors.py`` runs the commands again and checks each
file against the fields ``docs/tracking.md`` names. No node reads these reports back.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from typer.testing import CliRunner  # noqa: E402

from gsomia.cli.warning import app  # noqa: E402
from tests.support.vectors import write_vectors  # noqa: E402

COMMANDS = {
    "launches-v1.json": ["launches", "--json"],
    "sensors-v1.json": ["sensors", "--on", "2026-11-28", "--json"],
    "trajectory-v1.json": [
        "trajectory",
        "--site",
        "sunan",
        "--azimuth",
        "90",
        "--apogee",
        "500",
        "--range",
        "800",
        "--json",
    ],
}


def report(args: list[str]) -> dict[str, Any]:
    """What ``gsomia warning <args>`` prints, parsed."""
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise RuntimeError(f"gsomia warning {' '.join(args)} failed: {result.output}")
    value: dict[str, Any] = json.loads(result.output)
    return value


def build() -> dict[str, dict[str, Any]]:
    return {
        name: {"command": ["gsomia", "warning", *args], "report": report(args)}
        for name, args in COMMANDS.items()
    }


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
