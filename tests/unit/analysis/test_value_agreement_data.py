"""The measured value follows the agreement data, not a hard-coded outcome.

The same launch is simulated with the same random draws twice: once with the agreement
files as shipped (the ROK suspended its 2019 termination notice, so the Japan–ROK GSOMIA
was in force on 3 November 2022), once with a test copy of the GSOMIA file in which the
notice was never suspended (so the GSOMIA lapsed on 23 November 2019 and only TISA was
left). Only the data differ; the numbers move.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gsomia.agreement_files import load_agreement, load_library
from gsomia.analysis.regimes import Regime
from gsomia.analysis.value import run_value

REPO = Path(__file__).resolve().parents[3]
LAUNCH = "2022-11-03"


@pytest.mark.slow
def test_terminating_the_gsomia_in_the_data_moves_the_numbers(tmp_path: Path) -> None:
    text = (REPO / "agreements" / "jpn-kor-gsomia.toml").read_text(encoding="utf-8")
    cut = text.index('[[events]]\nid = "rok-suspension-2019"')
    path = tmp_path / "jpn-kor-gsomia.toml"
    path.write_text(text[:cut], encoding="utf-8")
    shipped = load_library([])
    lapsed = shipped.replace(load_agreement(path, schemes=shipped.schemes))
    actual = (Regime.actual(),)
    before = run_value(shipped, [LAUNCH], runs=1, regimes=actual)
    after = run_value(lapsed, [LAUNCH], runs=1, regimes=actual)
    flows_before = before.results[0].sharing["actual"].warnings_into("JPN")
    flows_after = after.results[0].sharing["actual"].warnings_into("JPN")
    assert [f.agreement_id for f in flows_before if f.originator == "KOR"] == [
        "jpn-kor-gsomia",
        "tisa",
    ]
    assert [f.agreement_id for f in flows_after if f.originator == "KOR"] == ["tisa"]
    for party in ("JPN", "KOR"):
        (a,) = before.results[0].scores[("actual", party)][0]
        (b,) = after.results[0].scores[("actual", party)][0]
        assert a.shared_fraction > b.shared_fraction
        assert not np.allclose(a.error_m, b.error_m, equal_nan=True)
        # Each side's own sensors saw the same thing: the first track does not move.
        assert a.first_track_s == b.first_track_s
