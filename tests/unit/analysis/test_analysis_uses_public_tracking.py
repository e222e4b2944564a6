"""The analysis reaches the tracker only through ``gsomia.warning.tracking.__all__``.

A name the analysis needs from the tracker is exported from the package (and pinned in
``tests/unit/warning/tracking/test_tracking_public_api.py``), never taken from one of its
modules, so the tracker's modules can be reshaped without breaking the analysis.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gsomia.analysis
import gsomia.warning.tracking as tracking

PACKAGE = "gsomia.warning.tracking"
ANALYSIS = Path(gsomia.analysis.__file__).resolve().parent


def private_reaches(source: str, public: frozenset[str]) -> list[str]:
    """Each import in ``source`` of a tracking module, or of a name not in ``public``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if a.name.startswith(PACKAGE + ".")
            ]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module.startswith(PACKAGE + "."):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            elif node.module == PACKAGE:
                found += [
                    f"line {node.lineno}: {a.name} is not in {PACKAGE}.__all__"
                    for a in node.names
                    if a.name not in public
                ]
    return found


def test_the_analysis_imports_only_the_trackers_public_names() -> None:
    public = frozenset(tracking.__all__)
    sources = sorted(ANALYSIS.rglob("*.py"))
    assert len(sources) > 10
    problems = [
        f"{path.relative_to(ANALYSIS)} {p}"
        for path in sources
        for p in private_reaches(path.read_text(encoding="utf-8"), public)
    ]
    assert problems == []


def test_a_reach_into_a_tracking_module_is_reported() -> None:
    public = frozenset(tracking.__all__)
    cases = {
        "from gsomia.warning.tracking.tracker import PRUNE_WEIGHT\n": "tracking.tracker",
        "import gsomia.warning.tracking.fusion\n": "tracking.fusion",
        "def f():\n    from gsomia.warning.tracking.sharing import x\n": "tracking.sharing",
        "from gsomia.warning.tracking import _linalg\n": "_linalg is not",
    }
    for source, expected in cases.items():
        [problem] = private_reaches(source, public)
        assert expected in problem
    assert private_reaches("from gsomia.warning.tracking import Tracker\n", public) == []
