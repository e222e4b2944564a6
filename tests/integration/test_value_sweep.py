"""``gsomia value sweep`` as a person runs it: the tornado per party and measure, the heat
map, the what-ifs, and ``sweep.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gsomia.cli.value import app
from gsomia.errors import InputError

runner = CliRunner()


@pytest.mark.slow
def test_a_small_sweep_draws_the_tornado_and_ranks_the_assumptions(tmp_path: Path) -> None:
    args = ["--workers", "1", "sweep", "--launch", "2019-05-09", "--runs", "1", "--no-heat"]
    args += ["--factor", "direct", "--factor", "routing", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Sensitivity of 'GSOMIA vs TISA only'" in result.output
    doc = json.loads((tmp_path / "sweep.json").read_text(encoding="utf-8"))
    assert doc["format"] == "gsomia/value-sweep-v1"
    keys = {p["key"] for p in doc["points"]}
    assert {"base", "direct:low", "direct:high", "routing:low", "routing:high"} <= keys
    assert {"whatif:standing-consent", "whatif:post-event"} <= keys
    base = next(p for p in doc["points"] if p["key"] == "base")
    assert set(base["parties"]) == {"JPN", "KOR", "USA"}
    tornado = tmp_path / "tornado-fix_50km_s.png"
    assert tornado.stat().st_size > 20_000


def test_an_unknown_factor_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sweep", "--factor", "nonsense", "--out", str(tmp_path)])
    assert isinstance(result.exception, InputError)
