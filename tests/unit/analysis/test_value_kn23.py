"""The value analysis end to end on the 9 May 2019 KN-23 pair, and its report files.

The catalogue's Kusong pair (about 420 and 270 km, about 50 km apogee) is the case the
physics shows: Japan's radars hardly see it (the JMSDF Aegis ship makes a handful of
detections of the first missile near its apogee; nothing sees the second), while the ROK's
radars track both from about 40 s after launch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.regimes import Flow
from gsomia.analysis.report import VALUE_FORMAT, ValueReport
from gsomia.analysis.value import run_value

LAUNCH = "2019-05-09"
RUNS = 3


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ValueReport:
    out = tmp_path_factory.mktemp("value-report")
    # Without the FPS-3 Kai sites (an assumption the validation table tests against the
    # 2019 record): Japan's FPS-5s and one ship, as the 2019 reports describe.
    a = load_assumptions().with_sensors(fps3_kai=False, cue_miss_probability=0.0)
    a = a.with_simulation(parties=("JPN", "KOR"))
    return run_value(load_library([]), [LAUNCH], runs=RUNS, out_dir=out, assumptions=a)


def _from_rok(flows: tuple[Flow, ...], agreement: str | None = None) -> list[Flow]:
    return [f for f in flows if f.originator == "KOR" and agreement in (None, f.agreement_id)]


def _first(report: ValueReport, regime: str, party: str, r: int) -> list[float]:
    (result,) = report.results
    return [run[r].first_track_s for run in result.scores[(regime, party)]]


@pytest.mark.slow
def test_japan_tracks_the_second_missile_only_when_rok_data_reach_it(report: ValueReport) -> None:
    (result,) = report.results
    second = result.rounds[1]
    flight = second.impact_t - second.launch_t
    rok = _first(report, "alone", "KOR", 1)
    assert all(math.isfinite(t) and t < 60.0 for t in rok)
    # Alone, or with ROK warnings that need the US DoD and the ROK's consent (TISA only),
    # Japan never holds a track on the second missile before it lands.
    assert all(math.isinf(t) for t in _first(report, "alone", "JPN", 1))
    tisa = _from_rok(result.sharing["tisa-only"].warnings_into("JPN"))
    assert tisa and tisa[0].delay_s > flight
    assert all(math.isinf(t) for t in _first(report, "tisa-only", "JPN", 1))
    # With the 2023 real-time link it holds one within seconds of the ROK.
    link = _first(report, "link", "JPN", 1)
    assert all(math.isfinite(t) for t in link)
    assert all(j <= k + 15.0 for j, k in zip(link, rok, strict=True))
    # Under the GSOMIA the ROK's data arrive after the channel's delay, never before.
    (direct,) = _from_rok(result.sharing["gsomia"].warnings_into("JPN"), "jpn-kor-gsomia")
    delay = direct.delay_s
    for j, k in zip(_first(report, "gsomia", "JPN", 1), rok, strict=True):
        assert math.isinf(j) or j >= k + delay


@pytest.mark.slow
def test_rok_data_bring_japan_s_first_track_on_the_first_missile_forward(
    report: ValueReport,
) -> None:
    alone = _first(report, "alone", "JPN", 0)
    link = _first(report, "link", "JPN", 0)
    assert all(math.isfinite(t) for t in link)
    assert all(a > b + 30.0 for a, b in zip(alone, link, strict=True))
    assert "JPN" in {f.originator for f in report.results[0].sharing["link"].warnings_into("KOR")}


@pytest.mark.slow
def test_the_report_images_exist_and_are_not_blank(report: ValueReport) -> None:
    expected = {f"map-{LAUNCH}", "warning-gain", "impact-error-JPN", "impact-error-KOR"}
    assert expected <= {path.stem for path in report.plots}
    for path in report.plots:
        assert path.suffix == ".png"
        assert path.stat().st_size > 20_000
        image = imread(path)[..., :3]
        assert image.shape[0] > 300 and image.shape[1] > 300
        assert float(np.std(image)) > 0.05
        colours = np.unique((image.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
        assert len(colours) > 50


@pytest.mark.slow
def test_value_json_carries_every_number_with_its_format(report: ValueReport) -> None:
    assert report.json_path is not None
    doc = json.loads(Path(report.json_path).read_text(encoding="utf-8"))
    assert next(iter(doc)) == "format"
    assert doc["format"] == VALUE_FORMAT
    (launch,) = doc["launches"]
    assert launch["key"] == LAUNCH
    assert len(launch["rounds"]) == 2
    flows = launch["sharing"]["tisa-only"]["JPN"]
    assert any("TI-3" in f["rule_ids"] for f in flows)
    assert "gsomia" in launch["same_as_actual"]
    jpn = doc["overall"]["alone"]["parties"]["JPN"]["first_track_s"]
    assert jpn["n"] == 2 * RUNS and jpn["never"] >= RUNS
    assert doc["table"] and doc["sentences"]
    assert list(doc["table"][0]) == report.table_columns()
    (row,) = doc["per_launch"]
    assert row["launch"] == LAUNCH
    assert {"gsomia/tisa-only/JPN", "link/gsomia/KOR"} <= set(row)


def test_the_report_scores_each_partys_tracks_against_both_missiles(report: ValueReport) -> None:
    assert report.json_path is not None
    doc = json.loads(Path(report.json_path).read_text(encoding="utf-8"))["association"]
    assert doc["cut_off_km"] == pytest.approx(50.0)
    rok = doc["scores"]["actual/KOR"]
    assert rok["runs"] == RUNS and rok["objects"] == 2.0
    assert rok["tracks"] >= 2.0 and 0.9 <= rok["purity"] <= 1.0
    # Japan's radars never see the second missile: it is missed at every scored time.
    assert doc["scores"]["alone/JPN"]["missed_per_time"] > rok["missed_per_time"]
    assert len(doc["sentences"]) == len(report.parties)
    rows = report.association_rows()
    assert len(rows) == len(report.regimes) * len(report.parties)
    assert {"tracks / objects", "purity", "swaps", "false tracks", "GOSPA (km)"} <= set(rows[0])
