"""Crash safety: a 10,000-item exchange from JPN to KOR, killed with SIGKILL again and again.

Both nodes run in one child process, each on its own SQLite home, joined by the in-process
transport. The child provides the items in batches and pumps the outbox; every few batches
each node asks the other to cosign a checkpoint. The test kills the child at seeded random
moments and starts it again; a restart re-opens the homes, finds which logical items JPN
has already provided (each item's content is fixed by its index; JPN, a holder of every
item it provides, opens the items of the transfers in its outbox, since a label-v2 carries
nothing derived from the content), drains the outbox and provides the rest.

After every kill, before the restart, the two databases must tell one consistent story:
each logical item was provided at most once and each provided item is recorded once in
JPN's ledger; a transfer is marked delivered exactly when JPN keeps its receipt, and KOR
remembers every such transfer with all its items accepted; KOR holds exactly the items of
the transfers it answered, each once, each received and marked once in its ledger. At the
end both hold all 10,000 items, nothing is pending between them, no plaintext is anywhere
in either database file, each ledger's newest checkpoint is cosigned by the other, and
``gsomia audit verify`` passes on both homes.

Run as a script (``python test_crash_safety.py HOME``) this file is the child.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, Row, select

from gsomia.adapters.storage.sql import SqlStore, tables
from gsomia.bootstrap import (
    Member,
    connect_in_process,
    demonstration_registry,
    exchange_keys,
    init_home,
    open_node,
)
from gsomia.crypto import Envelope, MasterSecret, open_stored
from gsomia.crypto._envelope import open_content, unwrap_data_key
from gsomia.formats.messages import decode
from gsomia.ledger.entries import ENTRY_FORMAT, Event
from gsomia.ports.store import OutboxState
from gsomia.services.acts.custody import Provision
from gsomia.services.node import Node
from gsomia.services.plumbing.context import SYSTEM_ACTOR

ITEMS = 10_000
BATCH = 250
WITNESS_EVERY = 6  # batches between cross-witnessing rounds
KILLS = 12
SEED = 20161123  # the Japan-ROK GSOMIA was signed on 23 November 2016
MAX_BATCHES_BEFORE_KILL = 2  # a kill lands after 0..2 finished batches of a run, and then
# a random fraction of one batch's time later (the last batch timed): mid-run on a fast
# machine or a slow one, with at most 36 of the 40 batches done before the last kill
OFFICER = "jpn-officer"
PROVISION = Provision(
    recipient="KOR",
    level="秘",
    topic="nk-missile",
    purpose="missile warning",
    agreement_id="jpn-kor-gsomia",
)
PLAINTEXT_MARK = b"track report #"


def content(index: int) -> bytes:
    """The content of logical item ``index``: fixed, so a restart can recognise it."""
    return PLAINTEXT_MARK + f"{index:05d}: launch detected 39.0N 125.7E".encode()


def index_of(plaintext: bytes) -> int:
    """The logical index of an item from its content."""
    assert plaintext.startswith(PLAINTEXT_MARK)
    return int(plaintext[len(PLAINTEXT_MARK) : len(PLAINTEXT_MARK) + 5])


def home(root: Path, party: str) -> Path:
    return root / party.lower()


def open_pair(root: Path, master: MasterSecret | None = None) -> tuple[Node, Node]:
    """Both nodes from their homes, on one in-process network."""
    jpn, kor = (open_node(home(root, p), master=master) for p in ("JPN", "KOR"))
    connect_in_process([jpn, kor])
    return jpn, kor


def engine_of(node: Node) -> Engine:
    store = node.ctx.store
    assert isinstance(store, SqlStore)
    return store.engine


def labelled(node: Node) -> list[str]:
    """Ids of the items in ``node``'s store; raises if an item has no first label."""
    items, labels = tables.items, tables.labels
    query = select(items.c.id).join(
        labels, (labels.c.item_id == items.c.id) & (labels.c.revision == 1)
    )
    with engine_of(node).connect() as conn:
        ids = list(conn.execute(query).scalars())
    with node.ctx.store.read() as uow:
        if uow.count_items() != len(ids):
            raise AssertionError(f"{node.party}: an item is stored without its label")
    return ids


def provided(jpn: Node, kor: Node) -> list[tuple[int, str]]:
    """(logical index, item id) of every item JPN provided: each is in a transfer in JPN's
    outbox (queued with it), whose wrap for JPN opens with JPN's keyring."""
    ids = set(labelled(jpn))
    found = []
    for row in outbox_rows(jpn):
        if row.kind != "transfer":
            continue
        parts = decode(kor.ctx.keyring, row.body).parts
        for envelope in map(Envelope.from_bytes, parts[0::2]):
            data_key = unwrap_data_key(jpn.ctx.keyring, envelope)
            plaintext = open_content(envelope, data_key)
            found.append((index_of(plaintext), envelope.label.item_id))
    assert {item_id for _, item_id in found} == ids, "JPN: an item provided without a transfer"
    return found


def held(kor: Node) -> list[tuple[int, str]]:
    """(logical index, item id) of every item KOR holds, opened with its item keys."""
    out = []
    with kor.ctx.store.read() as uow:
        for item_id in labelled(kor):
            record = uow.item(item_id)
            plaintext = open_stored(
                keyring=kor.ctx.keyring,
                envelope=Envelope.from_bytes(record.ciphertext),
                item_key=uow.keys.get(item_id),
            )
            out.append((index_of(plaintext), item_id))
    return out


# The child ---------------------------------------------------------------------------------


def child(root: Path) -> None:
    """Open both homes, finish what was started, provide the rest (killed at any point)."""
    jpn, kor = open_pair(root)
    done = {index for index, _ in provided(jpn, kor)}
    print(f"ready {len(done)}", flush=True)
    jpn.delivery.drain()
    kor.delivery.drain()
    missing = [i for i in range(ITEMS) if i not in done]
    for n, start in enumerate(range(0, len(missing), BATCH)):
        batch = missing[start : start + BATCH]
        jpn.custody.provide(contents=[content(i) for i in batch], provision=PROVISION, by=OFFICER)
        jpn.delivery.drain()
        if n % WITNESS_EVERY == WITNESS_EVERY - 1:
            jpn.witness.request(by=SYSTEM_ACTOR)
            kor.witness.request(by=SYSTEM_ACTOR)
            jpn.delivery.drain()
            kor.delivery.drain()
        print(f"provided {batch[-1]}", flush=True)
    jpn.delivery.drain()
    kor.delivery.drain()
    print("done", flush=True)


# The parent --------------------------------------------------------------------------------


def prepare(root: Path, master: MasterSecret) -> None:
    """Two node homes that know each other's keys; JPN's security officer registered."""
    now = datetime.now(UTC)
    for party in ("JPN", "KOR"):
        init_home(home(root, party), party=party, now=now, master=master)
    nodes = [open_node(home(root, p), master=master) for p in ("JPN", "KOR")]
    exchange_keys(nodes, homes=[home(root, p) for p in ("JPN", "KOR")], master=master)
    jpn, kor = nodes
    demonstration_registry(
        kor,
        facility="kor-hq",
        facility_name="ROK JCS headquarters",
        registrar=Member(
            person_id="registrar",
            name="Registrar",
            role="security-officer",
            clearance="군사II급비밀",
        ),
        members=[],
    )
    demonstration_registry(
        jpn,
        facility="jpn-hq",
        facility_name="JSO headquarters",
        registrar=Member(
            person_id="registrar", name="Registrar", role="security-officer", clearance="極秘"
        ),
        members=[
            Member(
                person_id=OFFICER,
                name="Security officer",
                role="security-officer",
                clearance="極秘",
                need_to_know=frozenset({"nk-missile"}),
            )
        ],
    )
    for node in nodes:
        node.ctx.store.close()


@dataclass
class Picture:
    """What the two databases say after a crash."""

    provided: list[tuple[int, str]]
    transfers: set[str]
    delivered: set[str]
    receipts: dict[str, int]
    pending_between_them: int
    answered: dict[str, list[str]]
    refused: list[object]
    held: list[tuple[int, str]]
    ledger: dict[str, Counter[str]] = field(default_factory=dict)


def ledger_items(node: Node, event: Event) -> Counter[str]:
    """How many times each item appears in ``node``'s ledger under ``event``, read from the
    ledger-entry-v1 bytes (a version line, then canonical JSON)."""
    ledger = node.ctx.store.ledger
    found: Counter[str] = Counter()
    for data in ledger.iter_entries(0, ledger.size()):
        marker, _, body = data.partition(b"\n")
        assert marker == ENTRY_FORMAT.encode()
        entry = json.loads(body)
        if entry["event"] == event.value:
            found[entry["item"]] += 1
    return found


def outbox_rows(node: Node) -> list[Row]:
    """Every message in ``node``'s outbox: id, kind, state, destination and signed body."""
    box = tables.outbox
    with engine_of(node).connect() as conn:
        query = select(box.c.id, box.c.kind, box.c.state, box.c.destination, box.c.body)
        return list(conn.execute(query).all())


def look(root: Path, master: MasterSecret) -> Picture:
    """Read both databases."""
    jpn, kor = (open_node(home(root, p), master=master) for p in ("JPN", "KOR"))
    try:
        rows = outbox_rows(jpn)
        transfers = [row for row in rows if row.kind == "transfer"]
        with jpn.ctx.store.read() as uow:
            receipts = {r.id: int(r.body["accepted"]) for r in uow.records("receipt")}
        answered, refused = {}, []
        with kor.ctx.store.read() as uow:
            for row in transfers:
                reply = uow.inbox_reply(row.id, sender="JPN")
                if reply is not None:
                    body = decode(jpn.ctx.keyring, reply).body
                    answered[row.id] = list(body["accepted"])
                    refused.extend(body["refused"])
        pending = [
            row.destination
            for row in rows + outbox_rows(kor)
            if row.state == OutboxState.PENDING.value and row.destination in ("JPN", "KOR")
        ]
        return Picture(
            provided=provided(jpn, kor),
            transfers={row.id for row in transfers},
            delivered={row.id for row in transfers if row.state == OutboxState.DELIVERED.value},
            receipts=receipts,
            pending_between_them=len(pending),
            answered=answered,
            refused=refused,
            held=held(kor),
            ledger={
                "provided": ledger_items(jpn, Event.ITEM_PROVIDED),
                "received": ledger_items(kor, Event.ITEM_RECEIVED),
                "marked": ledger_items(kor, Event.ITEM_MARKED),
            },
        )
    finally:
        jpn.ctx.store.close()
        kor.ctx.store.close()


def check(p: Picture, when: str) -> None:
    """The invariants that must hold at every crash point."""
    sent_ids = [item_id for _, item_id in p.provided]
    indices = [index for index, _ in p.provided]
    assert len(set(indices)) == len(indices), f"{when}: a logical item was provided twice"
    assert p.ledger["provided"] == Counter(sent_ids), f"{when}: JPN's ledger and store differ"
    assert p.delivered <= p.transfers and set(p.answered) <= p.transfers
    assert set(p.receipts) == p.delivered, f"{when}: a delivery without its receipt, or back"
    assert p.refused == [], f"{when}: KOR refused items (duplicates?): {p.refused[:3]}"
    for transfer in p.delivered:
        assert transfer in p.answered, f"{when}: KOR forgot a transfer it acknowledged"
        assert p.receipts[transfer] == len(p.answered[transfer]), f"{when}: receipt differs"
    held_ids = [item_id for _, item_id in p.held]
    answered_ids = [i for items in p.answered.values() for i in items]
    assert sorted(held_ids) == sorted(answered_ids), f"{when}: a transfer half received"
    assert len(set(held_ids)) == len(held_ids)
    assert len({index for index, _ in p.held}) == len(p.held), f"{when}: KOR holds a duplicate"
    acknowledged = {i for t in p.delivered for i in p.answered[t]}
    assert acknowledged <= set(held_ids), f"{when}: an acknowledged item is missing at KOR"
    assert set(held_ids) <= set(sent_ids), f"{when}: KOR holds an item JPN never provided"
    for event in ("received", "marked"):
        assert p.ledger[event] == Counter(held_ids), f"{when}: KOR's ledger and store differ"


def spawn(root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, __file__, str(root)], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_until_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while b"ready" not in log.read_bytes():
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.01)


def wait_for_batches(process: subprocess.Popen[bytes], log: Path, count: int) -> float | None:
    """Wait until the child has reported ``count`` more finished batches (or has ended);
    returns how long the last of them took, or ``None`` if ``count`` is 0."""

    def reported() -> int:
        return log.read_bytes().count(b"provided ")

    start, last = reported(), time.monotonic()
    for target in range(start + 1, start + count + 1):
        last = time.monotonic()
        while reported() < target and process.poll() is None:
            time.sleep(0.005)
    return time.monotonic() - last if count else None


def audit_verify(where: Path, env: dict[str, str]) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-m", "gsomia", "audit", "verify", "--home", str(where), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report: dict[str, object] = json.loads(run.stdout)
    return report


def crash_and_restart(root: Path, env: dict[str, str], master: MasterSecret) -> int:
    """Start the child and kill it at seeded random moments, checking the databases after
    each kill; then let a last run finish. Returns how many kills landed mid-run."""
    rng = random.Random(SEED)
    kills = 0
    batch_time = 0.05  # the last batch's time seen; a run is killed within 0..3 batches
    for run in range(KILLS):
        log = root / f"run-{run}.log"
        process = spawn(root, env, log)
        wait_until_ready(process, log)
        measured = wait_for_batches(process, log, rng.randint(0, MAX_BATCHES_BEFORE_KILL))
        batch_time = measured or batch_time
        time.sleep(rng.uniform(0.0, batch_time))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        returncode, output = process.wait(), log.read_text(errors="replace")
        assert returncode in (0, -signal.SIGKILL) and "Traceback" not in output, output
        check(look(root, master), f"after kill {run}")
    log = root / "run-last.log"
    assert spawn(root, env, log).wait(timeout=300) == 0, log.read_text(errors="replace")
    assert log.read_text().rstrip().endswith("done")
    return kills


def witness_each_other(root: Path, master: MasterSecret) -> None:
    """Both nodes checkpoint their ledgers and have the other cosign the checkpoint."""
    jpn, kor = open_pair(root, master)
    try:
        sizes = {node.party: node.witness.request(by=SYSTEM_ACTOR) for node in (jpn, kor)}
        for node in (jpn, kor):
            node.delivery.drain()
        for node, partner in ((jpn, "kor"), (kor, "jpn")):
            latest = node.ctx.store.ledger.latest_checkpoint()
            assert latest is not None and latest.size == sizes[node.party]
            assert any(f"gsomia.node/{partner}" in line for line in latest.cosignatures)
    finally:
        for node in (jpn, kor):
            node.ctx.store.close()


@pytest.mark.slow
def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    text = MasterSecret.generate()
    master = MasterSecret.from_text(text)
    env = {**os.environ, "GSOMIA_MASTER_SECRET": text}
    prepare(tmp_path, master)
    assert crash_and_restart(tmp_path, env, master) >= 10
    final = look(tmp_path, master)
    check(final, "at the end")
    assert sorted(i for i, _ in final.provided) == list(range(ITEMS))
    assert sorted(i for i, _ in final.held) == list(range(ITEMS))
    assert final.delivered == final.transfers and final.pending_between_them == 0
    for party in ("jpn", "kor"):
        for name, data in database_files(tmp_path / party).items():
            assert PLAINTEXT_MARK not in data, f"plaintext in {party}/{name}"
    witness_each_other(tmp_path, master)
    for party in ("JPN", "KOR"):
        report = audit_verify(home(tmp_path, party), env)
        assert report["ok"] is True and report["origin"] == f"gsomia.node/{party.lower()}"


def database_files(where: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in where.glob("node.db*")}


if __name__ == "__main__":
    child(Path(sys.argv[1]))
