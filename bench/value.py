"""The value analysis's whole pipeline: launch-runs per second, serial and in worker processes.

One launch-run is one Monte Carlo run of one dated launch through the whole pipeline: the
truth, every sensor's reports, each party's tracker per distinct set of report flows, the
fusion of partners' tracks and warnings, and the scoring of every regime's picture until
impact (flying every estimate to the ground). The anchor is the same pipeline in one
process; gsomia's default runs chunks of runs in local worker processes (the executor
interface a Dask cluster also serves).

    python bench/value.py            # 2019-05-09 and 2022-11-18, 6 runs each, 2 workers
    python bench/value.py --quick    # smoke run: one launch, 2 runs
    python bench/value.py --full     # every dated launch at the default 30 runs, 2 workers
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, timed
from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.value import run_value
from gsomia.warning.scenario.launches import dated_launches


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--full", action="store_true", help="every launch at the default runs")
    args = p.parse_args()
    library = load_library()
    a = load_assumptions()
    if args.full:
        launches = [d.key for d in dated_launches()]
        runs = a.simulation.runs
    elif args.quick:
        launches, runs = ["2019-05-09"], 2
    else:
        launches, runs = ["2019-05-09", "2022-11-18"], 6
    # Warm the launch fits (cached per process) so both sides time the pipeline only.
    run_value(library, launches[:1], runs=1, plots=False)
    count = len(launches) * runs
    cpu0 = os.times()
    pooled, _ = timed(lambda: run_value(library, launches, runs=runs, plots=False,
                                        workers=args.workers))  # fmt: skip
    cpu1 = os.times()
    children = _cpu(cpu1) - _cpu(cpu0)
    if args.full:
        print(f"full analysis: {len(launches)} launches × {runs} runs, all regimes: "
              f"{pooled:.0f} s wall, {children:.0f} s CPU, {args.workers} workers")  # fmt: skip
        print(f"value full analysis  gsomia {count / pooled:.3f} launch-runs/s wall  "
              f"{count / children:.3f} per CPU-s  ratio {children / pooled:.2f}x")  # fmt: skip
        return
    cpu2 = os.times()
    serial, _ = timed(lambda: run_value(library, launches, runs=runs, plots=False, workers=1))
    serial_cpu = _cpu(os.times()) - _cpu(cpu2)
    print(f"value pipeline ({len(launches)} launches × {runs} runs)  gsomia "
          f"{count / pooled:.3f} launch-runs/s with {args.workers} workers  serial "
          f"{count / serial:.3f} launch-runs/s  ratio {serial / pooled:.2f}x  CPU "
          f"{children / count:.2f} s per launch-run with {args.workers} workers, "
          f"{serial_cpu / count:.2f} s serial")  # fmt: skip


def _cpu(t: os.times_result) -> float:
    """User and system seconds of this process and its finished children."""
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    main()
