"""A smoke run of bench/network.py's gsomia side on the session's cluster: a few items
directly and through the hub, and one latency sample of each path (not their timing)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from gsomia.bootstrap import open_node
from gsomia.crypto import MasterSecret
from tests.support.cluster import Api

pytestmark = pytest.mark.cluster

BENCH = Path(__file__).resolve().parents[3] / "bench"


def load() -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_network", BENCH / "network.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench_cluster(cluster: dict[str, Api], cluster_root: Path) -> Iterator[object]:
    """The benchmark's view of the session cluster (closed, not stopped, afterwards)."""
    bench = load()
    handles = {
        party: open_node(
            cluster_root / party.lower(),
            master=MasterSecret.from_text((cluster_root / "secrets" / party).read_text()),
        )
        for party in ("KOR", "USA")
    }
    view = bench.Cluster(
        root=cluster_root,
        api={party: bench.Api.of(api.node) for party, api in cluster.items()},
        kor=handles["KOR"],
        usa=handles["USA"],
    )
    yield bench, view
    for api in view.api.values():
        api.close()
    for node in handles.values():
        node.ctx.store.close()


def test_the_network_benchmark_moves_items_directly_and_through_the_hub(
    bench_cluster: tuple[ModuleType, object],
) -> None:
    bench, view = bench_cluster
    assert bench.direct(view, 30, seed=5) > 0
    ids = bench.via_hub(view, bench.items(6, 3))
    assert bench.held(view.kor, ids) == 3
    assert len(bench.latencies(view, 1, "direct")) == 1
    assert len(bench.latencies(view, 1, "hub")) == 1
