"""``gsomia value`` as a person runs it (the sub-app, through Typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gsomia.analysis.report import VALUE_FORMAT
from gsomia.cli.value import QUICK_LAUNCH, app
from gsomia.errors import InputError, UnknownName

runner = CliRunner()


@pytest.mark.slow
def test_quick_run_prints_the_differences_and_writes_the_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--quick", "--out", str(tmp_path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "What sharing buys" in result.output
    assert "2023 real-time link vs GSOMIA in force" in result.output
    assert "Japan" in result.output and "ROK" in result.output
    assert (tmp_path / "value.json").is_file()
    assert (tmp_path / f"map-{QUICK_LAUNCH}.png").stat().st_size > 20_000
    assert (tmp_path / "warning-gain.png").is_file()


@pytest.mark.slow
def test_json_output_is_value_json(tmp_path: Path) -> None:
    args = ["--quick", "--no-plots", "--json", "--out", str(tmp_path), "--workers", "1"]
    result = runner.invoke(app, [*args, "--consent-delay", "0", "--seed", "3"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == VALUE_FORMAT
    assert doc["plots"] == {}
    assert doc["assumptions"]["channels"]["hub"]["consent_s"] == 0.0
    assert doc["assumptions"]["simulation"]["seed"] == 3
    assert [launch["key"] for launch in doc["launches"]] == [QUICK_LAUNCH]
    tisa = doc["launches"][0]["sharing"]["tisa-only"]["JPN"]
    from_rok = [f for f in tisa if f["originator"] == "KOR"]
    assert [(f["level"], f["delay_s"]) for f in from_rok] == [("tracks", 60.0)]
    assert json.loads((tmp_path / "value.json").read_text(encoding="utf-8")) == doc


def test_bad_input_raises_for_the_main_cli_to_map(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--launch", "1999-01-01", "--out", str(tmp_path)])
    assert isinstance(result.exception, UnknownName)
    result = runner.invoke(app, ["--quick", "--runs", "0", "--out", str(tmp_path)])
    assert isinstance(result.exception, InputError)
    result = runner.invoke(app, ["--quick", "--consent-delay", "-5", "--out", str(tmp_path)])
    assert isinstance(result.exception, InputError)
