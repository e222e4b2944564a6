"""launches-v1, sensors-v1 and trajectory-v1 against their committed vectors: the commands
print them again, and each report has the members ``docs/tracking.md`` lists, of the
documented kinds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.vectors import assert_generator_writes, load_generator

HERE = Path(__file__).parent
DOC = (HERE.parents[2] / "docs" / "tracking.md").read_text(encoding="utf-8")
generate = load_generator(HERE, "report_vectors")

NUMBER = (int, float)
# The documented members of each report: a type, a nested schema, or a one-element list of one.
LAUNCH = {
    "key": str,
    "missile": str,
    "site": str,
    "bearing_deg": NUMBER,
    "local_time": (str, type(None)),
    "rounds": [{"offset_s": NUMBER, "apogee_km": NUMBER, "range_km": NUMBER}],
    "fit_basis": str,
    "reported": list,
}
SPACE_SENSOR = {"name": str, "kind": str, "in_service": str, "delay_s": NUMBER}
SENSOR = {
    "name": str,
    "kind": str,
    "lat": NUMBER,
    "lon": NUMBER,
    "height_m": NUMBER,
    "approximate": bool,
    "in_service": str,
    "reach_km": NUMBER,
    "elevation_mask_deg": NUMBER,
    "revisit_s": NUMBER,
}
POINT = {"lat": NUMBER, "lon": NUMBER}
SCHEMAS: dict[str, dict[str, Any]] = {
    "launches-v1.json": {"format": str, "launches": [LAUNCH]},
    "sensors-v1.json": {"format": str, "on": str, "parties": dict},
    "trajectory-v1.json": {
        "format": str,
        "site": str,
        "missile": str,
        "flight_time_s": NUMBER,
        "apogee_km": NUMBER,
        "range_km": NUMBER,
        "impact_bearing_deg": NUMBER,
        "launch": POINT,
        "impact": POINT,
        "burnout": {
            "time_s": NUMBER,
            "altitude_km": NUMBER,
            "speed_ms": NUMBER,
            "flight_path_deg": NUMBER,
        },
        "programme": {"azimuth_deg": NUMBER, "pitch_deg": NUMBER, "cutoff_s": NUMBER},
        "kepler_flight_time_s": (*NUMBER, type(None)),
    },
}


def check(value: Any, schema: Any, where: str) -> None:
    """Raise AssertionError where ``value`` does not fit ``schema``."""
    if isinstance(schema, dict):
        assert isinstance(value, dict), where
        assert set(value) == set(schema), f"{where}: {sorted(set(value) ^ set(schema))}"
        for key, inner in schema.items():
            check(value[key], inner, f"{where}.{key}")
    elif isinstance(schema, list):
        assert isinstance(value, list) and value, where
        for i, item in enumerate(value):
            check(item, schema[0], f"{where}[{i}]")
    else:
        assert isinstance(value, schema), f"{where}: {value!r}"


def documented(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for key, inner in schema.items():
            names |= {key, *documented(inner)}
    elif isinstance(schema, list):
        names |= documented(schema[0])
    return names


def test_the_files_are_what_the_commands_print() -> None:
    assert_generator_writes(HERE, generate.build())


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_report_has_the_documented_members(name: str) -> None:
    report = json.loads((HERE / name).read_text(encoding="utf-8"))["report"]
    assert report["format"] == "gsomia/" + name.removesuffix(".json")
    check(report, SCHEMAS[name], name)
    in_doc = set(re.findall(r"`([a-z_]+)`", DOC))
    assert documented(SCHEMAS[name]) <= in_doc, documented(SCHEMAS[name]) - in_doc


def test_each_sensor_has_the_documented_members() -> None:
    report = json.loads((HERE / "sensors-v1.json").read_text(encoding="utf-8"))["report"]
    assert sorted(report["parties"]) == ["JPN", "KOR", "USA"]
    for party, sensors in report["parties"].items():
        for i, sensor in enumerate(sensors):
            schema = SPACE_SENSOR if "delay_s" in sensor else SENSOR
            check(sensor, schema, f"{party}[{i}]")
    in_doc = set(re.findall(r"`([a-z_]+)`", DOC))
    assert documented(SENSOR) | documented(SPACE_SENSOR) <= in_doc


def test_each_reported_figure_is_documented() -> None:
    report = json.loads((HERE / "launches-v1.json").read_text(encoding="utf-8"))["report"]
    allowed = {"source", "apogee_km", "range_km", "flight_time_s", "missiles", "note"}
    for launch in report["launches"]:
        for said in launch["reported"]:
            assert "source" in said and set(said) <= allowed, said


def test_a_report_missing_a_member_does_not_fit() -> None:
    report = json.loads((HERE / "trajectory-v1.json").read_text(encoding="utf-8"))["report"]
    del report["burnout"]["speed_ms"]
    with pytest.raises(AssertionError):
        check(report, SCHEMAS["trajectory-v1.json"], "trajectory")
