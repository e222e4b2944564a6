"""The model against the public record: what was reported on a dated launch, what the
model gives under the same sharing, and whether they agree.

Each :class:`Check` names a launch, the public claim with its source, and a function of
that launch's :class:`~gsomia.analysis.runner.LaunchResult` that measures the same thing in
the model. A check whose launch was not run is left out. Agreement is a stated criterion
(e.g. "in at most half the runs"), never a judgement made after seeing the number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gsomia.analysis.runner import LaunchResult
from gsomia.analysis.scoring import RoundScore

__all__ = ["CHECKS", "Check", "Outcome", "validate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What the model gives for a check, in words, and whether it agrees."""

    model: str
    agrees: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """A checkable public claim about one launch, with its source and the model's test."""

    launch: str
    claim: str
    source: str
    criterion: str
    measure: Callable[[LaunchResult], Outcome]


def _scores(result: LaunchResult, regime: str, party: str, r: int) -> list[RoundScore]:
    return [run[r] for run in result.scores.get((regime, party), ())]


def _share(values: list[bool]) -> float:
    return float(np.mean(values)) if values else math.nan


def _japan_missed_second(result: LaunchResult) -> Outcome:
    held = [math.isfinite(s.first_track_s) for s in _scores(result, "alone", "JPN", 1)]
    share = _share(held)
    return Outcome(model=f"Japan's own sensors track missile 2 in {share:.0%} of runs",
                   agrees=share <= 0.5)  # fmt: skip


def _rok_lost_second(result: LaunchResult) -> Outcome:
    alone = [math.isfinite(s.fix_s[-1]) for s in _scores(result, "alone", "KOR", 1)]
    shared = [math.isfinite(s.fix_s[-1]) for s in _scores(result, "actual", "KOR", 1)]
    return Outcome(
        model=f"ROK alone reaches a 10 km fix on missile 2 in {_share(alone):.0%} of runs; "
        f"with the allies' data as on that date in {_share(shared):.0%}",
        agrees=_share(alone) <= 0.5,
    )


def _rok_range(result: LaunchResult) -> Outcome:
    ranges = [s.range_km for s in _scores(result, "actual", "KOR", 1) if math.isfinite(s.range_km)]
    if not ranges:
        return Outcome(model="the ROK holds no range estimate of missile 2", agrees=False)
    median = float(np.median(ranges))
    truth = result.rounds[1].range_m / 1e3
    return Outcome(model=f"ROK range estimate of missile 2: median {median:.0f} km "
                   f"(flown: {truth:.0f} km)", agrees=430.0 <= median <= 690.0)  # fmt: skip


def _rok_aegis_slbm(result: LaunchResult) -> Outcome:
    held = [math.isfinite(s.first_track_s) for s in _scores(result, "alone", "KOR", 0)]
    return Outcome(model=f"ROK's own sensors track it in {_share(held):.0%} of runs",
                   agrees=_share(held) >= 0.5)  # fmt: skip


def _japan_lost_track(result: LaunchResult) -> Outcome:
    kept = [bool(np.isfinite(s.error_m[-1])) for s in _scores(result, "actual", "JPN", 0)]
    return Outcome(
        model=f"Japan's picture holds the missile at impact in {_share(kept):.0%} of runs "
        "(the model flies a nominal flight: no failure, no false alarm)",
        agrees=_share(kept) <= 0.5,
    )


def _rok_first(result: LaunchResult) -> Outcome:
    pairs = list(zip(_scores(result, "alone", "KOR", 0), _scores(result, "alone", "JPN", 0),
                     strict=True))  # fmt: skip
    earlier = [k.first_track_s < j.first_track_s for k, j in pairs]
    return Outcome(model=f"the ROK's own first track comes before Japan's in "
                   f"{_share(earlier):.0%} of runs", agrees=_share(earlier) >= 0.5)  # fmt: skip


def _japan_reentry(result: LaunchResult) -> Outcome:
    japan = [math.isfinite(s.fix_s[-1]) for s in _scores(result, "alone", "JPN", 0)]
    rok = [math.isfinite(s.fix_s[-1]) for s in _scores(result, "alone", "KOR", 0)]
    return Outcome(model=f"a 10 km fix alone: Japan {_share(japan):.0%}, ROK {_share(rok):.0%} "
                   "of runs", agrees=_share(japan) > _share(rok))  # fmt: skip


_KYODO = ("Kyodo via UPI, 23 Sep 2019: Japan 'unable to detect North Korean missiles twice "
          "since May … below 37 miles'; https://www.upi.com/Top_News/World-News/2019/09/23/"
          "Japan-failed-to-detect-North-Korea-missiles-report-says/6641569261585/")  # fmt: skip

CHECKS: tuple[Check, ...] = (
    Check(launch="2019-05-09", claim="Japan's radars did not detect the low second SRBM",
          source=_KYODO, criterion="Japan alone tracks missile 2 in at most half the runs",
          measure=_japan_missed_second),
    Check(launch="2019-07-25", claim="Japan's radars missed low KN-23 flights in 2019",
          source=_KYODO, criterion="Japan alone tracks missile 2 in at most half the runs",
          measure=_japan_missed_second),
    Check(launch="2019-07-25",
          claim="The ROK lost the second missile at about 430 km and relied on US data",
          source="Chosun Ilbo via Koogle TV, Jul 2019: http://www.koogle.tv/media/news/"
          "n-korea-undergoes-their-third-missile-test-since-failed-hanoi-summit/",
          criterion="ROK alone reaches a 10 km fix on missile 2 in at most half the runs",
          measure=_rok_lost_second),
    Check(launch="2019-07-25", claim="The ROK first announced 430 km, then revised to 690 km",
          source="CSIS Missile Threat, 25 Jul 2019: https://missilethreat.csis.org/"
          "north-korea-fires-new-ballistic-missiles/",
          criterion="the ROK's median range estimate lies within 430–690 km",
          measure=_rok_range),
    Check(launch="2019-10-02", claim="The ROK's Aegis destroyer detected the SLBM",
          source="spec/missile-scenario.md §2 (launch catalogue note)",
          criterion="the ROK's own sensors track it in at least half the runs",
          measure=_rok_aegis_slbm),
    Check(launch="2019-10-02",
          claim="In the launches after 25 Jul 2019 the ROK announced first",
          source="Asahi Shimbun, 25 Aug 2019: http://www.asahi.com/ajw/articles/AJ201908250036.html",
          criterion="the ROK's own first track precedes Japan's in at least half the runs",
          measure=_rok_first),
    Check(launch="2017-11-29",
          claim="Re-entry assessments of the 2017 ICBMs leaned on Japanese data",
          source="JoongAng Ilbo (Japanese edition), Nov 2017: http://japanese.joins.com/"
          "article/839/235839.html",
          criterion="Japan alone reaches a 10 km fix more often than the ROK alone",
          measure=_japan_reentry),
    Check(launch="2022-11-03",
          claim="Japan lost track; an overflight notice was issued and withdrawn",
          source="NK News, 3 Nov 2022: https://nknews.org/pro/?p=2200610",
          criterion="Japan's picture loses the missile before impact in at least half the runs",
          measure=_japan_lost_track),
)  # fmt: skip
"""The checks; a launch may carry several."""


def validate(results: Sequence[LaunchResult]) -> list[tuple[Check, Outcome]]:
    """Every check whose launch (and regimes) was run in ``results``, with the model's
    outcome."""
    by_key = {r.launch.key: r for r in results}
    out = []
    for check in CHECKS:
        result = by_key.get(check.launch)
        if result is None or ("alone", "JPN") not in result.scores:
            continue
        if ("alone", "KOR") not in result.scores or ("actual", "JPN") not in result.scores:
            continue
        out.append((check, check.measure(result)))
    return out
