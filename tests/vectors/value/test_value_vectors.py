"""value-assumptions-v1 and value-v1 against their committed vectors: rebuilt byte for byte;
the assumptions loaded by the code that reads them and refused with one byte changed; the
report checked against the members ``docs/value.md`` lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gsomia.errors import InputError
from tests.support.vectors import assert_generator_writes, load_generator, one_byte_changed

HERE = Path(__file__).parent
generate = load_generator(HERE, "value_vectors")

VECTOR = json.loads((HERE / "value-assumptions-v1.json").read_text(encoding="utf-8"))
REPORT = json.loads((HERE / "value-v1.json").read_text(encoding="utf-8"))
SWEEP = json.loads((HERE / "value-sweep-v1.json").read_text(encoding="utf-8"))
DOC = (HERE.parents[2] / "docs" / "value.md").read_text(encoding="utf-8")
MEMBERS = [
    "format",
    "assumptions",
    "regimes",
    "launches",
    "overall",
    "comparisons",
    "table",
    "validation",
    "impact_ellipse_coverage",
    "association",
    "per_launch",
    "sentences",
    "plots",
]
REGIME = ["key", "title", "short", "no_agreements", "terminate", "in_force", "lapse", "lapse_on"]


def test_the_file_is_what_the_generator_writes() -> None:
    assert_generator_writes(HERE, generate.build())


def test_the_text_loads_as_the_vector_says() -> None:
    assumptions = generate.load(VECTOR["toml"])
    assert generate.reads(assumptions) == VECTOR["reads"]
    assert assumptions.regime("gsomia").key == "gsomia"


@pytest.mark.parametrize(
    "old,new",
    [
        ('"gsomia/value-assumptions-v1"', '"gsomia/value-assumptions-v2"'),
        ('level = "tracks"', 'level = "trackz"'),
        ('worse = "alone"', 'worse = "alonf"'),
        ("delay_s = 5.0", "delay_s = 5.x"),
        ('better = "gsomia"', 'better = "gsomiA"'),
    ],
)
def test_the_text_with_one_byte_changed_is_refused(old: str, new: str) -> None:
    changed = one_byte_changed(VECTOR["toml"], old, new)
    with pytest.raises(InputError):
        generate.load(changed)


def test_the_report_has_the_documented_members_in_order() -> None:
    assert list(REPORT) == MEMBERS
    assert REPORT["format"] == "gsomia/value-v1"
    in_doc = re.findall(r"`([a-z_]+)`", DOC)
    assert set(MEMBERS) | set(REGIME) <= set(in_doc)
    assert list(REPORT["assumptions"]) == ["item", "channels", "simulation"]
    assert REPORT["plots"] == {}


def test_the_report_is_of_the_assumptions_it_was_run_with() -> None:
    regimes = REPORT["regimes"]
    assert [r["key"] for r in regimes] == ["actual", *VECTOR["reads"]["regimes"]]
    assert all(list(r) == REGIME for r in regimes)
    pairs = [[c["better"], c["worse"]] for c in REPORT["comparisons"]]
    assert pairs == VECTOR["reads"]["comparisons"]
    assert set(REPORT["overall"]) == {r["key"] for r in regimes}
    for block in REPORT["overall"].values():
        assert {"parties", "apogee_gap_km", "range_gap_km"} <= set(block)
        assert sorted(block["parties"]) == ["JPN", "KOR"]
    assert set(REPORT["association"]) == {"cut_off_km", "scores", "sentences"}
    assert len(REPORT["launches"]) == 1


def test_the_sweep_has_the_documented_members() -> None:
    assert list(SWEEP) == ["format", "runs", "launches", "comparison", "points"]
    assert SWEEP["format"] == "gsomia/value-sweep-v1"
    assert SWEEP["runs"] == 1 and SWEEP["launches"] == [generate.LAUNCH]
    assert SWEEP["comparison"] == {"better": "gsomia", "worse": "tisa-only"}
    keys = [p["key"] for p in SWEEP["points"]]
    assert keys[:3] == ["base", "direct:low", "direct:high"]
    assert all(k.startswith("whatif:") for k in keys[3:])
    difference = ["mean_s", "ci95_s", "median_s", "n"]
    difference += ["gained", "lost", "neither", "unknown", "within_resolution"]
    in_doc = set(re.findall(r"`([a-z_0-9]+)`", DOC))
    assert {"runs", "launches", "comparison", "points", "label", *difference} <= in_doc
    for point in SWEEP["points"]:
        assert list(point) == ["key", "label", "parties"]
        assert sorted(point["parties"]) == ["JPN", "KOR"]
        for measures in point["parties"].values():
            for diff in measures.values():
                assert list(diff) == difference
                assert 0 <= diff["n"] <= SWEEP["runs"] * len(SWEEP["launches"])
