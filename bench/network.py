"""Network throughput: JPN to KOR between node processes over mutually authenticated TLS,
against medallion (the TAXII 2.1 reference server) over HTTP on the same machine; and the
JPN to USA to KOR path through the hub, its throughput and the latency it adds.

gsomia: ``gsomia.cluster.up`` starts JPN, KOR and USA as separate ``gsomia node run``
processes on loopback (each its own SQLite store, PKI and keys; peers pinned; mutual TLS
between nodes). The client (this process) drives JPN's user API as JPN's security officer:
``POST /v1/items`` with 1,000 base64 items per request, one request after the other. JPN
provides them (one transfer per request) and its delivery pump sends the transfers to KOR
over mutual TLS; KOR takes custody of each item and answers with a signed receipt. The time
runs from the first request until JPN's outbox holds no pending message, that is until
every transfer is receipted by KOR; KOR's item count is then checked. medallion gets the
same items as in ``bench/exchange.py`` (STIX indicators in envelopes of 100, a fresh
collection per repetition, bodies built before the clock starts) over HTTP.

The hub path is measured with what exists: provisions under the 2023 real-time link
(route JPN, USA, KOR; the mechanism is the originators' standing approval, TI-3/RT-4) reach
USA, where each item waits in custody as relaying until the hub's officer forwards it
(``POST /v1/forwards`` on USA's user API: every item that has arrived, in one call and one
transfer). This process acts as that officer, forwarding items as soon as they are
relaying. Latency
is from the provision request to the item being held by KOR, one item at a time, direct
(JPN to KOR) and via the hub; the added latency is the difference of the percentiles.

Usage: ``python bench/network.py [--quick] [--items N] [--compare N] [--repeat R]
[--latency N]``.
"""

from __future__ import annotations

import base64
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx

from _common import parser, report
from exchange import Medallion, items, stix_envelopes
from gsomia.bootstrap import open_node
from gsomia.cluster import ClusterNode, down, up
from gsomia.crypto import MasterSecret
from gsomia.services.node import Node

BATCH = 1000
LEVEL = "極秘"
HUB_AGREEMENT = "trilateral-warning-link"


@dataclass
class Api:
    """One party's user API as its security officer."""

    node: ClusterNode
    client: httpx.Client

    @classmethod
    def of(cls, node: ClusterNode) -> Api:
        return cls(
            node=node,
            client=httpx.Client(
                base_url=node.api_url,
                headers={"Authorization": f"Bearer {node.token}"},
                timeout=120,
            ),
        )

    def provide(self, contents: list[bytes], *, agreement: str) -> list[str]:
        """Provide ``contents`` to KOR; the item ids."""
        body = {
            "to": "KOR",
            "level": LEVEL,
            "topic": "nk-missile",
            "purpose": "missile warning",
            "agreement": agreement,
            "contents": [base64.b64encode(c).decode("ascii") for c in contents],
        }
        response = self.client.post("/v1/items", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"provide: {response.status_code} {response.text[:300]}")
        return list(response.json()["items"])

    def forward(self, item_ids: list[str]) -> None:
        """As the hub's officer, forward relaying items to their recipient (one call)."""
        response = self.client.post("/v1/forwards", json={"items": item_ids})
        if response.status_code != 200:
            raise RuntimeError(f"forward: {response.status_code} {response.text[:300]}")

    def pending(self) -> int:
        """Messages in the node's outbox not yet delivered."""
        response = self.client.get("/v1/outbox")
        response.raise_for_status()
        return int(response.json().get("pending", 0))

    def count(self) -> int:
        """Items in the node's custody, counted page by page."""
        total, after = 0, ""
        while True:
            page = self.client.get("/v1/items", params={"after": after, "limit": 1000}).json()
            total += len(page)
            if len(page) < 1000:
                return total
            after = page[-1]["id"]

    def close(self) -> None:
        self.client.close()


@dataclass
class Cluster:
    """The three running nodes, their APIs, and read handles on KOR's and USA's homes (to
    watch what KOR holds and what waits at USA)."""

    root: Path
    api: dict[str, Api]
    kor: Node
    usa: Node

    @classmethod
    def start(cls, root: Path) -> Cluster:
        nodes = {n.party: n for n in up(root)}
        api = {party: Api.of(node) for party, node in nodes.items()}
        handles = {
            party: open_node(
                root / party.lower(),
                master=MasterSecret.from_text((root / "secrets" / party).read_text()),
            )
            for party in ("KOR", "USA")
        }
        return cls(root=root, api=api, kor=handles["KOR"], usa=handles["USA"])

    def peak_rss_mb(self) -> dict[str, float]:
        """Each node process's peak resident set size (``VmHWM``), in MB."""
        out = {}
        for party, api in self.api.items():
            try:
                status = Path(f"/proc/{api.node.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    out[party] = int(line.split()[1]) / 1024
        return out

    def stop(self) -> None:
        for api in self.api.values():
            api.close()
        for node in (self.kor, self.usa):
            node.ctx.store.close()
        down(self.root)


def wait_for(condition: Callable[[], bool], *, timeout: float, pause: float = 0.005) -> None:
    """Poll ``condition`` until it holds; raises RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for the nodes")
        time.sleep(pause)


def held(node: Node, item_ids: list[str]) -> int:
    """How many of ``item_ids`` ``node`` holds (read from its store)."""
    with node.ctx.store.read() as uow:
        return len(uow.existing_items(item_ids))


def direct(cluster: Cluster, count: int, *, seed: int) -> float:
    """Items per second from the first request to JPN until KOR has receipted every item."""
    jpn = cluster.api["JPN"]
    before = held_count(cluster)
    start = time.perf_counter()
    for first in range(0, count, BATCH):
        jpn.provide(
            items(seed * 1_000_003 + first, min(BATCH, count - first)), agreement="jpn-kor-gsomia"
        )
    wait_for(lambda: jpn.pending() == 0, timeout=600, pause=0.25)
    elapsed = time.perf_counter() - start
    taken = held_count(cluster) - before
    if taken != count:
        raise RuntimeError(f"KOR took {taken} items, not {count}")
    return count / elapsed


def held_count(cluster: Cluster) -> int:
    with cluster.kor.ctx.store.read() as uow:
        return uow.count_items()


def relaying(cluster: Cluster, item_ids: list[str]) -> list[str]:
    """Which of ``item_ids`` USA holds, waiting to be forwarded."""
    with cluster.usa.ctx.store.read() as uow:
        return sorted(uow.existing_items(item_ids))


def via_hub(cluster: Cluster, contents: list[bytes]) -> list[str]:
    """Provide ``contents`` through the hub and forward each item at USA as soon as it is
    relaying there; returns when KOR holds them all."""
    ids = cluster.api["JPN"].provide(contents, agreement=HUB_AGREEMENT)
    waiting = set(ids)
    deadline = time.monotonic() + 600
    while waiting:
        arrived = relaying(cluster, sorted(waiting))
        if arrived:
            cluster.api["USA"].forward(arrived)
        waiting -= set(arrived)
        if not arrived:
            if time.monotonic() > deadline:
                raise RuntimeError("items did not reach the hub")
            time.sleep(0.005)
    wait_for(lambda: held(cluster.kor, ids) == len(ids), timeout=600)
    return ids


def latencies(cluster: Cluster, count: int, path: str) -> list[float]:
    """Seconds from a one-item provision request until KOR holds the item, ``count`` times."""
    out = []
    for i in range(count):
        content = items(7_000 + i, 1)
        start = time.perf_counter()
        if path == "hub":
            via_hub(cluster, content)
        else:
            (item_id,) = cluster.api["JPN"].provide(content, agreement="jpn-kor-gsomia")
            wait_for(lambda item_id=item_id: held(cluster.kor, [item_id]) == 1, timeout=60)
        out.append(time.perf_counter() - start)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1e3:,.0f} ms  p99 {percentile(values, 0.99) * 1e3:,.0f} ms"
    )


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=100_000, help="items of the large run")
    p.add_argument("--compare", type=int, default=10_000, help="items of each side's runs")
    p.add_argument("--hub-items", type=int, default=1_000, help="items of the hub throughput run")
    p.add_argument("--latency", type=int, default=100, help="one-item samples per path")
    args = p.parse_args()
    large, compare, repeat, hub, samples = (
        args.items,
        args.compare,
        args.repeat,
        args.hub_items,
        args.latency,
    )
    if args.quick:
        large, compare, repeat, hub, samples = 2_000, 1_000, 1, 20, 5

    root = Path(tempfile.mkdtemp(prefix="gsomia-network-"))
    cluster = Cluster.start(root / "large")
    try:
        direct(cluster, BATCH, seed=99)  # warm-up: connections, caches, first decisions
        rate = direct(cluster, large, seed=1)
        rss = cluster.peak_rss_mb()
        print(
            f"network {large:,}  gsomia {rate:,.0f} items/s  (JPN to KOR over mutual TLS, "
            f"separate processes, driven through JPN's user API in requests of {BATCH:,}; "
            "1 run; target 10,000)",
            flush=True,
        )
        print(
            "peak RSS  " + "  ".join(f"{k} {v:,.0f} MB" for k, v in sorted(rss.items())),
            flush=True,
        )
        start = time.perf_counter()
        via_hub(cluster, items(5, hub))
        hub_rate = hub / (time.perf_counter() - start)
        direct_lat = latencies(cluster, samples, "direct")
        hub_lat = latencies(cluster, samples, "hub")
        added = {q: percentile(hub_lat, q) - percentile(direct_lat, q) for q in (0.5, 0.99)}
        print(
            f"hub path {hub:,}  gsomia {hub_rate:,.0f} items/s  direct {rate:,.0f} items/s  "
            f"ratio {hub_rate / rate:.3f}x  (JPN to USA to KOR under the {HUB_AGREEMENT}: "
            "standing approval; USA's officer forwards what has arrived, one call each time)",
            flush=True,
        )
        print(
            f"latency  direct {ms(direct_lat)}  via hub {ms(hub_lat)}  added p50 "
            f"{added[0.5] * 1e3:,.0f} ms  p99 {added[0.99] * 1e3:,.0f} ms  "
            f"({samples} one-item provisions each, request to held by KOR)",
            flush=True,
        )
    finally:
        cluster.stop()

    cluster = Cluster.start(root / "compare")
    medallion = Medallion(root, collections=repeat)
    try:
        direct(cluster, BATCH, seed=98)
        ours, theirs = [], []
        for i in range(repeat):
            ours.append(direct(cluster, compare, seed=100 + i))
            bodies = stix_envelopes(items(100 + i, compare))
            theirs.append(compare / medallion.post(medallion.collections[i], bodies))
    finally:
        medallion.stop()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    report(
        f"network {compare:,}",
        statistics.median(ours),
        statistics.median(theirs),
        "items/s",
        "medallion",
        f"median of {repeat}, over HTTP(S) on this machine; medallion's memory store slows as "
        f"it grows, so both take {compare:,} (gsomia's nodes run on for each repetition); "
        "target 5x",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
