"""Exchange throughput: items provided by a JPN node and taken into custody by a KOR node,
against medallion (the OASIS TAXII 2.1 reference server) ingesting the same items.

gsomia (both nodes in this process, each on its own SQLite file in WAL mode with
``synchronous=FULL``, joined by the in-process transport; with ``--processes`` KOR runs in a
process of its own, reached over a pipe): JPN's officer provides 1 KiB items in provisions of
1,000 (decide, label, seal, bind, ledger, store, outbox: one transfer each); JPN's delivery
pump, on a thread of its own, sends each transfer; KOR
verifies it, decides each item, re-marks it with its own level, keeps it at rest with its
key apart, records it in its ledger and stores it, and answers with a signed receipt that
JPN records. The time runs from the first provision until JPN holds the receipt of the last
transfer, so every item is then durable at KOR. Every rule decision, ledger entry, label
version and check of the ordinary path is made; nothing is skipped.

medallion (memory backend, a fresh server and data file for the run, one fresh collection
per repetition): the same items as STIX 2.1 indicators, each carrying its item base64 in a
custom property, POSTed in envelopes of 100. The request bodies are built before the clock
starts. Its memory store slows as it grows, so the comparison gives both sides the same
count (``--compare``, 10,000 by default).

Figures: end-to-end throughput at ``--items`` (100,000; fewer repetitions than five are
allowed for this one, ``--large-repeat``), the comparison at ``--compare`` (median of
``--repeat``, alternating sides), and the peak resident set size after the large run (both
nodes, their caches and the items in flight; with ``--processes`` the two processes' peaks
added). Each node process freezes its start-up objects out of the garbage collector's way
once it is set up, as the node runtime does.

Usage: ``python bench/exchange.py [--quick] [--items N] [--compare N] [--repeat R]
[--large-repeat R] [--processes]``.
"""

from __future__ import annotations

import base64
import gc
import json
import math
import multiprocessing
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import requests

from _common import parser, peak_rss_mb, report
from gsomia.agreement_files import load_library
from gsomia.bootstrap import Member, connect_in_process, demonstration_registry, fresh_node
from gsomia.crypto import export_public_keys, import_public_keys
from gsomia.errors import GsomiaError, TransportError
from gsomia.services.acts.custody import TRANSFER_CHUNK, Provision
from gsomia.services.node import Node

ITEM_SIZE = 1024
OFFICER = "jpn-officer"
PROVISION = Provision(
    recipient="KOR",
    level="極秘",
    topic="nk-missile",
    purpose="missile warning",
    agreement_id="jpn-kor-gsomia",
)
TAXII = "application/taxii+json;version=2.1"
MEDALLION_ENVELOPE = 100
PUMP_LIMIT = 4


# gsomia -------------------------------------------------------------------------------------


def make_node(root: Path, party: str) -> Node:
    """A fresh node of ``party`` on its own SQLite file under ``root``, with a facility, and
    for JPN its security officer."""
    node = fresh_node(
        f"sqlite:///{root / party.lower()}.db",
        party=party,
        library=load_library([]),
        default_facility=f"{party.lower()}-hq",
    )
    level = {"JPN": "極秘", "KOR": "군사II급비밀", "USA": "SECRET"}[party]
    officer = [
        Member(
            person_id=OFFICER,
            name="JPN security officer",
            role="security-officer",
            clearance="極秘",
            need_to_know=frozenset({"nk-missile"}),
        )
    ]
    demonstration_registry(
        node,
        facility=f"{party.lower()}-hq",
        facility_name=party,
        registrar=Member(
            person_id="registrar", name="Registrar", role="security-officer", clearance=level
        ),
        members=officer if party == "JPN" else [],
    )
    return node


def register(node: Node, partner_keys: bytes) -> None:
    """Register a partner's exported public keys under every agreement the two share."""
    keys = import_public_keys(partner_keys)
    for agreement in node.ctx.files.between(node.party, keys[0].party):
        node.register_partner(agreement_id=agreement.id, keys=keys)


def _settle() -> None:
    """What a long-running node process does once started: its start-up objects (modules,
    agreements, keys) are moved out of the garbage collector's way (``gc.freeze``)."""
    gc.collect()
    gc.freeze()


def _serve(root: Path, party: str, conn: Connection) -> None:
    """The child process: one node answering calls over ``conn`` until told to stop."""
    node = make_node(root, party)
    conn.send(export_public_keys(node.ctx.keyring))
    register(node, conn.recv())
    _settle()
    conn.send("ready")
    while True:
        op, arg = conn.recv()
        if op == "inbox":
            try:
                conn.send(("ok", node.inbox(arg, peer="JPN")))
            except GsomiaError as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
        elif op == "held":
            with node.ctx.store.read() as uow:
                conn.send((uow.count_items(), len(uow.existing_items(arg))))
        else:
            node.ctx.store.close()
            conn.send(peak_rss_mb())
            return


class ChildNode:
    """A node in a process of its own (as deployed), reached over a pipe: the transport of
    its partner sends it messages, and the benchmark asks it what it holds."""

    def __init__(self, root: Path, party: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(root, party, theirs), daemon=True)
        self._process.start()
        self.public_keys: bytes = self._conn.recv()
        self._lock = threading.Lock()

    def start(self, partner_keys: bytes) -> None:
        self._conn.send(partner_keys)
        if self._conn.recv() != "ready":
            raise RuntimeError("the child node did not start")

    def send(self, destination: str, payload: bytes) -> bytes:
        """:class:`~gsomia.ports.transport.PeerTransport` to the child node."""
        with self._lock:
            self._conn.send(("inbox", payload))
            status, reply = self._conn.recv()
        if status != "ok":
            raise TransportError(f"{destination} refused the message: {reply}")
        return bytes(reply)

    def held(self, sample: list[str]) -> tuple[int, int]:
        """How many items the node holds, and how many of ``sample``."""
        with self._lock:
            self._conn.send(("held", sample))
            count, found = self._conn.recv()
        return int(count), int(found)

    def stop(self) -> float:
        """Stop the node; its peak resident set size in MB."""
        with self._lock:
            self._conn.send(("stop", None))
            rss = float(self._conn.recv())
        self._process.join(30)
        return rss


@dataclass
class Pair:
    """JPN and KOR in this process on the in-process transport, or KOR in a child process
    of its own."""

    jpn: Node
    kor: ChildNode | Node

    def held(self, sample: list[str]) -> tuple[int, int]:
        if isinstance(self.kor, ChildNode):
            return self.kor.held(sample)
        with self.kor.ctx.store.read() as uow:
            return uow.count_items(), len(uow.existing_items(sample))

    def close(self) -> float:
        """Close both nodes; KOR's peak RSS in MB when it ran in its own process, else 0."""
        self.jpn.ctx.store.close()
        if isinstance(self.kor, ChildNode):
            return self.kor.stop()
        self.kor.ctx.store.close()
        return 0.0


def make_pair(root: Path, *, one_process: bool = True) -> Pair:
    """Fresh JPN and KOR nodes under ``root`` with each other's keys registered."""
    if one_process:
        jpn, kor = make_node(root, "JPN"), make_node(root, "KOR")
        connect_in_process([jpn, kor])
        _settle()
        return Pair(jpn=jpn, kor=kor)
    child = ChildNode(root, "KOR")
    jpn = make_node(root, "JPN")
    register(jpn, child.public_keys)
    child.start(export_public_keys(jpn.ctx.keyring))
    jpn.delivery.transport = child
    _settle()
    return Pair(jpn=jpn, kor=child)


def items(seed: int, count: int) -> list[bytes]:
    """``count`` pseudo-random items of 1 KiB, the same for a given seed."""
    block = random.Random(seed).randbytes(ITEM_SIZE * count)
    return [block[i : i + ITEM_SIZE] for i in range(0, len(block), ITEM_SIZE)]


def exchange(pair: Pair, count: int, *, seed: int = 1) -> float:
    """Seconds from JPN's first provision until JPN holds KOR's receipt for every item.

    JPN provides on this thread while its delivery pump runs on another. Raises
    RuntimeError if KOR did not take exactly the items provided.
    """
    transfers = math.ceil(count / TRANSFER_CHUNK)
    failure: list[BaseException] = []

    def pump() -> None:
        delivered = 0
        try:
            while delivered < transfers:
                result = pair.jpn.delivery.pump(limit=PUMP_LIMIT)
                delivered += result.delivered
                if not result.delivered:
                    time.sleep(0.001)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)

    before, _ = pair.held([])
    provided: list[str] = []
    start = time.perf_counter()
    pumper = threading.Thread(target=pump, name="jpn-pump")
    pumper.start()
    for first in range(0, count, TRANSFER_CHUNK):
        batch = items(seed * 1_000_003 + first, min(TRANSFER_CHUNK, count - first))
        result = pair.jpn.custody.provide(contents=batch, provision=PROVISION, by=OFFICER)
        provided.extend(result.item_ids)
    pumper.join()
    elapsed = time.perf_counter() - start
    if failure:
        raise RuntimeError(f"the delivery pump failed: {failure[0]!r}") from failure[0]
    sample = provided[:: max(1, len(provided) // 500)]
    held, found = pair.held(sample)
    if held - before != count or found != len(sample):
        raise RuntimeError(f"KOR took {held - before} items, not the {count} provided")
    return elapsed


def gsomia_run(count: int, *, seed: int = 1, one_process: bool = True) -> tuple[float, float]:
    """Items per second of one exchange of ``count`` items between fresh nodes, and KOR's
    peak RSS in MB when it ran in its own process (else 0)."""
    root = Path(tempfile.mkdtemp(prefix="gsomia-exchange-"))
    pair = make_pair(root, one_process=one_process)
    try:
        rate = count / exchange(pair, count, seed=seed)
    finally:
        rss = pair.close()
        shutil.rmtree(root, ignore_errors=True)
    return rate, rss


# medallion ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Medallion:
    """A medallion server on a fresh copy of the anchor's config and data, with one empty
    collection per repetition; stopped by :meth:`stop`."""

    def __init__(self, root: Path, collections: int) -> None:
        self.port = _free_port()
        base = f"http://127.0.0.1:{self.port}"
        self.collections = [str(uuid.uuid4()) for _ in range(collections)]
        (root / "medallion-data.json").write_text(
            json.dumps(_medallion_data(base, self.collections))
        )
        config = {
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": str(root / "medallion-data.json"),
            },
            "users": {"admin": "Password0"},
            "taxii": {"max_page_size": 100},
        }
        (root / "medallion-config.json").write_text(json.dumps(config))
        command = Path(sys.executable).parent / "medallion"
        self._log = (root / "medallion.log").open("wb")
        self._process = subprocess.Popen(
            [
                str(command),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                str(root / "medallion-config.json"),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.session = requests.Session()
        self.session.auth = ("admin", "Password0")
        self.base = base
        self._wait()

    def _wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.session.get(f"{self.base}/taxii2/", headers={"Accept": TAXII}).ok:
                    return
            except requests.ConnectionError:
                pass
            if self._process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("medallion did not start; see medallion.log")

    def post(self, collection: str, bodies: list[bytes]) -> float:
        """Seconds to POST ``bodies`` (envelopes) into ``collection``, each answered 202."""
        url = f"{self.base}/api1/collections/{collection}/objects/"
        headers = {"Accept": TAXII, "Content-Type": TAXII}
        start = time.perf_counter()
        for body in bodies:
            response = self.session.post(url, data=body, headers=headers)
            if response.status_code != 202 or response.json().get("failure_count"):
                raise RuntimeError(f"medallion refused an envelope: {response.text[:200]}")
        return time.perf_counter() - start

    def stop(self) -> None:
        self.session.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


def _medallion_data(base: str, collections: list[str]) -> dict[str, object]:
    """The anchor's data file: one API root, and empty writable collections."""
    return {
        "/discovery": {
            "title": "bench",
            "default": f"{base}/api1/",
            "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {
                "title": "api1",
                "versions": [TAXII],
                "max_content_length": 100_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": c,
                    "title": f"run {i}",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
                for i, c in enumerate(collections)
            ],
        },
    }


def stix_envelopes(contents: list[bytes]) -> list[bytes]:
    """The items as STIX 2.1 indicators (the anchor's shape, the item base64 in a custom
    property), in TAXII envelopes of 100, encoded."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": now,
            "modified": now,
            "pattern": "[ipv4-addr:value = '1.2.3.4']",
            "pattern_type": "stix",
            "valid_from": now,
            "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
            "x_gsomia_content": base64.b64encode(content).decode("ascii"),
        }
        for content in contents
    ]
    return [
        json.dumps({"objects": objects[i : i + MEDALLION_ENVELOPE]}).encode()
        for i in range(0, len(objects), MEDALLION_ENVELOPE)
    ]


# Main ---------------------------------------------------------------------------------------


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=100_000, help="items of the large run")
    p.add_argument("--compare", type=int, default=10_000, help="items of each side's runs")
    p.add_argument("--large-repeat", type=int, default=1, help="repetitions of the large run")
    p.add_argument("--processes", action="store_true", help="KOR in a process of its own")
    args = p.parse_args()
    large, compare, repeat = args.items, args.compare, args.repeat
    large_repeat, one = args.large_repeat, not args.processes
    if args.quick:
        large, compare, repeat, large_repeat = 2_000, 1_000, 1, 1
    where = "both nodes in this process" if one else "KOR in a process of its own"

    gsomia_run(min(compare, 1_000), seed=99, one_process=one)  # warm-up: imports, caches
    runs = [gsomia_run(large, seed=i + 1, one_process=one) for i in range(large_repeat)]
    rss = peak_rss_mb() + max(kor for _, kor in runs)
    print(
        f"exchange {large:,}  gsomia {statistics.median(r for r, _ in runs):,.0f} items/s  "
        f"(end to end: JPN provides, KOR receives, verifies, marks, stores and receipts; "
        f"SQLite WAL synchronous=FULL; {where}; {large_repeat} run(s); target 20,000)",
        flush=True,
    )
    print(
        f"peak RSS  gsomia {rss:,.0f} MB  (JPN and KOR together, {large:,}-item run; "
        "target under 300)",
        flush=True,
    )
    root = Path(tempfile.mkdtemp(prefix="gsomia-medallion-"))
    medallion = Medallion(root, collections=repeat)
    try:
        ours, theirs = [], []
        for i in range(repeat):
            ours.append(gsomia_run(compare, seed=100 + i, one_process=one)[0])
            bodies = stix_envelopes(items(100 + i, compare))
            theirs.append(compare / medallion.post(medallion.collections[i], bodies))
    finally:
        medallion.stop()
        shutil.rmtree(root, ignore_errors=True)
    report(
        f"exchange {compare:,}",
        statistics.median(ours),
        statistics.median(theirs),
        "items/s",
        "medallion",
        f"median of {repeat}; medallion's memory store slows as it grows, so both take "
        f"{compare:,}; target 10x",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
