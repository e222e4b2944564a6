"""The strategic value of the agreements, measured by simulation (``gsomia value``).

Regimes are derived from the agreement files and their status on each launch's date
(:func:`derive_sharing`, counterfactual branches as :class:`Regime`); the dated launches
are simulated with common random numbers, each party's tracker and fused picture scored,
and the differences between regimes reported (:func:`run_value` → :class:`ValueReport`).
Method, assumptions and results: docs/value.md.
"""

from __future__ import annotations

from gsomia.analysis.assumptions import Assumptions as Assumptions
from gsomia.analysis.assumptions import load_assumptions as load_assumptions
from gsomia.analysis.regimes import Flow as Flow
from gsomia.analysis.regimes import Regime as Regime
from gsomia.analysis.regimes import Sharing as Sharing
from gsomia.analysis.regimes import derive_sharing as derive_sharing
from gsomia.analysis.report import ValueReport as ValueReport
from gsomia.analysis.value import run_value as run_value
from gsomia.analysis.value import write_report as write_report

__all__ = [
    "Assumptions",
    "Flow",
    "Regime",
    "Sharing",
    "ValueReport",
    "derive_sharing",
    "load_assumptions",
    "run_value",
    "write_report",
]
