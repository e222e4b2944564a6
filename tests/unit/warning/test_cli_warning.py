"""The ``gsomia warning`` sub-app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gsomia.cli.warning import app
from gsomia.errors import InputError, UnknownName

runner = CliRunner()


def test_trajectory_json_carries_the_flight() -> None:
    args = [
        "trajectory",
        "--site",
        "sunan",
        "--azimuth",
        "80",
        "--apogee",
        "6000",
        "--range",
        "1000",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == "gsomia/trajectory-v1"
    assert doc["flight_time_s"] == pytest.approx(69 * 60, rel=0.05)
    assert doc["apogee_km"] == pytest.approx(6000, rel=0.002)
    assert doc["range_km"] == pytest.approx(1000, rel=0.002)
    assert set(doc["burnout"]) == {"time_s", "altitude_km", "speed_ms", "flight_path_deg"}
    assert doc["launch"] == {"lat": 39.224, "lon": 125.67}
    assert 38.0 < doc["impact"]["lat"] < 42.0
    assert doc["kepler_flight_time_s"] < doc["flight_time_s"]


def test_trajectory_table_and_explicit_missile() -> None:
    args = [
        "trajectory",
        "--site",
        "sunan",
        "--azimuth",
        "73",
        "--apogee",
        "550",
        "--range",
        "2700",
        "--missile",
        "hwasong-12",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Hwasong-12" in result.output
    assert "flight time" in result.output


def test_unknown_site_and_bad_input_raise() -> None:
    result = runner.invoke(
        app,
        [
            "trajectory",
            "--site",
            "atlantis",
            "--azimuth",
            "80",
            "--apogee",
            "100",
            "--range",
            "100",
        ],
    )
    assert isinstance(result.exception, UnknownName)
    result = runner.invoke(app, ["sensors", "--on", "yesterday"])
    assert isinstance(result.exception, InputError)


def test_launches_and_sensors_list_the_catalogue() -> None:
    result = runner.invoke(app, ["launches", "--json"])
    doc = json.loads(result.output)
    keys = [launch["key"] for launch in doc["launches"]]
    assert "2019-07-25" in keys and "2022-11-18" in keys
    result = runner.invoke(app, ["sensors", "--on", "2016-01-01", "--json"])
    doc = json.loads(result.output)
    names = [s["name"] for s in doc["parties"]["USA"]]
    assert "TPY-2 Kyogamisaki" in names
    assert "TPY-2 Seongju (THAAD)" not in names
    assert runner.invoke(app, ["sensors", "--on", "2023-12-19"]).exit_code == 0
