"""Where the runs go: one executor interface, local worker processes or a Dask cluster.

Every run goes through :class:`concurrent.futures.Executor` (``submit`` and futures):
:func:`~gsomia.analysis.runner.run_launches` makes a local process pool by default; a Dask
distributed client's executor (:func:`dask_executor`) spreads the same calls over a
cluster when a researcher outgrows one machine. Results do not depend on where a run
went: each draws from seeds of (seed, launch, run, sensor).
"""

from __future__ import annotations

from concurrent.futures import Executor

from gsomia.errors import InputError

__all__ = ["dask_executor"]


def dask_executor(address: str) -> Executor:
    """An executor over the Dask scheduler at ``address`` (``tcp://host:8786``).

    Raises InputError if Dask's distributed package is missing or the scheduler cannot
    be reached.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise InputError("--scheduler needs Dask: pip install 'gsomia[dask]'") from exc
    try:
        client = Client(address, timeout=10)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    executor: Executor = client.get_executor()  # type: ignore[no-untyped-call]
    return executor
