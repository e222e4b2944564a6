"""Write the vectors of the value analysis (``docs/value.md``): value-assumptions-v1, the
assumptions file it reads (a small file and what ``load_assumptions`` reads from it), and
value-v1, the report it writes from that file for one launch and one seeded run, and
value-sweep-v1, a sweep of one factor over the same launch (the file with the TISA-only
regime the sweep's headline compares against).

Run ``python tests/vectors/value/generate.py`` from the repository root after a deliberate
format change. The text is fixed below (people write assumptions files; the analysis only
reads them) and the run is seeded, so the files are the same on every run;
``test_value_vectors.py`` builds them again, loads the text, refuses it with one byte changed,
and checks the report against the members ``docs/value.md`` lists.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia.agreement_files import load_library  # noqa: E402
from gsomia.analysis.assumptions import Assumptions, load_assumptions  # noqa: E402
from gsomia.analysis.sweep import factors, run_sweep  # noqa: E402
from gsomia.analysis.value import run_value  # noqa: E402
from tests.support.vectors import load_text, write_vectors  # noqa: E402

LAUNCH = "2017-05-14"

TEXT = """\
# A small value-assumptions-v1 file, for the vector only.
format = "gsomia/value-assumptions-v1"

[item]
topic = "nk-missile"
purpose = "missile warning"
levels = { JPN = "極秘", KOR = "군사II급비밀", USA = "SECRET" }

[channels.direct]
level = "tracks"
delay_s = 180.0

[channels.hub]
level = "tracks"
relay_s = 30.0
consent_s = 600.0

[channels.realtime]
level = "warnings"
delay_s = 5.0

[[regimes]]
key = "alone"
title = "each party alone"
short = "alone"
agreements = "none"

[[regimes]]
key = "gsomia"
title = "GSOMIA in force"
short = "GSOMIA"
in_force = ["jpn-kor-gsomia"]

[[comparisons]]
better = "gsomia"
worse = "alone"

[simulation]
parties = ["JPN", "KOR"]
runs = 3
seed = 7
step_s = 5.0
horizon_s = 7200.0
dense_s = 2.0
boost_s = 5.0
update_s = 10.0
settle_sigma_ms = 30.0
association_radius_km = 50.0
fix_radii_km = [50.0, 10.0]
"""

SWEEP_TEXT = (
    TEXT
    + """
[[regimes]]
key = "tisa-only"
title = "GSOMIA terminated, TISA only"
short = "TISA only"
terminate = ["jpn-kor-gsomia", "trilateral-warning-link"]
"""
)


def load(text: str) -> Assumptions:
    """``text`` loaded from a file, as ``gsomia value --assumptions`` loads it."""
    return load_text(text, name="value.toml", loader=load_assumptions)


def reads(a: Assumptions) -> dict[str, Any]:
    """What the analysis reads from the file, as JSON."""
    return {
        "topic": a.topic,
        "item_levels": dict(a.item_levels),
        "direct": {"level": str(a.direct.level), "delay_s": a.direct.delay_s},
        "hub": {"level": str(a.hub.level), "relay_s": a.hub.relay_s, "consent_s": a.hub.consent_s},
        "realtime": {"level": str(a.realtime.level), "delay_s": a.realtime.delay_s},
        "regimes": [r.key for r in a.regimes],
        "comparisons": [[c.better, c.worse] for c in a.comparisons],
        "simulation": {"runs": a.simulation.runs, "seed": a.simulation.seed},
    }


def value_vector() -> dict[str, Any]:
    return {"format": "gsomia/value-assumptions-v1", "toml": TEXT, "reads": reads(load(TEXT))}


def report_vector() -> dict[str, Any]:
    """``value.json`` for one launch and one run under the assumptions above."""
    report = run_value(load_library([]), [LAUNCH], runs=1, assumptions=load(TEXT), plots=False)
    return report.to_json()


def sweep_vector() -> dict[str, Any]:
    """``sweep.json`` for the GSOMIA channel delay factor, one launch and one run."""
    chosen = [f for f in factors() if f.key == "direct"]
    result = run_sweep(
        load_library([]), load(SWEEP_TEXT), launches=[LAUNCH], runs=1, chosen=chosen, heat=False
    )
    return result.to_json()


def build() -> dict[str, dict[str, Any]]:
    return {
        "value-assumptions-v1.json": value_vector(),
        "value-v1.json": report_vector(),
        "value-sweep-v1.json": sweep_vector(),
    }


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
