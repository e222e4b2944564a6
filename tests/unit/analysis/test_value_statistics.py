"""The value report's statistics on real runs: no crash at any run count, censored cases
counted, intervals on every difference, and the result following the assumptions file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.regimes import Regime
from gsomia.analysis.report import ValueReport, measures
from gsomia.analysis.value import run_value

LAUNCH = "2019-07-25"
"""Four runs of this launch used to crash the fusion (a track outliving its missile)."""
RUNS = 4


@pytest.fixture(scope="module")
def report() -> ValueReport:
    a = load_assumptions().with_simulation(parties=("JPN", "KOR"))
    return run_value(load_library([]), [LAUNCH], runs=RUNS, assumptions=a, workers=1)


def test_four_runs_of_25_july_2019_run_and_score_until_impact(report: ValueReport) -> None:
    (result,) = report.results
    for runs in result.scores.values():
        assert len(runs) == RUNS
    for rt in result.rounds:
        assert rt.end_t == pytest.approx(rt.impact_t - report.assumptions.simulation.step_s)


def test_every_difference_counts_every_missile_run_and_has_an_interval(
    report: ValueReport,
) -> None:
    (result,) = report.results
    pairs = RUNS * len(result.rounds)
    for c in report.comparisons():
        for party in report.parties:
            for m in measures(report.assumptions):
                if m.key == "crossing_warning_s":
                    continue
                d = report.difference(c, party, m)
                # Censored cases (never reached) are counted, not dropped.
                assert d.n == pairs and d.unknown == 0
                assert d.low <= d.mean <= d.high
                assert not math.isnan(d.low)


def test_the_rok_never_fixing_the_second_missile_alone_counts_as_zero_lead(
    report: ValueReport,
) -> None:
    fix = next(m for m in measures(report.assumptions) if m.fix == 1)
    leads, clusters = report.leads("alone", "KOR", fix)
    assert len(leads) == RUNS * 2 and set(clusters) == {LAUNCH}
    assert all(v >= 0.0 for v in leads)


@pytest.mark.slow
def test_changing_only_the_assumptions_file_changes_the_result(tmp_path: Path) -> None:
    """The same launch and draws, US radars to their host or to both allies: the ROK's
    picture moves (Japan's TPY-2s reach it only under "both")."""
    shipped = (Path(load_assumptions.__code__.co_filename).parent / "data/value.toml").read_text(
        encoding="utf-8"
    )
    assert 'us_radar_routing = "host"' in shipped
    path = tmp_path / "value.toml"
    path.write_text(shipped.replace('us_radar_routing = "host"', 'us_radar_routing = "both"'))
    actual = (Regime.actual(),)
    results = []
    for loaded in (load_assumptions(), load_assumptions(path)):
        a = loaded.with_simulation(parties=("KOR",))
        results.append(run_value(load_library([]), ["2017-11-29"], runs=1, regimes=actual,
                                 assumptions=a).results[0])  # fmt: skip
    host, both = ([s for run in r.scores[("actual", "KOR")] for s in run] for r in results)
    assert results[0].sharing["actual"].flows == results[1].sharing["actual"].flows
    moved = [
        not np.array_equal(a.error_m, b.error_m, equal_nan=True)
        for a, b in zip(host, both, strict=True)
    ]
    assert any(moved)


def test_impact_ellipse_coverage_is_counted_per_missile_class(report: ValueReport) -> None:
    (result,) = report.results
    for party in report.parties:
        assert len(result.coverage[party]) == RUNS * len(result.rounds)
    rows = report.coverage_rows()
    assert {row["missile"] for row in rows} == {result.launch.missile}
    assert {row["party"] for row in rows} == {"Japan", "ROK"}
    for row in rows:
        assert row["target met"] in ("yes", "no")
