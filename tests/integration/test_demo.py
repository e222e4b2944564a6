"""The main job on a shortened run: every step through the workflows, every ledger verified,
and a report whose images are real pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

from gsomia.demo.main import main_job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    out = tmp_path_factory.mktemp("demo") / "gsomia-report"
    result, report = main_job(out, quick=True)
    return result, report


def test_the_timeline_runs_through_the_workflows(demo: tuple[object, Path]) -> None:
    result, _ = demo
    steps = {s.title: s for s in result.steps}  # type: ignore[attr-defined]
    first = steps["First direct exchange under the GSOMIA"]
    assert first.rule_ids == ("JK-21.1", "JK-9.1", "JK-4.1", "JK-4.2") and not first.refused
    refused = steps["An analyst cleared to 군사III급비밀 tries it"]
    assert refused.refused and "JK-7.2" in refused.rule_ids
    assert (
        "notice given, terminates at 2019-11-23T00:00:00+09:00"
        in steps["ROK gives written notice (hour assumed)"].outcome
    )
    assert "suspended" in steps["ROK suspends its notice, hours before the lapse"].outcome
    assert steps["ROK withdraws both 2019 notes"].outcome.endswith("in force")
    assert "1 received by JPN" in steps["Real-time warning link operational"].outcome
    launches = [s for s in result.steps if s.title.startswith("Launch ")]  # type: ignore[attr-defined]
    assert len(launches) == 15 and not any(s.refused for s in launches)


def test_every_ledger_verifies_and_is_cosigned_by_both_partners(demo: tuple[object, Path]) -> None:
    result, _ = demo
    assert result.ok  # type: ignore[attr-defined]
    for party, audit in result.audits.items():  # type: ignore[attr-defined]
        assert audit["ok"], (party, audit["checks"])
        assert audit["cosignatures"] >= 2
    jpn = result.ledgers["JPN"]  # type: ignore[attr-defined]
    assert jpn["notice.given"] == jpn["notice.suspended"] == jpn["notice.withdrawn"] == 1
    assert jpn["consent.given"] == 1 and jpn["incident.reported"] == 1


def test_the_report_and_its_images(demo: tuple[object, Path]) -> None:
    _, report = demo
    page = report.read_text(encoding="utf-8")
    assert "Audit of every ledger" in page and "What the agreements bought" in page
    # The answer comes first: per party what the GSOMIA buys, with its interval.
    assert page.index("The answer") < page.index("The agreements over time")
    assert "the GSOMIA buys Japan" in page.replace("The GSOMIA", "the GSOMIA")
    assert "95 % interval" in page or "nothing measurable" in page
    assert "The model against the public record" in page
    assert "<br>" in page or "only here" not in page
    images = sorted(report.parent.rglob("*.png"))
    assert {p.stem for p in images} >= {
        "agreements-timeline",
        "headline",
        "warning-gain",
        "impact-error-JPN",
    }
    assert any(p.stem.startswith("timeline-") for p in images)
    assert any(p.stem.startswith("map-") for p in images)
    for path in images:
        assert path.name in page or str(path.relative_to(report.parent)) in page
        pixels = np.asarray(mpimg.imread(path))[..., :3]
        assert pixels.std() > 0.05, f"{path.name} is blank"
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
