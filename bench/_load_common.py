"""What the load and soak benchmarks share: a three-node cluster started with chosen
settings (store, workers, batching), officers' API clients, clients providing 1 KiB items,
and readings of the node (metrics, outbox, resident memory)."""

from __future__ import annotations

import base64
import os
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gsomia.bootstrap import open_node
from gsomia.cluster import PARTIES, node_urls, prepare, start_node, stop_node
from gsomia.core.people import NODE_ACTOR
from gsomia.services.plumbing.auth import AuthService

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ITEM_BYTES = 1024
AGREEMENT = "jpn-kor-gsomia"


@dataclass
class Party:
    """One party's user API as its security officer, and its node's process id."""

    party: str
    url: str
    token: str
    pid: int
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=120
        )

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params)
        r.raise_for_status()
        return r.json() if "json" in r.headers.get("content-type", "") else r.text

    def held_items(self) -> list[str]:
        out: list[str] = []
        after = ""
        while True:
            page = self.get("/v1/items", after=after, limit=1000)
            out.extend(i["id"] for i in page)
            if len(page) < 1000:
                return out
            after = page[-1]["id"]

    def delivered(self, partner: str = "KOR") -> float:
        """Messages delivered to ``partner`` since the node started (its metrics)."""
        total = 0.0
        for family in text_string_to_metric_families(self.get("/metrics")):
            for s in family.samples:
                if s.name == "gsomia_delivered_messages_total" and s.labels == {"partner": partner}:
                    total += s.value
        return total

    def backlog(self) -> int:
        depth = self.get("/v1/outbox/partners")
        return sum(n for states in depth.values() for n in states.values())


@contextmanager
def database(postgres: str) -> Iterator[str]:
    """A PostgreSQL database of this run's own, dropped afterwards."""
    name = f"gsomia_bench_{secrets.token_hex(4)}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settings(home: Path, *, batching: bool) -> None:
    """Top-level settings first (TOML), and a per-person rate the clients do not hit (the
    load comes from one officer's token; 16 officers would each stay under the default)."""
    toml = home / "node.toml"
    lines = toml.read_text(encoding="utf-8")
    head = f"delivery_batching = {'true' if batching else 'false'}\n"
    tail = "\n[limits]\nrequests_per_minute_per_person = 10000000\n"
    toml.write_text(head + lines + tail, encoding="utf-8")


@contextmanager
def cluster(
    root: Path, *, store: str = "", workers: int = 1, batching: bool = True
) -> Iterator[dict[str, Party]]:
    """JPN (with ``workers`` processes), KOR and USA running; their officers' APIs."""
    masters = prepare(root, store=store)
    for party in PARTIES:
        _settings(root / party.lower(), batching=batching)
    pids = {}
    try:
        for party in ("KOR", "USA", "JPN"):
            pids[party] = start_node(
                root, party, wait=120, workers=workers if party == "JPN" else 1
            )
        out = {}
        for party in ("JPN", "KOR"):
            node = open_node(root / party.lower(), master=masters[party])
            try:
                token = AuthService(node.ctx).issue(
                    person_id=f"{party.lower()}-officer", by=NODE_ACTOR
                )
            finally:
                node.ctx.store.close()
            out[party] = Party(party, node_urls(root)[party][0], token.token, pids[party])
        yield out
    finally:
        for party in PARTIES:
            stop_node(root, party)


def body(level: str = "秘") -> dict[str, Any]:
    return {
        "to": "KOR",
        "level": level,
        "topic": "nk-missile",
        "purpose": "missile warning",
        "agreement": AGREEMENT,
        "contents": [base64.b64encode(os.urandom(ITEM_BYTES)).decode()],
    }


@dataclass
class Sample:
    at: float
    seconds: float
    ok: bool
    item: str = ""


def provide_for(
    jpn: Party, *, clients: int, seconds: float, rate: float | None = None
) -> list[Sample]:
    """``clients`` threads providing one 1 KiB item per request for ``seconds``: as fast as
    answered, or at ``rate`` requests per second in all (open loop, evenly spaced)."""
    samples: list[Sample] = []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + seconds

    def client(index: int) -> None:
        with httpx.Client(
            base_url=jpn.url, headers={"Authorization": f"Bearer {jpn.token}"}, timeout=60
        ) as http:
            n = 0
            while True:
                if rate is not None:
                    due = start + (n * clients + index) / rate
                    n += 1
                    if due >= deadline:
                        return
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                elif time.monotonic() >= deadline:
                    return
                t0 = time.monotonic()
                try:
                    r = http.post("/v1/items", json=body())
                    ok = r.status_code == 201
                    item = r.json()["items"][0] if ok else ""
                except httpx.HTTPError:
                    ok, item = False, ""
                with lock:
                    samples.append(Sample(t0, time.monotonic() - t0, ok, item))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (a node's workers), in MB."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024.0
        except OSError:
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its live children (a node's
    workers), in seconds."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found]


def drain(jpn: Party, timeout: float = 600.0) -> float:
    """Seconds until JPN's outbox holds nothing undelivered."""
    t0 = time.monotonic()
    while jpn.backlog():
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"JPN's outbox did not drain within {timeout:g} s")
        time.sleep(0.25)
    return time.monotonic() - t0
