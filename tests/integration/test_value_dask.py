"""The runs of ``gsomia value`` through one executor interface: a local Dask cluster of two
workers gives exactly the numbers of the local process pool for the same seed."""

from __future__ import annotations

import numpy as np
import pytest

from gsomia.agreement_files import load_library
from gsomia.analysis.assumptions import load_assumptions
from gsomia.analysis.report import ValueReport
from gsomia.analysis.value import run_value

distributed = pytest.importorskip("distributed")


def _numbers(report: ValueReport) -> tuple[list[object], np.ndarray]:
    """Every score's keys and times, and every impact error (NaN where no track)."""
    keys: list[object] = []
    errors = []
    for result in report.results:
        for key in sorted(result.scores):
            for run in result.scores[key]:
                for s in run:
                    keys.append((key, s.first_track_s, s.fix_s))
                    errors.append(s.error_m)
    return keys, np.concatenate(errors)


@pytest.mark.slow
def test_a_dask_cluster_of_two_workers_gives_the_local_pool_s_numbers() -> None:
    a = load_assumptions().with_simulation(parties=("KOR",), seed=11)
    library = load_library([])
    launches = ["2019-05-09"]
    local = run_value(library, launches, runs=2, assumptions=a, workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = run_value(library, launches, runs=2, assumptions=a,
                           executor=client.get_executor())  # fmt: skip
    keys, errors = _numbers(local)
    remote_keys, remote_errors = _numbers(remote)
    assert keys and keys == remote_keys
    np.testing.assert_array_equal(errors, remote_errors)
